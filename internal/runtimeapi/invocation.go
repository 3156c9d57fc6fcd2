package runtimeapi

import (
	"encoding/json"
	"errors"
	"time"
)

// invocation is one event handed to an environment.
type invocation struct {
	id      string
	payload []byte
	opts    InvokeOptions
	start   time.Time // when the invocation phase began: the event's dispatch, or the start of an init retried for it
	cold    bool      // the invocation started its environment
	initDur time.Duration
	done    chan outcome // buffered; receives exactly one outcome

	// guarded by environment.mu
	deadline  time.Time
	timer     *time.Timer
	delivered bool // the runtime received the event from /next
	answered  bool
	result    Result
	ended     time.Time // the runtime called /next again, or the process exited
	status    string    // "", "timeout" or "error", for the REPORT line
	errType   string    // with status "error"
}

type outcome struct {
	result Result
	err    error
}

// complete records when the invocation ended (the runtime asked for the next event, or exited).
func (inv *invocation) complete(at time.Time) {
	if inv.ended.IsZero() {
		inv.ended = at
	}
}

// coldStart waits for the init of env, a new environment reserved for inv, then hands inv to it. As in
// Lambda, a first init that fails or passes the init timeout is retried once in a fresh process as part of
// the invocation, within the function's timeout; the invocation's Duration then includes that init and its
// REPORT has no Init Duration.
func (p *Pool) coldStart(env *environment, inv *invocation) {
	inv.cold = true
	f := env.awaitInit(p.cfg.InitTimeout)
	if f == nil {
		env.mu.Lock()
		inv.initDur = env.initDuration
		env.mu.Unlock()
		p.mu.Lock()
		p.lastInit = inv.initDur
		p.mu.Unlock()
		p.dispatch(env, inv)
		return
	}
	stage := p.cfg.Stage
	p.logs.line(stage, "", initReportLine(f.duration, "init", f.status, f.errType))
	inv.start = time.Now()
	retry, err := p.replace(env)
	if err != nil {
		var fe *FunctionError
		if !errors.As(err, &fe) {
			inv.done <- outcome{result: Result{RequestID: inv.id, ColdStart: true}, err: err}
			return
		}
		f = &initFailure{duration: time.Since(inv.start), status: "error", errType: fe.Type, message: fe.Message}
	} else if f = retry.awaitInit(p.cfg.Timeout); f == nil {
		p.dispatch(retry, inv)
		return
	}
	p.logs.line(stage, "", initReportLine(f.duration, "invoke", f.status, f.errType))
	p.initFailed(inv, f)
}

// replace starts an environment in the place of old, whose init failed: old no longer counts against the
// account, the new one does, reserved for the same invocation.
func (p *Pool) replace(old *environment) (*environment, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if old.state == stateBusy {
		old.state = stateStopping
		p.busy--
	}
	if old.counted {
		old.counted = false
		p.acct.live--
	}
	if p.closed {
		return nil, ErrClosed
	}
	return p.startLocked()
}

// initFailed settles an invocation whose environment never initialised and writes the lines Lambda writes
// for it: START, the error or timeout, END and REPORT.
func (p *Pool) initFailed(inv *invocation, f *initFailure) {
	stage := p.cfg.Stage
	p.logs.line(stage, "", startLine(inv.id, p.cfg.Version))
	r := report{requestID: inv.id, duration: time.Since(inv.start), memoryMB: p.cfg.MemoryMB, status: f.status, errType: f.errType}
	var fe *FunctionError
	if f.status == "timeout" {
		msg := timeoutMessage(p.cfg.Timeout)
		p.logs.line(stage, inv.id, msg)
		r.duration, r.errType = p.cfg.Timeout, ""
		fe = &FunctionError{Kind: FailureInit, Type: "Sandbox.Timedout", Message: msg,
			Payload: errorPayload("Sandbox.Timedout", "RequestId: "+inv.id+" Error: "+msg)}
	} else {
		p.logs.line(stage, "", errorLines(inv.id, f.message, f.errType))
		body := f.body
		if body == nil {
			body = errorPayload(f.errType, "RequestId: "+inv.id+" Error: "+f.message)
		}
		fe = &FunctionError{Kind: FailureInit, Type: f.errType, Message: f.message, Payload: body}
	}
	p.logs.write(appendEndReport(nil, stage, &r))
	res := Result{RequestID: inv.id, Duration: r.duration, BilledDuration: billedDuration(r.duration, 0), ColdStart: true}
	inv.done <- outcome{result: res, err: fe}
}

// dispatch hands inv to the runtime blocked in /next and arms the function timeout. An environment that
// died before the runtime got the event passes it back to the pool: from the runtime's side it was never
// attempted.
func (e *environment) dispatch(inv *invocation) {
	now := time.Now()
	if inv.start.IsZero() {
		inv.start = now
	}
	e.mu.Lock()
	if e.dead {
		e.mu.Unlock()
		go e.pool.redispatch(inv)
		return
	}
	inv.deadline = inv.start.Add(e.pool.cfg.Timeout)
	e.current = inv
	inv.timer = time.AfterFunc(inv.deadline.Sub(now), func() { e.expire(inv) })
	e.mu.Unlock()
	e.invokes <- inv
}

