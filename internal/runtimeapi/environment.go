package runtimeapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// envState is where an environment stands in its pool; guarded by Pool.mu.
type envState int

const (
	stateBusy      envState = iota // starting, or running an invocation that has not answered yet
	stateFinishing                 // answered; busy until the runtime calls /next again
	stateIdle                      // blocked in /next, ready for an event
	stateStopping                  // reaped, reclaimed or closed; waiting for the process to exit
	stateDead                      // removed from the pool
)

// environment is one execution environment: a process of the function and its own Runtime API listener.
type environment struct {
	pool    *Pool
	proc    *process
	srv     *http.Server
	addr    string
	started time.Time

	ready      chan struct{}    // closed at the first /next
	initFailed chan struct{}    // closed when the runtime posts /init/error
	exited     chan struct{}    // closed once the process has exited and its output is flushed
	stopping   chan struct{}    // closed when the pool shuts the environment down
	invokes    chan *invocation // the event the blocked /next hands out
	stopOnce   sync.Once
	logJobs    chan logJob   // END/REPORT/START lines, written by the environment's reporter goroutine
	reporting  chan struct{} // closed when the reporter has stopped

	stdout, stderr *outputPipe
	logID          atomic.Pointer[string] // request id prefixing output lines
	hwm            atomic.Int64           // last VmHWM read, in kB
	hwmAt          atomic.Int64           // when hwm was read, Unix ns

	mu           sync.Mutex
	readyAt      time.Time
	nextWaiting  bool
	current      *invocation // dispatched and not completed by a later /next
	dead         bool
	initErrType  string
	initErrBody  []byte
	initDuration time.Duration

	// guarded by Pool.mu
	state    envState
	idleFrom time.Time
	counted  bool // counts against the account's limit
}

func (p *Pool) newEnvironment() *environment {
	return &environment{
		pool:       p,
		ready:      make(chan struct{}),
		initFailed: make(chan struct{}),
		exited:     make(chan struct{}),
		stopping:   make(chan struct{}),
		invokes:    make(chan *invocation, 1),
		logJobs:    make(chan logJob, 64),
		reporting:  make(chan struct{}),
	}
}

// start opens the environment's Runtime API listener and starts the process. A bootstrap that cannot run
// is a *FunctionError of kind FailureInit (Runtime.InvalidEntrypoint), as Lambda reports it.
func (e *environment) start() error {
	cfg := e.pool.cfg
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("runtimeapi: function %q: opening a Runtime API listener on 127.0.0.1: %w", cfg.Name, err)
	}
	e.addr = ln.Addr().String()
	// Everything the handlers read is set before the server runs: the process's requests give the race
	// detector no ordering with this goroutine.
	var stdoutW, stderrW *os.File
	e.stdout, stdoutW, err = newOutputPipe(&lineWriter{env: e})
	if err != nil {
		ln.Close()
		return fmt.Errorf("runtimeapi: function %q: output pipe: %w", cfg.Name, err)
	}
	e.stderr, stderrW, err = newOutputPipe(&lineWriter{env: e})
	if err != nil {
		ln.Close()
		e.stdout.r.Close()
		stdoutW.Close()
		return fmt.Errorf("runtimeapi: function %q: output pipe: %w", cfg.Name, err)
	}
	taskRoot := filepath.Dir(cfg.Executable)
	cmd := exec.Command(cfg.Executable)
	cmd.Dir = taskRoot
	cmd.Env = cfg.processEnv(e.addr, taskRoot, os.Getenv("TMPDIR"), time.Now())
	cmd.Stdout = stdoutW
	cmd.Stderr = stderrW
	e.srv = &http.Server{Handler: e, ErrorLog: slog.NewLogLogger(e.pool.logger.Handler(), slog.LevelDebug)}
	e.started = time.Now()
	go func() { _ = e.srv.Serve(ln) }()
	e.proc, err = startProcess(cmd)
	stdoutW.Close() // the process holds its own copies
	stderrW.Close()
	go e.stdout.copy()
	go e.stderr.copy()
	if err != nil {
		_ = e.srv.Close()
		msg := fmt.Sprintf("fork/exec %s: %v; check that the host build exists and is executable", cfg.Executable, err)
		return &FunctionError{Kind: FailureInit, Type: "Runtime.InvalidEntrypoint", Message: msg,
			Payload: errorPayload("Runtime.InvalidEntrypoint", msg)}
	}
	e.pool.logs.line(cfg.Stage, "", initStartLine(cfg.Region))
	e.pool.logger.Debug("environment started", "function", cfg.Name, "pid", e.pid(), "runtime_api", e.addr)
	go e.watch()
	go e.reporter()
	return nil
}

// pid returns the process id.
func (e *environment) pid() int { return e.proc.pid() }

// initFailure says how an init ended without the runtime's first /next.
type initFailure struct {
	duration time.Duration
	status   string // "timeout" or "error"
	errType  string // with status "error"
	message  string
	body     []byte // the error document the runtime posted to /init/error, if any
}

