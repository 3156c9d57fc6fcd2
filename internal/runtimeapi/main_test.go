package runtimeapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binDir holds the test functions, built once by TestMain from testdata/fn/* with the real aws-lambda-go.
var binDir string

var testFunctions = []string{"echo", "sleep", "crash", "fail", "slowinit", "logs", "env", "idle"}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runtimeapi-fn-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, fn := range testFunctions {
		args = append(args, "./testdata/fn/"+fn)
	}
	cmd := exec.Command("go", args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building test functions:", err)
		os.Exit(1)
	}
	code := m.Run()
	if leftovers := processesUnder(dir); len(leftovers) > 0 && code == 0 {
		fmt.Fprintln(os.Stderr, "FAIL: function processes left running after the tests:", leftovers)
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// processesUnder lists live processes whose executable is in dir (zombies excluded: they have no exe link).
func processesUnder(dir string) []string {
	entries, _ := os.ReadDir("/proc")
	var found []string
	for _, e := range entries {
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && strings.HasPrefix(exe, dir) {
			found = append(found, e.Name()+":"+exe)
		}
	}
	return found
}

// logBuffer is a LogWriter tests can read while the pool writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the log holds want (output arrives asynchronously through pipes).
func (b *logBuffer) waitFor(t *testing.T, want string) {
	t.Helper()
	eventually(t, "log line "+want, func() bool { return strings.Contains(b.String(), want) })
}

// eventually polls cond for up to 10 s; the bound only keeps a broken test from hanging.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("gave up waiting for %s", what)
}

// newTestPool returns a pool running the named test function with stage "dev", closed at cleanup.
func newTestPool(t *testing.T, fn string, edit func(*FunctionConfig)) (*Pool, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	cfg := FunctionConfig{
		Name:       "app-dev",
		Stage:      "dev",
		Executable: filepath.Join(binDir, fn),
		Timeout:    5 * time.Second,
		LogWriter:  logs,
	}
	if edit != nil {
		edit(&cfg)
	}
	p, err := NewPool(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("function log:\n%s", logs.String())
		}
	})
	return p, logs
}

// processGone reports that pid no longer runs.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// asFunctionError fails the test unless err is a *FunctionError of the kind and type.
func asFunctionError(t *testing.T, err error, kind FailureKind, errType string) *FunctionError {
	t.Helper()
	var fe *FunctionError
	if !errors.As(err, &fe) {
		t.Fatalf("error = %v (%T), want a *FunctionError of kind %v", err, err, kind)
	}
	if fe.Kind != kind || fe.Type != errType {
		t.Fatalf("FunctionError kind %v type %q, want %v %q (message %q)", fe.Kind, fe.Type, kind, errType, fe.Message)
	}
	return fe
}
