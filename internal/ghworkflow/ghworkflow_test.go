package ghworkflow

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

var update = flag.Bool("update", false, "rewrite testdata/*.yml from the generator")

// cases are the golden workflows: the defaults (repository variables, project at the root), and a role,
// region and project directory given.
var cases = map[string]Options{
	"variables": {CwsVersion: "latest"},
	"given":     {RoleARN: "arn:aws:iam::123456789012:role/cws-deploy", Region: "eu-west-1", ProjectDir: "services/shop", CwsVersion: "v1.4.2"},
}

func TestGoldenWorkflows(t *testing.T) {
	for name, o := range cases {
		got, err := Generate(o)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", name+".yml")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./internal/ghworkflow -update writes it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from its golden file (go test ./internal/ghworkflow -update rewrites it):\n%s", path, got)
		}
	}
}

// lint runs actionlint (as a library, with its checks of expressions, contexts, permissions, the inputs of
// popular actions and untrusted input in scripts) on a workflow.
func lint(t *testing.T, workflow []byte) []*actionlint.Error {
	t.Helper()
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{WorkingDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(Path, workflow, nil)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

func TestWorkflowsPassActionlint(t *testing.T) {
	for name, o := range cases {
		got, err := Generate(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range lint(t, got) {
			t.Errorf("%s: actionlint: %s:%d:%d: %s [%s]", name, e.Filepath, e.Line, e.Column, e.Message, e.Kind)
		}
	}
}

// TestActionlintSeesMistakes proves the lint is not vacuous: mistakes of the kind a generator makes are
// reported.
func TestActionlintSeesMistakes(t *testing.T) {
	good, err := Generate(cases["variables"])
	if err != nil {
		t.Fatal(err)
	}
	for from, to := range map[string]string{
		"role-to-assume:":                    "role-to-asume:",                                  // an input the action does not have
		"github.head_ref ||":                 "github.head_refs ||",                             // a context property that does not exist
		"steps.deploy.outputs":               "steps.deploi.outputs",                            // a step that does not exist
		`run: git switch --create "$BRANCH"`: "run: git switch --create ${{ github.head_ref }}", // untrusted input in a script
	} {
		bad := bytes.Replace(good, []byte(from), []byte(to), 1)
		if bytes.Equal(bad, good) {
			t.Fatalf("the workflow has no %q to break", from)
		}
		if errs := lint(t, bad); len(errs) == 0 {
			t.Errorf("actionlint accepts the workflow with %q", to)
		}
	}
}

func TestGenerateRefusesBadOptions(t *testing.T) {
	_, err := Generate(Options{RoleARN: "cws-deploy", Region: "europe", ProjectDir: "../elsewhere", CwsVersion: "main"})
	if err == nil {
		t.Fatal("bad options accepted")
	}
	for _, want := range []string{`role "cws-deploy"`, `region "europe"`, `project directory "../elsewhere"`, `cws version "main"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
