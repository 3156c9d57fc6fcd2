package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"maps"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as cws inside scripts: `exec cws ...` (or just `cws ...`) runs
// cli.Main in a real separate process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"cws": func() { // as cmd/cws: the shutdown signals cancel the context (graceful shutdown of cws run)
			ctx, stop := signal.NotifyContext(context.Background(), ShutdownSignals...)
			code := Main(ctx, os.Args[1:], SystemStreams())
			stop()
			os.Exit(code)
		},
	})
}

// TestScripts runs every testdata/script/*.txtar. Scripts get HOME, the real Go caches and
// GOPROXY=off (so `go build` works offline), NO_COLOR, and FRAMEWORK_DIR, the repository root, for
// `cws new --replace`. Scripts run `go mod tidy -e` in generated projects: tidy also wants the modules that
// only the dependencies' own tests import (testify), which an offline cache need not hold; -e writes the
// complete go.mod regardless, and the builds that follow prove it. Condition [framework] holds when the framework at FRAMEWORK_DIR has coworks.New.
func TestScripts(t *testing.T) {
	t.Parallel() // alongside the other tests that build
	warmBuilds(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	goEnv := map[string]string{}
	if out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) == 3 {
			goEnv["GOCACHE"], goEnv["GOMODCACHE"], goEnv["GOPATH"] = lines[0], lines[1], lines[2]
		}
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: false,
		Setup: func(e *testscript.Env) error {
			e.Setenv("HOME", filepath.Join(e.WorkDir, "home"))
			for k, v := range goEnv {
				e.Setenv(k, v)
			}
			// Scripts build generated projects from the module cache alone (.ci/run fills it with go mod
			// download, which verifies every module against the checksum database on the way).
			e.Setenv("GOPROXY", "off")
			e.Setenv("GOSUMDB", "off")
			e.Setenv("GOFLAGS", "-mod=mod")
			e.Setenv("GOTOOLCHAIN", "local")
			e.Setenv("NO_COLOR", "1")
			e.Setenv("CWS_STAGE", "")
			e.Setenv("FRAMEWORK_DIR", root)
			e.Setenv("BIGVALUE", strings.Repeat("v", 4096)) // with its name, 3 bytes over Lambda's 4 KB
			// Commands that read SSM (stage show of a terraform stage) find no credentials at once rather than
			// asking the EC2 metadata service, which may take seconds to time out.
			e.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"http":           cmdHTTP,
			"freeport":       cmdFreePort,
			"setmatch":       cmdSetMatch,
			"randfile":       cmdRandFile,
			"cloudwatchfake": cmdCloudWatchFake,
			"cloudwatchput":  cmdCloudWatchPut,
			"ssmfake":        cmdSSMFake,
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) { // sleep DURATION
				d, err := time.ParseDuration(strings.Join(args, ""))
				ts.Check(err)
				time.Sleep(d)
			},
		},
		Condition: func(cond string) (bool, error) {
			if cond != "framework" {
				return false, nil
			}
			matches, _ := filepath.Glob(filepath.Join(root, "*.go"))
			for _, m := range matches {
				if data, err := os.ReadFile(m); err == nil && strings.Contains(string(data), "\nfunc New(") {
					return true, nil
				}
			}
			return false, nil
		},
	})
}

