package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as cws inside scripts: `exec cws ...` (or just `cws ...`) runs
// cli.Main in a real separate process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"cws": func() { // as cmd/cws: SIGINT and SIGTERM cancel the context (graceful shutdown of cws run)
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
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
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"http":     cmdHTTP,
			"freeport": cmdFreePort,
			"setmatch": cmdSetMatch,
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

// cmdHTTP is `http [-want TEXT] [-host HOST] METHOD URL [BODY]`: it sends one request, retrying for up to 2
// minutes while the connection fails (a server started in the background may still be building) or, with
// -want, until the body contains TEXT (a rebuild may still be running), and prints the status line then the
// body. -host sets the Host header (e.g. {id}.execute-api.localhost:PORT, which Go's resolver cannot dial).
// With `!` it expects a status of 400 or more.
func cmdHTTP(ts *testscript.TestScript, neg bool, args []string) {
	want, host := "", ""
	for len(args) > 2 && (args[0] == "-want" || args[0] == "-host") {
		if args[0] == "-want" {
			want = args[1]
		} else {
			host = args[1]
		}
		args = args[2:]
	}
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: http [-want TEXT] [-host HOST] METHOD URL [BODY]")
	}
	var resp *http.Response
	var data []byte
	for end := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		var body io.Reader
		if len(args) == 3 {
			body = strings.NewReader(args[2])
		}
		req, err := http.NewRequest(args[0], args[1], body)
		ts.Check(err)
		if host != "" {
			req.Host = host
		}
		if resp, err = http.DefaultClient.Do(req); err == nil {
			data, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && strings.Contains(string(data), want) {
				break
			}
		}
		if time.Now().After(end) {
			ts.Fatalf("%s %s: %v; last body %q, want %q in it", args[0], args[1], err, data, want)
		}
	}
	fmt.Fprintf(ts.Stdout(), "%d\n%s\n", resp.StatusCode, data)
	if failed := resp.StatusCode >= 400; failed != neg {
		ts.Fatalf("%s %s: unexpected status %d", args[0], args[1], resp.StatusCode)
	}
}

// cmdFreePort is `freeport NAME`: it sets $NAME to a TCP port free on 127.0.0.1.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport NAME")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Setenv(args[0], strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	ln.Close()
}

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
