package coworks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

var (
	functionOnce sync.Once
	functionPath string
	functionErr  error
)

// functionBinary builds testdata/function once per test run: a real binary calling coworks.Start, built as
// cws builds the host binary the local cloud runs (so the Go build cache serves this build and cws's alike).
func functionBinary(t *testing.T) string {
	t.Helper()
	functionOnce.Do(func() {
		dir, err := os.MkdirTemp("", "coworks-function-")
		if err != nil {
			functionErr = err
			return
		}
		functionPath = filepath.Join(dir, "function")
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-tags=lambda.norpc", "-o", functionPath, "./testdata/function")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			functionErr = fmt.Errorf("go build ./testdata/function: %v\n%s", err, out)
		}
	})
	if functionErr != nil {
		t.Fatal(functionErr)
	}
	return functionPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if functionPath != "" {
		os.RemoveAll(filepath.Dir(functionPath))
	}
	os.Exit(code)
}

// invocationResult is what the function posted back for one invocation.
type invocationResult struct {
	id, kind string // kind is "response" or "error"
	body     []byte
}

// runtimeAPI is a minimal real Lambda Runtime API (2018-06-01): it hands out queued events on
// GET .../invocation/next and collects POST .../{id}/response and .../{id}/error.
type runtimeAPI struct {
	events  chan []byte
	results chan invocationResult
	done    chan struct{}
	nextID  int
	mu      sync.Mutex
}

