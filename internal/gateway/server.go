package gateway

import (
	"net/http"
	"time"
)

// ServerTimeouts bound how long the gateway's HTTP server waits for a client, so that clients that send
// slowly, or not at all, hold a goroutine and a socket for a bounded time and never an environment (the
// body is read before anything is invoked).
type ServerTimeouts struct {
	// ReadHeader bounds the request line and headers.
	ReadHeader time.Duration
	// Read bounds the whole request, body included.
	Read time.Duration
	// Idle bounds the wait for the next request on a kept-alive connection.
	Idle time.Duration
}

// DefaultServerTimeouts are the local gateway's. AWS publishes no client-side timeouts for REST APIs (its
// quotas cover the 29 s integration timeout, 10 MB payloads and 10,240 bytes of headers), so these are ours:
//
//   - ReadHeader 10 s: a well-behaved client sends its headers in one go; more than 10 s is a stalled or
//     hostile one (the classic slowloris).
//   - Read 30 s: the 10 MB API Gateway accepts at about 3 Mbit/s; a body held open longer is dropped with
//     408 Request Timeout.
//   - Idle 60 s: a kept-alive connection is closed after a minute without a request, the idle timeout of
//     AWS's Application Load Balancers; clients reconnect transparently.
var DefaultServerTimeouts = ServerTimeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Idle: 60 * time.Second}

// NewServer returns the HTTP server of a local gateway (cws run, cws gateway, cws up) serving h with t.
// Header size limits are API Gateway's (see apigw.MaxHeaderBytes); net/http's own 1 MB cap stays as the
// bound on what is read before the gateway sees the request.
func NewServer(h http.Handler, t ServerTimeouts) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, IdleTimeout: t.Idle}
}
