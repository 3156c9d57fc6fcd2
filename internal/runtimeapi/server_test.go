package runtimeapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawRuntime plays the runtime with plain HTTP requests against one environment of a pool running the "idle"
// test process (which never calls the Runtime API itself).
type rawRuntime struct {
	t    *testing.T
	addr string
	base string
}

// startRawInvocation starts an Invoke in the background and returns the raw runtime of its new environment
// and the channel its outcome arrives on.
func startRawInvocation(t *testing.T, p *Pool, event string, opts InvokeOptions) (*rawRuntime, chan outcome) {
	t.Helper()
	done := make(chan outcome, 1)
	go func() {
		res, err := p.Invoke(context.Background(), []byte(event), opts)
		done <- outcome{res, err}
	}()
	return newRawRuntime(t, p, ""), done
}

// newRawRuntime waits for an environment of p other than the one at address other and returns its raw
// runtime.
func newRawRuntime(t *testing.T, p *Pool, other string) *rawRuntime {
	t.Helper()
	var addr string
	eventually(t, "an environment to start", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		for env := range p.envs {
			if env.addr != other {
				addr = env.addr
			}
		}
		return addr != ""
	})
	return &rawRuntime{t: t, addr: addr, base: "http://" + addr + "/2018-06-01/runtime/"}
}

