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
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// envState is where an environment stands in its pool; guarded by Pool.mu.
type envState int

const (
	stateBusy      envState = iota // starting, or running an invocation that has not answered yet
	stateFinishing                 // answered; waiting for the runtime's next /next
	stateIdle                      // blocked in /next, ready for an event
	stateStopping                  // reaped or closed; waiting for the process to exit
	stateDead                      // removed from the pool
)

// environment is one execution environment: a process of the function and its own Runtime API listener.
type environment struct {
	pool    *Pool
	cmd     *exec.Cmd
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
	current      *invocation // handed to the runtime and not completed by a later /next
	queued       *invocation // dispatched while current awaits /next; the next /next hands it out
	dead         bool
	initErrType  string
	initErrBody  []byte
	initDuration time.Duration

	// guarded by Pool.mu
	state    envState
	idleFrom time.Time
}

// invocation is one event handed to an environment.
type invocation struct {
	id       string
	payload  []byte
	opts     InvokeOptions
	start    time.Time
	deadline time.Time
	cold     bool
	initDur  time.Duration
	done     chan outcome // buffered; receives exactly one outcome

	// guarded by environment.mu
	timer    *time.Timer
	answered bool
	result   Result
	status   string // "" (success or handled error), "timeout" or "error", for the REPORT line
}

type outcome struct {
	result Result
	err    error
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

// logJob asks the reporter to close an invocation (END, REPORT) and/or open one (START), in that order.
type logJob struct {
	end   *invocation
	start *invocation
}

// report queues Lambda's lines for the reporter, which writes them (and reads /proc for REPORT) off the
// invocation's critical path; after the reporter stopped the lines are written at once.
func (e *environment) report(job logJob) {
	select {
	case e.logJobs <- job:
	case <-e.reporting:
		e.writeJob(job)
	}
}

// reporter writes queued lines until the process has exited and the queue is drained. The lines of every
// job already queued go out in one Write.
func (e *environment) reporter() {
	defer close(e.reporting)
	var buf []byte
	for {
		select {
		case job := <-e.logJobs:
			buf = e.appendJob(buf[:0], job)
			for more := true; more; {
				select {
				case job := <-e.logJobs:
					buf = e.appendJob(buf, job)
				default:
					more = false
				}
			}
			e.pool.logs.write(buf)
		case <-e.exited:
			for {
				select {
				case job := <-e.logJobs:
					e.writeJob(job)
				default:
					return
				}
			}
		}
	}
}

func (e *environment) writeJob(job logJob) {
	e.pool.logs.write(e.appendJob(nil, job))
}

// appendJob appends the job's lines: END and REPORT of the invocation it closes, START of the one it opens.
func (e *environment) appendJob(b []byte, job logJob) []byte {
	if job.end != nil {
		b = e.appendComplete(b, job.end)
	}
	if job.start != nil {
		b = appendLine(b, e.pool.cfg.Stage, "", "START RequestId: "+job.start.id+" Version: "+e.pool.cfg.Version)
	}
	return b
}

// start opens the environment's Runtime API listener and starts the process.
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
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // signals reach the function's children too
	e.cmd = cmd
	e.srv = &http.Server{Handler: e, ErrorLog: slog.NewLogLogger(e.pool.logger.Handler(), slog.LevelDebug)}
	e.started = time.Now()
	go func() { _ = e.srv.Serve(ln) }()
	err = cmd.Start()
	stdoutW.Close() // the process holds its own copies
	stderrW.Close()
	go e.stdout.copy()
	go e.stderr.copy()
	if err != nil {
		_ = e.srv.Close()
		// Lambda reports a bootstrap it cannot run as an init failure (502 behind API Gateway), not as a
		// rejected Invoke.
		msg := fmt.Sprintf("function %q: starting %s: %v; check that the host build exists and is executable", cfg.Name, cfg.Executable, err)
		e.pool.logs.line(cfg.Stage, "", "Error: "+msg+"\nRuntime.InvalidEntrypoint\nINIT_REPORT Init Duration: 0.00 ms\tPhase: init\tStatus: error\tError Type: Runtime.InvalidEntrypoint")
		return &FunctionError{Kind: FailureInit, Type: "Runtime.InvalidEntrypoint", Message: msg,
			Payload: errorPayload("Runtime.InvalidEntrypoint", msg)}
	}
	e.pool.logger.Debug("environment started", "function", cfg.Name, "pid", cmd.Process.Pid, "runtime_api", e.addr)
	go e.watch()
	go e.reporter()
	return nil
}

