package terraform

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coworks-go/coworks/internal/tfgen"
)

// realTerraform returns the terraform binary on PATH, or skips: these tests drive the real binary on roots
// that use only Terraform's built-in provider (terraform_data, outputs), so nothing is downloaded.
func realTerraform(t *testing.T) string {
	t.Helper()
	bin, err := FindBinary(os.Getenv)
	if err != nil {
		t.Skipf("terraform is not installed (%v): skipping the tests that run the real binary", err)
	}
	return bin
}

// offlineEnv is the test environment: no CLI config, no plugin cache, and a proxy that refuses every
// connection, so any attempt to download would fail the test.
func offlineEnv(t *testing.T) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "TF_PLUGIN_CACHE_DIR", "TF_CLI_CONFIG_FILE", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "HOME":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "TF_CLI_CONFIG_FILE="+os.DevNull, "HOME="+t.TempDir(),
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9")
}

const builtinRoot = `terraform {
  required_version = ">= 1.10"
}

resource "terraform_data" "stage" {
  input = {
    name   = "dev"
    memory = 256
  }
}

output "rest_api_url" {
  value = "https://abc123.execute-api.eu-west-1.amazonaws.com/${terraform_data.stage.output.name}/"
}

output "memory" {
  value = terraform_data.stage.output.memory
}

output "tags" {
  value = { cws = "app=simple:stage=dev" }
}
`

func newRunner(t *testing.T, files map[string][]byte) (*Runner, string, *bytes.Buffer) {
	t.Helper()
	bin := realTerraform(t)
	dir := t.TempDir()
	if err := WriteRoots(dir, files, nil); err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	r, err := New(Options{Dir: filepath.Join(dir, "stage-dev"), Binary: bin, Progress: &progress, Env: offlineEnv(t)})
	if err != nil {
		t.Fatal(err)
	}
	return r, filepath.Join(dir, "stage-dev"), &progress
}

func TestRunnerInitPlanApplyOutputDestroyWithRealTerraform(t *testing.T) {
	r, root, progress := newRunner(t, map[string][]byte{"stage-dev/main.tf": []byte(builtinRoot)})
	ctx := context.Background()

	if err := r.Init(ctx); err != nil {
		t.Fatalf("init: %v\n%s", err, progress)
	}
	if _, err := os.Stat(filepath.Join(root, ".terraform", "providers")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("init installed providers for a built-in-only root (err %v)", err)
	}

	plan, err := r.Plan(ctx)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if !plan.Changes || !strings.Contains(plan.Text, "terraform_data.stage will be created") {
		t.Fatalf("first plan: changes=%v, text:\n%s", plan.Changes, plan.Text)
	}
	if fi, err := os.Stat(plan.File); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("plan file mode = %v, %v; want 0600 (it holds the variables' values)", fi.Mode().Perm(), err)
	}
	if err := r.Apply(ctx, &plan); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if _, err := os.Stat(plan.File); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the applied plan file should be gone: %v", err)
	}
	if !strings.Contains(progress.String(), "Apply complete! Resources: 1 added") {
		t.Errorf("progress lacks terraform's apply summary:\n%s", progress)
	}

	before := progress.Len()
	out, err := r.Output(ctx)
	if err != nil {
		t.Fatalf("output: %v", err)
	}
	// Progress is for people: terraform output -json is read, not shown.
	if shown := progress.String()[before:]; shown != "" {
		t.Errorf("terraform output -json reached the progress:\n%s", shown)
	}
	if url, err := out.String("rest_api_url"); err != nil || url != "https://abc123.execute-api.eu-west-1.amazonaws.com/dev/" {
		t.Errorf("rest_api_url = %q, %v", url, err)
	}
	if out["memory"] != float64(256) {
		t.Errorf("memory = %#v, want 256", out["memory"])
	}
	if tags, ok := out["tags"].(map[string]any); !ok || tags["cws"] != "app=simple:stage=dev" {
		t.Errorf("tags = %#v", out["tags"])
	}
	if _, err := out.String("memory"); err == nil || !strings.Contains(err.Error(), "not a string") {
		t.Errorf("String of a number: %v", err)
	}
	if _, err := out.String("function_arn"); err == nil || !strings.Contains(err.Error(), `"function_arn" is missing`) {
		t.Errorf("String of a missing output: %v", err)
	}

	before = progress.Len()
	again, err := r.Plan(ctx)
	if err != nil || again.Changes {
		t.Fatalf("second plan must show no changes: %+v %v", again, err)
	}
	// The plan is shown once, as terraform plan prints it; terraform show only reads it back.
	if n := strings.Count(progress.String()[before:], "No changes."); n != 1 {
		t.Errorf("progress shows the plan %d times:\n%s", n, progress.String()[before:])
	}
	// Quietly: the text comes back and the progress does not show it (the caller prints it).
	before = progress.Len()
	quiet, err := r.PlanQuietly(ctx)
	if err != nil || quiet.Changes || !strings.Contains(quiet.Text, "No changes.") || strings.Contains(progress.String()[before:], "No changes.") {
		t.Errorf("PlanQuietly: %+v %v; progress:\n%s", quiet, err, progress.String()[before:])
	}

	if err := r.Destroy(ctx); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if out, err := r.Output(ctx); err != nil || len(out) != 0 {
		t.Errorf("outputs after destroy = %v, %v; want none", out, err)
	}
	after, err := r.Plan(ctx)
	if err != nil || !after.Changes {
		t.Errorf("after destroy the resource must be planned again: %+v %v", after, err)
	}
}

