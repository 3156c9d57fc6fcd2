package terraform

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// InstallCause is why terraform init could not install a provider.
type InstallCause int

// The causes terraform init's provider failures are sorted into.
const (
	// CauseOther is any other installation failure; Reason says what terraform said.
	CauseOther InstallCause = iota
	// CauseNoNetwork: the registry (or a network mirror) cannot be reached: no network, a proxy, a firewall.
	CauseNoNetwork
	// CauseNoMatchingVersion: the sources terraform may install from hold no version the root accepts
	// (a filesystem mirror with older or newer versions only).
	CauseNoMatchingVersion
	// CauseLockedVersion: the root's dependency lock file pins a version its constraint refuses.
	CauseLockedVersion
	// CauseChecksumMismatch: the package found does not match the checksums of the dependency lock file
	// (recorded for another platform or another package).
	CauseChecksumMismatch
)

// ProviderInstallError means terraform init could not install a provider a root requires, with the cause
// sorted out of terraform's diagnostics and, where the cause is the versions at hand, the filesystem
// mirrors of the CLI configuration with the versions they hold.
type ProviderInstallError struct {
	// Provider is the provider's address ("hashicorp/aws").
	Provider string
	// Dir is the root being initialised.
	Dir string
	// Cause is why the provider could not be installed.
	Cause InstallCause
	// Required is the version constraint terraform applied (">= 5.100.0, < 7.0.0"), when it said.
	Required string
	// Locked is the version the dependency lock file pins (CauseLockedVersion, CauseChecksumMismatch).
	Locked string
	// Mirrors are the filesystem mirrors terraform installs from, with the versions of Provider they hold.
	Mirrors []Mirror
	// Reason is terraform's explanation, on one line.
	Reason string
	// Err is the runner's error, with every diagnostic line.
	Err *RunError
}

// Mirror is a filesystem mirror of the CLI configuration.
type Mirror struct {
	// Path is the mirror's directory.
	Path string
	// Versions are the versions of the provider it holds for this platform, in ascending order.
	Versions []string
}

// Error names the provider and the cause.
func (e *ProviderInstallError) Error() string {
	switch e.Cause {
	case CauseNoNetwork:
		return fmt.Sprintf("could not download the %s provider: %s", e.Provider, e.Reason)
	case CauseNoMatchingVersion:
		held := "no mirror holds it and the registry has none"
		if len(e.Mirrors) > 0 {
			var parts []string
			for _, m := range e.Mirrors {
				versions := "no version of it"
				if len(m.Versions) > 0 {
					versions = strings.Join(m.Versions, ", ")
				}
				parts = append(parts, fmt.Sprintf("the mirror %s holds %s", m.Path, versions))
			}
			held = strings.Join(parts, "; ")
		}
		return fmt.Sprintf("no %s provider matches the root's constraint %s: %s", e.Provider, e.Required, held)
	case CauseLockedVersion:
		return fmt.Sprintf("the dependency lock file %s pins %s %s, which the root's constraint %s refuses",
			filepath.Join(e.Dir, ".terraform.lock.hcl"), e.Provider, e.Locked, e.Required)
	case CauseChecksumMismatch:
		return fmt.Sprintf("the %s %s package found does not match the checksums in %s (recorded for another platform or package)",
			e.Provider, e.Locked, filepath.Join(e.Dir, ".terraform.lock.hcl"))
	}
	return fmt.Sprintf("could not install the %s provider: %s", e.Provider, e.Reason)
}

// Unwrap returns the runner's error.
func (e *ProviderInstallError) Unwrap() error { return e.Err }

// Hint says what to do next, for the cause.
func (e *ProviderInstallError) Hint() string {
	mirror := "on a connected machine run `terraform providers mirror DIR` in " + e.Dir + ", then point TF_CLI_CONFIG_FILE at a CLI config " +
		`with provider_installation { filesystem_mirror { path = "DIR" } }`
	switch e.Cause {
	case CauseNoMatchingVersion:
		if len(e.Mirrors) > 0 {
			return "add a version the root accepts to the mirror: " + strings.Replace(mirror, "DIR", e.Mirrors[0].Path, 1)
		}
	case CauseLockedVersion:
		return fmt.Sprintf("let terraform pick a version the root accepts and rewrite the lock file: terraform -chdir=%s init -upgrade", e.Dir)
	case CauseChecksumMismatch:
		return fmt.Sprintf("record the checksums of the package at hand: rm %s, then retry (or: terraform -chdir=%s providers lock -platform=%s_%s)",
			filepath.Join(e.Dir, ".terraform.lock.hcl"), e.Dir, runtime.GOOS, runtime.GOARCH)
	}
	return "check the network access to registry.terraform.io (or HTTPS_PROXY), or install the provider from a mirror: " + mirror
}

// providerFailureMarkers are the headings and texts of terraform init's provider installation failures.
var providerFailureMarkers = []string{
	"Failed to query available provider packages",
	"Failed to install provider",
	"Could not retrieve the list of available versions for provider",
	"could not connect to registry.terraform.io",
}

var (
	providerAddressRE = regexp.MustCompile(`provider\s+(?:registry\.terraform\.io/)?([a-z0-9-]+/[a-z0-9-]+)`)
	noMatchRE         = regexp.MustCompile(`no available releases match the given constraints (.+?)(?: To see | *$)`)
	lockedRE          = regexp.MustCompile(`locked provider \S+ (\S+) does not match configured version constraint (.+?); must use`)
	checksumRE        = regexp.MustCompile(`package for \S+ (\S+) doesn't match any of the checksums`)
)