// awaitInit waits for the first /next, for at most limit. On failure the process is being stopped.
func (e *environment) awaitInit(limit time.Duration) *initFailure {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-e.ready:
		e.readHWM()
		e.mu.Lock()
		e.initDuration = e.readyAt.Sub(e.started)
		e.mu.Unlock()
		return nil
	case <-e.initFailed:
		e.stop(0)
		return e.reportedInitFailure()
	case <-e.exited:
		// A runtime exits right after its /init/error is answered: the error it posted is the cause.
		if f := e.reportedInitFailure(); f != nil {
			return f
		}
		return &initFailure{duration: time.Since(e.started), status: "error", errType: "Runtime.ExitError",
			message: "Runtime exited with error: " + e.exitDescription()}
	case <-timer.C:
		e.stop(0)
		return &initFailure{duration: limit, status: "timeout"}
	}
}

// reportedInitFailure is the failure the runtime posted to /init/error, or nil when it posted none.
func (e *environment) reportedInitFailure() *initFailure {
	e.mu.Lock()
	errType, body := e.initErrType, e.initErrBody
	e.mu.Unlock()
	if body == nil {
		return nil
	}
	if errType == "" {
		errType = "Runtime.InitError"
	}
	var doc errorDocument
	if json.Unmarshal(body, &doc) != nil || doc.ErrorMessage == "" {
		body, doc.ErrorMessage = nil, "the runtime reported an init error"
	}
	return &initFailure{duration: time.Since(e.started), status: "error", errType: errType, message: doc.ErrorMessage, body: body}
}

// watch waits for the process to exit (its process group is killed with it), settles the invocation it
// abandoned and removes the environment.
func (e *environment) watch() {
	e.proc.wait()
	// The streams end when every writer closed them; a child of the function that left its process group
	// and holds them open must not hold the environment up for long.
	grace := time.After(time.Second)
	for _, p := range []*outputPipe{e.stdout, e.stderr} {
		select {
		case <-p.done:
		case <-grace:
		}
	}
	e.mu.Lock()
	e.dead = true
	inv := e.current
	e.current = nil
	var undelivered, abandoned, exitedAfterAnswer bool
	if inv != nil {
		switch {
		case !inv.delivered:
			undelivered = true
		case !inv.answered:
			abandoned = true
			inv.answered = true
		case inv.status == "":
			exitedAfterAnswer = true // e.g. a Go panic: the runtime posts the error, then exits
		}
		if abandoned || exitedAfterAnswer {
			inv.status, inv.errType = "error", "Runtime.ExitError"
		}
		inv.timer.Stop()
	}
	e.mu.Unlock()
	if abandoned || exitedAfterAnswer {
		msg := "Runtime exited with error: " + e.exitDescription()
		e.pool.logs.line(e.pool.cfg.Stage, "", errorLines(inv.id, msg, "Runtime.ExitError"))
		if abandoned {
			res := e.measure(inv)
			inv.done <- outcome{result: res, err: &FunctionError{Kind: FailureExit, Type: "Runtime.ExitError", Message: msg,
				Payload: errorPayload("Runtime.ExitError", "RequestId: "+inv.id+" Error: "+msg)}}
		}
	}
	if inv != nil && !undelivered {
		inv.complete(time.Now())
		e.report(logJob{end: inv})
	}
	_ = e.srv.Close()
	e.pool.remove(e)
	close(e.exited) // after remove: whoever waits on exited (Close, awaitInit) sees the pool without e
	if undelivered {
		// The runtime never saw the event: from Lambda's side it was not attempted.
		go e.pool.redispatch(inv)
	}
	e.pool.logger.Debug("environment exited", "function", e.pool.cfg.Name, "pid", e.pid(), "status", e.exitDescription())
}

// exitDescription is Lambda's wording of how the process ended ("exit status 2", "signal: killed").
// Only call it once the process was reaped (in watch after wait, or after <-e.exited).
func (e *environment) exitDescription() string {
	if st := e.proc.cmd.ProcessState; st != nil {
		return st.String()
	}
	return "unknown"
}

// stop shuts the process group down: SIGTERM, then SIGKILL after grace (0 kills at once). It does not wait.
func (e *environment) stop(grace time.Duration) {
	e.stopOnce.Do(func() { close(e.stopping) })
	e.proc.stop(grace, e.exited)
}

// hwmSampleEvery bounds how often VmHWM is read from /proc (a read costs 10-30 µs of CPU): at most once per
// interval per environment. VmHWM only grows, so a sample is a lower bound at most this old.
const hwmSampleEvery = 20 * time.Millisecond

// readHWM returns the process's peak resident set (VmHWM, kB), reading /proc when the last sample is older
// than hwmSampleEvery; the value is kept for REPORT lines written after the process exited.
func (e *environment) readHWM() int64 {
	now := time.Now().UnixNano()
	if last := e.hwmAt.Load(); last != 0 && now-last < int64(hwmSampleEvery) {
		return e.hwm.Load()
	}
	e.hwmAt.Store(now)
	if kb := procStatusKB(e.pid(), "VmHWM:"); kb > 0 {
		e.hwm.Store(kb)
		return kb
	}
	return e.hwm.Load()
}
