package localcloud

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/target"
	"github.com/coworks-go/coworks/internal/target/targettest"
)

// childEnv makes the test binary act as one `cws deploy` process (see TestMain).
const childEnv = "LOCALCLOUD_TEST_DEPLOY"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(deployChild(spec))
	}
	os.Exit(m.Run())
}

// deployChild does what `cws deploy` does for the local target: take the stage lock (saying it waits),
// then deploy. spec is a JSON {"dir", "stage", "artifact"}.
func deployChild(spec string) int {
	var in struct {
		Dir, Stage string
		Artifact   target.Artifact
	}
	if err := json.Unmarshal([]byte(spec), &in); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	unlock, err := deployed.Lock(ctx, in.Dir, in.Stage, func(holder string) {
		fmt.Fprintf(os.Stderr, "waiting for %s\n", holder)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer unlock()
	if _, err := New(in.Dir, Options{}).Deploy(ctx, targettest.Request(in.Stage, in.Stage, in.Artifact)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintln(os.Stderr, "deployed")
	return 0
}

func TestTwoProcessesDeployingOneStageSerialize(t *testing.T) {
	c, dir := newCloud(t)
	prod := targettest.FakeArtifact(t, 9)
	if _, err := c.Deploy(ctx, targettest.Request("prod", "prod", prod)); err != nil {
		t.Fatal(err)
	}
	// Hold dev's lock so both children must wait; release once both said so.
	unlock, err := deployed.Lock(ctx, dir, "dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	arts := []target.Artifact{targettest.FakeArtifact(t, 1), targettest.FakeArtifact(t, 2)}
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	waiting := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for _, a := range arts {
		spec, _ := json.Marshal(map[string]any{"Dir": dir, "Stage": "dev", "Artifact": a})
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		out := &strings.Builder{}
		cmds, outs = append(cmds, cmd), append(outs, out)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				out.WriteString(sc.Text() + "\n")
				if strings.HasPrefix(sc.Text(), "waiting for pid ") {
					waiting <- struct{}{}
				}
			}
			io.Copy(io.Discard, stderr)
		}()
	}
	for range cmds {
		select {
		case <-waiting:
		case <-time.After(30 * time.Second):
			t.Fatal("a child never reported waiting for the stage lock")
		}
	}
	unlock()
	wg.Wait()
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("child %d: %v\n%s", i, err, outs[i])
		}
		if !strings.Contains(outs[i].String(), "deployed") {
			t.Errorf("child %d did not deploy:\n%s", i, outs[i])
		}
	}
	checkConsistent(t, dir, map[string][]string{"dev": {arts[0].BinarySHA256, arts[1].BinarySHA256}, "prod": {prod.BinarySHA256}})
}

func TestConcurrentGoroutineDeploys(t *testing.T) {
	c, dir := newCloud(t)
	arts := []target.Artifact{targettest.FakeArtifact(t, 1), targettest.FakeArtifact(t, 2), targettest.FakeArtifact(t, 3)}
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stage := []string{"dev", "prod"}[i%2]
			_, err := c.Deploy(ctx, targettest.Request(stage, stage, arts[i%3]))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	all := []string{arts[0].BinarySHA256, arts[1].BinarySHA256, arts[2].BinarySHA256}
	checkConsistent(t, dir, map[string][]string{"dev": all, "prod": all})
}

// checkConsistent asserts that the state and every record parse, that each stage runs one of the allowed
// artifacts, that its record names the API and URL the state has, and that the artifact store holds
// exactly the artifacts in use.
func checkConsistent(t *testing.T, dir string, allowed map[string][]string) {
	t.Helper()
	st, err := Load(dir)
	if err != nil {
		t.Fatalf("state after concurrent deploys: %v", err)
	}
	used := map[string]bool{}
	for stage, hashes := range allowed {
		api, s := st.FindStage(stage)
		if s == nil {
			t.Errorf("stage %s missing from the state", stage)
			continue
		}
		ok := false
		for _, h := range hashes {
			ok = ok || h == s.ArtifactSHA256
		}
		if !ok {
			t.Errorf("stage %s runs unknown artifact %s", stage, s.ArtifactSHA256)
		}
		if !artifactPresent(Dir(dir), s.Artifact) {
			t.Errorf("stage %s: artifact %s missing from the store", stage, s.Artifact)
		}
		used[filepath.Base(s.Artifact)] = true
		rec, err := deployed.Load(dir, stage, "demo")
		if err != nil {
			t.Fatalf("record of %s: %v", stage, err)
		}
		if id, url, _ := rec.RestAPI(); id != api.ID || url != s.URL {
			t.Errorf("record of %s says %s %s; state says %s %s", stage, id, url, api.ID, s.URL)
		}
	}
	// What the stages' histories keep for rollbacks stays too; nothing else.
	for name := range keptArtifacts(dir, st) {
		used[name] = true
	}
	entries, _ := os.ReadDir(filepath.Join(Dir(dir), "artifacts"))
	if len(entries) != len(used) {
		t.Errorf("artifact store holds %d entries, %d in use or kept", len(entries), len(used))
	}
	// No history entry was lost or doubled: numbers run 1, 2, 3... and the newest names what runs.
	for stage := range allowed {
		h, err := loadHistory(dir, stage)
		if err != nil {
			t.Fatalf("history of %s: %v", stage, err)
		}
		for i, e := range h.Entries {
			if e.N != i+1 || !e.OK() {
				t.Errorf("history of %s: entry %d is %+v", stage, i+1, e)
			}
		}
		if _, s := st.FindStage(stage); s != nil && len(h.Entries) > 0 && h.Entries[len(h.Entries)-1].ArtifactSHA256 != s.ArtifactSHA256 {
			t.Errorf("history of %s ends with %s; the stage runs %s", stage, h.Entries[len(h.Entries)-1].ArtifactSHA256, s.ArtifactSHA256)
		}
	}
}

func BenchmarkDeployUnchanged(b *testing.B) {
	dir := b.TempDir()
	c := New(dir, Options{})
	req := targettest.Request("dev", "dev", targettest.FakeArtifact(b, 1))
	if _, err := c.Deploy(ctx, req); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		res, err := c.Deploy(ctx, req)
		if err != nil || !res.Unchanged {
			b.Fatalf("%+v %v", res, err)
		}
	}
}

func BenchmarkDeployChanged(b *testing.B) {
	dir := b.TempDir()
	c := New(dir, Options{})
	arts := []target.Artifact{targettest.FakeArtifact(b, 1), targettest.FakeArtifact(b, 2)}
	i := 0
	for b.Loop() {
		i++
		if _, err := c.Deploy(ctx, targettest.Request("dev", "dev", arts[i%2])); err != nil {
			b.Fatal(err)
		}
	}
}