// A precondition makes a real terraform diagnostic carry a chosen text, standing in for an apply failure.
const failingRoot = `locals {
  role_ok = false
}

resource "terraform_data" "function" {
  input = "dev"

  lifecycle {
    precondition {
      condition     = local.role_ok
      error_message = "%s"
    }
  }
}
`

func TestRunnerApplyFailureKeepsTheDiagnostic(t *testing.T) {
	r, root, _ := newRunner(t, map[string][]byte{"stage-dev/main.tf": []byte(strings.Replace(failingRoot, "%s", "The function role is not assumable by Lambda.", 1))})
	ctx := context.Background()
	if err := r.Init(ctx); err != nil {
		t.Fatal(err)
	}
	err := r.Apply(ctx, nil)
	var run *RunError
	if !errors.As(err, &run) {
		t.Fatalf("err = %T %v, want *RunError", err, err)
	}
	diag := strings.Join(run.Diagnostics, "\n")
	if run.Op != "apply" || !strings.Contains(diag, "Error: Resource precondition failed") || !strings.Contains(diag, "The function role is not assumable by Lambda.") {
		t.Errorf("diagnostics:\n%s", diag)
	}
	if !strings.Contains(err.Error(), "terraform apply failed in "+root) || !strings.Contains(run.Hint(), "terraform -chdir="+root+" apply") {
		t.Errorf("message %q / hint %q", err, run.Hint())
	}
}

