package runtimeapi

import (
	"context"
	"errors"
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
