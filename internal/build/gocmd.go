package build

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
)

// ErrNoModule is returned (wrapped) by Build when the project directory is in no Go module.
var ErrNoModule = errors.New("no go.mod")

// target is one thing go build produces: a platform and the flags that shape the binary.
type target struct {
	goos, goarch string
	flags        []string
}

// lambdaTargetFor maps a Lambda architecture to its static, stripped, reproducible linux build.
// -trimpath and an empty -buildid make the bytes independent of the checkout's location and of the build
// cache; -buildvcs=false keeps git state (commit, dirty flag) out of them; lambda.norpc drops aws-lambda-go's
// legacy RPC mode, which provided.al2023 never uses.
func lambdaTargetFor(arch string) (target, error) {
	flags := []string{"-trimpath", "-buildvcs=false", "-tags=lambda.norpc", "-ldflags=-s -w -buildid="}
	switch arch {
	case Arm64:
		return target{goos: "linux", goarch: "arm64", flags: flags}, nil
	case X86_64:
		return target{goos: "linux", goarch: "amd64", flags: flags}, nil
	}
	return target{}, fmt.Errorf("build: unknown Lambda architecture %q: use %q or %q (lambda_architecture in .chalice/config.json)", arch, Arm64, X86_64)
}

// hostTarget is the binary the local runtime starts on this machine. It keeps its symbols (better stack
// traces, and stripping buys nothing locally).
func hostTarget() target {
	return target{goos: runtime.GOOS, goarch: runtime.GOARCH, flags: []string{"-trimpath", "-buildvcs=false", "-tags=lambda.norpc"}}
}

// CommandError is a go command that failed; Output holds what it printed (the compiler's errors), trimmed.
type CommandError struct {
	// Args is the command line, "go" first.
	Args []string
	// Env holds the variables set for the command on top of the inherited environment ("GOOS=linux").
	Env []string
	// Dir is where it ran (the module root).
	Dir string
	// Output is its combined stdout and stderr, without surrounding blank space.
	Output string
	// Err is the process error (usually an *exec.ExitError).
	Err error
}

// Error names the command and includes its output, so a user sees the compiler's lines.
func (e *CommandError) Error() string {
	words := slices.Clone(e.Env)
	for _, a := range e.Args {
		if strings.ContainsAny(a, " \t'\"") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		words = append(words, a)
	}
	msg := fmt.Sprintf("`%s` failed in %s: %v", strings.Join(words, " "), e.Dir, e.Err)
	if e.Output != "" {
		msg += "\n" + e.Output
	}
	return msg
}

// Unwrap returns the process error.
func (e *CommandError) Unwrap() error { return e.Err }

// goCommand runs the go tool in a module root with a given environment.
type goCommand struct {
	path string   // as configured ("go") until resolve makes it absolute
	env  []string // base environment
	dir  string   // module root
}

// resolve finds the go binary on env's PATH (not the process's), so the fingerprint and the runs agree.
func (g *goCommand) resolve() (string, error) {
	if strings.ContainsRune(g.path, filepath.Separator) {
		return filepath.Abs(g.path)
	}
	for _, d := range filepath.SplitList(envValue(g.env, "PATH")) {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, g.path)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return filepath.Abs(p)
		}
	}
	return "", fmt.Errorf("build: the go command %q is not on PATH: install Go (https://go.dev/dl) or set PATH", g.path)
}

// run runs go with args for t's platform (nil t: the environment as given) and returns its stdout.
func (g *goCommand) run(ctx context.Context, t *target, args ...string) ([]byte, error) {
	bin, err := g.resolve()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = g.dir
	cmd.Env = g.env
	var set []string
	if t != nil {
		set = []string{"GOOS=" + t.goos, "GOARCH=" + t.goarch, "CGO_ENABLED=0"}
		cmd.Env = withEnv(g.env, set...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("build: go %s: %w", args[0], ctx.Err())
		}
		out := strings.TrimSpace(stderr.String() + "\n" + stdout.String())
		return nil, &CommandError{Args: append([]string{"go"}, args...), Env: set, Dir: g.dir, Output: out, Err: err}
	}
	return stdout.Bytes(), nil
}

