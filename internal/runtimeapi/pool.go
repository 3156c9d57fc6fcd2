package runtimeapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Pool runs the execution environments of one function. It is safe for concurrent use.
type Pool struct {
	acct   *Account
	cfg    FunctionConfig
	arn    string
	logger *slog.Logger
	logs   *logSink

	mu        *sync.Mutex // the account's: it guards every field below
	envs      map[*environment]struct{}
	idle      []*environment // waiting in /next, in the order they went idle: reuse takes the last (warmest)
	starting  int            // environments reserved, their process not started yet
	busy      int            // environments starting or running an unanswered invocation
	finishing int            // environments that answered and have not called /next again
	lastInit  time.Duration  // how long the last successful cold start's init took
	closed    bool
	stats     Stats

	reaperDone chan struct{}
	closeOnce  sync.Once
}

// Stats counts what a pool did; a snapshot is returned by Pool.Stats.
type Stats struct {
	// Environments is the number of live processes (starting, busy, idle or shutting down).
	Environments int
	// Busy is the number of environments starting, running an invocation, or finishing one (answered,
	// /next not called yet): as in Lambda, an invocation ends when the runtime asks for the next event.
	Busy int
	// Idle is the number of warm environments waiting in /next for an event.
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

// NewPool returns a pool for the function in an account of its own with the default concurrency limit;
// Account.NewPool shares one limit between functions.
func NewPool(cfg FunctionConfig, logger *slog.Logger) (*Pool, error) {
	return NewAccount(0).NewPool(cfg, logger)
}

// Config returns the pool's configuration with defaults applied.
func (p *Pool) Config() FunctionConfig { return p.cfg }

// finishingGrace is how long an invocation that finds no idle environment waits for one that has answered
// to call /next again, before it starts a new environment (or, at the reserved concurrency, is throttled).
// A caller on AWS is a network round trip away from Lambda, so the environment that answered its previous
// request is back in /next before the next request arrives; on loopback the next request can win that race
// by microseconds, and every sequential caller would start a new environment (or be throttled) where AWS
// reuses the warm one. Work after the response that lasts longer than this (a slow defer) does not hold the
// request up any further: it gets a new environment.
const finishingGrace = 10 * time.Millisecond

// defaultInitCost stands for a function's cold start before its first one was measured: about what a
// small Go function's init takes here (15-50 ms).
const defaultInitCost = 50 * time.Millisecond

// reclaimWait is how long an invocation waits for one of its function's busy environments, when the
// account is at its limit, before it stops another function's idle environment to start its own: as long
// as the function's last cold start took. Waiting that long costs the caller no more than the cold start
// would, and it spares the other function a cold start of its own later. Without it, a load spread over
// many functions at the limit made nearly every request stop an environment and cold-start one. p.mu must
// be held.
func (p *Pool) reclaimWait() time.Duration {
	if p.lastInit > 0 {
		return p.lastInit
	}
	return defaultInitCost
}

// Invoke runs one invocation, as Lambda schedules it: on an environment waiting in /next (the most recently
// used first), else on a new environment (a cold start). An environment that has answered but not yet called
// /next (work after the response, a slow defer) is busy: it gets no event, though Invoke waits up to
// finishingGrace for it to come back before starting another one. Past the reserved concurrency
// Invoke returns ErrThrottled; at the account's limit it waits up to one cold start (reclaimWait) for one of
// its own busy environments, then reclaims another function's idle environment or waits (respecting ctx)
// for one to free up. It returns a *FunctionError (with the Result measured so far)
// when the function failed, timed out, crashed or could not initialise. When ctx ends first Invoke returns
// ctx.Err() (also during a cold start's init) and the invocation keeps running until it answers or times
// out, as in Lambda.
func (p *Pool) Invoke(ctx context.Context, payload []byte, opts InvokeOptions) (Result, error) {
	if len(payload) > MaxRequestBytes {
		return Result{}, fmt.Errorf("runtimeapi: invoking %q with a %d-byte event: %w", p.cfg.Name, len(payload), ErrRequestTooLarge)
	}
	if opts.RequestID == "" {
		opts.RequestID = newRequestID()
	}
	opts.TraceID = lambdaTraceHeader(opts.TraceID, time.Now())
	env, cold, err := p.acquire(ctx)
	if err != nil {
		var fe *FunctionError
		if errors.As(err, &fe) {
			p.entrypointFailed(opts.RequestID, fe)
			return Result{RequestID: opts.RequestID, ColdStart: true}, err
		}
		return Result{}, err
	}
	inv := &invocation{id: opts.RequestID, payload: payload, opts: opts, done: make(chan outcome, 1)}
	if cold {
		// The init runs apart so that the caller can leave when ctx ends (the integration timeout covers
		// cold starts); the invocation still runs once the environment is ready, as in Lambda.
		go p.coldStart(env, inv)
	} else {
		p.dispatch(env, inv)
	}
	select {
	case out := <-inv.done:
		return out.result, out.err
	case <-ctx.Done():
		return Result{RequestID: opts.RequestID}, ctx.Err()
	}
}

// dispatch counts the invocation and hands it to env.
func (p *Pool) dispatch(env *environment, inv *invocation) {
	p.mu.Lock()
	p.stats.Invocations++
	p.mu.Unlock()
	env.dispatch(inv)
}

// acquire reserves an environment for one invocation: the most recently idle one, else a new one (cold).
func (p *Pool) acquire(ctx context.Context) (env *environment, cold bool, err error) {
	a := p.acct
	var grace *time.Timer // running while the invocation waits for a finishing environment
	graceOver := false
	var patience *time.Timer // running while, at the account's limit, it waits for a busy environment
	patienceOver := false
	defer func() {
		if grace != nil {
			grace.Stop()
		}
		if patience != nil {
			patience.Stop()
		}
	}()
	a.mu.Lock()
	defer a.mu.Unlock()
	for {
		if p.closed {
			return nil, false, ErrClosed
		}
		if n := len(p.idle); n > 0 {
			env = p.idle[n-1]
			p.idle[n-1] = nil
			p.idle = p.idle[:n-1]
			env.state = stateBusy
			p.busy++
			return env, false, nil
		}
		var timeout <-chan time.Time
		switch r, m := p.cfg.ReservedConcurrency, p.cfg.MaxEnvironments; {
		case p.finishing > 0 && !graceOver:
			if grace == nil {
				grace = time.NewTimer(finishingGrace)
			}
			timeout = grace.C
		case r > 0 && p.busy+p.finishing >= r:
			p.stats.Throttles++
			return nil, false, fmt.Errorf("runtimeapi: function %q has reserved concurrency %d and all are busy: %w", p.cfg.Name, r, ErrThrottled)
		case m > 0 && len(p.envs)+p.starting >= m:
			// The function's own cap: wait for one of its environments.
		case a.live >= a.limit && p.busy+p.finishing > 0 && !patienceOver:
			if patience == nil {
				patience = time.NewTimer(p.reclaimWait())
			}
			timeout = patience.C
		case a.live < a.limit || a.reclaimLocked(p):
			env, err = p.startLocked()
			return env, err == nil, err
		}
		cancelled, timedOut := a.waitLocked(ctx.Done(), timeout)
		if cancelled {
			return nil, false, ctx.Err()
		}
		if timedOut && grace != nil && timeout == grace.C {
			graceOver = true
		} else if timedOut {
			patienceOver = true
		}
	}
}

// startLocked starts a new environment counted against the account, marked busy. The process is forked
// without the lock (other functions keep being served meanwhile): the slot is reserved first. p.mu must be
// held; it is held again on return.
func (p *Pool) startLocked() (*environment, error) {
	a := p.acct
	a.live++
	p.starting++
	p.busy++
	p.stats.ColdStarts++
	a.mu.Unlock()
	env := p.newEnvironment()
	err := env.start()
	a.mu.Lock()
	p.starting--
	if err != nil {
		a.live--
		p.busy--
		a.notifyLocked()
		return nil, err
	}
	env.state = stateBusy
	env.counted = true
	p.envs[env] = struct{}{}
	if p.closed {
		env.state = stateStopping
		p.busy--
		env.stop(0)
		return nil, ErrClosed
	}
	return env, nil
}

// answered records that env answered its invocation: it is finishing until the runtime calls /next.
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
		p.acct.notifyLocked()
		return
	}
	env.state = stateFinishing
	p.finishing++
}

