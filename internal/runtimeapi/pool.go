package runtimeapi

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Pool runs the execution environments of one function. It is safe for concurrent use.
type Pool struct {
	cfg    FunctionConfig
	arn    string
	logger *slog.Logger
	logs   *logSink

	mu       sync.Mutex
	envs     map[*environment]struct{}
	idle     []*environment // LIFO: the most recently used environment is reused first
	draining []*environment // answered, /next not called yet: the next event can be queued on them
	busy     int            // environments starting or running an unanswered invocation
	closed   bool
	changed  chan struct{} // closed and replaced whenever an environment frees up or goes away
	stats    Stats

	reaperDone chan struct{}
	closeOnce  sync.Once
}

// Stats counts what a pool did; a snapshot is returned by Pool.Stats.
type Stats struct {
	// Environments is the number of live processes (starting, busy, idle or shutting down).
	Environments int
	// Busy is the number of environments starting or running an invocation.
	Busy int
	// Idle is the number of warm environments waiting for an event.
	Idle int
	// ColdStarts is the number of environments started so far.
	ColdStarts int
	// Invocations is the number of events handed to environments so far.
	Invocations int
	// Throttles is the number of invocations refused with ErrThrottled.
	Throttles int
}

// EnvironmentMemory is the resident memory of one environment's process.
type EnvironmentMemory struct {
	// PID is the process id.
	PID int
	// RSSBytes is VmRSS from /proc/{pid}/status (0 when unavailable).
	RSSBytes int64
	// Idle reports that the environment was waiting for an event (warm) when measured.
	Idle bool
}

// NewPool returns a pool for the function; no process starts until the first Invoke. It fails when the
// configuration lacks a name or an executable. A nil logger discards diagnostics.
func NewPool(cfg FunctionConfig, logger *slog.Logger) (*Pool, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p := &Pool{
		cfg:        cfg,
		arn:        cfg.functionARN(),
		logger:     logger,
		logs:       &logSink{w: cfg.LogWriter},
		envs:       make(map[*environment]struct{}),
		changed:    make(chan struct{}),
		reaperDone: make(chan struct{}),
	}
	go p.reap()
	return p, nil
}

// Config returns the pool's configuration with defaults applied.
func (p *Pool) Config() FunctionConfig { return p.cfg }

// Invoke runs one invocation: on a warm environment when one is idle, else on a new one (a cold start). It
// returns ErrThrottled at once when reserved concurrency is exhausted, waits (respecting ctx) when the local
// cap on environments is reached, and returns a *FunctionError (with the Result measured so far) when the
// function failed, timed out, crashed or could not initialise. When ctx ends first Invoke returns ctx.Err()
// (also during a cold start's init) and the invocation keeps running until it answers or times out, as in Lambda.
func (p *Pool) Invoke(ctx context.Context, payload []byte, opts InvokeOptions) (Result, error) {
	if len(payload) > MaxRequestBytes {
		return Result{}, fmt.Errorf("runtimeapi: invoking %q with a %d-byte event: %w", p.cfg.Name, len(payload), ErrRequestTooLarge)
	}
	if opts.RequestID == "" {
		opts.RequestID = newRequestID()
	}
	if opts.TraceID == "" {
		opts.TraceID = newTraceID(time.Now())
	}
	env, cold, err := p.acquire(ctx)
	if err != nil {
		return Result{}, err
	}
	inv := &invocation{id: opts.RequestID, payload: payload, opts: opts, cold: cold, done: make(chan outcome, 1)}
	if cold {
		// The init runs apart so that the caller can leave when ctx ends (the integration timeout covers
		// cold starts); the invocation still runs once the environment is ready, as in Lambda.
		go p.initThenDispatch(env, inv)
	} else {
		p.mu.Lock()
		p.stats.Invocations++
		p.mu.Unlock()
		env.dispatch(inv)
	}
	select {
	case out := <-inv.done:
		return out.result, out.err
	case <-ctx.Done():
		return Result{RequestID: opts.RequestID}, ctx.Err()
	}
}

