// Package terraform runs the terraform binary on a generated root through terraform-exec: init, plan, apply,
// outputs and destroy, streaming terraform's own output to a progress writer and turning failures into typed
// errors (NotInstalledError, CredentialsError, RunError), each with a Hint for the CLI's "Try:" line.
package terraform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// BinaryEnv names the variable that overrides the terraform binary.
const BinaryEnv = "CWS_TERRAFORM"

// PlanFile is the name of the saved plan inside the root.
const PlanFile = "cws.tfplan"

// FindBinary returns the terraform binary: $CWS_TERRAFORM when set (it must be an executable file), else the
// first "terraform" on $PATH. getenv reads the environment (os.Getenv in the CLI).
func FindBinary(getenv func(string) string) (string, error) {
	if p := getenv(BinaryEnv); p != "" {
		if !executable(p) {
			return "", &NotInstalledError{Path: p}
		}
		return p, nil
	}
	for _, dir := range filepath.SplitList(getenv("PATH")) {
		if dir == "" {
			continue
		}
		if p := filepath.Join(dir, "terraform"); executable(p) {
			return p, nil
		}
	}
	return "", &NotInstalledError{}
}

func executable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// Options configure a Runner.
type Options struct {
	// Dir is the root to run in.
	Dir string
	// Binary is the terraform executable (from FindBinary).
	Binary string
	// Progress receives terraform's output as it runs; nil discards it.
	Progress io.Writer
	// Env is the environment of terraform ("KEY=value" entries, as os.Environ returns); nil means os.Environ().
	// CHECKPOINT_DISABLE=1 is added unless set, so terraform does not call home; variables terraform-exec
	// manages itself (TF_LOG*, TF_VAR_*, TF_CLI_ARGS*, TF_IN_AUTOMATION, ...) are dropped.
	Env []string
}

// Runner runs terraform commands in one root. Its methods are not safe for concurrent use.
type Runner struct {
	tf       *tfexec.Terraform
	dir      string
	stderr   *tail
	progress io.Writer
}

// New returns a Runner for opts.Dir.
func New(opts Options) (*Runner, error) {
	if opts.Binary == "" {
		return nil, &NotInstalledError{}
	}
	tf, err := tfexec.NewTerraform(opts.Dir, opts.Binary)
	if err != nil {
		return nil, fmt.Errorf("terraform in %s: %w", opts.Dir, err)
	}
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	if err := tf.SetEnv(filterEnv(env)); err != nil {
		return nil, fmt.Errorf("terraform environment: %w", err)
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	// terraform-exec copies stdout and stderr from two goroutines: one writer must serialise them.
	progress = &serialWriter{w: progress}
	r := &Runner{tf: tf, dir: opts.Dir, stderr: &tail{}, progress: progress}
	tf.SetStdout(progress)
	tf.SetStderr(io.MultiWriter(progress, r.stderr))
	return r, nil
}

// managedEnv are the variables terraform-exec refuses in SetEnv because it sets them itself.
var managedEnv = []string{"TF_CLI_ARGS", "TF_VAR_", "TF_INPUT", "TF_IN_AUTOMATION", "TF_LOG", "TF_REATTACH_PROVIDERS",
	"TF_APPEND_USER_AGENT", "TF_WORKSPACE", "TF_DISABLE_PLUGIN_TLS", "TF_SKIP_PROVIDER_VERIFY"}

func filterEnv(environ []string) map[string]string {
	env := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		managed := false
		for _, m := range managedEnv {
			if strings.HasPrefix(k, m) {
				managed = true
			}
		}
		if !managed && k != "" {
			env[k] = v
		}
	}
	if _, ok := env["CHECKPOINT_DISABLE"]; !ok {
		env["CHECKPOINT_DISABLE"] = "1"
	}
	return env
}

// quiet runs one terraform command whose standard output is data for cws (terraform output -json, terraform
// show of a plan already shown): it is not streamed to the progress writer, which is for people.
func (r *Runner) quiet(ctx context.Context, op string, f func() error) error {
	r.tf.SetStdout(io.Discard)
	defer r.tf.SetStdout(r.progress)
	return r.run(ctx, op, f)
}

