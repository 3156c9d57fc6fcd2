// Command function is the tiny service the end-to-end tests of coworks.Start build and run: under a Runtime
// API server written in the test, as a $PORT server, and with CWS_ROUTES=1.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/coworks-go/coworks"
)

// service adds a route table and an Auth decision to a ServeMux, as an App would.
type service struct{ *http.ServeMux }

func (service) Routes() []coworks.Route {
	return []coworks.Route{{Method: "GET", Path: "/hello"}, {Method: "GET", Path: "/cookies"}}
}

func (service) Authorize(_ context.Context, req coworks.AuthRequest) (coworks.Access, bool) {
	if req.Token == "secret" {
		return coworks.AllowAll(), true
	}
	return coworks.DenyAll(), true
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "Hello from stage %q, path %s, query %s", coworks.Stage(r.Context()), r.URL.EscapedPath(), r.URL.RawQuery)
	})
	mux.HandleFunc("GET /cookies", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush() // the client knows the request is in flight
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "done")
	})
	coworks.Start(service{mux})
}