// release makes env idle once its runtime waits in /next again.
func (p *Pool) release(env *environment) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if env.state != stateFinishing {
		return // stopping
	}
	p.finishing--
	if p.closed {
		env.state = stateStopping
		env.stop(ShutdownGrace)
		p.acct.notifyLocked()
		return
	}
	env.state = stateIdle
	env.idleFrom = time.Now()
	p.idle = append(p.idle, env)
	p.acct.notifyLocked()
}

// remove forgets env once its process has exited. It is idempotent.
func (p *Pool) remove(env *environment) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch env.state {
	case stateDead:
		return
	case stateBusy:
		p.busy--
	case stateFinishing:
		p.finishing--
	case stateIdle:
		p.dropLocked(&p.idle, env)
	}
	if env.counted {
		env.counted = false
		p.acct.environmentGoneLocked()
	}
	env.state = stateDead
	delete(p.envs, env)
	p.acct.notifyLocked()
}

func (p *Pool) dropLocked(list *[]*environment, env *environment) {
	for i, e := range *list {
		if e == env {
			*list = slices.Delete(*list, i, i+1)
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
		p.coldStart(env, inv)
		return
	}
	p.dispatch(env, inv)
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

// Close shuts every environment down (SIGTERM to each process group, SIGKILL after ShutdownGrace or when
// ctx ends) and waits for the processes to exit. Invocations in flight fail with Runtime.ExitError; later
// Invokes return ErrClosed. It returns ctx.Err() if ctx ends before every process has exited. Calling Close
// again waits again.
func (p *Pool) Close(ctx context.Context) error {
	p.closeOnce.Do(func() { close(p.reaperDone) })
	p.mu.Lock()
	p.closed = true
	delete(p.acct.pools, p)
	envs := make([]*environment, 0, len(p.envs))
	for env := range p.envs {
		envs = append(envs, env)
		if env.state == stateIdle || env.state == stateFinishing {
			env.state = stateStopping
		}
	}
	p.idle, p.finishing = nil, 0
	p.acct.notifyLocked()
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
	s.Busy = p.busy + p.finishing
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
