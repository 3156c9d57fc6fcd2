package coworks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// maxRequestBytes is API Gateway's request payload limit, applied by the local server too.
const maxRequestBytes = 10 << 20

// shutdownGrace is how long in-flight requests get to finish after SIGINT or SIGTERM.
const shutdownGrace = 10 * time.Second

// runServer listens on :$PORT (default 8000) and serves h until ctx is done.
func runServer(ctx context.Context, h http.Handler, getenv func(string) string, log *slog.Logger) error {
	port := getenv("PORT")
	if port == "" {
		port = "8000"
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return fmt.Errorf("coworks: cannot listen on port %s (set PORT to a free port): %w", port, err)
	}
	return serveHTTP(ctx, ln, h, getenv("CWS_STAGE"), log)
}

// serveHTTP serves h on ln until ctx is done, then stops accepting connections and waits up to
// shutdownGrace for in-flight requests. It returns nil after a clean shutdown.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, stage string, log *slog.Logger) error {
	info := &requestInfo{stage: stage}
	srv := &http.Server{
		Handler:           bodyLimit(h),
		ReadHeaderTimeout: 30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return withRequestInfo(context.Background(), info) },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("serving HTTP", "addr", ln.Addr().String(), "stage", stage)
	select {
	case err := <-errc:
		return fmt.Errorf("coworks: HTTP server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", shutdownGrace.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("coworks: graceful shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("coworks: HTTP server stopped: %w", err)
	}
	return nil
}

// bodyLimit answers 413 to requests declaring a body over maxRequestBytes, with API Gateway's text, and
// caps the others (a chunked body over the limit fails to read with *http.MaxBytesError).
func bodyLimit(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxRequestBytes {
			w.Header().Set("Content-Type", "text; charset=utf-8")
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			fmt.Fprintf(w, "HTTP content length exceeded %d bytes.", maxRequestBytes)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
		h.ServeHTTP(w, r)
	})
}