// pid returns the process id.
func (e *environment) pid() int { return e.cmd.Process.Pid }

// awaitInit waits for the first /next, bounded by the init timeout. On failure the environment is being shut
// down and the returned error is a *FunctionError of kind FailureInit.
func (e *environment) awaitInit(requestID string) error {
	timer := time.NewTimer(e.pool.cfg.InitTimeout)
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
		e.mu.Lock()
		errType, body := e.initErrType, e.initErrBody
		e.mu.Unlock()
		var doc errorDocument
		_ = json.Unmarshal(body, &doc)
		if errType == "" {
			errType = "Runtime.InitError"
		}
		if !json.Valid(body) || doc.ErrorMessage == "" {
			body = errorPayload(errType, "RequestId: "+requestID+" Error: the runtime reported an init error")
		}
		e.pool.logs.line(e.pool.cfg.Stage, "", "INIT_REPORT Init Duration: "+millis(time.Since(e.started))+" ms\tPhase: init\tStatus: error\tError Type: "+errType)
		return &FunctionError{Kind: FailureInit, Type: errType, Message: doc.ErrorMessage, Payload: body}
	case <-e.exited:
		msg := "Runtime exited with error: " + e.exitDescription()
		e.pool.logs.line(e.pool.cfg.Stage, "", "INIT_REPORT Init Duration: "+millis(time.Since(e.started))+" ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError")
		return &FunctionError{Kind: FailureInit, Type: "Runtime.ExitError", Message: msg,
			Payload: errorPayload("Runtime.ExitError", "RequestId: "+requestID+" Error: "+msg)}
	case <-timer.C:
		e.stop(0)
		limit := e.pool.cfg.InitTimeout
		e.pool.logs.line(e.pool.cfg.Stage, "", "INIT_REPORT Init Duration: "+millis(limit)+" ms\tPhase: init\tStatus: timeout")
		msg := fmt.Sprintf("the runtime did not call /next within the %.2f s init timeout", limit.Seconds())
		return &FunctionError{Kind: FailureInit, Type: "Sandbox.Timedout", Message: msg,
			Payload: errorPayload("Sandbox.Timedout", "RequestId: "+requestID+" Error: "+msg)}
	}
}

// dispatch hands inv to the runtime, blocked in /next or about to call it after answering its previous
// invocation, and arms the function timeout. An environment that died before the runtime got the event
// passes it back to the pool: from the runtime's side it was never attempted.
func (e *environment) dispatch(inv *invocation) {
	timeout := e.pool.cfg.Timeout
	inv.start = time.Now()
	inv.deadline = inv.start.Add(timeout)
	e.mu.Lock()
	if e.dead {
		e.mu.Unlock()
		go e.pool.redispatch(inv)
		return
	}
	if e.current != nil {
		e.queued = inv
	} else {
		e.current = inv
	}
	inv.timer = time.AfterFunc(timeout, func() { e.expire(inv) })
	e.mu.Unlock()
	e.invokes <- inv
}

// nextArrived records a /next call: it returns the invocation it completes, whether the next event is
// already queued, whether it is the first /next, or a problem when the call breaks the protocol.
func (e *environment) nextArrived() (prev *invocation, queued, first bool, problem string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.nextWaiting {
		return nil, false, false, "State transition from Ready to Ready failed for runtime. Error: /next is already pending"
	}
	if e.current != nil && !e.current.answered {
		return nil, false, false, "State transition from Invoking to Ready failed for runtime. Error: the invocation " + e.current.id + " has no response or error yet"
	}
	queued = e.queued != nil
	prev, e.current, e.queued = e.current, e.queued, nil
	if prev != nil {
		prev.timer.Stop()
	}
	e.nextWaiting = true
	if e.readyAt.IsZero() {
		e.readyAt = time.Now()
		first = true
	}
	return prev, queued, first, ""
}

func (e *environment) nextLeft() {
	e.mu.Lock()
	e.nextWaiting = false
	e.mu.Unlock()
}

