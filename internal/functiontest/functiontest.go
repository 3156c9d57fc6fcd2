// Package functiontest runs the tests of packages that start real Lambda functions: it builds the test
// functions once per test binary and fails the run when any of their processes outlives the tests. Its
// WarmGoCache keeps test binaries that build side by side from compiling the same packages at once.
// Only tests import it.
package functiontest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/coworks-go/coworks/internal/safefile"
)

// Buffer collects output written from several goroutines (a pool's LogWriter, servers' logs) and reads it
// while they write.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Main builds pkgs (package paths relative to the test's directory, as go build takes them) into a
// temporary directory, calls setDir with it, runs the tests and exits. The run fails when a process whose
// executable is in that directory is still alive after the tests: a function left running is a leak.
//
// The functions are built as cws builds the host binary the local cloud runs (static, -trimpath, no VCS
// stamp, without aws-lambda-go's RPC mode), so the tests run what the local cloud would, and the packages
// they compile are the ones the other tests' builds find in the Go build cache.
func Main(m *testing.M, pkgs []string, setDir func(string)) {
	dir, err := os.MkdirTemp("", "functions-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	args := []string{"build", "-trimpath", "-buildvcs=false", "-tags=lambda.norpc", "-o", dir + string(filepath.Separator)}
	cmd := exec.Command("go", append(args, pkgs...)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stderr = os.Stderr
	if err := WarmGoCache(cmd.Run); err != nil {
		fmt.Fprintln(os.Stderr, "building test functions:", err)
		os.Exit(1)
	}
	setDir(dir)
	code := m.Run()
	if leftovers := ProcessesUnder(dir); len(leftovers) > 0 && code == 0 {
		fmt.Fprintln(os.Stderr, "FAIL: function processes left running after the tests:", leftovers)
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// ProcessesUnder lists the live processes whose executable is in dir, as "pid:path" (zombies have no
// executable link and are not listed).
func ProcessesUnder(dir string) []string {
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

// WarmGoCache runs build, a go build that fills the Go build cache, holding a lock that every test binary
// of the repository using the same cache takes for its first build. The go command does not share work
// between processes: test binaries that start side by side on a cold cache would each compile the standard
// library, aws-lambda-go and the framework at the same time. Under the lock the first compiles them and
// the next find them in the cache.
func WarmGoCache(build func() error) error {
	cache := os.Getenv("GOCACHE")
	if cache == "" {
		if out, err := exec.Command("go", "env", "GOCACHE").Output(); err == nil {
			cache = strings.TrimSpace(string(out))
		}
	}
	sum := sha256.Sum256([]byte(cache))
	unlock, err := safefile.Lock(context.Background(), filepath.Join(os.TempDir(), "coworks-gocache-"+hex.EncodeToString(sum[:8])+".lock"))
	if err != nil {
		return build() // no lock, no sharing: still correct
	}
	defer unlock()
	return build()
}
