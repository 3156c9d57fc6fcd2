package runtimeapi

import (
	"bytes"
	"context"
	"errors"
	"github.com/coworks-go/coworks/internal/functiontest"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binDir holds the test functions, built once by TestMain from testdata/fn/* with the real aws-lambda-go.
var binDir string

var testFunctions = []string{"echo", "sleep", "crash", "fail", "slowinit", "logs", "env", "idle", "spawn", "postwork"}

func TestMain(m *testing.M) {
	pkgs := make([]string, len(testFunctions))
	for i, fn := range testFunctions {
		pkgs[i] = "./testdata/fn/" + fn
	}
	functiontest.Main(m, pkgs, func(dir string) { binDir = dir })
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
