package terraform

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/coworks-go/coworks"
	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/tfgen"
)

// Source is everything the generation input of one stage is made from: the resolved stage, where it is
// deployed, and the built function.
type Source struct {
	// Stage is the resolved stage (config.Project.Resolve). It is not modified.
	Stage *config.Stage
	// ProjectDir is the project directory; api_gateway_policy_file is read relative to its .chalice/.
	ProjectDir string
	// Region is the AWS region to pin in the provider block; empty leaves it to the AWS environment.
	Region string
	// RestAPI names the API the stage attaches to; the zero value makes the stage own its API.
	RestAPI tfgen.RestAPIRef
	// ZipPath and SHA256 are the deployment package and its base64 SHA-256.
	ZipPath, SHA256 string
	// Commit is the git commit the package was built from, "" when unknown.
	Commit string
	// Routes is the function's route table.
	Routes []coworks.Route
	// BinaryMediaTypes are the API's binary media types.
	BinaryMediaTypes []string
	// Authorizer forces a TOKEN authorizer; without it one is generated when a route is Authorized (the
	// service has an Auth method).
	Authorizer bool
}

// InputFor maps src to the input of tfgen.Generate: every setting of the resolved stage that Terraform
// generation honours goes to its tfgen field (memory, timeout, architecture, reserved concurrency,
// environment, tags, aws_default_tags, layers, VPC, X-Ray, log retention, IAM role, the iam_policy_file's
// content when autogen_policy is false, endpoint type and VPC endpoints, the resource policy file's content,
// minimum compression size, terraform_backend). It reads the policy files and fails when one is missing or
// not JSON, or when terraform_backend is not a backend tfgen knows. Settings it cannot honour are listed by
// Unsupported.
func InputFor(src Source) (tfgen.Input, error) {
	s := src.Stage
	if s == nil {
		return tfgen.Input{}, fmt.Errorf("terraform input: no resolved stage")
	}
	in := tfgen.Input{
		AppName:         s.AppName,
		Stage:           s.StageName,
		APIGatewayStage: s.APIGatewayStage,
		Region:          src.Region,
		DefaultTags:     clone(s.AWSDefaultTags),
		Function: tfgen.Function{
			Architecture:        s.LambdaArchitecture,
			MemorySize:          s.LambdaMemorySize,
			Timeout:             s.LambdaTimeout,
			ReservedConcurrency: optional(s.ReservedConcurrency),
			Environment:         clone(s.EnvironmentVariables),
			Tags:                clone(s.Tags),
			Layers:              slices.Clone(s.Layers),
			SubnetIDs:           slices.Clone(s.SubnetIDs),
			SecurityGroupIDs:    slices.Clone(s.SecurityGroupIDs),
			XRay:                s.XRay,
			LogRetentionInDays:  optional(s.LogRetentionInDays),
			ManageIAMRole:       s.ManageIAMRole,
			IAMRoleARN:          s.IAMRoleARN,
		},
		API: tfgen.API{
			EndpointType:           s.APIGatewayEndpointType,
			VPCEndpointIDs:         slices.Clone(s.APIGatewayEndpointVPCE),
			MinimumCompressionSize: optional(s.MinimumCompressionSize),
			BinaryMediaTypes:       slices.Clone(src.BinaryMediaTypes),
		},
		Authorizer: src.Authorizer || anyAuthorized(src.Routes),
		RestAPI:    src.RestAPI,
		Routes:     src.Routes,
		Artifact:   tfgen.Artifact{ZipPath: src.ZipPath, SHA256: src.SHA256, Commit: src.Commit},
	}
	if in.APIGatewayStage == "" {
		in.APIGatewayStage = "api"
	}
	var err error
	if s.APIGatewayPolicyFile != "" {
		if in.API.Policy, err = readPolicy(src.ProjectDir, "api_gateway_policy_file", s.APIGatewayPolicyFile); err != nil {
			return tfgen.Input{}, err
		}
	}
	if s.ManageIAMRole && !s.AutogenPolicy {
		if in.Function.Policy, err = readPolicy(src.ProjectDir, "iam_policy_file", s.IAMPolicyFile); err != nil {
			return tfgen.Input{}, err
		}
	}
	if s.TerraformBackend != nil {
		raw, err := json.Marshal(s.TerraformBackend)
		if err != nil {
			return tfgen.Input{}, fmt.Errorf("terraform_backend: %w", err)
		}
		if in.Backend, err = tfgen.ParseBackend(raw); err != nil {
			return tfgen.Input{}, err
		}
	}
	return in, nil
}

// Unsupported lists, one sentence each, the settings of s that Terraform generation does not honour, so the
// commands can say so instead of silently dropping them.
func Unsupported(s *config.Stage) []string {
	var notes []string
	if s.APIGatewayCustomDomain != nil {
		notes = append(notes, "api_gateway_custom_domain is not generated: add the aws_api_gateway_domain_name and base path mapping to the API root yourself")
	}
	if s.WebsocketAPICustomDomain != nil {
		notes = append(notes, "websocket_api_custom_domain is ignored: cws deploys REST APIs only")
	}
	if s.AutomaticLayer {
		notes = append(notes, "automatic_layer is ignored: a Go function is one static binary")
	}
	return notes
}

// readPolicy reads the JSON policy file named by key (a path relative to .chalice/).
func readPolicy(projectDir, key, name string) (string, error) {
	path := filepath.Join(projectDir, ".chalice", filepath.FromSlash(name))
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s %q (relative to .chalice/): %w", key, name, err)
	}
	if !json.Valid(data) {
		return "", fmt.Errorf("%s %s: not valid JSON", key, path)
	}
	return string(data), nil
}

func optional(o config.Optional) *int {
	if !o.Set {
		return nil
	}
	n := o.Value
	return &n
}

func clone(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// anyAuthorized reports whether a route of the table is guarded by the service's Auth method.
func anyAuthorized(routes []coworks.Route) bool {
	for _, r := range routes {
		if r.Authorized {
			return true
		}
	}
	return false
}