// cmdHTTP is `http [flags] METHOD URL [BODY]`: it sends one request, retrying for up to 2 minutes while
// the connection fails (a server started in the background may still be building) or, with -want, until the
// body contains TEXT (a rebuild may still be running), and prints the status line, the response headers
// with -headers ("Name: value", sorted, names as Go's client canonicalises them: X-Amzn-Errortype), then
// the body. Without -status, `!` expects a status of 400 or more
// and no `!` one below 400. Flags:
//
//	-want TEXT      retry until the body contains TEXT (with -parallel: every body must contain it)
//	-host HOST      the Host header (e.g. {id}.execute-api.localhost:PORT, which Go's resolver cannot dial)
//	-header K:V     a request header (repeatable)
//	-status N       the status must be N (`!` is then refused)
//	-headers        print the response headers
//	-binary FILE    send FILE's bytes as the body
//	-out FILE       write the response body to FILE instead of printing it
//	-parallel N     send N requests at once, no retries (the server must be up): each must pass the status
//	                check (and -want); prints "N responses: STATUS" per status seen, then the first body
func cmdHTTP(ts *testscript.TestScript, neg bool, args []string) {
	var req httpRequest
	parallel := 0
	for len(args) > 2 && strings.HasPrefix(args[0], "-") {
		flag := args[0]
		if flag == "-headers" {
			req.showHeaders = true
			args = args[1:]
			continue
		}
		val := args[1]
		args = args[2:]
		switch flag {
		case "-want":
			req.want = val
		case "-host":
			req.host = val
		case "-header":
			k, v, ok := strings.Cut(val, ":")
			if !ok {
				ts.Fatalf("http -header %q: want NAME:VALUE", val)
			}
			req.header = append(req.header, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
		case "-status":
			n, err := strconv.Atoi(val)
			ts.Check(err)
			req.status = n
		case "-binary":
			data, err := os.ReadFile(ts.MkAbs(val))
			ts.Check(err)
			req.body, req.hasBody = data, true
		case "-out":
			req.out = ts.MkAbs(val)
		case "-parallel":
			n, err := strconv.Atoi(val)
			ts.Check(err)
			parallel = n
		default:
			ts.Fatalf("http: unknown flag %s", flag)
		}
	}
	if len(args) < 2 || len(args) > 3 || (len(args) == 3 && req.hasBody) {
		ts.Fatalf("usage: http [-want TEXT] [-host HOST] [-header K:V] [-status N] [-headers] [-binary FILE] [-out FILE] [-parallel N] METHOD URL [BODY]")
	}
	if neg && req.status != 0 {
		ts.Fatalf("http: use -status N or !, not both")
	}
	req.method, req.url = args[0], args[1]
	if len(args) == 3 {
		req.body, req.hasBody = []byte(args[2]), true
	}
	check := func(status int) string {
		switch {
		case req.status != 0 && status != req.status:
			return fmt.Sprintf("status %d, want %d", status, req.status)
		case req.status == 0 && (status >= 400) != neg:
			return fmt.Sprintf("unexpected status %d", status)
		}
		return ""
	}
	if parallel > 0 {
		httpParallel(ts, &req, parallel, check)
		return
	}
	var resp *http.Response
	var data []byte
	for end := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		var err error
		if resp, data, err = req.do(); err == nil && strings.Contains(string(data), req.want) {
			break
		}
		if time.Now().After(end) {
			ts.Fatalf("%s %s: %v; last body %q, want %q in it", req.method, req.url, err, data, req.want)
		}
	}
	req.print(ts, resp, data)
	if problem := check(resp.StatusCode); problem != "" {
		ts.Fatalf("%s %s: %s", req.method, req.url, problem)
	}
}

// httpRequest is one request of cmdHTTP and how to show its response.
type httpRequest struct {
	method, url, host, want, out string
	header                       [][2]string
	body                         []byte
	hasBody, showHeaders         bool
	status                       int
}