func (rt *rawRuntime) do(method, path string, body []byte, header map[string]string) (*http.Response, string) {
	rt.t.Helper()
	req, err := http.NewRequest(method, rt.base+path, bytes.NewReader(body))
	if err != nil {
		rt.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		rt.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (rt *rawRuntime) expect(method, path string, body []byte, header map[string]string, status int, wantBody string) {
	rt.t.Helper()
	resp, got := rt.do(method, path, body, header)
	if resp.StatusCode != status || !strings.Contains(got, wantBody) {
		rt.t.Errorf("%s %s = %d %s, want %d containing %s", method, path, resp.StatusCode, got, status, wantBody)
	}
}

func TestRuntimeAPIProtocol(t *testing.T) {
	p, _ := newTestPool(t, "idle", func(c *FunctionConfig) { c.Timeout = 30 * time.Second })
	opts := InvokeOptions{RequestID: "req-1", TraceID: "Root=1-00000000-000000000000000000000001;Sampled=0", CognitoIdentity: `{"cognitoIdentityId":"c"}`}
	rt, done := startRawInvocation(t, p, `{"hello":"world"}`, opts)

	rt.expect(http.MethodPost, "invocation/req-1/response", []byte(`"early"`), nil, http.StatusBadRequest, `"errorType":"InvalidRequestID"`)

	resp, body := rt.do(http.MethodGet, "invocation/next", nil, nil)
	if resp.StatusCode != http.StatusOK || body != `{"hello":"world"}` {
		t.Fatalf("GET next = %d %s, want 200 and the event", resp.StatusCode, body)
	}
	h := resp.Header
	if h.Get(headerRequestID) != "req-1" || !regexp.MustCompile(`^Root=1-00000000-000000000000000000000001;Parent=[0-9a-f]{16};Sampled=0$`).MatchString(h.Get(headerTraceID)) ||
		h.Get(headerCognitoIdentity) != opts.CognitoIdentity ||
		h.Get(headerFunctionARN) != "arn:aws:lambda:us-east-1:000000000000:function:app-dev" || h.Get("Content-Type") != "application/json" {
		t.Errorf("next headers %v", h)
	}
	if _, present := h[headerClientContext]; present {
		t.Errorf("client context header sent although the invocation has none")
	}
	if ms, err := strconv.ParseInt(h.Get(headerDeadline), 10, 64); err != nil || time.UnixMilli(ms).Before(time.Now().Add(20*time.Second)) {
		t.Errorf("deadline header %q, want epoch ms about 30 s ahead", h.Get(headerDeadline))
	}

	rt.expect(http.MethodGet, "invocation/next", nil, nil, http.StatusForbidden, `"errorType":"InvalidStateTransition"`)
	rt.expect(http.MethodPost, "init/error", []byte(`{}`), nil, http.StatusForbidden, `"errorType":"InvalidStateTransition"`)
	rt.expect(http.MethodPost, "invocation/other-id/response", []byte(`1`), nil, http.StatusBadRequest, `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`)
	rt.expect(http.MethodGet, "invocation/req-1/response", nil, nil, http.StatusMethodNotAllowed, "MethodNotAllowed")
	rt.expect(http.MethodPost, "invocation/req-1/cancel", nil, nil, http.StatusNotFound, "NotFound")
	rt.expect(http.MethodGet, "../../2020-01-01/extension/register", nil, nil, http.StatusNotFound, "NotFound")

	rt.expect(http.MethodPost, "invocation/req-1/response", []byte(`{"answer":42}`), nil, http.StatusAccepted, `{"status":"OK"}`)
	out := <-done
	if out.err != nil || string(out.result.Payload) != `{"answer":42}` {
		t.Fatalf("Invoke = %s, %v; want the posted response", out.result.Payload, out.err)
	}
	rt.expect(http.MethodPost, "invocation/req-1/response", []byte(`2`), nil, http.StatusBadRequest, "InvalidRequestID")
	rt.expect(http.MethodPost, "invocation/req-1/error", []byte(`{}`), nil, http.StatusBadRequest, "InvalidRequestID")

	// The next event goes to the same environment once the runtime waits in /next; this time it reports an error.
	polled := make(chan *http.Response, 1)
	go func() {
		resp, body := rt.do(http.MethodGet, "invocation/next", nil, nil)
		if body != "2" {
			t.Errorf("second next body %q, want 2", body)
		}
		polled <- resp
	}()
	eventually(t, "the environment to be idle", func() bool { return p.Stats().Idle == 1 })
	second := make(chan outcome, 1)
	go func() {
		res, err := p.Invoke(context.Background(), []byte(`2`), InvokeOptions{RequestID: "req-2"})
		second <- outcome{res, err}
	}()
	if resp := <-polled; resp.StatusCode != http.StatusOK || resp.Header.Get(headerRequestID) != "req-2" {
		t.Fatalf("second next = %d %v", resp.StatusCode, resp.Header)
	}
	errBody := `{"errorMessage":"no such order","errorType":"NotFound","stackTrace":[]}`
	rt.expect(http.MethodPost, "invocation/req-2/error", []byte(errBody), map[string]string{headerErrorType: "Function.NotFound"}, http.StatusAccepted, `{"status":"OK"}`)
	out = <-second
	fe := asFunctionError(t, out.err, FailureFunction, "Function.NotFound")
	if string(fe.Payload) != errBody || fe.Message != "no such order" {
		t.Errorf("function error payload %s message %q, want the posted document", fe.Payload, fe.Message)
	}
}

// TestRuntimeAPIInitError: an init error is retried once in a new environment as part of the invocation,
// as Lambda does; when the retry fails too, the invocation fails with the posted error.
func TestRuntimeAPIInitError(t *testing.T) {
	p, logs := newTestPool(t, "idle", nil)
	rt, done := startRawInvocation(t, p, `{}`, InvokeOptions{RequestID: "req-init"})
	errBody := `{"errorMessage":"cannot load config","errorType":"ConfigError"}`
	rt.expect(http.MethodPost, "init/error", []byte(errBody), map[string]string{headerErrorType: "Runtime.ConfigError"}, http.StatusAccepted, `{"status":"OK"}`)
	logs.waitFor(t, "[dev] INIT_REPORT Init Duration: ")
	retry := newRawRuntime(t, p, rt.addr)
	retry.expect(http.MethodPost, "init/error", []byte(errBody), map[string]string{headerErrorType: "Runtime.ConfigError"}, http.StatusAccepted, `{"status":"OK"}`)
	out := <-done
	fe := asFunctionError(t, out.err, FailureInit, "Runtime.ConfigError")
	if string(fe.Payload) != errBody {
		t.Errorf("init error payload %s, want the posted document", fe.Payload)
	}
	logs.waitFor(t, "\tPhase: invoke\tStatus: error\tError Type: Runtime.ConfigError\n[dev] START RequestId: req-init Version: $LATEST\n"+
		"[dev] RequestId: req-init Error: cannot load config\n[dev] Runtime.ConfigError\n[dev] END RequestId: req-init\n[dev] REPORT RequestId: req-init\t")
	if !regexp.MustCompile(`\[dev\] INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error\tError Type: Runtime.ConfigError\n`).MatchString(logs.String()) ||
		!strings.Contains(logs.String(), "\tStatus: error\tError Type: Runtime.ConfigError\n") {
		t.Errorf("log lacks Lambda's INIT_REPORT of the first init or the REPORT status:\n%s", logs)
	}
	eventually(t, "the failed environments to go", func() bool { return p.Stats().Environments == 0 })
}

func TestRuntimeAPIResponseTooLarge(t *testing.T) {
	p, _ := newTestPool(t, "idle", nil)
	rt, done := startRawInvocation(t, p, `{}`, InvokeOptions{RequestID: "req-big"})
	if resp, _ := rt.do(http.MethodGet, "invocation/next", nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("next = %d", resp.StatusCode)
	}
	rt.expect(http.MethodPost, "invocation/req-big/response", make([]byte, MaxResponseBytes+1), nil,
		http.StatusRequestEntityTooLarge, `{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}`)
	out := <-done
	asFunctionError(t, out.err, FailureResponseTooLarge, "Function.ResponseSizeTooLarge")
	eventually(t, "the environment to be reset", func() bool { return p.Stats().Environments == 0 })
}
