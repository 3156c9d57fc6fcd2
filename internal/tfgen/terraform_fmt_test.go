package tfgen

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedFilesPassTerraformFmt runs the real `terraform fmt -check -recursive` over every generated root.
// (`terraform validate` needs the hashicorp/aws provider, which cannot be downloaded here: the schema check
// stands in for it.)
func TestGeneratedFilesPassTerraformFmt(t *testing.T) {
	bin, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform is not on PATH: skipping `terraform fmt -check` of the generated files")
	}
	dir := t.TempDir()
	for _, c := range goldenCases() {
		for name, data := range generateCase(t, c) {
			p := filepath.Join(dir, c.name, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cmd := exec.Command(bin, "fmt", "-check", "-recursive", "-diff", dir)
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE="+os.DevNull)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("terraform fmt -check found unformatted files: %v\n%s", err, strings.TrimSpace(string(out)))
	}
}