// asProviderInstall turns an init failure that is a provider installation failure into a
// *ProviderInstallError; other errors come back unchanged. getenv reads terraform's environment (for its CLI
// configuration).
func asProviderInstall(err error, getenv func(string) string) error {
	var run *RunError
	if !errors.As(err, &run) || run.Op != "init" {
		return err
	}
	text := strings.Join(run.Diagnostics, "\n")
	if !slices.ContainsFunc(providerFailureMarkers, func(m string) bool { return strings.Contains(text, m) }) {
		return err
	}
	flat := strings.Join(strings.Fields(text), " ")
	e := &ProviderInstallError{Provider: "hashicorp/aws", Dir: run.Dir, Err: run, Reason: firstParagraph(run.Diagnostics, flat)}
	if m := providerAddressRE.FindStringSubmatch(flat); m != nil {
		e.Provider = m[1]
	}
	switch {
	case strings.Contains(flat, "could not connect to"):
		e.Cause = CauseNoNetwork
	case lockedRE.MatchString(flat):
		m := lockedRE.FindStringSubmatch(flat)
		e.Cause, e.Locked, e.Required = CauseLockedVersion, m[1], m[2]
	case noMatchRE.MatchString(flat):
		e.Cause, e.Required = CauseNoMatchingVersion, strings.TrimSpace(noMatchRE.FindStringSubmatch(flat)[1])
		e.Mirrors = filesystemMirrors(getenv, e.Provider)
	case checksumRE.MatchString(flat):
		e.Cause, e.Locked = CauseChecksumMismatch, checksumRE.FindStringSubmatch(flat)[1]
	}
	return e
}

// firstParagraph is the first paragraph after the "Error: heading" line of diagnostics, on one line; flat
// when there is none.
func firstParagraph(diagnostics []string, flat string) string {
	var para []string
	for i, l := range diagnostics {
		if i == 0 && strings.HasPrefix(l, "Error:") {
			continue
		}
		if strings.TrimSpace(l) == "" {
			if len(para) > 0 {
				break
			}
			continue
		}
		para = append(para, strings.TrimSpace(l))
	}
	if len(para) == 0 {
		return flat
	}
	return strings.Join(para, " ")
}

// filesystemMirrors returns the filesystem mirrors terraform installs provider (namespace/type) from, per
// its CLI configuration ($TF_CLI_CONFIG_FILE, else ~/.terraformrc): the filesystem_mirror blocks of its
// provider_installation, or, without that block, the implied local mirror directories that exist. A CLI
// configuration that cannot be read or parsed gives none: the error then says what terraform said.
func filesystemMirrors(getenv func(string) string, provider string) []Mirror {
	file := getenv("TF_CLI_CONFIG_FILE")
	if file == "" && getenv("HOME") != "" {
		file = filepath.Join(getenv("HOME"), ".terraformrc")
	}
	var paths []string
	explicit := false
	if data, err := os.ReadFile(file); err == nil {
		f, diags := hclsyntax.ParseConfig(data, file, hcl.InitialPos)
		if diags.HasErrors() {
			return nil
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			if b.Type != "provider_installation" {
				continue
			}
			explicit = true
			for _, m := range b.Body.Blocks {
				if m.Type != "filesystem_mirror" || m.Body.Attributes["path"] == nil {
					continue
				}
				if v, diags := m.Body.Attributes["path"].Expr.Value(nil); !diags.HasErrors() && v.Type().FriendlyName() == "string" {
					paths = append(paths, v.AsString())
				}
			}
		}
	}
	if !explicit {
		for _, d := range []string{filepath.Join(getenv("HOME"), ".terraform.d", "plugins"), "/usr/local/share/terraform/plugins", "/usr/share/terraform/plugins"} {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				paths = append(paths, d)
			}
		}
	}
	mirrors := make([]Mirror, 0, len(paths))
	for _, p := range paths {
		mirrors = append(mirrors, Mirror{Path: p, Versions: mirroredVersions(p, provider)})
	}
	return mirrors
}

// mirroredVersions lists the versions of provider a filesystem mirror holds for this platform, in either
// layout: unpacked (VERSION/OS_ARCH/) or packed (terraform-provider-TYPE_VERSION_OS_ARCH.zip).
func mirroredVersions(mirror, provider string) []string {
	platform := runtime.GOOS + "_" + runtime.GOARCH
	dir := filepath.Join(mirror, "registry.terraform.io", filepath.FromSlash(provider))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	_, typ, _ := strings.Cut(provider, "/")
	var vs []*version.Version
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() {
			// terraform-provider-aws_5.100.0_linux_amd64.zip
			name = strings.TrimSuffix(strings.TrimPrefix(name, "terraform-provider-"+typ+"_"), "_"+platform+".zip")
			if name == e.Name() || strings.Contains(name, "_") {
				continue
			}
		} else if fi, err := os.Stat(filepath.Join(dir, name, platform)); err != nil || !fi.IsDir() {
			continue
		}
		if v, err := version.NewVersion(name); err == nil {
			vs = append(vs, v)
		}
	}
	slices.SortFunc(vs, func(a, b *version.Version) int { return a.Compare(b) })
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Original()
	}
	return out
}

// envLookup returns a getenv reading env ("KEY=value" entries), or os.Getenv when env is nil (terraform then
// runs with the process's environment).
func envLookup(env []string) func(string) string {
	if env == nil {
		return os.Getenv
	}
	return func(key string) string {
		value := ""
		for _, kv := range env {
			if k, v, ok := strings.Cut(kv, "="); ok && k == key {
				value = v // the last one wins, as in exec
			}
		}
		return value
	}
}