// claimAnswer returns the in-flight invocation with id and marks it answered, or nil when id is unknown,
// stale or already answered.
func (e *environment) claimAnswer(id string) *invocation {
	e.mu.Lock()
	defer e.mu.Unlock()
	inv := e.current
	if inv == nil || inv.id != id || inv.answered {
		return nil
	}
	inv.answered = true
	return inv
}

// recordInitError stores an init error; false when init already completed.
func (e *environment) recordInitError(errType string, body []byte) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.readyAt.IsZero() || e.initErrBody != nil {
		return false
	}
	e.initErrType, e.initErrBody = errType, append([]byte{}, body...)
	close(e.initFailed)
	return true
}

// measure fills the result fields every outcome carries.
func (e *environment) measure(inv *invocation) Result {
	d := time.Since(inv.start)
	return Result{
		RequestID:      inv.id,
		Duration:       d,
		BilledDuration: d.Truncate(time.Millisecond) + time.Duration(boolInt(d%time.Millisecond != 0))*time.Millisecond,
		MaxMemoryMB:    int((e.hwm.Load() + 1023) / 1024),
		ColdStart:      inv.cold,
		InitDuration:   inv.initDur,
		PID:            e.pid(),
	}
}

func (e *environment) succeed(inv *invocation, body []byte) {
	res := e.measure(inv)
	res.Payload = body
	e.settle(inv, res, "", nil)
}

func (e *environment) functionError(inv *invocation, headerType string, body []byte) {
	res := e.measure(inv)
	var doc errorDocument
	_ = json.Unmarshal(body, &doc)
	errType := normaliseErrorType(headerType, "Function")
	if errType == "" {
		errType = doc.ErrorType
	}
	if errType == "" {
		errType = "Function.Unknown"
	}
	if !json.Valid(body) {
		body = errorPayload(errType, string(body))
	}
	e.settle(inv, res, "", &FunctionError{Kind: FailureFunction, Type: errType, Message: doc.ErrorMessage, Payload: body})
}

// fail settles an invocation that produced no usable answer and resets the environment.
func (e *environment) fail(inv *invocation, kind FailureKind, errType, msg string) {
	res := e.measure(inv)
	e.pool.logs.line(e.pool.cfg.Stage, inv.id, "Error: "+msg+"\n"+errType)
	e.settle(inv, res, "error", &FunctionError{Kind: kind, Type: errType, Message: msg,
		Payload: errorPayload(errType, "RequestId: "+inv.id+" Error: "+msg)})
	e.stop(0)
}

// settle records the outcome, moves the environment to finishing and wakes the caller.
func (e *environment) settle(inv *invocation, res Result, status string, err error) {
	e.mu.Lock()
	inv.result = res
	if inv.status == "" {
		inv.status = status
	}
	e.mu.Unlock()
	e.pool.answered(e)
	inv.done <- outcome{result: res, err: err}
}

// expire enforces the function timeout: an unanswered invocation fails with Sandbox.Timedout; in every case
// the environment is reset, as Lambda does.
func (e *environment) expire(inv *invocation) {
	e.mu.Lock()
	if e.current != inv {
		e.mu.Unlock()
		return
	}
	answered := inv.answered
	inv.answered = true
	inv.status = "timeout"
	e.mu.Unlock()
	msg := fmt.Sprintf("Task timed out after %.2f seconds", e.pool.cfg.Timeout.Seconds())
	e.pool.logs.line(e.pool.cfg.Stage, inv.id, msg)
	if !answered {
		res := e.measure(inv)
		inv.done <- outcome{result: res, err: &FunctionError{Kind: FailureTimeout, Type: "Sandbox.Timedout", Message: msg,
			Payload: errorPayload("Sandbox.Timedout", "RequestId: "+inv.id+" Error: "+msg)}}
	}
	e.stop(0)
}

