package config

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

func mustParse(t testing.TB, src string) *Project {
	t.Helper()
	p, err := Parse("config.json", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	checkSchema(t, []byte(src))
	return p
}

func mustResolve(t *testing.T, p *Project, stage, fn string, o Overrides) *Stage {
	t.Helper()
	s, err := p.Resolve(stage, fn, o)
	if err != nil {
		t.Fatalf("resolve %s/%s: %v", stage, fn, err)
	}
	return s
}

// Cases from Chalice's tests/unit/test_config.py, as named in chalice-compat.md, and our divergences.
func TestResolveChaliceCases(t *testing.T) {
	no := false
	tests := []struct {
		name     string
		config   string
		stage    string
		fn       string
		o        Overrides
		check    func(t *testing.T, s *Stage)
		wantFrom map[string]Layer
	}{
		{
			name: "test_env_vars_chain_merge",
			config: `{"app_name": "a",
				"environment_variables": {"top_level": "foo", "shared_stage_key": "from-top", "shared_stage": "from-top"},
				"stages": {"dev": {
					"environment_variables": {"stage_var": "bar", "shared_stage_key": "from-stage", "shared_stage": "from-stage"},
					"lambda_functions": {"api_handler": {"environment_variables": {"function_key": "from-function", "shared_stage": "from-function"}}}}}}`,
			stage: "dev",
			check: func(t *testing.T, s *Stage) {
				want := map[string]string{"top_level": "foo", "stage_var": "bar", "shared_stage_key": "from-stage", "shared_stage": "from-function", "function_key": "from-function"}
				if !maps.Equal(s.EnvironmentVariables, want) {
					t.Errorf("env = %v, want %v", s.EnvironmentVariables, want)
				}
			},
		},
		{
			name: "test_stage_overrides_function_values",
			config: `{"app_name": "a", "lambda_functions": {"api_handler": {"lambda_timeout": 5}},
				"stages": {"dev": {"lambda_timeout": 10}}}`,
			stage:    "dev",
			check:    func(t *testing.T, s *Stage) { wantInt(t, "timeout", s.LambdaTimeout, 10) },
			wantFrom: map[string]Layer{"lambda_timeout": LayerStage},
		},
		{
			name: "top-level function beats top level",
			config: `{"app_name": "a", "lambda_timeout": 30, "lambda_functions": {"api_handler": {"lambda_timeout": 5}},
				"stages": {"dev": {}}}`,
			stage:    "dev",
			check:    func(t *testing.T, s *Stage) { wantInt(t, "timeout", s.LambdaTimeout, 5) },
			wantFrom: map[string]Layer{"lambda_timeout": LayerTopFunction},
		},
		{
			name:     "stage function beats a CLI flag (Chalice quirk)",
			config:   `{"app_name": "a", "stages": {"dev": {"lambda_functions": {"api_handler": {"autogen_policy": true}}}}}`,
			stage:    "dev",
			o:        Overrides{AutogenPolicy: &no},
			check:    func(t *testing.T, s *Stage) { wantBool(t, "autogen", s.AutogenPolicy, true) },
			wantFrom: map[string]Layer{"autogen_policy": LayerStageFunction},
		},
		{
			name:   "CLI flag beats stage",
			config: `{"app_name": "a", "stages": {"dev": {"autogen_policy": true, "api_gateway_stage": "x"}}}`,
			stage:  "dev",
			o:      Overrides{AutogenPolicy: &no, APIGatewayStage: "flagged"},
			check: func(t *testing.T, s *Stage) {
				wantBool(t, "autogen", s.AutogenPolicy, false)
				wantStr(t, "apigw", s.APIGatewayStage, "flagged")
			},
			wantFrom: map[string]Layer{"autogen_policy": LayerOverride, "api_gateway_stage": LayerOverride},
		},
		{
			name:   "present means not null: [] at stage hides top-level layers",
			config: `{"app_name": "a", "layers": ["arn:top"], "stages": {"dev": {"layers": []}}}`,
			stage:  "dev",
			check: func(t *testing.T, s *Stage) {
				if len(s.Layers) != 0 {
					t.Errorf("layers = %v, want []", s.Layers)
				}
			},
		},
		{
			name:     "null at stage function falls through",
			config:   `{"app_name": "a", "lambda_timeout": 42, "stages": {"dev": {"lambda_functions": {"api_handler": {"lambda_timeout": null}}}}}`,
			stage:    "dev",
			check:    func(t *testing.T, s *Stage) { wantInt(t, "timeout", s.LambdaTimeout, 42) },
			wantFrom: map[string]Layer{"lambda_timeout": LayerTop},
		},
		{
			name:   "false and 0 are present",
			config: `{"app_name": "a", "xray": true, "reserved_concurrency": 5, "stages": {"dev": {"xray": false, "reserved_concurrency": 0}}}`,
			stage:  "dev",
			check: func(t *testing.T, s *Stage) {
				wantBool(t, "xray", s.XRay, false)
				if s.ReservedConcurrency != Some(0) {
					t.Errorf("reserved = %+v, want set 0", s.ReservedConcurrency)
				}
			},
		},
		{
			name:   "test_can_create_scope_new_stage_and_function: missing stage uses top level",
			config: `{"app_name": "a", "api_gateway_stage": "top", "stages": {"dev": {"api_gateway_stage": "dev"}}}`,
			stage:  "prod",
			fn:     "myfunction",
			check: func(t *testing.T, s *Stage) {
				wantStr(t, "apigw", s.APIGatewayStage, "top")
				wantStr(t, "name", s.FunctionName(), "a-prod-myfunction")
			},
		},
		{
			name:   "defaults as Chalice injects them",
			config: `{"app_name": "a"}`,
			stage:  "dev",
			check: func(t *testing.T, s *Stage) {
				wantStr(t, "apigw", s.APIGatewayStage, "api")
				wantStr(t, "endpoint", s.APIGatewayEndpointType, "EDGE")
				wantInt(t, "timeout", s.LambdaTimeout, 60)
				wantInt(t, "memory", s.LambdaMemorySize, 128)
				wantBool(t, "autogen", s.AutogenPolicy, true)
				wantBool(t, "manage role", s.ManageIAMRole, true)
				wantStr(t, "policy file", s.IAMPolicyFile, "policy-dev.json")
				wantStr(t, "target", s.DeployTarget, "local")
				wantStr(t, "arch", s.LambdaArchitecture, "arm64")
				wantInt(t, "port", s.LocalGatewayPort, 8000)
				wantStr(t, "name", s.FunctionName(), "a-dev")
				if s.ReservedConcurrency.Set || s.MinimumCompressionSize.Set {
					t.Error("unset optionals reported as set")
				}
			},
			wantFrom: map[string]Layer{"lambda_timeout": LayerDefault},
		},
		{
			name:   "top-level function env vars: ignored by Chalice, applied by cws between top and stage",
			config: `{"app_name": "a", "environment_variables": {"A": "top", "B": "top"}, "lambda_functions": {"api_handler": {"environment_variables": {"B": "tf", "C": "tf"}}}, "stages": {"dev": {"environment_variables": {"C": "stage"}}}}`,
			stage:  "dev",
			check: func(t *testing.T, s *Stage) {
				want := map[string]string{"A": "top", "B": "tf", "C": "stage"}
				if !maps.Equal(s.EnvironmentVariables, want) {
					t.Errorf("env = %v, want %v", s.EnvironmentVariables, want)
				}
				b, _ := s.EnvSource("B")
				c, _ := s.EnvSource("C")
				if b.Layer != LayerTopFunction || c.Path != "stages.dev.environment_variables.C" {
					t.Errorf("sources = %+v %+v", b, c)
				}
			},
		},
		{
			name:   "tags merge and the forced aws-chalice tag",
			config: `{"app_name": "a", "tags": {"team": "x", "aws-chalice": "mine"}, "stages": {"dev": {"tags": {"env": "dev"}}}}`,
			stage:  "dev",
			check: func(t *testing.T, s *Stage) {
				got := s.DeployTags("1.0")
				want := map[string]string{"team": "x", "env": "dev", "aws-chalice": "version=1.0:stage=dev:app=a"}
				if !maps.Equal(got, want) {
					t.Errorf("tags = %v, want %v", got, want)
				}
				// The user's aws-chalice value is never effective: not in Tags, nor in what stage show shows.
				if user := map[string]string{"team": "x", "env": "dev"}; !maps.Equal(s.Tags, user) {
					t.Errorf("Tags = %v, want %v", s.Tags, user)
				}
				if st, _ := s.Setting("tags"); st.Value.Get("aws-chalice") != nil || st.Value.Get("team") == nil {
					t.Errorf("tags setting = %s, want it without aws-chalice", st.Value.Encode())
				}
			},
		},
		{
			name: "extends chain: stage, then parents, then top level",
			config: `{"app_name": "a", "lambda_timeout": 1, "aws_region": "eu-west-1", "environment_variables": {"A": "top", "B": "top", "C": "top"},
				"stages": {
					"base": {"lambda_timeout": 2, "lambda_memory_size": 256, "environment_variables": {"B": "base", "C": "base"}, "deploy_target": "terraform"},
					"mid": {"extends": "base", "lambda_memory_size": 512, "environment_variables": {"C": "mid"}},
					"leaf": {"extends": "mid", "api_gateway_stage": "leaf"}}}`,
			stage: "leaf",
			check: func(t *testing.T, s *Stage) {
				wantInt(t, "timeout", s.LambdaTimeout, 2)
				wantInt(t, "memory", s.LambdaMemorySize, 512)
				wantStr(t, "target", s.DeployTarget, "terraform")
				wantStr(t, "region", s.AWSRegion, "eu-west-1")
				want := map[string]string{"A": "top", "B": "base", "C": "mid"}
				if !maps.Equal(s.EnvironmentVariables, want) {
					t.Errorf("env = %v, want %v", s.EnvironmentVariables, want)
				}
			},
			wantFrom: map[string]Layer{"lambda_timeout": LayerExtends, "deploy_target": LayerExtends, "api_gateway_stage": LayerStage, "aws_region": LayerTop},
		},
		{
			name:   "per-function architecture",
			config: `{"app_name": "a", "lambda_architecture": "x86_64", "stages": {"dev": {"lambda_functions": {"worker": {"lambda_architecture": "arm64"}}}}}`,
			stage:  "dev",
			fn:     "worker",
			check:  func(t *testing.T, s *Stage) { wantStr(t, "arch", s.LambdaArchitecture, "arm64") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.config)
			if ds := p.Validate(); ds.HasErrors() {
				t.Fatalf("unexpected errors: %v", ds.Errors())
			}
			s := mustResolve(t, p, tt.stage, tt.fn, tt.o)
			tt.check(t, s)
			for key, layer := range tt.wantFrom {
				st, _ := s.Setting(key)
				if st.Source.Layer != layer {
					t.Errorf("%s from %v (%s), want layer %d", key, st.Source.Layer, st.Source, layer)
				}
			}
		})
	}
}

func TestResolveExtendsErrors(t *testing.T) {
	p := mustParse(t, `{"app_name": "a", "stages": {"x": {"extends": "y"}, "y": {"extends": "x"}, "z": {"extends": "nope"}}}`)
	var cyc *ExtendsCycleError
	if _, err := p.Resolve("x", "", Overrides{}); !errors.As(err, &cyc) || !strings.Contains(err.Error(), "x -> y -> x") {
		t.Errorf("cycle: %v", err)
	}
	var miss *MissingParentError
	if _, err := p.Resolve("z", "", Overrides{}); !errors.As(err, &miss) {
		t.Errorf("missing parent: %v", err)
	}
}

func wantInt(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %d, want %d", what, got, want)
	}
}

func wantStr(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func wantBool(t *testing.T, what string, got, want bool) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
