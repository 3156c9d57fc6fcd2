package runtimeapi

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestInvokeReturnsWhenContextEndsDuringInit(t *testing.T) {
	p, _ := newTestPool(t, "slowinit", func(c *FunctionConfig) {
		c.Env = map[string]string{"SLOW_INIT_MS": "60000"}
		c.InitTimeout = time.Minute
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.Invoke(ctx, []byte(`{}`), InvokeOptions{})
		done <- err
	}()
	eventually(t, "the environment to start", func() bool { return p.Stats().Environments == 1 })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Invoke = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second): // only keeps a broken Invoke from hanging the test for a minute
		t.Fatal("Invoke kept waiting for the init after its context ended")
	}
}

func TestSecondConcurrentNextIsRefusedAndTheFirstGetsTheEvent(t *testing.T) {
	p, _ := newTestPool(t, "idle", func(c *FunctionConfig) { c.Timeout = 30 * time.Second })
	rt, done := startRawInvocation(t, p, `1`, InvokeOptions{RequestID: "req-1"})
	rt.expect(http.MethodGet, "invocation/next", nil, nil, http.StatusOK, "1")
	rt.expect(http.MethodPost, "invocation/req-1/response", []byte(`"one"`), nil, http.StatusAccepted, "OK")
	if out := <-done; out.err != nil {
		t.Fatal(out.err)
	}
	first := make(chan string, 1)
	go func() {
		resp, body := rt.do(http.MethodGet, "invocation/next", nil, nil)
		first <- resp.Header.Get(headerRequestID) + " " + body
	}()
	eventually(t, "the environment to be idle", func() bool { return p.Stats().Idle == 1 })
	rt.expect(http.MethodGet, "invocation/next", nil, nil, http.StatusForbidden, "InvalidStateTransition")
	second := make(chan outcome, 1)
	go func() {
		res, err := p.Invoke(context.Background(), []byte(`2`), InvokeOptions{RequestID: "req-2"})
		second <- outcome{res, err}
	}()
	if got := <-first; got != "req-2 2" {
		t.Fatalf("the pending /next got %q, want req-2's event", got)
	}
	rt.expect(http.MethodPost, "invocation/req-2/response", []byte(`"two"`), nil, http.StatusAccepted, "OK")
	if out := <-second; out.err != nil || string(out.result.Payload) != `"two"` {
		t.Fatalf("second invocation: %s, %v", out.result.Payload, out.err)
	}
}

func TestRuntimeThatNeverPollsAgainIsResetAtItsDeadline(t *testing.T) {
	p, logs := newTestPool(t, "idle", func(c *FunctionConfig) {
		c.Timeout = 300 * time.Millisecond
		c.MaxEnvironments = 1
	})
	rt, done := startRawInvocation(t, p, `1`, InvokeOptions{RequestID: "req-1"})
	rt.expect(http.MethodGet, "invocation/next", nil, nil, http.StatusOK, "1")
	rt.expect(http.MethodPost, "invocation/req-1/response", []byte(`"one"`), nil, http.StatusAccepted, "OK")
	if out := <-done; out.err != nil {
		t.Fatal(out.err)
	}
	// The runtime never calls /next: at req-1's deadline the environment is reset, as Lambda does.
	logs.waitFor(t, "[dev] req-1 Task timed out after 0.30 seconds\n")
	eventually(t, "the environment to be reset", func() bool { return p.Stats().Environments == 0 })
}