// appendComplete appends END and REPORT for an invocation the runtime is done with.
func (e *environment) appendComplete(b []byte, inv *invocation) []byte {
	e.mu.Lock()
	res, status := inv.result, inv.status
	e.mu.Unlock()
	if res.RequestID == "" { // never measured: timed out or the process died first
		res = Result{Duration: time.Since(inv.start), ColdStart: inv.cold, InitDuration: inv.initDur}
		res.BilledDuration = res.Duration.Truncate(time.Millisecond) + time.Duration(boolInt(res.Duration%time.Millisecond != 0))*time.Millisecond
	}
	// VmHWM is read here, after the caller has its answer: reading /proc costs tens of microseconds.
	res.MaxMemoryMB = int((e.readHWM() + 1023) / 1024)
	stage := e.pool.cfg.Stage
	b = appendLine(b, stage, "", "END RequestId: "+inv.id)
	b = append(b, '[')
	b = append(b, stage...)
	b = append(b, "] REPORT RequestId: "...)
	b = append(b, inv.id...)
	b = append(b, "\tDuration: "...)
	b = appendMillis(b, res.Duration)
	b = append(b, " ms\tBilled Duration: "...)
	b = strconv.AppendInt(b, res.BilledDuration.Milliseconds(), 10)
	b = append(b, " ms\tMemory Size: "...)
	b = strconv.AppendInt(b, int64(e.pool.cfg.MemoryMB), 10)
	b = append(b, " MB\tMax Memory Used: "...)
	b = strconv.AppendInt(b, int64(res.MaxMemoryMB), 10)
	b = append(b, " MB"...)
	if inv.cold {
		b = append(b, "\tInit Duration: "...)
		b = appendMillis(b, inv.initDur)
		b = append(b, " ms"...)
	}
	if status != "" {
		b = append(b, "\tStatus: "...)
		b = append(b, status...)
	}
	return append(b, '\n')
}

// watch waits for the process to exit, fails the invocation it abandoned and removes the environment.
func (e *environment) watch() {
	err := e.cmd.Wait()
	// The streams end when every writer closed them; a child of the function holding them open must not
	// hold the environment up for long.
	grace := time.After(time.Second)
	for _, p := range []*outputPipe{e.stdout, e.stderr} {
		select {
		case <-p.done:
		case <-grace:
		}
	}
	e.mu.Lock()
	e.dead = true
	inv, queued := e.current, e.queued
	e.current, e.queued = nil, nil
	abandoned := inv != nil && !inv.answered
	if abandoned {
		inv.answered = true
		inv.status = "error"
	}
	e.mu.Unlock()
	_ = err // ProcessState carries the exit status
	if abandoned {
		msg := "Runtime exited with error: " + e.exitDescription()
		e.pool.logs.line(e.pool.cfg.Stage, inv.id, "Error: "+msg+"\nRuntime.ExitError")
		res := e.measure(inv)
		inv.done <- outcome{result: res, err: &FunctionError{Kind: FailureExit, Type: "Runtime.ExitError", Message: msg,
			Payload: errorPayload("Runtime.ExitError", "RequestId: "+inv.id+" Error: "+msg)}}
	}
	if inv != nil {
		inv.timer.Stop()
		e.report(logJob{end: inv})
	}
	_ = e.srv.Close()
	e.pool.remove(e)
	close(e.exited) // after remove: whoever waits on exited (Close, awaitInit) sees the pool without e
	if queued != nil {
		queued.timer.Stop()
		go e.pool.redispatch(queued)
	}
	e.pool.logger.Debug("environment exited", "function", e.pool.cfg.Name, "pid", e.pid(), "status", e.exitDescription())
}

// exitDescription is Lambda's wording of how the process ended ("exit status 2", "signal: killed").
// Only call it once Wait has returned (in watch, or after <-e.exited).
func (e *environment) exitDescription() string {
	if st := e.cmd.ProcessState; st != nil {
		return st.String()
	}
	return "unknown"
}

// stop shuts the process down: SIGTERM, then SIGKILL after grace (0 kills at once). It does not wait.
func (e *environment) stop(grace time.Duration) {
	e.stopOnce.Do(func() { close(e.stopping) })
	pid := e.pid()
	if grace <= 0 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		return
	}
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	go func() {
		select {
		case <-e.exited:
		case <-time.After(grace):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}()
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

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// millis formats d as Lambda's REPORT lines do: milliseconds with two decimals.
func millis(d time.Duration) string {
	return string(appendMillis(nil, d))
}

// appendMillis appends millis(d) to b.
func appendMillis(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 2, 64)
}
