package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coworks-go/coworks/internal/build"
	"github.com/coworks-go/coworks/internal/functiontest"
)

// The tests of this package build many services, each with the real go build. They share what can be
// shared: cws is this test binary itself (testscript's Main puts it on PATH as `cws`), and the Go build
// cache is filled once, before the tests that build run side by side.

// offlineGoEnv is the environment the tests' go commands run with: the module cache alone (.ci/run fills
// it with go mod download, verified against the checksum database), no toolchain switch.
func offlineGoEnv() []string {
	return append(os.Environ(), "GOPROXY=off", "GOSUMDB=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
}

// cwsBinary returns the cws that scripts run: this test binary, which acts as cws when started under that
// name.
func cwsBinary(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("cws")
	if err != nil || !strings.Contains(bin, "testscript-main") {
		t.Fatalf("cws on PATH is %q (%v), want the test binary that testscript's Main installs", bin, err)
	}
	return bin
}

var warm struct {
	once sync.Once
	err  error
}

// warmBuilds builds, once per test binary, a service made by `cws new` as cws builds it for Lambda
// (linux/arm64) and for this machine. The Go build cache then holds what every service of the tests
// shares: the framework, aws-lambda-go and the standard library, for both platforms. Each test or script
// that builds after it compiles its own main package and links; without it, on a cold cache, the builds
// running side by side would each compile all of that at the same time. Other test binaries wait for it
// (functiontest.WarmGoCache) rather than compiling the same packages alongside.
func warmBuilds(t *testing.T) {
	t.Helper()
	warm.once.Do(func() { warm.err = functiontest.WarmGoCache(buildTemplateService) })
	if warm.err != nil {
		t.Fatalf("warming the Go build cache: %v", warm.err)
	}
}

func buildTemplateService() error {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return err
	}
	if !frameworkHasNew(root) {
		return nil // nothing builds yet
	}
	dir, err := os.MkdirTemp("", "cws-warm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var out bytes.Buffer
	env := &Env{Streams: Streams{In: strings.NewReader(""), Out: &out, Err: &out}, Getenv: func(string) string { return "" },
		Now: time.Now, Getwd: func() (string, error) { return dir, nil }}
	if code := Run(context.Background(), env, []string{"new", "svc", "--replace", root}); code != 0 {
		return fmt.Errorf("cws new: exit %d\n%s", code, &out)
	}
	svc := filepath.Join(dir, "svc")
	tidy := exec.Command("go", "mod", "tidy", "-e") // -e: see TestScripts
	tidy.Dir, tidy.Env = svc, offlineGoEnv()
	if msg, err := tidy.CombinedOutput(); err != nil {
		return fmt.Errorf("go mod tidy: %v\n%s", err, msg)
	}
	_, err = build.Build(context.Background(), build.Request{Dir: svc, Env: offlineGoEnv()})
	return err
}
