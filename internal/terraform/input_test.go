package terraform

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/coworks-go/coworks"
	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/tfgen"
)

// everyKey sets every key Terraform generation honours, some globally and some in the stage, so the test
// also sees Chalice's lookup order at work.
const everyKey = `{
  "version": "2.0",
  "app_name": "shop",
  "environment_variables": {"SHARED": "top", "LEVEL": "top"},
  "tags": {"team": "payments"},
  "lambda_memory_size": 512,
  "terraform_backend": {"s3": {"bucket": "state-bucket", "region": "eu-west-1"}},
  "stages": {
    "prod": {
      "api_gateway_stage": "v1",
      "api_gateway_endpoint_type": "REGIONAL",
      "api_gateway_policy_file": "policies/api.json",
      "minimum_compression_size": 1024,
      "environment_variables": {"LEVEL": "prod"},
      "tags": {"env": "prod"},
      "lambda_timeout": 30,
      "lambda_architecture": "x86_64",
      "reserved_concurrency": 0,
      "layers": ["arn:aws:lambda:eu-west-1:123456789012:layer:tools:3"],
      "subnet_ids": ["subnet-1", "subnet-2"],
      "security_group_ids": ["sg-1"],
      "xray": true,
      "log_retention_in_days": 14,
      "manage_iam_role": false,
      "iam_role_arn": "arn:aws:iam::123456789012:role/shop-prod",
      "aws_region": "eu-west-3",
      "aws_default_tags": {"owner": "platform"}
    },
    "dev": {},
    "owned": {"autogen_policy": false, "iam_policy_file": "policies/role.json"},
    "internal": {"api_gateway_endpoint_type": "PRIVATE", "api_gateway_endpoint_vpce": ["vpce-0abc", "vpce-0def"]}
  }
}`

const policy = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"}]}`

