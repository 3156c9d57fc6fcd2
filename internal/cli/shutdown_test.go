package cli

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// spawnService is a CoWorks service whose GET /spawn starts a child process (a `sleep`) and answers the
// pids of the function process and of the child.
const spawnService = `package main

import (
	"os"
	"os/exec"
	"strconv"

	"github.com/coworks-go/coworks"
)

type Svc struct{}

func (s *Svc) GetSpawn() (string, error) {
	child := exec.Command("sleep", "3600")
	if err := child.Start(); err != nil {
		return "", err
	}
	return strconv.Itoa(os.Getpid()) + " " + strconv.Itoa(child.Process.Pid), nil
}

func main() { coworks.Start(coworks.New("svc", &Svc{})) }
`

// TestShutdownLeavesNoProcess: cws run, cws up and cws gateway stopped by Ctrl-C, a kill or a closed
// terminal (SIGINT, SIGTERM, SIGHUP), and `go run ./cmd/cws` interrupted by Ctrl-C on its terminal's
// process group, leave neither a function process nor anything a function started.
func TestShutdownLeavesNoProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a project and cws itself")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	env := scriptLikeEnv(t, root)
	work := t.TempDir()
	run(t, work, env, "cws", "new", "svc", "--replace", root)
	dir := filepath.Join(work, "svc")
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(spawnService), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, dir, env, "go", "mod", "tidy", "-e")

	for _, c := range []struct {
		name   string
		argv   []string
		path   string // the URL path of GET /spawn
		signal syscall.Signal
		group  bool // signal the whole process group, as a terminal does
	}{
		{"cws run, Ctrl-C", []string{"cws", "run", "--no-reload", "--port", "0"}, "/spawn", syscall.SIGINT, false},
		{"cws up, terminal closed", []string{"cws", "up", "--port", "0"}, "/dev/spawn", syscall.SIGHUP, false},
		{"cws gateway, killed", []string{"cws", "gateway", "--port", "0"}, "/dev/spawn", syscall.SIGTERM, false},
		{"go run ./cmd/cws run, Ctrl-C", []string{"go", "run", "./cmd/cws", "--project-dir", dir, "run", "--no-reload", "--port", "0"}, "/spawn", syscall.SIGINT, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(c.argv[0], c.argv[1:]...)
			cmd.Dir = dir
			if c.argv[0] == "go" {
				cmd.Dir = root
			}
			cmd.Env = env
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a process group of its own, like a terminal job
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			base := make(chan string, 1)
			go func() {
				serving := regexp.MustCompile(`^Serving .* on (http://127\.0\.0\.1:\d+)/`)
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					if m := serving.FindStringSubmatch(sc.Text()); m != nil {
						base <- m[1]
					}
				}
				io.Copy(io.Discard, stdout)
				exited <- cmd.Wait()
			}()
			var url string
			select {
			case url = <-base:
			case err := <-exited:
				t.Fatalf("%s exited before serving: %v\n%s", c.argv, err, &stderr)
			case <-time.After(5 * time.Minute): // a cold build under load; only keeps a broken command from hanging
				cmd.Process.Kill()
				t.Fatalf("%s is not serving after 5 minutes:\n%s", c.argv, &stderr)
			}
			var pids []int
			for range 3 {
				pids = append(pids, spawn(t, url+c.path)...)
			}
			target := cmd.Process.Pid
			if c.group {
				target = -target
			}
			syscall.Kill(target, c.signal)
			select {
			case <-exited:
			case <-time.After(time.Minute):
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				t.Fatalf("%s did not stop on %v:\n%s", c.argv, c.signal, &stderr)
			}
			for _, pid := range pids {
				if running(pid) {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Errorf("pid %d (a function or its child) still runs after %s stopped on %v", pid, c.argv[0], c.signal)
				}
			}
		})
	}
}

// spawn calls GET /spawn and returns the pids it answers: the function process and its child.
func spawn(t *testing.T, url string) []int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var pids []int
	for _, f := range strings.Fields(string(body)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	if resp.StatusCode != 200 || len(pids) != 2 {
		t.Fatalf("GET %s: %d %q, want two pids", url, resp.StatusCode, body)
	}
	return pids
}

// running reports whether pid is a live process: gone and zombie (dead, not reaped yet) processes are not.
func running(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(data), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

// scriptLikeEnv is the environment the testscript scripts give cws and go: offline builds from the module
// cache, no colour, no stage from the environment.
func scriptLikeEnv(t *testing.T, root string) []string {
	t.Helper()
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "GOPROXY=off", "GOSUMDB=off", "GOFLAGS=-mod=mod",
		"GOTOOLCHAIN=local", "NO_COLOR=1", "CWS_STAGE=", "TMPDIR=" + os.TempDir()}
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		env = append(env, k+"="+strings.Split(strings.TrimSpace(string(out)), "\n")[i])
	}
	return env
}

// run runs a command in dir with env and fails the test when it fails.
func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}