func (api *runtimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const prefix = "/2018-06-01/runtime/invocation/"
	rest, ok := strings.CutPrefix(r.URL.Path, prefix)
	switch {
	case ok && r.Method == "GET" && rest == "next":
		select {
		case ev := <-api.events:
			api.mu.Lock()
			api.nextID++
			id := fmt.Sprintf("req-%d", api.nextID)
			api.mu.Unlock()
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", id)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:test")
			w.Header().Set("Content-Type", "application/json")
			w.Write(ev)
		case <-api.done:
			http.Error(w, "shutting down", http.StatusInternalServerError)
		}
	case ok && r.Method == "POST" && (strings.HasSuffix(rest, "/response") || strings.HasSuffix(rest, "/error")):
		id, kind, _ := strings.Cut(rest, "/")
		body, _ := io.ReadAll(r.Body)
		api.results <- invocationResult{id: id, kind: kind, body: body}
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"OK"}`)
	default:
		http.Error(w, "unknown runtime API call "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}

func TestStartInLambdaEndToEnd(t *testing.T) {
	bin := functionBinary(t)
	api := &runtimeAPI{events: make(chan []byte, 1), results: make(chan invocationResult, 1), done: make(chan struct{})}
	srv := httptest.NewServer(api)
	defer srv.Close()
	defer close(api.done)

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(srv.URL, "http://"), "PORT=1", "CWS_ROUTES=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()

	call := func(payload []byte) invocationResult {
		t.Helper()
		api.events <- payload
		select {
		case res := <-api.results:
			return res
		case <-time.After(20 * time.Second):
			t.Fatalf("no answer from the function; stderr:\n%s", stderr.String())
		}
		panic("unreachable")
	}
	proxy := func(payload []byte) events.APIGatewayProxyResponse {
		t.Helper()
		res := call(payload)
		if res.kind != "response" {
			t.Fatalf("function posted %s: %s", res.kind, res.body)
		}
		return decodeResponse(t, res.body)
	}

	resp := proxy(readEvent(t, "apigw-request.json")) // POST /hello/world: no such route in the mux
	if resp.StatusCode != 404 {
		t.Errorf("POST /hello/world: status %d, want the mux's 404", resp.StatusCode)
	}
	resp = proxy([]byte(`{"httpMethod":"GET","path":"/hello","multiValueQueryStringParameters":{"q":["a b"]},"requestContext":{"stage":"prod","path":"/prod/hello"}}`))
	if want := `Hello from stage "prod", path /hello, query q=a+b`; resp.StatusCode != 200 || resp.Body != want {
		t.Errorf("GET /hello: %d %q, want 200 %q", resp.StatusCode, resp.Body, want)
	}
	resp = proxy([]byte(`{"httpMethod":"GET","path":"/cookies"}`))
	if got := resp.MultiValueHeaders["Set-Cookie"]; resp.StatusCode != 204 || !reflect.DeepEqual(got, []string{"a=1", "b=2"}) {
		t.Errorf("GET /cookies: %d Set-Cookie %q", resp.StatusCode, got)
	}
	resp = proxy([]byte(`{"httpMethod":"POST","path":"/echo","body":"AAEC/w==","isBase64Encoded":true}`))
	if resp.Body != "AAEC/w==" || !resp.IsBase64Encoded {
		t.Errorf("POST /echo binary: %q base64=%v", resp.Body, resp.IsBase64Encoded)
	}
	res := call(tokenEvent("secret", "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/hello"))
	if res.kind != "response" || !strings.Contains(string(res.body), `"Effect":"Allow","Resource":["arn:aws:execute-api:us-east-1:123456789012:api1/prod/*/*"]`) {
		t.Errorf("TOKEN event: %s %s", res.kind, res.body)
	}
	res = call(tokenEvent("", "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/hello"))
	var fnErr struct{ ErrorMessage string }
	if json.Unmarshal(res.body, &fnErr); res.kind != "error" || fnErr.ErrorMessage != "Unauthorized" {
		t.Errorf("empty token: %s %s, want error Unauthorized", res.kind, res.body)
	}
	// The function survives an error and keeps serving.
	if resp := proxy([]byte(`{"httpMethod":"GET","path":"/hello"}`)); resp.StatusCode != 200 {
		t.Errorf("after an error: %d", resp.StatusCode)
	}
}

func TestStartPrintsRoutes(t *testing.T) {
	cmd := exec.Command(functionBinary(t))
	cmd.Env = append(os.Environ(), "CWS_ROUTES=1", "AWS_LAMBDA_RUNTIME_API=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("CWS_ROUTES=1: %v", err)
	}
	var routes []Route
	if err := json.Unmarshal(out, &routes); err != nil {
		t.Fatalf("stdout is not a route table: %v\n%s", err, out)
	}
	if want := []Route{{Method: "GET", Path: "/hello"}, {Method: "GET", Path: "/cookies"}}; !reflect.DeepEqual(routes, want) {
		t.Errorf("routes %+v, want %+v", routes, want)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func TestStartServesOnPort(t *testing.T) {
	port := freePort(t)
	cmd := exec.Command(functionBinary(t))
	cmd.Env = append(os.Environ(), "PORT="+port, "CWS_STAGE=local", "AWS_LAMBDA_RUNTIME_API=", "CWS_ROUTES=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	base := "http://127.0.0.1:" + port
	var resp *http.Response
	var err error
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		if resp, err = http.Get(base + "/hello?x=1"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("server never answered: %v\n%s", err, stderr.String())
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `Hello from stage "local", path /hello, query x=1`; string(body) != want {
		t.Errorf("GET /hello = %q, want %q", body, want)
	}

	big := bytes.NewReader(make([]byte, maxRequestBytes+1))
	resp, err = http.Post(base+"/echo", "application/octet-stream", big)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 || string(body) != "HTTP content length exceeded 10485760 bytes." {
		t.Errorf("11 MB body: %d %q, want 413", resp.StatusCode, body)
	}

	// SIGTERM during a request: the request completes, then the process exits 0.
	resp, err = http.Get(base + "/slow") // returns once the handler has sent the header
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(body) != "done" {
		t.Errorf("in-flight request during shutdown got %q, %v; want \"done\"", body, err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "shutting down") {
		t.Errorf("no shutdown log line:\n%s", stderr.String())
	}
}
