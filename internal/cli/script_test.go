package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as cws inside scripts: `exec cws ...` (or just `cws ...`) runs
// cli.Main in a real separate process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"cws": func() { os.Exit(Main(context.Background(), os.Args[1:], SystemStreams())) },
	})
}

// TestScripts runs every testdata/script/*.txtar. Scripts get HOME, the real Go caches and
// GOPROXY=off (so `go build` works offline), NO_COLOR, and FRAMEWORK_DIR, the repository root, for
// `cws new --replace`. Condition [framework] holds when the framework at FRAMEWORK_DIR has coworks.New.
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
			e.Setenv("GOPROXY", "off")
			e.Setenv("GOFLAGS", "-mod=mod")
			e.Setenv("GOTOOLCHAIN", "local")
			e.Setenv("NO_COLOR", "1")
			e.Setenv("CWS_STAGE", "")
			e.Setenv("FRAMEWORK_DIR", root)
			e.Setenv("BIGVALUE", strings.Repeat("v", 4096)) // with its name, 3 bytes over Lambda's 4 KB
			return nil
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