// initThenDispatch waits for a new environment's first /next and hands it inv, or settles inv with the
// init failure.
func (p *Pool) initThenDispatch(env *environment, inv *invocation) {
	if err := env.awaitInit(inv.id); err != nil {
		inv.done <- outcome{result: Result{RequestID: inv.id, ColdStart: true, PID: env.pid()}, err: err}
		return
	}
	env.mu.Lock()
	inv.initDur = env.initDuration
	env.mu.Unlock()
	p.mu.Lock()
	p.stats.Invocations++
	p.mu.Unlock()
	env.dispatch(inv)
}

// claimLast takes the most recently added environment of list (a non-empty stack: the warmest first) and
// marks it busy. The caller holds p.mu.
func (p *Pool) claimLast(list *[]*environment) *environment {
	n := len(*list)
	env := (*list)[n-1]
	(*list)[n-1] = nil
	*list = (*list)[:n-1]
	env.state = stateBusy
	p.busy++
	return env
}

// acquire reserves an environment for one invocation: the most recently idle one, else a new one (cold).
func (p *Pool) acquire(ctx context.Context) (env *environment, cold bool, err error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, false, ErrClosed
		}
		if len(p.idle) > 0 {
			env = p.claimLast(&p.idle)
			p.mu.Unlock()
			return env, false, nil
		}
		if r := p.cfg.ReservedConcurrency; r > 0 && p.busy >= r {
			p.stats.Throttles++
			p.mu.Unlock()
			return nil, false, fmt.Errorf("runtimeapi: function %q has reserved concurrency %d and all are busy: %w", p.cfg.Name, r, ErrThrottled)
		}
		// An environment that has answered is about to call /next: queueing the event on it beats a cold
		// start, and saves a wake-up against waiting for it to become idle.
		if len(p.draining) > 0 {
			env = p.claimLast(&p.draining)
			p.mu.Unlock()
			return env, false, nil
		}
		if len(p.envs) < p.cfg.MaxEnvironments {
			// Starting under the lock keeps every environment in p.envs backed by a process; fork and exec
			// are serialised by the runtime's fork lock anyway.
			env = p.newEnvironment()
			if err := env.start(); err != nil {
				p.mu.Unlock()
				return nil, false, err
			}
			env.state = stateBusy
			p.envs[env] = struct{}{}
			p.busy++
			p.stats.ColdStarts++
			p.mu.Unlock()
			return env, true, nil
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
}

// notifyLocked wakes every waiter in acquire; p.mu must be held.
func (p *Pool) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// answered records that env answered its invocation: it is draining until the runtime calls /next.
func (p *Pool) answered(env *environment) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if env.state != stateBusy {
		return
	}
	p.busy--
	if p.closed {
		env.state = stateStopping
		env.stop(ShutdownGrace)
		p.notifyLocked()
		return
	}
	env.state = stateFinishing
	p.draining = append(p.draining, env)
	p.notifyLocked()
}

// release makes env idle after the runtime called /next, unless the next event was already queued on it.
func (p *Pool) release(env *environment) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if env.state != stateFinishing {
		return // re-acquired while draining, or stopping
	}
	p.dropLocked(&p.draining, env)
	if p.closed {
		env.state = stateStopping
		env.stop(ShutdownGrace)
		p.notifyLocked()
		return
	}
	env.state = stateIdle
	env.idleFrom = time.Now()
	p.idle = append(p.idle, env)
	p.notifyLocked()
}

// remove forgets env once its process has exited (or failed to start). It is idempotent.
func (p *Pool) remove(env *environment) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch env.state {
	case stateDead:
		return
	case stateBusy:
		p.busy--
	case stateFinishing:
		p.dropLocked(&p.draining, env)
	case stateIdle:
		p.dropLocked(&p.idle, env)
	}
	env.state = stateDead
	delete(p.envs, env)
	p.notifyLocked()
}

