package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/coworks-go/coworks"
)

func serve(t *testing.T, h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, r))
	return w
}

func TestHello(t *testing.T) {
	t.Setenv("GREETING", "")
	app := coworks.New("hello", &Hello{})
	steps := []struct {
		method, target, body string
		status               int
		want                 string
	}{
		{"GET", "/", "", 200, "Hello, world!"},
		{"GET", "/value/1", "", 200, "0"},
		{"PUT", "/value/1", `{"value": 456}`, 200, "456"},
		{"GET", "/value/1", "", 200, "456"},
		{"GET", "/value/2", "", 200, "0"},
		{"GET", "/value/abc", "", 400, `{"message":"path parameter _0: \"abc\" is not a valid int"}`},
		{"PUT", "/value/1", `{"value": `, 400, `{"message":"request body is not valid JSON: unexpected EOF"}`},
		{"PUT", "/value/1", `{"value": "x"}`, 400, `{"message":"parameter \"value\": expected int, got JSON string"}`},
		{"PUT", "/value/1", `{}`, 400, `{"message":"missing parameter \"value\": send {\"value\": \u003cinteger\u003e}"}`},
		{"GET", "/nowhere", "", 404, `{"message":"Not found"}`},
	}
	for _, s := range steps {
		w := serve(t, app, s.method, s.target, s.body)
		if w.Code != s.status || w.Body.String() != s.want {
			t.Errorf("%s %s %s = %d %q, want %d %q", s.method, s.target, s.body, w.Code, w.Body.String(), s.status, s.want)
		}
	}
}

func TestHelloStage(t *testing.T) {
	t.Setenv("GREETING", "Hello from dev")
	app := coworks.New("hello", &Hello{})
	if w := serve(t, app, "GET", "/", ""); w.Body.String() != "Hello from dev" {
		t.Errorf("GET / = %q, want the stage's GREETING", w.Body.String())
	}
	var env map[string]string
	if err := json.Unmarshal(serve(t, app, "GET", "/env", "").Body.Bytes(), &env); err != nil {
		t.Fatal(err)
	}
	if env["greeting"] != "Hello from dev" || env["stage"] != "" {
		t.Errorf("GET /env = %v, want greeting from $GREETING and no stage outside a server", env)
	}
}

func TestHelloConcurrentPuts(t *testing.T) {
	app := coworks.New("hello", &Hello{})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			serve(t, app, "PUT", fmt.Sprintf("/value/%d", i), fmt.Sprintf(`{"value": %d}`, i*10))
		}()
	}
	wg.Wait()
	for i := range 20 {
		if got := serve(t, app, "GET", fmt.Sprintf("/value/%d", i), "").Body.String(); got != fmt.Sprint(i*10) {
			t.Errorf("GET /value/%d = %s, want %d", i, got, i*10)
		}
	}
}
