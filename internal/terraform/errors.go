package terraform

import (
	"fmt"
	"strings"
)

// NotInstalledError means no terraform binary was found.
type NotInstalledError struct {
	// Path is the $CWS_TERRAFORM value that does not name an executable, or empty when PATH was searched.
	Path string
}

// Error says which binary is missing.
func (e *NotInstalledError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("terraform is not installed at %s (from $CWS_TERRAFORM)", e.Path)
	}
	return "terraform is not installed (not found on PATH)"
}

// Hint says what to do next.
func (e *NotInstalledError) Hint() string {
	return "install Terraform 1.10 or later (https://developer.hashicorp.com/terraform/install), or set CWS_TERRAFORM to its path"
}

// CredentialsError means the AWS provider found no usable credentials.
type CredentialsError struct {
	// Op is the terraform command that failed ("plan").
	Op string
	// Detail is the provider's diagnostic.
	Detail string
}

// Error names the command and carries the provider's diagnostic.
func (e *CredentialsError) Error() string {
	return fmt.Sprintf("terraform %s: no valid AWS credentials:\n%s", e.Op, e.Detail)
}

// Hint says what to do next.
func (e *CredentialsError) Hint() string {
	return "configure AWS credentials (aws configure, aws sso login, or AWS_PROFILE / AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), then retry"
}

// RunError is any other failure of a terraform command, with its last diagnostic lines.
type RunError struct {
	// Op is the terraform command ("init", "plan", "apply", "output", "destroy").
	Op string
	// Dir is the root the command ran in.
	Dir string
	// Diagnostics are the last diagnostic lines terraform printed (its "Error: ..." blocks).
	Diagnostics []string
	// Err is the error of terraform-exec.
	Err error
}

// Error names the command and the root, with terraform's last diagnostic lines.
func (e *RunError) Error() string {
	if len(e.Diagnostics) == 0 {
		return fmt.Sprintf("terraform %s failed in %s: %v", e.Op, e.Dir, e.Err)
	}
	return fmt.Sprintf("terraform %s failed in %s:\n%s", e.Op, e.Dir, strings.Join(e.Diagnostics, "\n"))
}

// Unwrap returns the error of terraform-exec.
func (e *RunError) Unwrap() error { return e.Err }

// Hint says what to do next.
func (e *RunError) Hint() string {
	if e.Op == "init" {
		return fmt.Sprintf("check the backend settings and network access, then run: terraform -chdir=%s init", e.Dir)
	}
	return fmt.Sprintf("fix the problem above, then retry; to look closer: terraform -chdir=%s %s", e.Dir, e.Op)
}

// credentialMarkers are texts of the AWS provider's and AWS's own credential errors.
var credentialMarkers = []string{
	"No valid credential sources found",
	"failed to refresh cached credentials",
	"InvalidClientTokenId",
	"ExpiredToken",
	"The security token included in the request is invalid",
	"UnrecognizedClientException",
	"SignatureDoesNotMatch",
}

// maxDiagnosticLines bounds the diagnostic lines kept in errors.
const maxDiagnosticLines = 30

// classify turns a failure of op into a typed error from what terraform printed on stderr.
func classify(op, dir, stderr string, err error) error {
	diags := diagnostics(stderr)
	text := stderr + "\n" + err.Error()
	for _, m := range credentialMarkers {
		if strings.Contains(text, m) {
			detail := strings.Join(diags, "\n")
			if detail == "" {
				detail = m
			}
			return &CredentialsError{Op: op, Detail: detail}
		}
	}
	return &RunError{Op: op, Dir: dir, Diagnostics: diags, Err: err}
}

// diagnostics returns terraform's error blocks from stderr: the lines from its first "Error:" on (or its
// last lines when there is none), box drawing removed, repeated blocks and blank runs dropped, at most
// maxDiagnosticLines, the last ones.
func diagnostics(stderr string) []string {
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	for i := range lines {
		l := strings.TrimLeft(lines[i], "╷╵")
		if strings.HasPrefix(l, "│") {
			l = strings.TrimPrefix(strings.TrimPrefix(l, "│"), " ")
		}
		lines[i] = strings.TrimRight(l, " ")
	}
	// Split into blocks, each starting at an "Error:" line (the text before the first one is a block too).
	var blocks [][]string
	for _, l := range lines {
		if strings.HasPrefix(l, "Error:") || len(blocks) == 0 {
			blocks = append(blocks, nil)
		}
		blocks[len(blocks)-1] = append(blocks[len(blocks)-1], l)
	}
	if len(blocks) > 1 && !strings.HasPrefix(blocks[0][0], "Error:") {
		blocks = blocks[1:] // progress before the first error
	}
	seen := map[string]bool{}
	var out []string
	for _, b := range blocks {
		for len(b) > 0 && b[len(b)-1] == "" {
			b = b[:len(b)-1]
		}
		if len(out) > 0 {
			b = append([]string{""}, b...) // one blank line between blocks
		}
		key := strings.TrimSpace(strings.Join(b, "\n"))
		if seen[key] {
			continue
		}
		seen[key] = true
		for _, l := range b {
			if l == "" && (len(out) == 0 || out[len(out)-1] == "") {
				continue
			}
			out = append(out, l)
		}
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	if len(out) > maxDiagnosticLines {
		out = out[len(out)-maxDiagnosticLines:]
	}
	return out
}
