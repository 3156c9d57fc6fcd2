package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInterruptedDeploy runs `cws deploy` in-process with a context already cancelled, as Ctrl-C leaves
// it: the error says the command was interrupted, the Try line runs it again (not the build's own
// "go build ./..."), the exit code is the shells' 130, and no deployment record was written.
func TestInterruptedDeploy(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		".chalice/config.json": `{"version": "2.0", "app_name": "svc", "stages": {"dev": {}}}`,
		"go.mod":               "module svc\n\ngo 1.26\n",
		"main.go":              "package main\n\nfunc main() {}\n",
	}
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	env := &Env{Streams: Streams{In: strings.NewReader(""), Out: &stdout, Err: &stderr},
		Getenv: func(string) string { return "" }, Now: time.Now, Getwd: func() (string, error) { return dir, nil }}
	code := Run(ctx, env, []string{"deploy", "--stage", "dev"})
	if code != 130 {
		t.Errorf("exit code %d, want 130; stderr:\n%s", code, &stderr)
	}
	if !strings.Contains(stderr.String(), "\nError: interrupted: ") && !strings.HasPrefix(stderr.String(), "Error: interrupted: ") {
		t.Errorf("stderr has no 'Error: interrupted:' line:\n%s", &stderr)
	}
	if !strings.Contains(stderr.String(), "\nTry: run it again: cws deploy --stage dev\n") {
		t.Errorf("stderr has no 'Try: run it again: cws deploy --stage dev' line:\n%s", &stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, ".chalice", "deployed", "dev.json")); err == nil {
		t.Errorf("an interrupted deploy wrote .chalice/deployed/dev.json")
	}
}
