package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/coworks-go/coworks/internal/functiontest"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/coworks-go/coworks/internal/apigw"
	"github.com/coworks-go/coworks/internal/runtimeapi"
)

// binDir holds the functions the tests run, built once by TestMain: the hello example, probe (a raw
// aws-lambda-go handler that misbehaves on demand), authsvc (a CoWorks service with Auth) and postwork (a
// runtime that works on after answering).
var binDir string

func TestMain(m *testing.M) {
	functiontest.Main(m, []string{"./testdata/fn/probe", "./testdata/fn/authsvc", "../../examples/hello", "../runtimeapi/testdata/fn/postwork"},
		func(dir string) { binDir = dir })
}

// routesOf asks a built function for its route table (CWS_ROUTES=1), as the build step does.
func routesOf(t testing.TB, fn string) []apigw.Route {
	t.Helper()
	if fn == "probe" || fn == "postwork" { // not CoWorks services: the catch-all table, as build gives such functions
		return []apigw.Route{{Method: "ANY", Path: "/"}, {Method: "ANY", Path: "/{proxy+}"}}
	}
	cmd := exec.Command(filepath.Join(binDir, fn))
	cmd.Env = []string{"CWS_ROUTES=1"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("route table of %s: %v", fn, err)
	}
	var table []struct{ Method, Path string }
	if err := json.Unmarshal(out, &table); err != nil {
		t.Fatal(err)
	}
	routes := make([]apigw.Route, len(table))
	for i, r := range table {
		routes[i] = apigw.Route{Method: r.Method, Path: r.Path}
	}
	return routes
}

// stage returns a stage running the named test function as {fn}-{name}, with GREETING and cws_stage.
func stage(t testing.TB, fn, name, greeting string) Stage {
	return Stage{
		Name:      name,
		Variables: map[string]string{"cws_stage": name},
		Routes:    routesOf(t, fn),
		Function: runtimeapi.FunctionConfig{
			Name:       fn + "-" + name,
			Executable: filepath.Join(binDir, fn),
			Env:        map[string]string{"GREETING": greeting},
			Timeout:    5 * time.Second,
		},
	}
}

// syncBuffer is a writer tests read while the gateway writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// served is a gateway behind a real HTTP server on loopback.
type served struct {
	gw      *Gateway
	url     string
	access  *syncBuffer
	funcLog *syncBuffer
}

// serve starts a gateway for apis; the server and every function are stopped at cleanup.
func serve(t *testing.T, apis []API, edit func(*Options)) *served {
	t.Helper()
	s := &served{access: &syncBuffer{}, funcLog: &syncBuffer{}}
	opts := Options{AccessLog: s.access, FunctionLog: s.funcLog}
	if edit != nil {
		edit(&opts)
	}
	gw, err := New(apis, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	s.gw, s.url = gw, srv.URL
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := gw.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// reply is an HTTP response as a test sees it.
type reply struct {
	status int
	header http.Header
	body   string
}

// do sends one request; host, when set, replaces the Host header.
func (s *served) do(t *testing.T, method, path, host string, body []byte, header map[string]string) reply {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, string(data)}
}

// get is do for a GET without body or headers.
func (s *served) get(t *testing.T, path string) reply {
	t.Helper()
	return s.do(t, "GET", path, "", nil, nil)
}

// want fails unless the reply has status and body.
func (r reply) want(t *testing.T, status int, body string) {
	t.Helper()
	if r.status != status || r.body != body {
		t.Fatalf("got %d %q, want %d %q", r.status, r.body, status, body)
	}
}

// function returns the function serving stage name of API id.
func (s *served) function(t *testing.T, id, name string) *function {
	t.Helper()
	a := s.gw.current.Load().apis[id]
	if a == nil || a.stages[name] == nil {
		t.Fatalf("no stage %s/%s", id, name)
	}
	return a.stages[name].fn
}

// eventually polls cond for up to 10 s; the bound only keeps a broken test from hanging.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("gave up waiting for %s", what)
}