// TestRunnerRecognisesCredentialErrors_SimulatedProviderMessage: no AWS here, so a precondition prints the
// AWS provider's credential message through a real terraform run.
func TestRunnerRecognisesCredentialErrors_SimulatedProviderMessage(t *testing.T) {
	msg := "No valid credential sources found. Please see https://registry.terraform.io/providers/hashicorp/aws for more information."
	r, _, _ := newRunner(t, map[string][]byte{"stage-dev/main.tf": []byte(strings.Replace(failingRoot, "%s", msg, 1))})
	ctx := context.Background()
	if err := r.Init(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := r.Plan(ctx)
	var cred *CredentialsError
	if !errors.As(err, &cred) {
		t.Fatalf("err = %T %v, want *CredentialsError", err, err)
	}
	if cred.Op != "plan" || !strings.Contains(err.Error(), "no valid AWS credentials") || !strings.Contains(cred.Detail, "No valid credential sources found") {
		t.Errorf("credentials error: %v", err)
	}
	if !strings.Contains(cred.Hint(), "aws configure") {
		t.Errorf("hint: %s", cred.Hint())
	}
}

func TestRunnerInitReportsConfigurationErrors(t *testing.T) {
	r, _, _ := newRunner(t, map[string][]byte{"stage-dev/main.tf": []byte("resource \"terraform_data\" {\n}\n")})
	err := r.Init(context.Background())
	var run *RunError
	if !errors.As(err, &run) || run.Op != "init" || !strings.Contains(strings.Join(run.Diagnostics, "\n"), "Error: Missing name for resource") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(run.Hint(), "init") {
		t.Errorf("hint: %s", run.Hint())
	}
}

func TestFindBinary(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "terraform")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	if p, err := FindBinary(env(map[string]string{"PATH": "/nonexistent" + string(os.PathListSeparator) + dir})); err != nil || p != fake {
		t.Errorf("PATH lookup = %q, %v", p, err)
	}
	if p, err := FindBinary(env(map[string]string{"PATH": "/nonexistent", BinaryEnv: fake})); err != nil || p != fake {
		t.Errorf("$CWS_TERRAFORM = %q, %v", p, err)
	}
	var missing *NotInstalledError
	_, err := FindBinary(env(map[string]string{"PATH": dir, BinaryEnv: "/opt/none/terraform"}))
	if !errors.As(err, &missing) || missing.Path != "/opt/none/terraform" || !strings.Contains(err.Error(), "terraform is not installed at /opt/none/terraform") {
		t.Errorf("a bad $CWS_TERRAFORM must not fall back to PATH: %v", err)
	}
	_, err = FindBinary(env(map[string]string{"PATH": "/nonexistent"}))
	if !errors.As(err, &missing) || err.Error() != "terraform is not installed (not found on PATH)" || !strings.Contains(missing.Hint(), "CWS_TERRAFORM") {
		t.Errorf("no binary: %v", err)
	}
	if err := os.Chmod(fake, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FindBinary(env(map[string]string{"PATH": dir})); !errors.As(err, &missing) {
		t.Errorf("a non-executable file is not a binary: %v", err)
	}
}

func TestDiagnosticsOfBoxedOutput(t *testing.T) {
	stderr := "some progress\n╷\n│ Error: No valid credential sources found\n│ \n│   with provider[\"registry.terraform.io/hashicorp/aws\"],\n│   on main.tf line 14, in provider \"aws\":\n│   14: provider \"aws\" {\n│ \n╵\n"
	got := diagnostics(stderr)
	want := []string{"Error: No valid credential sources found", "", `  with provider["registry.terraform.io/hashicorp/aws"],`, `  on main.tf line 14, in provider "aws":`, `  14: provider "aws" {`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q\nwant %q", got, want)
	}
	twice := "Refreshing...\n\nError: Invalid precondition\n\n  on main.tf line 7\n\nError: Invalid precondition\n\n  on main.tf line 7\n"
	if got := diagnostics(twice); strings.Join(got, "|") != "Error: Invalid precondition||  on main.tf line 7" {
		t.Errorf("repeated blocks: got %q", got)
	}
	if got := diagnostics("a\nb\n"); strings.Join(got, "|") != "a|b" {
		t.Errorf("no Error: line: got %q, want the last lines", got)
	}
	if _, ok := classify("apply", "d", stderr, errors.New("exit status 1")).(*CredentialsError); !ok {
		t.Error("boxed credential diagnostic not recognised")
	}
	for _, m := range []string{"failed to refresh cached credentials, no EC2 IMDS role found", "api error InvalidClientTokenId: The security token included in the request is invalid."} {
		if _, ok := classify("plan", "d", "Error: "+m, errors.New("exit status 1")).(*CredentialsError); !ok {
			t.Errorf("%q not recognised as a credentials error", m)
		}
	}
}

func TestWriteRootsRemovesStaleFilesKeepsTheUsersAndCopiesTheZip(t *testing.T) {
	dir := t.TempDir()
	zip := filepath.Join(t.TempDir(), "build.zip")
	if err := os.WriteFile(zip, []byte("PK zip bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	gen := func(s string) []byte { return []byte(tfgen.GeneratedMarker + ": " + s + "\n") }
	if err := WriteRoots(dir, map[string][]byte{"stage-dev/main.tf": gen("a"), "stage-dev/old.tf": gen("old")}, nil); err != nil {
		t.Fatal(err)
	}
	// What a user adds to a root: state, an override and a file of their own resources.
	user := map[string]string{"terraform.tfstate": "{}", "main_override.tf": "# mine\n", "alarms.tf": "resource \"x\" \"y\" {}\n"}
	for name, data := range user {
		if err := os.WriteFile(filepath.Join(dir, "stage-dev", name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err := WriteRoots(dir, map[string][]byte{"stage-dev/main.tf": gen("b")}, map[string]string{"stage-dev/deployment.zip": zip})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "stage-dev", "old.tf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale generated old.tf kept: %v", err)
	}
	want := map[string]string{"main.tf": string(gen("b")), "deployment.zip": "PK zip bytes"}
	maps.Copy(want, user)
	for name, want := range want {
		if got, err := os.ReadFile(filepath.Join(dir, "stage-dev", name)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	// The roots inline the stage's environment values: private files in private folders, also a root made
	// readable by an older cws.
	os.Chmod(filepath.Join(dir, "stage-dev"), 0o755)
	if err := WriteRoots(dir, map[string][]byte{"stage-dev/main.tf": []byte("# b\n"), "api-dev/api.tf": nil}, nil); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{"stage-dev": 0o700, "stage-dev/main.tf": 0o600, "api-dev": 0o700, "api-dev/api.tf": 0o600} {
		if fi, err := os.Stat(filepath.Join(dir, path)); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode().Perm(), err, want)
		}
	}
	if err := WriteRoots(dir, map[string][]byte{"../escape.tf": nil}, nil); err == nil {
		t.Error("a path outside dir was accepted")
	}
	if err := WriteRoots(dir, nil, map[string]string{"stage-dev/deployment.zip": "/nonexistent.zip"}); err == nil || !strings.Contains(err.Error(), "/nonexistent.zip") {
		t.Errorf("missing zip: %v", err)
	}
}
