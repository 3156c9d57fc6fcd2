// Package functiontest runs the tests of packages that start real Lambda functions: it builds the test
// functions once per test binary and fails the run when any of their processes outlives the tests.
// Only tests import it.
package functiontest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
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
func Main(m *testing.M, pkgs []string, setDir func(string)) {
	dir, err := os.MkdirTemp("", "functions-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmd := exec.Command("go", append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
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