// do sends the request once and reads the whole response body.
func (r *httpRequest) do() (*http.Response, []byte, error) {
	var body io.Reader
	if r.hasBody {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, r.url, body)
	if err != nil {
		return nil, nil, err
	}
	if r.host != "" {
		req.Host = r.host
	}
	for _, kv := range r.header {
		req.Header.Add(kv[0], kv[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

// print writes the status, the headers when asked, and the body (or saves it with -out).
func (r *httpRequest) print(ts *testscript.TestScript, resp *http.Response, data []byte) {
	fmt.Fprintf(ts.Stdout(), "%d\n", resp.StatusCode)
	if r.showHeaders {
		keys := make([]string, 0, len(resp.Header))
		for k := range resp.Header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			for _, v := range resp.Header[k] {
				fmt.Fprintf(ts.Stdout(), "%s: %s\n", k, v)
			}
		}
	}
	if r.out != "" {
		ts.Check(os.WriteFile(r.out, data, 0o644))
		fmt.Fprintf(ts.Stdout(), "(%d bytes written to %s)\n", len(data), filepath.Base(r.out))
		return
	}
	fmt.Fprintf(ts.Stdout(), "%s\n", data)
}

// httpParallel sends n copies of req at once and fails unless every one passes check and contains req.want.
func httpParallel(ts *testscript.TestScript, req *httpRequest, n int, check func(int) string) {
	type result struct {
		status int
		body   []byte
		err    error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, data, err := req.do()
			results[i] = result{body: data, err: err}
			if err == nil {
				results[i].status = resp.StatusCode
			}
		}()
	}
	wg.Wait()
	counts := map[int]int{}
	var problems []string
	for i, r := range results {
		switch {
		case r.err != nil:
			problems = append(problems, fmt.Sprintf("request %d: %v", i, r.err))
			continue
		case check(r.status) != "":
			problems = append(problems, fmt.Sprintf("request %d: %s, body %q", i, check(r.status), r.body))
		case !strings.Contains(string(r.body), req.want):
			problems = append(problems, fmt.Sprintf("request %d: body %q, want %q in it", i, r.body, req.want))
		}
		counts[r.status]++
	}
	statuses := slices.Sorted(maps.Keys(counts))
	for _, s := range statuses {
		fmt.Fprintf(ts.Stdout(), "%d responses: %d\n", counts[s], s)
	}
	if results[0].err == nil {
		fmt.Fprintf(ts.Stdout(), "%s\n", results[0].body)
	}
	if len(problems) > 0 {
		ts.Fatalf("%s %s x%d: %d failed:\n%s", req.method, req.url, n, len(problems), strings.Join(problems, "\n"))
	}
}

// cmdRandFile is `randfile FILE SIZE`: it writes SIZE random bytes to FILE (binary bodies for round trips).
func cmdRandFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: randfile FILE SIZE")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	data := make([]byte, n)
	_, err = rand.Read(data)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), data, 0o644))
}

// cmdFreePort is `freeport NAME`: it sets $NAME to a TCP port free on 127.0.0.1, taken below the kernel's
// ephemeral range. A port the kernel hands out for ":0" (the runtime API servers and gateways of tests running
// in parallel bind those) could be taken again between this check and the moment cws binds it, after a build
// of several seconds; a port below the range is only ever given out here, each once per test process.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport NAME")
	}
	for range 1000 {
		port := int(nextFreePort.Add(1))
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue // taken by something else on this machine
		}
		ln.Close()
		ts.Setenv(args[0], strconv.Itoa(port))
		return
	}
	ts.Fatalf("freeport: no free port found below the ephemeral range")
}

// nextFreePort is the last port cmdFreePort tried: it starts at a random point of 20000-29999 so that two test
// processes (go test -count, two packages) are unlikely to walk the same ports.
var nextFreePort = func() *atomic.Int32 {
	var n atomic.Int32
	n.Store(int32(20000 + mrand.IntN(10000)))
	return &n
}()

// cmdSetMatch is `setmatch NAME FILE REGEXP`: it sets $NAME to the first submatch of REGEXP in FILE (e.g. a
// REST API id from a record), failing when there is none.
func cmdSetMatch(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: setmatch NAME FILE REGEXP")
	}
	re, err := regexp.Compile(args[2])
	ts.Check(err)
	m := re.FindStringSubmatch(ts.ReadFile(args[1]))
	if len(m) < 2 {
		ts.Fatalf("%s: no match for %s", args[1], args[2])
	}
	ts.Setenv(args[0], m[1])
}
