package terraform

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/coworks-go/coworks/internal/tfgen"
)

// fakeMirror makes a filesystem mirror (unpacked layout) holding hashicorp/aws at versions for this
// platform. terraform init lists and hashes a mirror's packages without running them, so a placeholder
// executable stands in for the provider.
func fakeMirror(t *testing.T, versions ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, v := range versions {
		p := filepath.Join(dir, "registry.terraform.io", "hashicorp", "aws", v, runtime.GOOS+"_"+runtime.GOARCH, "terraform-provider-aws_v"+v+"_x5")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// initWithMirror runs the real terraform init, offline, on a root requiring hashicorp/aws with the generated
// constraint, terraform's CLI config naming mirror; lock is the root's .terraform.lock.hcl ("" for none). It
// returns the root's directory.
func initWithMirror(t *testing.T, mirror, lock string) (string, error) {
	t.Helper()
	bin := realTerraform(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "api-dev")
	main := "terraform {\n  required_providers {\n    aws = {\n      source  = \"hashicorp/aws\"\n      version = \"" + tfgen.ProviderVersion + "\"\n    }\n  }\n}\n"
	files := map[string]string{"api-dev/main.tf": main, "mirror.tfrc": "provider_installation {\n  filesystem_mirror {\n    path = \"" + mirror + "\"\n  }\n}\n"}
	if lock != "" {
		files["api-dev/.terraform.lock.hcl"] = lock
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(offlineEnv(t), "TF_CLI_CONFIG_FILE="+filepath.Join(dir, "mirror.tfrc"))
	r, err := New(Options{Dir: root, Binary: bin, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	return root, asProviderInstall(r.Init(context.Background()), envLookup(env))
}

const lockAt = `provider "registry.terraform.io/hashicorp/aws" {
  version     = "VERSION"
  constraints = ">= 5.100.0, < 7.0.0"
  hashes = [
    "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
  ]
}
`

// TestInitFailuresNameTheirCause runs the real terraform init against mirrors and lock files that cannot
// give it a provider, and checks that each failure says why, and what to do, rather than "check network".
func TestInitFailuresNameTheirCause(t *testing.T) {
	old := fakeMirror(t, "5.50.0", "5.99.1")
	tests := []struct {
		name, mirror, lock string
		cause              InstallCause
		message, hint      []string
	}{
		{"mirror holds only older versions", old, "", CauseNoMatchingVersion,
			[]string{"no hashicorp/aws provider matches the root's constraint >= 5.100.0, < 7.0.0: the mirror " + old + " holds 5.50.0, 5.99.1"},
			[]string{"add a version the root accepts to the mirror", "terraform providers mirror " + old}},
		{"lock file pins a refused version", fakeMirror(t, "5.100.0"), strings.Replace(lockAt, "VERSION", "5.50.0", 1), CauseLockedVersion,
			[]string{"the dependency lock file ", "api-dev/.terraform.lock.hcl pins hashicorp/aws 5.50.0, which the root's constraint >= 5.100.0, < 7.0.0 refuses"},
			[]string{"init -upgrade"}},
		{"package differs from the lock file's checksums", fakeMirror(t, "5.100.0"), strings.Replace(lockAt, "VERSION", "5.100.0", 1), CauseChecksumMismatch,
			[]string{"the hashicorp/aws 5.100.0 package found does not match the checksums in ", ".terraform.lock.hcl"},
			[]string{"providers lock -platform="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := initWithMirror(t, tt.mirror, tt.lock)
			var pe *ProviderInstallError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %T %v, want *ProviderInstallError", err, err)
			}
			if pe.Cause != tt.cause {
				t.Errorf("cause = %d, want %d: %v", pe.Cause, tt.cause, err)
			}
			for _, want := range tt.message {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message lacks %q:\n%v", want, err)
				}
			}
			for _, want := range tt.hint {
				if !strings.Contains(pe.Hint(), want) {
					t.Errorf("hint lacks %q:\n%s", want, pe.Hint())
				}
			}
			if strings.Contains(pe.Hint(), "network") {
				t.Errorf("the hint blames the network:\n%s", pe.Hint())
			}
		})
	}
}

// TestProviderConstraintAcceptsTheMirroredMajors runs the real terraform init with mirrors holding 5.x, 6.x
// and 7.x hashicorp/aws packages: the generated constraint installs 5.100.0 alone, and the newest 6.x when
// there is one, never 7.x.
func TestProviderConstraintAcceptsTheMirroredMajors(t *testing.T) {
	for mirror, want := range map[string]string{fakeMirror(t, "5.99.0", "5.100.0"): "5.100.0", fakeMirror(t, "5.100.0", "6.0.0", "6.66.0", "7.0.0"): "6.66.0"} {
		root, err := initWithMirror(t, mirror, "")
		if err != nil {
			t.Errorf("init with a mirror holding %s: %v", want, err)
			continue
		}
		lock, err := os.ReadFile(filepath.Join(root, ".terraform.lock.hcl"))
		if err != nil || !strings.Contains(string(lock), `version     = "`+want+`"`) {
			t.Errorf("installed, per the lock file (%v):\n%s\nwant %s", err, lock, want)
		}
	}
}
