package coworks

import (
	"context"
	"log/slog"
	"net/http"
)

// Option configures an App in New.
type Option func(*App)

// WithLogger makes the App log through l: handler errors and panics, whose details are never sent to
// clients. Without it the App logs through slog.Default() as it is when New runs.
func WithLogger(l *slog.Logger) Option {
	return func(a *App) {
		if l != nil {
			a.logger = l
		}
	}
}

// WithBeforeFirstRequest runs f once, before the first request is handled (requests arriving meanwhile
// wait). If f returns an error, that request is answered with it (a *Error's status, else 500) and f runs
// again before the next request, until it succeeds: a cold start that failed is retried, not remembered.
func WithBeforeFirstRequest(f func(ctx context.Context) error) Option {
	return func(a *App) { a.beforeFirst = append(a.beforeFirst, f) }
}

// WithBeforeRequest runs f before each routed request, after authorization and before the parameters
// are bound. f may answer the request itself: a non-nil *Response is sent, a non-nil error is answered
// as a handler error would be (a *Error's status, else 500); in both cases the handler is not called.
// Hooks run in the order they were given; the first one that answers stops the others.
func WithBeforeRequest(f func(r *http.Request) (*Response, error)) Option {
	return func(a *App) { a.before = append(a.before, f) }
}

// WithAfterRequest runs f after each request, including 404s, 405s, auth refusals and recovered panics,
// with the status the client received. It runs after the response is written, so it cannot change it.
func WithAfterRequest(f func(r *http.Request, status int)) Option {
	return func(a *App) { a.after = append(a.after, f) }
}
