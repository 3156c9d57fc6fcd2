package runtimeapi

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Runtime API (2018-06-01) paths and headers, as the aws-lambda-go client and Lambda spell them.
const (
	apiPrefix = "/2018-06-01/runtime/"

	headerRequestID       = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline        = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN     = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID         = "Lambda-Runtime-Trace-Id"
	headerClientContext   = "Lambda-Runtime-Client-Context"
	headerCognitoIdentity = "Lambda-Runtime-Cognito-Identity"
	headerErrorType       = "Lambda-Runtime-Function-Error-Type"
)

// ServeHTTP is the Runtime API of one execution environment. Each environment has its own listener, so the
// process's AWS_LAMBDA_RUNTIME_API address alone routes its requests here.
func (e *environment) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, apiPrefix)
	if !ok {
		writeAPIError(w, http.StatusNotFound, "NotFound", "unknown path "+r.URL.Path+"; the Runtime API lives under "+apiPrefix)
		return
	}
	switch {
	case rest == "invocation/next":
		if r.Method != http.MethodGet {
			methodNotAllowed(w, http.MethodGet)
			return
		}
		e.handleNext(w, r)
	case rest == "init/error":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, http.MethodPost)
			return
		}
		e.handleInitError(w, r)
	case strings.HasPrefix(rest, "invocation/"):
		id, action, ok := strings.Cut(strings.TrimPrefix(rest, "invocation/"), "/")
		if !ok || id == "" || (action != "response" && action != "error") {
			writeAPIError(w, http.StatusNotFound, "NotFound", "unknown path "+r.URL.Path)
			return
		}
		if r.Method != http.MethodPost {
			methodNotAllowed(w, http.MethodPost)
			return
		}
		e.handleAnswer(w, r, id, action == "error")
	default:
		writeAPIError(w, http.StatusNotFound, "NotFound", "unknown path "+r.URL.Path)
	}
}

// handleNext completes the previous invocation (if any), makes the environment idle, then blocks until the
// pool hands it an event. END, REPORT and START lines go through the environment's reporter goroutine, so
// neither their formatting nor the /proc read for REPORT delays the event.
func (e *environment) handleNext(w http.ResponseWriter, r *http.Request) {
	// What the runtime printed during the init or the invocation it completes is logged under it, before
	// its END line and before the next request id takes over.
	e.catchUpOutput()
	prev, first, problem := e.nextArrived()
	if problem != "" {
		writeAPIError(w, http.StatusForbidden, "InvalidStateTransition", problem)
		return
	}
	defer e.nextLeft()
	if first {
		close(e.ready)
	}
	if prev != nil {
		e.report(logJob{end: prev})
		e.pool.release(e)
	}
	select {
	case inv := <-e.invokes:
		deadline := e.deliver(inv)
		e.logID.Store(&inv.id)
		e.report(logJob{start: inv})
		writeEvent(w, inv, deadline, e.pool.arn)
	case <-r.Context().Done():
		// The runtime hung up (it exited or was killed); the process watcher deals with the environment.
	case <-e.stopping:
		// As in Lambda, a runtime shutting down is never answered: it gets SIGTERM, then SIGKILL. Answering
		// would only make it log a failed /next on its way out.
		select {
		case <-r.Context().Done():
		case <-e.exited:
		}
	}
}

// writeEvent sends an invocation as the /next response.
func writeEvent(w http.ResponseWriter, inv *invocation, deadline time.Time, arn string) {
	h := w.Header()
	h[headerRequestID] = []string{inv.id}
	h[headerDeadline] = []string{strconv.FormatInt(deadline.UnixMilli(), 10)}
	h[headerFunctionARN] = []string{arn}
	h[headerTraceID] = []string{inv.opts.TraceID}
	if inv.opts.ClientContext != "" {
		h[headerClientContext] = []string{inv.opts.ClientContext}
	}
	if inv.opts.CognitoIdentity != "" {
		h[headerCognitoIdentity] = []string{inv.opts.CognitoIdentity}
	}
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(inv.payload))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

// handleAnswer takes a runtime's response or error for the invocation id.
func (e *environment) handleAnswer(w http.ResponseWriter, r *http.Request, id string, isError bool) {
	inv := e.claimAnswer(id)
	if inv == nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	body, tooLarge, err := readLimited(r.Body, r.ContentLength, MaxResponseBytes)
	if err != nil {
		e.fail(inv, FailureExit, "Runtime.ExitError", "the runtime's connection broke while posting the "+map[bool]string{true: "error", false: "response"}[isError]+": "+err.Error())
		return
	}
	if tooLarge {
		// Read the rest (within reason) and flush the 413 before the environment is reset, so the runtime
		// sees the answer rather than a broken connection.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 8*MaxResponseBytes))
		writeAPIError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Exceeded maximum allowed payload size ("+strconv.Itoa(MaxResponseBytes)+" bytes).")
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		e.fail(inv, FailureResponseTooLarge, "Function.ResponseSizeTooLarge", "Response payload size exceeded maximum allowed payload size ("+strconv.Itoa(MaxResponseBytes)+" bytes).")
		return
	}
	// The caller gets the outcome before the runtime gets its 202, so the environment is known to be finishing
	// before the runtime can call /next again.
	if isError {
		errType := r.Header.Get(headerErrorType)
		if errType == "" {
			errType = r.Trailer.Get(headerErrorType) // aws-lambda-go sends it as a trailer when a streamed body fails
		}
		e.functionError(inv, errType, body)
	} else {
		e.succeed(inv, body)
	}
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

// handleInitError records an init failure posted before the first /next.
func (e *environment) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _, err := readLimited(r.Body, r.ContentLength, MaxResponseBytes)
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequest", "reading the init error: "+err.Error())
		return
	}
	if !e.recordInitError(normaliseErrorType(r.Header.Get(headerErrorType), "Runtime"), body) {
		writeAPIError(w, http.StatusForbidden, "InvalidStateTransition", "State transition from Ready to InitError failed for runtime. Error: init has already completed")
		return
	}
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	close(e.initFailed)
}

// readLimited reads a request body of at most limit bytes; tooLarge reports a larger one (its rest is not read).
func readLimited(body io.Reader, contentLength int64, limit int) (data []byte, tooLarge bool, err error) {
	if contentLength > int64(limit) {
		return nil, true, nil
	}
	size := 512
	if contentLength >= 0 {
		size = int(contentLength) + 1
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return nil, true, nil
		}
		if err == io.EOF {
			return buf, false, nil
		}
		if err != nil {
			return nil, false, err
		}
	}
}

// errorTypePattern is what Lambda accepts in Lambda-Runtime-Function-Error-Type; others become <Category>.Unknown.
var errorTypePattern = regexp.MustCompile(`^(Runtime|Function)\.[A-Z][a-zA-Z]+$`)

func normaliseErrorType(t, category string) string {
	if t == "" || errorTypePattern.MatchString(t) {
		return t
	}
	return category + ".Unknown"
}

// errorDocument is Lambda's error payload.
type errorDocument struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

func errorPayload(errType, message string) []byte {
	b, _ := json.Marshal(errorDocument{ErrorMessage: message, ErrorType: errType})
	return b
}

func writeAPIError(w http.ResponseWriter, status int, errType, message string) {
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(status)
	_, _ = w.Write(errorPayload(errType, message))
}

func methodNotAllowed(w http.ResponseWriter, allowed string) {
	w.Header().Set("Allow", allowed)
	writeAPIError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "use "+allowed)
}
