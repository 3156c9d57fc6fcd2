package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadOnlyChaliceDir runs `cws stage add` on a project whose .chalice/ cannot be written (chmod 555,
// or chattr +i when the test runs as root, which permissions do not stop): the error comes with a Try
// line naming the directory to make writable, the exit code is 1, and config.json is left as it was.
func TestReadOnlyChaliceDir(t *testing.T) {
	dir := t.TempDir()
	chalice := filepath.Join(dir, ".chalice")
	if err := os.Mkdir(chalice, 0o755); err != nil {
		t.Fatal(err)
	}
	config := []byte(`{"version": "2.0", "app_name": "svc", "stages": {"dev": {}}}`)
	if err := os.WriteFile(filepath.Join(chalice, "config.json"), config, 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chattr", "+i", chalice).CombinedOutput(); err != nil {
			t.Skipf("running as root and chattr +i failed (%v: %s): no way to make .chalice read-only", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("chattr", "-i", chalice).Run() })
	} else {
		if err := os.Chmod(chalice, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(chalice, 0o755) })
	}
	var stdout, stderr bytes.Buffer
	env := &Env{Streams: Streams{In: strings.NewReader(""), Out: &stdout, Err: &stderr},
		Getenv: func(string) string { return "" }, Now: time.Now, Getwd: func() (string, error) { return dir, nil }}
	if code := Run(context.Background(), env, []string{"stage", "add", "prod"}); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "Error: ") {
		t.Fatalf("stderr is not an Error: line and a Try: line:\n%s", &stderr)
	}
	if want := "Try: chmod u+w " + chalice + " (or run cws as its owner), then run the command again"; lines[1] != want {
		t.Errorf("Try line\n%s\nwant\n%s", lines[1], want)
	}
	if got, err := os.ReadFile(filepath.Join(chalice, "config.json")); err != nil || !bytes.Equal(got, config) {
		t.Errorf("config.json changed (%v):\n%s", err, got)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout: %q, want nothing", &stdout)
	}
}