// run runs one terraform command, classifying its failure.
func (r *Runner) run(ctx context.Context, op string, f func() error) error {
	r.stderr.reset()
	err := f()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("terraform %s in %s: %w", op, r.dir, ctx.Err())
	}
	return classify(op, r.dir, r.stderr.String(), err)
}

// Init runs terraform init (backend included). It downloads the providers the root needs unless they are
// cached; a root using only built-in resources downloads nothing.
func (r *Runner) Init(ctx context.Context) error {
	return r.run(ctx, "init", func() error { return r.tf.Init(ctx, tfexec.Upgrade(false)) })
}

// Plan is a saved plan.
type Plan struct {
	// Changes is false when the infrastructure already matches the root.
	Changes bool
	// Text is the plan as terraform shows it to people.
	Text string
	// File is the saved plan, for Apply.
	File string
}

// Plan runs terraform plan, streaming it to the progress writer, saves the plan in the root (PlanFile) and
// returns it with its human text.
func (r *Runner) Plan(ctx context.Context) (Plan, error) { return r.plan(ctx, r.run) }

// PlanQuietly is Plan without streaming the plan (terraform's diagnostics still go to the progress writer),
// for callers that print Plan.Text themselves.
func (r *Runner) PlanQuietly(ctx context.Context) (Plan, error) { return r.plan(ctx, r.quiet) }

func (r *Runner) plan(ctx context.Context, run func(context.Context, string, func() error) error) (Plan, error) {
	file := filepath.Join(r.dir, PlanFile)
	var p Plan
	err := run(ctx, "plan", func() error {
		var err error
		p.Changes, err = r.tf.Plan(ctx, tfexec.Out(PlanFile))
		return err
	})
	if err != nil {
		return Plan{}, err
	}
	if err := os.Chmod(file, 0o600); err != nil { // a plan holds the variables' values in clear
		return Plan{}, fmt.Errorf("terraform plan: %w", err)
	}
	err = r.quiet(ctx, "show", func() error {
		var err error
		p.Text, err = r.tf.ShowPlanFileRaw(ctx, PlanFile)
		return err
	})
	if err != nil {
		return Plan{}, err
	}
	p.File = file
	return p, nil
}

// Apply applies plan (from Plan), or plans and applies at once when plan is nil. A saved plan is removed
// once applied.
func (r *Runner) Apply(ctx context.Context, plan *Plan) error {
	if plan == nil {
		return r.run(ctx, "apply", func() error { return r.tf.Apply(ctx) })
	}
	err := r.run(ctx, "apply", func() error { return r.tf.Apply(ctx, tfexec.DirOrPlan(plan.File)) })
	if err == nil {
		if rmErr := os.Remove(plan.File); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
			return fmt.Errorf("removing the applied plan: %w", rmErr)
		}
	}
	return err
}

// Destroy destroys everything the root's state holds.
func (r *Runner) Destroy(ctx context.Context) error {
	return r.run(ctx, "destroy", func() error { return r.tf.Destroy(ctx) })
}

// Outputs are a root's outputs by name, with their JSON values decoded (strings, float64 numbers, bools,
// map[string]any, []any).
type Outputs map[string]any

// String returns the string output name, or an error naming it when it is missing or not a string.
func (o Outputs) String(name string) (string, error) {
	v, ok := o[name]
	if !ok {
		return "", fmt.Errorf("terraform output %q is missing: apply the root first", name)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("terraform output %q is a %T, not a string", name, v)
	}
	return s, nil
}

// Output reads the root's outputs from its state.
func (r *Runner) Output(ctx context.Context) (Outputs, error) {
	var metas map[string]tfexec.OutputMeta
	err := r.quiet(ctx, "output", func() error {
		var err error
		metas, err = r.tf.Output(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(Outputs, len(metas))
	for name, m := range metas {
		var v any
		if err := json.Unmarshal(m.Value, &v); err != nil {
			return nil, fmt.Errorf("terraform output %q: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}

// tail keeps the last bytes written to it (terraform's stderr, for diagnostics).
type tail struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

const tailSize = 64 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if t.buf.Len() > 2*tailSize {
		keep := append([]byte(nil), t.buf.Bytes()[t.buf.Len()-tailSize:]...)
		t.buf.Reset()
		t.buf.Write(keep)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

func (t *tail) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Reset()
}

// serialWriter makes one writer safe for the concurrent writes of a command's stdout and stderr copiers.
type serialWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *serialWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
