package cli

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rhysd/actionlint"

	"github.com/coworks-go/coworks/internal/ghworkflow"
)

var quotedVarRE = regexp.MustCompile(`"\$[A-Z_]+"`)

// workflowCwsCommands returns the argument lists of every cws command the workflow's run scripts call.
func workflowCwsCommands(t *testing.T, workflow []byte) [][]string {
	t.Helper()
	w, errs := actionlint.Parse(workflow)
	if len(errs) > 0 {
		t.Fatalf("the workflow does not parse: %v", errs[0])
	}
	var cmds [][]string
	for _, job := range w.Jobs {
		for _, step := range job.Steps {
			run, ok := step.Exec.(*actionlint.ExecRun)
			if !ok || run.Run == nil {
				continue
			}
			for _, line := range strings.Split(run.Run.Value, "\n") {
				for _, segment := range strings.FieldsFunc(line, func(r rune) bool { return r == ';' || r == '|' || r == '&' }) {
					segment, _, _ = strings.Cut(segment, ">") // the redirection of its output
					// A quoted variable the step's env sets ("$FROM") is one word: a stage name.
					segment = quotedVarRE.ReplaceAllString(segment, "dev")
					words := strings.Fields(segment)
					if len(words) == 0 || words[0] != "cws" {
						continue
					}
					if strings.ContainsAny(segment, `"'$`) {
						t.Fatalf("cws command %q quotes or expands: teach this test the shell", segment)
					}
					cmds = append(cmds, words[1:])
				}
			}
		}
	}
	return cmds
}

// checkCwsCommand parses args against the real command tree: the command exists, takes those flags and
// arguments, and a --target names a known target. It returns the command's path.
func checkCwsCommand(t *testing.T, args []string) (string, error) {
	env := &Env{Streams: Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}},
		Getenv: func(string) string { return "" }, Now: time.Now, Getwd: func() (string, error) { return t.TempDir(), nil }}
	root := newRootCommand(env)
	cmd, rest, err := root.Find(args)
	if err != nil || cmd == root || !cmd.Runnable() {
		return "", fmt.Errorf("no such command (%v)", err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return "", err
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		return "", err
	}
	if f := cmd.Flags().Lookup("target"); f != nil && f.Changed && !knownTarget(f.Value.String()) {
		return "", fmt.Errorf("unknown target %q", f.Value)
	}
	return cmd.CommandPath(), nil
}

// TestWorkflowCwsCommandsExist checks every cws command line of the generated workflow against the real
// command tree: the command exists, takes those flags and those arguments, and names a known target.
func TestWorkflowCwsCommandsExist(t *testing.T) {
	workflow, err := ghworkflow.Generate(ghworkflow.Options{CwsVersion: "latest"})
	if err != nil {
		t.Fatal(err)
	}
	cmds := workflowCwsCommands(t, workflow)
	var names []string
	for _, args := range cmds {
		name, err := checkCwsCommand(t, args)
		if err != nil {
			t.Errorf("cws %s: %v", strings.Join(args, " "), err)
		}
		names = append(names, name)
	}
	for _, bad := range []string{"delete --stage @branch --targett terraform", "deploy --stage @branch --target aws", "deploi --stage dev"} {
		if _, err := checkCwsCommand(t, strings.Fields(bad)); err == nil {
			t.Errorf("cws %s passes the check", bad)
		}
	}
	// Not vacuous: the deploy and the delete of the branch's stage are there, and the promote to production
	// with the build before it.
	slices.Sort(names)
	if got := strings.Join(names, ","); got != "cws build,cws delete,cws deploy,cws promote" {
		t.Errorf("cws commands of the workflow: %q, want the build, delete, deploy and promote", got)
	}
	for _, bad := range []string{"promote --from dev --to prod --confirm", "promote --from dev --to prod --target aws"} {
		if _, err := checkCwsCommand(t, strings.Fields(bad)); err == nil {
			t.Errorf("cws %s passes the check", bad)
		}
	}
}
