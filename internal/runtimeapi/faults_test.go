package runtimeapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coworks-go/coworks/internal/functiontest"
)

// TestCrashedFunctionsLeaveNoChildren: a function that starts a child process and then crashes (panic,
// exit, killed by a signal from inside or outside, out of memory) has its whole process group reaped,
// not only when the pool closes. After 100 crashes no child is left running.
func TestCrashedFunctionsLeaveNoChildren(t *testing.T) {
	p, _ := newTestPool(t, "spawn", nil)
	modes := []string{"panic", "exit", "signal", "oom"}
	for i := range 100 {
		mode := modes[i%len(modes)]
		if i%10 == 9 {
			mode = "hang"
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := p.Invoke(ctx, []byte(`{"mode":"`+mode+`"}`), InvokeOptions{})
			done <- err
		}()
		if mode == "hang" {
			// Killed from outside, as the OOM killer or a user's kill -9 does.
			var pid int
			eventually(t, "the hanging function to run", func() bool {
				mem := p.Memory()
				if len(mem) != 1 || p.Stats().Busy != 1 {
					return false // the previous environment is still on its way out
				}
				pid = mem[0].PID
				return true
			})
			syscall.Kill(pid, syscall.SIGKILL)
		}
		err := <-done
		cancel()
		var fe *FunctionError
		if !errors.As(err, &fe) {
			t.Fatalf("crash %d (%s): %v, want a *FunctionError", i, mode, err)
		}
	}
	eventually(t, "every environment to be gone", func() bool { return p.Stats().Environments == 0 })
	eventually(t, "every child of a crashed function to be gone", func() bool { return len(functiontest.ProcessesUnder(binDir)) == 0 })
	// A function that is still alive keeps its child: only the end of the environment takes it down.
	res, err := p.Invoke(context.Background(), []byte(`{"mode":"answer"}`), InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	child, _ := strconv.Atoi(strings.Trim(string(res.Payload), `"`))
	if child == 0 || processGone(child) {
		t.Fatalf("the child %s of a live function is gone", res.Payload)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the child of a closed environment to be gone", func() bool { return len(functiontest.ProcessesUnder(binDir)) == 0 })
}

// TestPostResponseWorkDoesNotHoldTheNextRequest: an environment that has answered but is still working
// (it has not called /next) gets no event, as in Lambda: a request arriving meanwhile starts another
// environment instead of waiting behind the work. (It used to be queued there until the work ended.)
func TestPostResponseWorkDoesNotHoldTheNextRequest(t *testing.T) {
	p, _ := newTestPool(t, "postwork", nil)
	first, err := p.Invoke(context.Background(), []byte(`{"after_ms":60000}`), InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The bound only keeps a broken pool from hanging the test for the minute of post-response work.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	second, err := p.Invoke(ctx, []byte(`{}`), InvokeOptions{RequestID: "second"})
	if err != nil || string(second.Payload) == "" || !second.ColdStart || second.PID == first.PID {
		t.Fatalf("second request: %s, %v (cold %v, pid %d), want an answer from a new environment while pid %d works on",
			second.Payload, err, second.ColdStart, second.PID, first.PID)
	}
	eventually(t, "the second environment to be idle", func() bool { return p.Stats().Idle == 1 })
	if s := p.Stats(); s.Busy != 1 || s.Environments != 2 {
		t.Errorf("stats %+v, want the first environment still busy with its post-response work", s)
	}
}

// TestPostResponseWorkUnderConcurrency: five concurrent requests whose environments all work on after
// answering, then five more: the second five get environments of their own and are answered while the first
// five still work.
func TestPostResponseWorkUnderConcurrency(t *testing.T) {
	p, _ := newTestPool(t, "postwork", nil)
	wave := func(event string) []Result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // only bounds a broken pool
		defer cancel()
		results := make([]Result, 5)
		errs := make(chan error, 5)
		for i := range results {
			go func() {
				var err error
				results[i], err = p.Invoke(ctx, []byte(event), InvokeOptions{})
				errs <- err
			}()
		}
		for range results {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		return results
	}
	first := wave(`{"after_ms":60000}`)
	working := map[int]bool{}
	for _, r := range first {
		working[r.PID] = true
	}
	for _, r := range wave(`{}`) {
		if working[r.PID] {
			t.Errorf("pid %d got an event while it worked after its response", r.PID)
		}
	}
}

// TestPostResponseWorkAtTheReservedConcurrencyThrottles: at the reserved concurrency, an environment busy
// after its response counts as busy, so a request arriving then is throttled, as Lambda does.
func TestPostResponseWorkAtTheReservedConcurrencyThrottles(t *testing.T) {
	p, _ := newTestPool(t, "postwork", func(c *FunctionConfig) { c.ReservedConcurrency = 1 })
	if _, err := p.Invoke(context.Background(), []byte(`{"after_ms":60000}`), InvokeOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := p.Invoke(ctx, []byte(`{}`), InvokeOptions{}); !errors.Is(err, ErrThrottled) {
		t.Fatalf("second request: %v, want ErrThrottled", err)
	}
}

// TestAccountLimitReclaimsTheLeastRecentlyUsedIdleEnvironment: at the account's limit, a function with no
// idle environment takes the place of the environment of another function idle longest.
func TestAccountLimitReclaimsTheLeastRecentlyUsedIdleEnvironment(t *testing.T) {
	acct := NewAccount(2)
	pools := make([]*Pool, 3)
	for i := range pools {
		pools[i] = newAccountPool(t, acct, "echo", fmt.Sprintf("fn%d", i), nil)
	}
	ctx := context.Background()
	invoke := func(p *Pool) Result {
		t.Helper()
		res, err := p.Invoke(ctx, []byte(`1`), InvokeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the environment to be idle", func() bool { return p.Stats().Idle == 1 })
		return res
	}
	a, b := invoke(pools[0]), invoke(pools[1])
	invoke(pools[0]) // fn0 used again: fn1's environment is now the least recently used
	c := invoke(pools[2])
	if !c.ColdStart || acct.Live() != 2 {
		t.Fatalf("fn2: cold %v, %d live environments; want a cold start within the limit of 2", c.ColdStart, acct.Live())
	}
	eventually(t, "fn1's environment to be reclaimed", func() bool { return processGone(b.PID) && pools[1].Stats().Environments == 0 })
	if again := invoke(pools[0]); again.ColdStart || again.PID != a.PID {
		t.Errorf("fn0 after the reclaim: cold %v on pid %d, want its warm environment %d", again.ColdStart, again.PID, a.PID)
	}
}

// TestAccountLimitWaitsForItsOwnEnvironmentBeforeReclaiming: at the account's limit, an invocation whose
// function has an environment about to free up waits for it (up to as long as the function's cold start
// takes) rather than stop another function's warm environment and cold-start one of its own. Reclaiming at
// once made a load spread over many stages at the limit cold-start on nearly every request.
func TestAccountLimitWaitsForItsOwnEnvironmentBeforeReclaiming(t *testing.T) {
	acct := NewAccount(2)
	slow := newAccountPool(t, acct, "sleep", "slow", func(c *FunctionConfig) { c.Env = map[string]string{"SLOW_INIT_MS": "2000"} })
	other := newAccountPool(t, acct, "echo", "other", nil)
	ctx := context.Background()
	first, err := slow.Invoke(ctx, []byte(`{"ms":0}`), InvokeOptions{}) // a cold start of 2 s
	if err != nil {
		t.Fatal(err)
	}
	warm, err := other.Invoke(ctx, []byte(`1`), InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "both environments to be idle", func() bool { return slow.Stats().Idle == 1 && other.Stats().Idle == 1 })
	busy := make(chan error, 1)
	go func() {
		_, err := slow.Invoke(ctx, []byte(`{"ms":200}`), InvokeOptions{})
		busy <- err
	}()
	eventually(t, "the slow function to be busy", func() bool { return slow.Stats().Busy == 1 })
	res, err := slow.Invoke(ctx, []byte(`{"ms":0}`), InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
	if res.ColdStart || res.PID != first.PID {
		t.Errorf("second invocation at the limit: cold %v on pid %d; want the function's own environment %d once free", res.ColdStart, res.PID, first.PID)
	}
	if s := other.Stats(); s.Idle != 1 || processGone(warm.PID) {
		t.Errorf("the other function's environment was reclaimed (%+v); want it kept warm", s)
	}
}

// TestAccountLimitMakesRequestsWait: when every environment of the account is busy, an invocation of
// another function waits for one to free up instead of failing (AWS would throttle it).
func TestAccountLimitMakesRequestsWait(t *testing.T) {
	acct := NewAccount(1)
	slow, other := newAccountPool(t, acct, "sleep", "slow", nil), newAccountPool(t, acct, "echo", "other", nil)
	done := make(chan error, 1)
	go func() {
		_, err := slow.Invoke(context.Background(), []byte(`{"ms":500}`), InvokeOptions{})
		done <- err
	}()
	eventually(t, "the slow invocation to run", func() bool { return slow.Stats().Busy == 1 })
	res, err := other.Invoke(context.Background(), []byte(`2`), InvokeOptions{})
	if err != nil || string(res.Payload) != "2" {
		t.Fatalf("the waiting invocation: %s, %v; want its answer once the slow one finished", res.Payload, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if other.Stats().Throttles != 0 || acct.Live() > 1 {
		t.Errorf("throttles %d, live %d; want no throttle and at most 1 environment", other.Stats().Throttles, acct.Live())
	}
}

// TestThreadsReturnWhenEnvironmentsStop: waiting for a function process holds no OS thread, so the threads
// of the process running the pools come back to about their starting number once 40 environments that
// ran at once have stopped (Go never gives a thread back to the system once it made one).
func TestThreadsReturnWhenEnvironmentsStop(t *testing.T) {
	before := threads(t)
	p, _ := newTestPool(t, "sleep", func(c *FunctionConfig) { c.IdleTimeout, c.MaxEnvironments = 50*time.Millisecond, 40 })
	errs := make(chan error, 40)
	for range 40 {
		go func() {
			_, err := p.Invoke(context.Background(), []byte(`{"ms":300}`), InvokeOptions{})
			errs <- err
		}()
	}
	for range 40 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if s := p.Stats(); s.ColdStarts < 20 {
		t.Fatalf("only %d environments ran at once; the test needs many", s.ColdStarts)
	}
	eventually(t, "the idle environments to be reaped", func() bool { return p.Stats().Environments == 0 })
	if after := threads(t); after > before+8 {
		t.Errorf("%d threads after %d environments stopped, %d before: a thread per process is kept", after, p.Stats().ColdStarts, before)
	}
}

// threads returns the number of OS threads of this process.
func threads(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	_, rest, _ := bytes.Cut(data, []byte("\nThreads:"))
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	n, err := strconv.Atoi(strings.TrimSpace(string(line)))
	if err != nil {
		t.Fatal("Threads: in /proc/self/status:", err)
	}
	return n
}

// newAccountPool returns a pool of acct running the named test function as function name, closed at cleanup;
// edit, when not nil, changes its configuration first.
func newAccountPool(t *testing.T, acct *Account, fn, name string, edit func(*FunctionConfig)) *Pool {
	t.Helper()
	cfg := FunctionConfig{Name: name, Executable: binDir + "/" + fn, Timeout: 5 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	p, err := acct.NewPool(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p.Close(ctx)
	})
	return p
}
