package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/localcloud"
)

// TestDeployConcurrentProcesses runs two real `cws deploy --stage dev` processes on one project with a
// real build: the second waits for the first (and says so), both succeed, and the record, its metadata
// and the local cloud's state all parse and agree afterwards.
func TestDeployConcurrentProcesses(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if !frameworkHasNew(root) {
		t.Skip("the framework has no coworks.New yet: nothing to build")
	}
	t.Parallel()
	warmBuilds(t)
	work := t.TempDir()
	bin := cwsBinary(t)
	env := append(offlineGoEnv(), "NO_COLOR=1", "CWS_STAGE=")
	run := func(dir string, name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	run(work, bin, "new", "svc", "--replace", root)
	dir := filepath.Join(work, "svc")
	run(dir, "go", "mod", "tidy", "-e") // -e: see TestScripts

	start := func() (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, "deploy", "--stage", "dev")
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &stdout, &stderr
	}
	first, out1, err1 := start()
	// Start the second once the first holds the stage lock: the first is then building (seconds).
	note := fmt.Sprintf("pid %d since ", first.Process.Pid)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, _ := os.ReadFile(deployed.LockPath(dir, "dev")); strings.HasPrefix(string(b), note) {
			break
		}
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatalf("the first deploy never took the lock; stderr:\n%s", err1)
		}
		time.Sleep(5 * time.Millisecond)
	}
	second, out2, err2 := start()
	if err := first.Wait(); err != nil {
		t.Errorf("first deploy: %v\nstdout:\n%s\nstderr:\n%s", err, out1, err1)
	}
	if err := second.Wait(); err != nil {
		t.Errorf("second deploy: %v\nstdout:\n%s\nstderr:\n%s", err, out2, err2)
	}
	waiting := fmt.Sprintf("waiting for another cws (pid %d) deploying stage dev...\n", first.Process.Pid)
	if !strings.Contains(err2.String(), waiting) {
		t.Errorf("second deploy's stderr lacks %q:\n%s", waiting, err2)
	}
	if !strings.Contains(err1.String(), "Creating lambda function: svc-dev\n") || !strings.Contains(out1.String(), "Resources deployed:\n") {
		t.Errorf("first deploy did not create the stage:\nstdout:\n%s\nstderr:\n%s", out1, err1)
	}
	if !strings.Contains(out2.String(), "Stage dev is up to date (nothing changed).\n") {
		t.Errorf("second deploy did not find the stage up to date:\nstdout:\n%s\nstderr:\n%s", out2, err2)
	}

	rec, err := deployed.Load(dir, "dev", "svc")
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	id, url, ok := rec.RestAPI()
	if !ok || url != "http://127.0.0.1:8000/dev/" {
		t.Errorf("record's REST API: %q %q %v", id, url, ok)
	}
	meta, err := deployed.LoadMeta(dir, "dev")
	if err != nil || meta == nil || meta.RestAPIID != id || meta.Target != "local" {
		t.Errorf("metadata: %+v, %v (record's id %s)", meta, err, id)
	}
	st, err := localcloud.Load(dir)
	if err != nil {
		t.Fatalf("local cloud state: %v", err)
	}
	if len(st.RestAPIs) != 1 || st.RestAPIs[0].ID != id || len(st.RestAPIs[0].Stages) != 1 {
		t.Errorf("local cloud state has %d REST APIs, want exactly %s with stage dev: %+v", len(st.RestAPIs), id, st.RestAPIs)
	}
}

// frameworkHasNew reports whether the framework checkout at root has coworks.New, so projects build.
func frameworkHasNew(root string) bool {
	matches, _ := filepath.Glob(filepath.Join(root, "*.go"))
	for _, m := range matches {
		if data, err := os.ReadFile(m); err == nil && bytes.Contains(data, []byte("\nfunc New(")) {
			return true
		}
	}
	return false
}
