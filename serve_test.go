package coworks

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// chunked is a body of unknown length, so the server cannot refuse it up front.
type chunked struct{ io.Reader }

func TestServeHTTPLimitsChunkedBodies(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		readErr <- err
		if Stage(r.Context()) != "test" {
			t.Errorf("Stage(ctx) = %q, want $CWS_STAGE", Stage(r.Context()))
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveHTTP(ctx, ln, h, "test", discardLogger()) }()

	body := chunked{io.LimitReader(strings.NewReader(strings.Repeat("x", 1<<20)), 1<<20)}
	big := io.MultiReader(body, chunked{strings.NewReader(strings.Repeat("y", maxRequestBytes))})
	resp, err := http.Post("http://"+ln.Addr().String()+"/", "text/plain", chunked{big})
	if err == nil {
		resp.Body.Close()
	}
	var tooBig *http.MaxBytesError
	if err := <-readErr; !errors.As(err, &tooBig) {
		t.Errorf("reading an 11 MB chunked body: %v, want *http.MaxBytesError", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serveHTTP after cancel: %v, want nil (graceful shutdown)", err)
	}
}
