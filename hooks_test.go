package coworks

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestHooks(t *testing.T) {
	var mu sync.Mutex
	var events []string
	record := func(e string) { mu.Lock(); events = append(events, e); mu.Unlock() }
	firstCalls := 0
	app := New("routing", routing{},
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		WithBeforeFirstRequest(func(ctx context.Context) error {
			firstCalls++
			record("first")
			if firstCalls == 1 {
				return errors.New("cold start failed")
			}
			return nil
		}),
		WithBeforeRequest(func(r *http.Request) (*Response, error) {
			record("before " + r.URL.Path)
			switch r.URL.Query().Get("hook") {
			case "answer":
				return &Response{Status: http.StatusTeapot, Body: []byte("from hook")}, nil
			case "refuse":
				return nil, NewError(http.StatusPaymentRequired, "pay first")
			}
			return nil, nil
		}),
		WithAfterRequest(func(r *http.Request, status int) {
			record("after " + r.URL.Path + " " + http.StatusText(status))
		}),
	)
	steps := []struct {
		target string
		status int
		body   string
	}{
		{"/", 500, `{"message":"Internal server error"}`}, // the first before-first run fails
		{"/", 200, "root"}, // and is retried
		{"/content?hook=answer", 418, "from hook"},
		{"/content?hook=refuse", 402, `{"message":"pay first"}`},
		{"/nowhere", 404, `{"message":"Not found"}`},
	}
	for _, s := range steps {
		w := call(t, app, "GET", s.target, "")
		if w.Code != s.status || w.Body.String() != s.body {
			t.Errorf("GET %s = %d %q, want %d %q", s.target, w.Code, w.Body.String(), s.status, s.body)
		}
	}
	want := []string{
		"first", "after / Internal Server Error",
		"first", "before /", "after / OK",
		"before /content", "after /content I'm a teapot",
		"before /content", "after /content Payment Required",
		"after /nowhere Not Found",
	}
	if strings.Join(events, "\n") != strings.Join(want, "\n") {
		t.Errorf("hook events:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}
}

func TestBeforeFirstRequestRunsOnce(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	app := New("routing", routing{}, WithBeforeFirstRequest(func(context.Context) error {
		mu.Lock()
		calls++
		mu.Unlock()
		return nil
	}))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call(t, app, "GET", "/", "")
		}()
	}
	wg.Wait()
	if calls != 1 {
		t.Errorf("before-first-request hook ran %d times, want 1", calls)
	}
}

func TestAfterRequestSeesRecoveredPanic(t *testing.T) {
	var got int
	app := New("results", resulter{}, WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		WithAfterRequest(func(r *http.Request, status int) { got = status }))
	call(t, app, "GET", "/panic", "")
	if got != 500 {
		t.Errorf("after hook saw %d for a panicking handler, want 500", got)
	}
}
