package terraform

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ProviderDownloadError means terraform init could not download a provider (hashicorp/aws): no network
// access to the registry, a proxy refusing it, or a mirror that does not hold the version.
type ProviderDownloadError struct {
	// Provider is the provider's address ("hashicorp/aws").
	Provider string
	// Dir is the root being initialised.
	Dir string
	// Reason is terraform's explanation, on one line.
	Reason string
	// Err is the runner's error, with every diagnostic line.
	Err *RunError
}

// Error names the provider and why it could not be downloaded.
func (e *ProviderDownloadError) Error() string {
	return fmt.Sprintf("could not download the %s provider: %s", e.Provider, e.Reason)
}

// Unwrap returns the runner's error.
func (e *ProviderDownloadError) Unwrap() error { return e.Err }

// Hint says what to do next.
func (e *ProviderDownloadError) Hint() string {
	return "check the network access to registry.terraform.io (or HTTPS_PROXY), or install the provider from a mirror: " +
		"on a connected machine run `terraform providers mirror DIR` in " + e.Dir + ", then point TF_CLI_CONFIG_FILE at a CLI config " +
		`with provider_installation { filesystem_mirror { path = "DIR" } }`
}

// providerFailureMarkers are the headings and texts of terraform init's provider installation failures.
var providerFailureMarkers = []string{
	"Failed to query available provider packages",
	"Failed to install provider",
	"Could not retrieve the list of available versions for provider",
	"could not connect to registry.terraform.io",
}

var providerAddressRE = regexp.MustCompile(`provider\s+(?:registry\.terraform\.io/)?([a-z0-9-]+/[a-z0-9-]+)`)

// asProviderDownload turns an init failure that is a provider download failure into a
// *ProviderDownloadError; other errors come back unchanged.
func asProviderDownload(err error) error {
	var run *RunError
	if !errors.As(err, &run) || run.Op != "init" {
		return err
	}
	text := strings.Join(run.Diagnostics, "\n")
	found := false
	for _, m := range providerFailureMarkers {
		if strings.Contains(text, m) {
			found = true
			break
		}
	}
	if !found {
		return err
	}
	flat := strings.Join(strings.Fields(text), " ")
	provider := "hashicorp/aws"
	if m := providerAddressRE.FindStringSubmatch(flat); m != nil {
		provider = m[1]
	}
	// The reason is the first paragraph after the "Error: heading" line.
	reason := flat
	var para []string
	for i, l := range run.Diagnostics {
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
	if len(para) > 0 {
		reason = strings.Join(para, " ")
	}
	return &ProviderDownloadError{Provider: provider, Dir: run.Dir, Reason: reason, Err: run}
}

// RegionError means the target could not tell which AWS region to deploy to.
type RegionError struct {
	// Stage is the stage being deployed.
	Stage string
}

// Error says that no region is configured.
func (e *RegionError) Error() string {
	return fmt.Sprintf("no AWS region for stage %q: aws_region is not set in .chalice/config.json, nor AWS_REGION or AWS_DEFAULT_REGION in the environment", e.Stage)
}

// Hint says what to do next.
func (e *RegionError) Hint() string {
	return fmt.Sprintf(`set "aws_region" in stage %s of .chalice/config.json, or export AWS_REGION=eu-west-1`, e.Stage)
}

// APIInUseError means a stage owning its REST API cannot be deleted while other stages use that API.
type APIInUseError struct {
	// Stage is the stage whose deletion was refused; it owns the API root.
	Stage string
	// RestAPIID is the API's id.
	RestAPIID string
	// Stages are, sorted, the other stages deployed on the API.
	Stages []string
}

// Error names the stages still using the API.
func (e *APIInUseError) Error() string {
	return fmt.Sprintf("stage %q owns REST API %s, which stage %s still use; nothing was deleted",
		e.Stage, e.RestAPIID, strings.Join(e.Stages, ", "))
}

// Hint says what to do next: delete the other stages first (the CLI prints one Try line per stage).
func (e *APIInUseError) Hint() string {
	cmds := make([]string, len(e.Stages))
	for i, s := range e.Stages {
		cmds[i] = "cws delete --stage " + s
	}
	return strings.Join(cmds, ", then ") + ", then delete " + e.Stage + " again"
}