// nextArrived records a /next call: it returns the invocation it completes, whether it is the first /next,
// or a problem when the call breaks the protocol.
func (e *environment) nextArrived() (prev *invocation, first bool, problem string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.nextWaiting {
		return nil, false, "State transition from Ready to Ready failed for runtime. Error: /next is already pending"
	}
	if e.current != nil && !e.current.answered {
		return nil, false, "State transition from Invoking to Ready failed for runtime. Error: the invocation " + e.current.id + " has no response or error yet"
	}
	prev, e.current = e.current, nil
	if prev != nil {
		prev.timer.Stop()
		prev.complete(time.Now())
	}
	e.nextWaiting = true
	if e.readyAt.IsZero() {
		e.readyAt = time.Now()
		first = true
	}
	return prev, first, ""
}

func (e *environment) nextLeft() {
	e.mu.Lock()
	e.nextWaiting = false
	e.mu.Unlock()
}

// deliver marks inv as received by the runtime and returns its deadline.
func (e *environment) deliver(inv *invocation) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	inv.delivered = true
	return inv.deadline
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

// recordInitError stores an init error; false when init already completed or an error was recorded. The
// caller answers the runtime, then closes initFailed: the environment is stopped at once after that, and
// stopping it first would cut the runtime's connection before its 202.
func (e *environment) recordInitError(errType string, body []byte) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.readyAt.IsZero() || e.initErrBody != nil {
		return false
	}
	e.initErrType, e.initErrBody = errType, append([]byte{}, body...)
	return true
}

// measure fills the result fields every outcome carries.
func (e *environment) measure(inv *invocation) Result {
	d := time.Since(inv.start)
	return Result{
		RequestID:      inv.id,
		Duration:       d,
		BilledDuration: billedDuration(d, inv.initDur),
		MaxMemoryMB:    int((e.hwm.Load() + 1023) / 1024),
		ColdStart:      inv.cold,
		InitDuration:   inv.initDur,
		PID:            e.pid(),
	}
}

func (e *environment) succeed(inv *invocation, body []byte) {
	res := e.measure(inv)
	res.Payload = body
	e.settle(inv, res, nil)
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
	e.settle(inv, res, &FunctionError{Kind: FailureFunction, Type: errType, Message: doc.ErrorMessage, Payload: body})
}

// fail settles an invocation that produced no usable answer and resets the environment.
func (e *environment) fail(inv *invocation, kind FailureKind, errType, msg string) {
	res := e.measure(inv)
	e.pool.logs.line(e.pool.cfg.Stage, "", errorLines(inv.id, msg, errType))
	e.mu.Lock()
	inv.status, inv.errType = "error", errType
	e.mu.Unlock()
	e.settle(inv, res, &FunctionError{Kind: kind, Type: errType, Message: msg,
		Payload: errorPayload(errType, "RequestId: "+inv.id+" Error: "+msg)})
	e.stop(0)
}

// settle records the outcome, marks the environment finishing and wakes the caller.
func (e *environment) settle(inv *invocation, res Result, err error) {
	e.mu.Lock()
	inv.result = res
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
	msg := timeoutMessage(e.pool.cfg.Timeout)
	e.pool.logs.line(e.pool.cfg.Stage, inv.id, msg)
	if !answered {
		res := e.measure(inv)
		inv.done <- outcome{result: res, err: &FunctionError{Kind: FailureTimeout, Type: "Sandbox.Timedout", Message: msg,
			Payload: errorPayload("Sandbox.Timedout", "RequestId: "+inv.id+" Error: "+msg)}}
	}
	e.stop(0)
}

// logJob asks the reporter to close an invocation (END, REPORT) or open one (START).
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
		e.pool.logs.write(e.appendJob(nil, job))
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
					e.pool.logs.write(e.appendJob(nil, job))
				default:
					return
				}
			}
		}
	}
}

// appendJob appends the job's lines: END and REPORT of the invocation it closes, START of the one it opens.
func (e *environment) appendJob(b []byte, job logJob) []byte {
	if inv := job.end; inv != nil {
		e.mu.Lock()
		r := report{requestID: inv.id, duration: inv.ended.Sub(inv.start), initDuration: inv.initDur,
			memoryMB: e.pool.cfg.MemoryMB, status: inv.status, errType: inv.errType}
		e.mu.Unlock()
		if r.status == "timeout" {
			r.duration = e.pool.cfg.Timeout // Lambda reports the timeout itself
		}
		// VmHWM is read here, after the caller has its answer: reading /proc costs tens of microseconds.
		r.maxMemoryMB = int((e.readHWM() + 1023) / 1024)
		b = appendEndReport(b, e.pool.cfg.Stage, &r)
	}
	if job.start != nil {
		b = appendLine(b, e.pool.cfg.Stage, "", startLine(job.start.id, e.pool.cfg.Version))
	}
	return b
}

// entrypointFailed writes what Lambda logs when the bootstrap cannot even start, for the invocation id:
// both init attempts fail at once.
func (p *Pool) entrypointFailed(id string, fe *FunctionError) {
	stage := p.cfg.Stage
	p.logs.line(stage, "", initReportLine(0, "init", "error", fe.Type))
	p.logs.line(stage, "", initReportLine(0, "invoke", "error", fe.Type))
	p.logs.line(stage, "", startLine(id, p.cfg.Version))
	p.logs.line(stage, "", errorLines(id, fe.Message, fe.Type))
	p.logs.write(appendEndReport(nil, stage, &report{requestID: id, memoryMB: p.cfg.MemoryMB, status: "error", errType: fe.Type}))
}
