package tfgen

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// MirrorVariable names a Terraform filesystem mirror (unpacked layout) holding hashicorp/aws; when set,
// TestGeneratedRootsPassTerraformValidate runs the real `terraform validate` with that provider.
const mirrorVariable = "CWS_TF_PROVIDER_MIRROR"

// TestGeneratedRootsPassTerraformValidate runs the real `terraform init` and `terraform validate` on every
// golden case's roots, with hashicorp/aws from a local filesystem mirror (no download). Every root needs the
// AWS provider, so without a mirror the test is skipped and the schema check stands in for it.
//
// All roots are called as modules of one wrapper root, so the provider starts once. The roots are validated
// exactly as generated (their provider constraint accepts 5.100 through 6.x): any error fails the test, and so
// does a deprecation warning, since an attribute deprecated in one major is gone in the next.
func TestGeneratedRootsPassTerraformValidate(t *testing.T) {
	tf := mirroredTerraform(t, "terraform validate")
	version := mirroredAWSVersion(t, tf.mirror)

	dir := t.TempDir()
	var modules []string
	for _, c := range goldenCases() {
		for name, data := range generateCase(t, c) {
			root, file := filepath.Split(filepath.FromSlash(name))
			module := c.name + "--" + filepath.Clean(root)
			p := filepath.Join(dir, module, file)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if file == "main.tf" {
				modules = append(modules, module)
			}
		}
	}
	// The settings-only roots a delete writes where the generated ones are not (a remote backend's state).
	for _, c := range goldenCases() {
		if c.name != "authorizer" {
			continue
		}
		files, err := StateRoots(c.inputs[0])
		if err != nil {
			t.Fatal(err)
		}
		for name, data := range files {
			root, file := filepath.Split(filepath.FromSlash(name))
			module := "state-roots--" + filepath.Clean(root)
			if err := os.MkdirAll(filepath.Join(dir, module), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, module, file), data, 0o644); err != nil {
				t.Fatal(err)
			}
			if file == "main.tf" {
				modules = append(modules, module)
			}
		}
	}
	sort.Strings(modules)
	wrapper := fmt.Sprintf("terraform {\n  required_providers {\n    aws = {\n      source  = \"hashicorp/aws\"\n      version = %q\n    }\n  }\n}\n", version)
	for _, m := range modules {
		// Every root of AWS resources declares the region variable (a root generated without aws_region has no
		// default); a history root has no provider, and no region.
		region := "\n  region = \"eu-west-1\""
		if main, err := os.ReadFile(filepath.Join(dir, m, "main.tf")); err == nil && !strings.Contains(string(main), `variable "region"`) {
			region = ""
		}
		wrapper += fmt.Sprintf("\nmodule %q {\n  source = \"./%s\"%s\n}\n", strings.ReplaceAll(m, "-", "_"), m, region)
	}
	if err := os.WriteFile(filepath.Join(dir, "wrapper.tf"), []byte(wrapper), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := tf.run(dir, "init", "-backend=false", "-input=false", "-no-color"); err != nil {
		t.Fatalf("terraform init with the provider mirror %s: %v\n%s", tf.mirror, err, out)
	}
	out, err := tf.run(dir, "validate", "-json", "-no-color")
	var result struct {
		Valid       bool `json:"valid"`
		Diagnostics []struct {
			Severity string `json:"severity"`
			Summary  string `json:"summary"`
			Detail   string `json:"detail"`
			Range    *struct {
				Filename string `json:"filename"`
				Start    struct {
					Line int `json:"line"`
				} `json:"start"`
			} `json:"range"`
		} `json:"diagnostics"`
	}
	if jerr := json.Unmarshal(out, &result); jerr != nil {
		t.Fatalf("terraform validate -json: %v (%v)\n%s", err, jerr, out)
	}
	var lines []string
	for _, d := range result.Diagnostics {
		if d.Severity == "warning" && d.Summary == "Backend configuration ignored" {
			continue // the roots are called as modules here; as roots, their backend applies
		}
		where := ""
		if d.Range != nil {
			where = fmt.Sprintf("%s:%d: ", d.Range.Filename, d.Range.Start.Line)
		}
		lines = append(lines, fmt.Sprintf("%s%s: %s: %s", where, d.Severity, d.Summary, strings.ReplaceAll(d.Detail, "\n", " ")))
	}
	if !result.Valid || len(lines) > 0 {
		t.Fatalf("terraform validate with hashicorp/aws %s reports on the generated roots:\n%s", version, strings.Join(lines, "\n"))
	}
	t.Logf("terraform validate passed on %d roots with hashicorp/aws %s", len(modules), version)
}

// mirrored is the terraform binary with a CLI configuration installing hashicorp/aws from a filesystem
// mirror, offline.
type mirrored struct {
	bin, mirror string
	env         []string
}

// mirroredTerraform returns terraform set up with the mirror of $CWS_TF_PROVIDER_MIRROR, or skips the test,
// saying which of the two is missing: what (the check the test makes) needs both.
func mirroredTerraform(t *testing.T, what string) *mirrored {
	t.Helper()
	mirror := os.Getenv(mirrorVariable)
	if mirror == "" {
		t.Skipf("SKIPPED %s of the generated roots: %s is not set; it needs hashicorp/aws from a filesystem mirror (on these machines: %s=/opt/tf-plugins)", what, mirrorVariable, mirrorVariable)
	}
	bin, err := exec.LookPath("terraform")
	if err != nil {
		t.Skipf("SKIPPED %s of the generated roots: terraform is not on PATH", what)
	}
	cfg := filepath.Join(t.TempDir(), "mirror.tfrc")
	cliConfig := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }\n}\n", mirror)
	if err := os.WriteFile(cfg, []byte(cliConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	return &mirrored{bin: bin, mirror: mirror, env: []string{"TF_CLI_CONFIG_FILE=" + cfg, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"HOME=" + t.TempDir(), "HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "PATH=" + os.Getenv("PATH")}}
}

// run runs terraform in dir and returns its combined output.
func (m *mirrored) run(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command(m.bin, args...)
	cmd.Dir, cmd.Env = dir, m.env
	return cmd.CombinedOutput()
}

// mirroredAWSVersion returns the highest hashicorp/aws version of the mirror for this platform.
func mirroredAWSVersion(t *testing.T, mirror string) string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(mirror, "registry.terraform.io", "hashicorp", "aws"))
	if err != nil {
		t.Fatalf("%s=%s is not a filesystem mirror holding hashicorp/aws: %v", mirrorVariable, mirror, err)
	}
	var best string
	var bestParts [3]int
	for _, e := range entries {
		var p [3]int
		if _, err := fmt.Sscanf(e.Name(), "%d.%d.%d", &p[0], &p[1], &p[2]); err != nil || !e.IsDir() {
			continue
		}
		if best == "" || p[0] > bestParts[0] || (p[0] == bestParts[0] && (p[1] > bestParts[1] || (p[1] == bestParts[1] && p[2] > bestParts[2]))) {
			best, bestParts = e.Name(), p
		}
	}
	if best == "" {
		t.Fatalf("%s=%s holds no hashicorp/aws version", mirrorVariable, mirror)
	}
	return best
}
