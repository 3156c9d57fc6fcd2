package terraform

import (
	"fmt"
	"strings"
)

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
	users := "other stages still use"
	switch n := len(e.Stages); {
	case n == 1:
		users = "stage " + e.Stages[0] + " still uses"
	case n > 1:
		users = "stages " + strings.Join(e.Stages[:n-1], ", ") + " and " + e.Stages[n-1] + " still use"
	}
	return fmt.Sprintf("stage %q owns REST API %s, which %s; nothing was deleted", e.Stage, e.RestAPIID, users)
}

// Hint says what to do next: delete the other stages first (the CLI prints one Try line per stage).
func (e *APIInUseError) Hint() string {
	cmds := make([]string, len(e.Stages))
	for i, s := range e.Stages {
		cmds[i] = "cws delete --stage " + s
	}
	return strings.Join(cmds, ", then ") + ", then delete " + e.Stage + " again"
}