func (p *Pool) dropLocked(list *[]*environment, env *environment) {
	for i, e := range *list {
		if e == env {
			*list = append((*list)[:i], (*list)[i+1:]...)
			return
		}
	}
}

// redispatch runs an invocation whose environment died before the runtime received it on another
// environment; the caller is still waiting on inv.done.
func (p *Pool) redispatch(inv *invocation) {
	env, cold, err := p.acquire(context.Background())
	if err != nil {
		inv.done <- outcome{result: Result{RequestID: inv.id}, err: err}
		return
	}
	if cold {
		if err := env.awaitInit(inv.id); err != nil {
			inv.done <- outcome{result: Result{RequestID: inv.id, ColdStart: true, PID: env.pid()}, err: err}
			return
		}
		env.mu.Lock()
		inv.cold, inv.initDur = true, env.initDuration
		env.mu.Unlock()
	}
	env.dispatch(inv)
}

// reap shuts down environments idle for longer than the idle timeout until the pool closes.
func (p *Pool) reap() {
	interval := min(max(p.cfg.IdleTimeout/4, 10*time.Millisecond), 30*time.Second)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-p.reaperDone:
			return
		case now := <-ticker.C:
			p.mu.Lock()
			kept := p.idle[:0]
			for _, env := range p.idle {
				if now.Sub(env.idleFrom) >= p.cfg.IdleTimeout {
					env.state = stateStopping
					p.logger.Debug("reaping idle environment", "function", p.cfg.Name, "pid", env.pid())
					env.stop(ShutdownGrace)
					continue
				}
				kept = append(kept, env)
			}
			clear(p.idle[len(kept):])
			p.idle = kept
			p.mu.Unlock()
		}
	}
}

// Close shuts every environment down (SIGTERM, SIGKILL after ShutdownGrace or when ctx ends) and waits for
// the processes to exit. Invocations in flight fail with Runtime.ExitError; later Invokes return ErrClosed.
// It returns ctx.Err() if ctx ends before every process has exited. Calling Close again waits again.
func (p *Pool) Close(ctx context.Context) error {
	p.closeOnce.Do(func() { close(p.reaperDone) })
	p.mu.Lock()
	p.closed = true
	envs := make([]*environment, 0, len(p.envs))
	for env := range p.envs {
		envs = append(envs, env)
		if env.state == stateIdle || env.state == stateFinishing {
			env.state = stateStopping
		}
	}
	p.idle, p.draining = nil, nil
	p.notifyLocked()
	p.mu.Unlock()
	for _, env := range envs {
		env.stop(ShutdownGrace)
	}
	for _, env := range envs {
		select {
		case <-env.exited:
		case <-ctx.Done():
			for _, env := range envs {
				env.stop(0)
			}
			return fmt.Errorf("runtimeapi: closing function %q: %w", p.cfg.Name, ctx.Err())
		}
	}
	return nil
}

// Stats returns a snapshot of the pool's counters.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Environments = len(p.envs)
	s.Busy = p.busy + len(p.draining)
	s.Idle = len(p.idle)
	return s
}

// Memory returns the resident memory of every live environment, read from /proc.
func (p *Pool) Memory() []EnvironmentMemory {
	p.mu.Lock()
	envs := make([]*environment, 0, len(p.envs))
	idle := make(map[*environment]bool, len(p.idle))
	for env := range p.envs {
		envs = append(envs, env)
		idle[env] = env.state == stateIdle
	}
	p.mu.Unlock()
	out := make([]EnvironmentMemory, 0, len(envs))
	for _, env := range envs {
		out = append(out, EnvironmentMemory{PID: env.pid(), RSSBytes: procStatusKB(env.pid(), "VmRSS:") * 1024, Idle: idle[env]})
	}
	return out
}
