package main

import (
	"context"
	"os"
	"sync"

	"github.com/coworks-go/coworks"
)

// Hello is the service of the CoWorks README: a greeting and integers stored in memory by index.
// Its routes: GET / (greeting), GET /value/{_0}, PUT /value/{_0} and GET /env (stage configuration).
type Hello struct {
	mu     sync.Mutex
	values map[int]int
}

// Get serves GET /: the GREETING environment variable (set per stage), or a default greeting.
func (h *Hello) Get() string {
	if g := os.Getenv("GREETING"); g != "" {
		return g
	}
	return "Hello, world!"
}

// GetValue serves GET /value/{_0}: the integer stored at index, 0 when none was.
func (h *Hello) GetValue(index int) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.values[index]
}

// ValueIn is the body of PUT /value/{_0}: {"value": 456}.
type ValueIn struct {
	Value *int `json:"value"`
}

// PutValue serves PUT /value/{_0}: stores the value at index and returns it.
func (h *Hello) PutValue(index int, in ValueIn) (int, error) {
	if in.Value == nil {
		return 0, coworks.BadRequest(`missing parameter "value": send {"value": <integer>}`)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.values == nil {
		h.values = map[int]int{}
	}
	h.values[index] = *in.Value
	return *in.Value, nil
}

// GetEnv serves GET /env: the stage serving the request and the stage's GREETING, to tell stages apart.
func (h *Hello) GetEnv(ctx context.Context) map[string]string {
	return map[string]string{"stage": coworks.Stage(ctx), "greeting": os.Getenv("GREETING")}
}
