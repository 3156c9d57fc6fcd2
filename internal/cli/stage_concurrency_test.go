package cli

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/coworks-go/coworks/internal/config"
)

// TestStageAddConcurrentProcesses runs 16 `cws stage add` processes at once on one project: every stage
// must land (the config lock serialises the read-modify-write cycles).
func TestStageAddConcurrentProcesses(t *testing.T) {
	t.Parallel()
	bin := cwsBinary(t)
	dir := t.TempDir()
	if err := config.Create(dir, "race", false); err != nil {
		t.Fatal(err)
	}
	const n = 16
	cmds := make([]*exec.Cmd, n)
	outs := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		cmds[i] = exec.Command(bin, "--project-dir", dir, "stage", "add", fmt.Sprintf("s%02d", i), "--env", fmt.Sprintf("N=%d", i))
		cmds[i].Env = append(os.Environ(), "NO_COLOR=1")
	}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := cmds[i].CombinedOutput()
			if err != nil {
				t.Errorf("process %d: %v\n%s", i, err, out)
			}
			outs[i] = out
		}()
	}
	wg.Wait()
	p, err := config.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(p.StageNames()); got != n+1 {
		t.Fatalf("%d stages in config.json, want %d (dev + %d added): %v", got, n+1, n, p.StageNames())
	}
	for i := range n {
		s, err := p.Resolve(fmt.Sprintf("s%02d", i), "", config.Overrides{})
		if err != nil || s.EnvironmentVariables["N"] != fmt.Sprint(i) {
			t.Errorf("stage s%02d: %v %v", i, err, s)
		}
	}
}