func resolved(t *testing.T, configJSON, stage string) *config.Stage {
	t.Helper()
	p, err := config.Parse("config.json", []byte(configJSON))
	if err != nil {
		t.Fatal(err)
	}
	if ds := p.Validate(); ds.HasErrors() {
		t.Fatalf("test config has errors: %v", ds.Errors())
	}
	s, err := p.Resolve(stage, "", config.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func projectWithPolicy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".chalice", "policies"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".chalice", "policies", "api.json"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestInputForMapsEveryKey(t *testing.T) {
	dir := projectWithPolicy(t)
	routes := []coworks.Route{{Method: "GET", Path: "/"}}
	in, err := InputFor(Source{
		Stage: resolved(t, everyKey, "prod"), ProjectDir: dir, Region: "eu-west-3",
		RestAPI: tfgen.RestAPIRef{ID: "a1b2c3"}, ZipPath: "/tmp/f.zip", SHA256: "c2hh", Commit: "abc123", Routes: routes,
		BinaryMediaTypes: []string{"image/png"}, Authorizer: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	zero, five := 0, 1024
	fourteen := 14
	want := tfgen.Input{
		AppName: "shop", Stage: "prod", APIGatewayStage: "v1", Region: "eu-west-3",
		DefaultTags: map[string]string{"owner": "platform"},
		Function: tfgen.Function{
			Architecture: "x86_64", MemorySize: 512, Timeout: 30, ReservedConcurrency: &zero,
			Environment:        map[string]string{"SHARED": "top", "LEVEL": "prod"},
			Tags:               map[string]string{"team": "payments", "env": "prod"},
			Layers:             []string{"arn:aws:lambda:eu-west-1:123456789012:layer:tools:3"},
			SubnetIDs:          []string{"subnet-1", "subnet-2"},
			SecurityGroupIDs:   []string{"sg-1"},
			XRay:               true,
			LogRetentionInDays: &fourteen,
			ManageIAMRole:      false,
			IAMRoleARN:         "arn:aws:iam::123456789012:role/shop-prod",
		},
		API: tfgen.API{
			EndpointType: "REGIONAL", Policy: policy,
			MinimumCompressionSize: &five, BinaryMediaTypes: []string{"image/png"},
		},
		Authorizer: true,
		Backend:    tfgen.Backend{Type: "s3", Settings: map[string]any{"bucket": "state-bucket", "region": "eu-west-1"}},
		RestAPI:    tfgen.RestAPIRef{ID: "a1b2c3"},
		Routes:     routes,
		Artifact:   tfgen.Artifact{ZipPath: "/tmp/f.zip", SHA256: "c2hh", Commit: "abc123"},
	}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("InputFor:\n got %+v\nwant %+v", in, want)
	}
}

// TestInputForGeneratesTheSettings follows the mapped input through tfgen.Generate: what a user configured
// shows up in the Terraform they will apply.
func TestInputForGeneratesTheSettings(t *testing.T) {
	dir := projectWithPolicy(t)
	in, err := InputFor(Source{Stage: resolved(t, everyKey, "prod"), ProjectDir: dir, Region: "eu-west-3",
		ZipPath: "/tmp/f.zip", SHA256: "c2hh", Routes: []coworks.Route{{Method: "GET", Path: "/"}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := tfgen.Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	flat := func(root string) string { // the root's files, whitespace runs collapsed
		var all []string
		for name, data := range out.Files {
			if strings.HasPrefix(name, root+"/") && strings.HasSuffix(name, ".tf") {
				all = append(all, strings.Join(strings.Fields(string(data)), " "))
			}
		}
		return strings.Join(all, "\n")
	}
	fn, api := flat("stage-prod"), flat("api-prod")
	for _, want := range []string{`cws = "app=shop:stage=prod"`, `team = "payments"`, `env = "prod"`, `LEVEL = "prod"`, `SHARED = "top"`,
		`reserved_concurrent_executions = 0`, `retention_in_days = 14`, `"arn:aws:lambda:eu-west-1:123456789012:layer:tools:3"`,
		`"subnet-1"`, `"sg-1"`, `mode = "Active"`, `"arn:aws:iam::123456789012:role/shop-prod"`, `memory_size = 512`, `timeout = 30`,
		`architectures = ["x86_64"]`} {
		if !strings.Contains(fn, want) {
			t.Errorf("the stage root lacks %s:\n%s", want, fn)
		}
	}
	if strings.Contains(fn, `resource "aws_iam_role"`) {
		t.Error("manage_iam_role false must not create a role")
	}
	if !strings.Contains(fn, `default_tags { tags = { owner = "platform" } }`) {
		t.Errorf("the stage root lacks the provider's default_tags:\n%s", fn)
	}
	for _, want := range []string{`"REGIONAL"`, `execute-api:Invoke`, `minimum_compression_size`, `bucket`, `"state-bucket"`,
		`default = "eu-west-3"`, `default_tags { tags = { owner = "platform" } }`} {
		if !strings.Contains(api, want) {
			t.Errorf("the API root lacks %s:\n%s", want, api)
		}
	}
}

func TestInputForDefaultsAndErrors(t *testing.T) {
	in, err := InputFor(Source{Stage: resolved(t, everyKey, "dev"), ProjectDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if in.APIGatewayStage != "api" || !in.Function.ManageIAMRole || in.Function.ReservedConcurrency != nil ||
		in.Function.LogRetentionInDays != nil || in.API.MinimumCompressionSize != nil || in.Function.Architecture != "arm64" ||
		in.Function.Timeout != 60 || in.API.EndpointType != "EDGE" || in.API.Policy != "" {
		t.Errorf("defaults: %+v", in)
	}

	priv, err := InputFor(Source{Stage: resolved(t, everyKey, "internal")})
	if err != nil || priv.API.EndpointType != "PRIVATE" || !reflect.DeepEqual(priv.API.VPCEndpointIDs, []string{"vpce-0abc", "vpce-0def"}) {
		t.Errorf("private endpoint: %+v, %v", priv.API, err)
	}

	// The policy file is read relative to .chalice/: missing, it is an error naming the key.
	_, err = InputFor(Source{Stage: resolved(t, everyKey, "prod"), ProjectDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), `api_gateway_policy_file "policies/api.json" (relative to .chalice/)`) {
		t.Errorf("missing policy file: %v", err)
	}
	// autogen_policy false: iam_policy_file is read the same way, and attached to the managed role.
	_, err = InputFor(Source{Stage: resolved(t, everyKey, "owned"), ProjectDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), `iam_policy_file "policies/role.json" (relative to .chalice/)`) {
		t.Errorf("missing iam policy file: %v", err)
	}
	dir := projectWithPolicy(t)
	if err := os.WriteFile(filepath.Join(dir, ".chalice", "policies", "role.json"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	owned, err := InputFor(Source{Stage: resolved(t, everyKey, "owned"), ProjectDir: dir})
	if err != nil || owned.Function.Policy != policy || !owned.Function.ManageIAMRole {
		t.Errorf("iam_policy_file: %q, %v", owned.Function.Policy, err)
	}
	s := resolved(t, everyKey, "dev")
	s.TerraformBackend = map[string]any{"gcs": map[string]any{"bucket": "x"}}
	if _, err := InputFor(Source{Stage: s}); err == nil || !strings.Contains(err.Error(), "terraform_backend.gcs: unsupported backend") {
		t.Errorf("unknown backend: %v", err)
	}
}

func TestUnsupportedSettingsAreNamed(t *testing.T) {
	s := resolved(t, `{"app_name": "shop", "stages": {"dev": {"autogen_policy": false,
	  "api_gateway_custom_domain": {"domain_name": "api.example.com", "certificate_arn": "arn:aws:acm:us-east-1:1:certificate/x"}}}}`, "dev")
	notes := strings.Join(Unsupported(s), "\n")
	for _, want := range []string{"api_gateway_custom_domain is not generated"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if n := Unsupported(resolved(t, everyKey, "dev")); len(n) != 0 {
		t.Errorf("a plain stage has notes: %v", n)
	}
}

func TestInputForGeneratesAnAuthorizerWhenRoutesAreAuthorized(t *testing.T) {
	routes := []coworks.Route{{Method: "GET", Path: "/"}, {Method: "GET", Path: "/value/{_0}"}}
	in, err := InputFor(Source{Stage: resolved(t, everyKey, "dev"), ProjectDir: t.TempDir(), Routes: routes})
	if err != nil {
		t.Fatal(err)
	}
	if in.Authorizer {
		t.Error("Authorizer = true for routes no Auth method guards")
	}
	routes[1].Authorized = true
	in, err = InputFor(Source{Stage: resolved(t, everyKey, "dev"), ProjectDir: t.TempDir(), Routes: routes})
	if err != nil {
		t.Fatal(err)
	}
	if !in.Authorizer {
		t.Error("Authorizer = false although the service's Auth guards a route")
	}
}
