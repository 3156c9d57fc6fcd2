package runtimeapi

import (
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultConcurrencyLimit is an Account's limit on live execution environments when none is given: 32 on
// a machine with up to 4 CPUs, 8 per CPU beyond. An environment of a small Go function holds 10-15 MB, so 32
// of them stay under half a gigabyte, while 32 concurrent requests are more than a laptop's CPUs can serve
// anyway.
func DefaultConcurrencyLimit() int { return max(32, 8*runtime.NumCPU()) }

// Account is what the functions of one local cloud share, as the functions of an AWS account share its
// concurrency: a limit on the execution environments alive at once, across all of its pools. At the limit,
// an invocation whose function has busy environments waits up to one of its cold starts for one of them;
// then starting an environment reclaims the idle environment of another function that has waited longest
// (least recently used); when every environment is busy, invocations wait for one to free up
// instead of being throttled as on AWS (a deliberate divergence: a laptop's limit is a resource bound, not a
// quota). An Account has no goroutine of its own and needs no closing. It is safe for concurrent use.
type Account struct {
	// mu guards the account and every one of its pools: one lock keeps reclaiming an environment of one pool
	// for another simple and free of lock-order problems.
	mu      sync.Mutex
	limit   int
	live    int // counted environments: started and not yet exited, across pools
	pools   map[*Pool]struct{}
	changed chan struct{} // closed and replaced when an environment goes idle, exits or frees its slot
	waiting int           // goroutines waiting on changed

	releasing atomic.Bool // a release of memory to the system is running
}

// NewAccount returns an account whose pools together run at most limit environments; limit <= 0 means
// DefaultConcurrencyLimit().
func NewAccount(limit int) *Account {
	if limit <= 0 {
		limit = DefaultConcurrencyLimit()
	}
	return &Account{limit: limit, pools: map[*Pool]struct{}{}, changed: make(chan struct{})}
}

// Limit returns the account's limit on live environments.
func (a *Account) Limit() int { return a.limit }

// Live returns the number of environments counted against the limit: starting, busy or idle. An
// environment reclaimed for another function stops counting at once, while its process is still exiting.
func (a *Account) Live() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.live
}

// NewPool returns a pool for the function in this account; no process starts until the first Invoke. It
// fails when the configuration lacks a name or an executable. A nil logger discards diagnostics.
func (a *Account) NewPool(cfg FunctionConfig, logger *slog.Logger) (*Pool, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p := &Pool{
		acct:       a,
		mu:         &a.mu,
		cfg:        cfg,
		arn:        cfg.functionARN(),
		logger:     logger,
		logs:       &logSink{w: cfg.LogWriter},
		envs:       make(map[*environment]struct{}),
		reaperDone: make(chan struct{}),
	}
	a.mu.Lock()
	a.pools[p] = struct{}{}
	a.mu.Unlock()
	go p.reap()
	return p, nil
}

// environmentGoneLocked records that a counted environment no longer counts; when it was the last one, the
// memory the process used to serve the environments goes back to the system at once, rather than over the
// next minutes as Go's background scavenger would return it. a.mu must be held.
func (a *Account) environmentGoneLocked() {
	a.live--
	if a.live == 0 && a.releasing.CompareAndSwap(false, true) {
		go func() {
			debug.FreeOSMemory()
			a.releasing.Store(false)
		}()
	}
}

// notifyLocked wakes every goroutine waiting for an environment, if any; a.mu must be held.
func (a *Account) notifyLocked() {
	if a.waiting == 0 {
		return
	}
	close(a.changed)
	a.changed = make(chan struct{})
}

// waitLocked releases a.mu until the account changes, done closes (cancelled) or timeout, when not nil,
// fires (timedOut), then takes a.mu again.
func (a *Account) waitLocked(done <-chan struct{}, timeout <-chan time.Time) (cancelled, timedOut bool) {
	ch := a.changed
	a.waiting++
	a.mu.Unlock()
	select {
	case <-ch:
	case <-timeout:
		timedOut = true
	case <-done:
		cancelled = true
	}
	a.mu.Lock()
	a.waiting--
	return cancelled, timedOut
}

// reclaimLocked stops the idle environment, of any pool but p, that has been idle longest, and takes it off
// the count so that p may start one in its place. It reports false when no pool has an idle environment.
// a.mu must be held.
func (a *Account) reclaimLocked(p *Pool) bool {
	var victim *environment
	for q := range a.pools {
		if q == p || len(q.idle) == 0 {
			continue
		}
		// A pool's idle list is in the order its environments went idle: the first is its oldest.
		if env := q.idle[0]; victim == nil || env.idleFrom.Before(victim.idleFrom) {
			victim = env
		}
	}
	if victim == nil {
		return false
	}
	q := victim.pool
	q.dropLocked(&q.idle, victim)
	victim.state = stateStopping
	victim.counted = false
	a.live-- // p starts one in its place at once: the account is not going idle
	q.logger.Debug("reclaiming an idle environment for another function", "function", q.cfg.Name, "pid", victim.pid(), "for", p.cfg.Name)
	victim.stop(ShutdownGrace)
	return true
}