// build compiles pkg for t into out.
func (g *goCommand) build(ctx context.Context, t target, pkg, out string) error {
	args := append([]string{"build"}, t.flags...)
	args = append(args, "-o", out, pkg)
	_, err := g.run(ctx, &t, args...)
	return err
}

// goEnv is what Build needs from `go env`.
type goEnv struct {
	GOVERSION  string
	GOMODCACHE string
}

func (g *goCommand) goEnv(ctx context.Context) (goEnv, error) {
	out, err := g.run(ctx, nil, "env", "-json", "GOVERSION", "GOMODCACHE")
	if err != nil {
		return goEnv{}, err
	}
	var e goEnv
	if err := json.Unmarshal(out, &e); err != nil {
		return goEnv{}, fmt.Errorf("build: reading `go env -json`: %w", err)
	}
	return e, nil
}

// listedPackage is the part of `go list -json` the cache key needs.
type listedPackage struct {
	ImportPath     string
	Name           string
	Dir            string
	Standard       bool
	GoFiles        []string
	CgoFiles       []string
	IgnoredGoFiles []string
	SFiles         []string
	HFiles         []string
	SysoFiles      []string
	EmbedFiles     []string
	Module         *struct {
		Path  string
		Dir   string
		GoMod string
	}
}

// listDeps lists pkg and its dependencies as t's build sees them. -e keeps going on broken packages: the
// build that follows reports their errors with the compiler's words.
func (g *goCommand) listDeps(ctx context.Context, t target, pkg string) ([]listedPackage, error) {
	args := []string{"list", "-e", "-deps", "-json=ImportPath,Name,Dir,Standard,GoFiles,CgoFiles,IgnoredGoFiles,SFiles,HFiles,SysoFiles,EmbedFiles,Module"}
	args = append(args, tagsFlag(t)...)
	out, err := g.run(ctx, &t, append(args, pkg)...)
	if err != nil {
		return nil, err
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, fmt.Errorf("build: reading `go list` output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
}

// tagsFlag returns the -tags flag of t, so go list selects the files go build compiles.
func tagsFlag(t target) []string {
	for _, f := range t.flags {
		if strings.HasPrefix(f, "-tags=") {
			return []string{f}
		}
	}
	return nil
}

// project locates the main package inside its module.
type project struct {
	dir        string // the main package's directory
	moduleRoot string // the directory holding go.mod
	pkg        string // the package path relative to moduleRoot, "." or "./examples/hello"
	modulePath string // the module's path from go.mod, "" when unreadable
}

func findProject(dir string) (project, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return project{}, fmt.Errorf("build: project directory: %w", err)
	}
	if !fi.IsDir() {
		return project{}, fmt.Errorf("build: project directory %s is not a directory", dir)
	}
	for root := dir; ; {
		if gomod, err := os.ReadFile(filepath.Join(root, "go.mod")); err == nil {
			rel, err := filepath.Rel(root, dir)
			if err != nil {
				return project{}, fmt.Errorf("build: %w", err)
			}
			pkg := "./" + filepath.ToSlash(rel)
			if rel == "." {
				pkg = "."
			}
			return project{dir: dir, moduleRoot: root, pkg: pkg, modulePath: modfile.ModulePath(gomod)}, nil
		}
		parent := filepath.Dir(root)
		if parent == root {
			return project{}, fmt.Errorf("build: %w in %s or any parent directory: run `go mod init` in the project directory", ErrNoModule, dir)
		}
		root = parent
	}
}

// envValue returns the last value of key in env, as exec does.
func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// withEnv returns env with the given KEY=VALUE pairs replacing any earlier values.
func withEnv(env []string, set ...string) []string {
	out := make([]string, 0, len(env)+len(set))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !slicesContainsKey(set, k) {
			out = append(out, kv)
		}
	}
	return append(out, set...)
}

func slicesContainsKey(set []string, key string) bool {
	for _, kv := range set {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return true
		}
	}
	return false
}
