package tfgen

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coworks-go/coworks"
)

func TestGenerateOwnsOrSharesTheAPI(t *testing.T) {
	dev, err := Generate(baseInput("dev"))
	if err != nil {
		t.Fatal(err)
	}
	if !dev.OwnsAPI || dev.APIRoot != "api-dev" || dev.StageRoot != "stage-dev" {
		t.Errorf("dev: OwnsAPI=%v APIRoot=%q StageRoot=%q", dev.OwnsAPI, dev.APIRoot, dev.StageRoot)
	}
	if dev.Assets["stage-dev/deployment.zip"] != "/tmp/build/dev.zip" {
		t.Errorf("the zip must be copied into the stage root, assets = %v", dev.Assets)
	}
	if dev.Resources["api-dev"] != 1 || dev.Resources["stage-dev"] != 9 || dev.Resources["history-dev"] != 1 {
		t.Errorf("resources = %v, want 1 for the API, 9 for the stage (role, role policy, secrets policy, log group, function, alias, permission, deployment, stage), 1 for the history", dev.Resources)
	}

	in := baseInput("master")
	in.RestAPI.Stage = "dev"
	master, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	if master.OwnsAPI || master.APIRoot != "api-dev" {
		t.Errorf("master shares dev's API: OwnsAPI=%v APIRoot=%q", master.OwnsAPI, master.APIRoot)
	}
	for name := range master.Files {
		if !strings.HasPrefix(name, "stage-master/") && !strings.HasPrefix(name, "history-master/") {
			t.Errorf("a sharing stage must generate only its own roots, got %s", name)
		}
	}
	if s := string(master.Files["stage-master/main.tf"]); !strings.Contains(s, `"${path.module}/../api-dev/terraform.tfstate"`) {
		t.Errorf("master must read dev's API state:\n%s", s)
	}

	in = baseInput("dev")
	in.RestAPI.Stage = "dev"
	self, err := Generate(in)
	if err != nil || !self.OwnsAPI {
		t.Errorf("--rest-api-id naming the stage itself means owning the API: %v %v", self.OwnsAPI, err)
	}
}

func TestGenerateStageVariablePicksTheFunction(t *testing.T) {
	out, err := Generate(baseInput("dev"))
	if err != nil {
		t.Fatal(err)
	}
	body := string(out.Files["api-dev/openapi.json"])
	if !strings.Contains(body, ":function:simple-${stageVariables.cws_stage}:${stageVariables.cws_alias}/invocations") {
		t.Errorf("integration URI must name the function and its alias through the stage variables:\n%s", body)
	}
	stage := string(out.Files["stage-dev/stage.tf"])
	stage = strings.Join(strings.Fields(stage), " ")
	if !strings.Contains(stage, `variables = { cws_alias = "live" cws_stage = "dev" }`) || !strings.Contains(stage, `stage_name = "dev"`) {
		t.Errorf("stage must set cws_stage, cws_alias and the API Gateway stage name:\n%s", stage)
	}
	if fn := strings.Join(strings.Fields(string(out.Files["stage-dev/function.tf"])), " "); !strings.Contains(fn, `function_name = "simple-dev"`) {
		t.Errorf("function must be named {app}-{stage}:\n%s", fn)
	}
	doc, err := APIDocument(baseInput("dev"))
	if err != nil || string(doc) != body {
		t.Errorf("APIDocument must return the API root's openapi.json (err %v)", err)
	}
}

func TestGenerateReportsEveryProblemAtOnce(t *testing.T) {
	in := baseInput("dev!")
	in.APIGatewayStage = ""
	in.Function.Architecture = "arm"
	in.Function.MemorySize = 64
	in.Function.SubnetIDs = []string{"subnet-1"}
	in.Function.ManageIAMRole = false
	in.Function.Environment = map[string]string{"1BAD": "x"}
	in.API.EndpointType = "GLOBAL"
	in.API.Policy = "{not json"
	in.RestAPI = RestAPIRef{Stage: "dev", ID: "abc"}
	in.Artifact = Artifact{}
	_, err := Generate(in)
	if err == nil {
		t.Fatal("bad input accepted")
	}
	for _, want := range []string{`stage "dev!"`, "api_gateway_stage", `architecture "arm"`, "lambda_memory_size 64",
		"subnet_ids and security_group_ids", "iam_role_arn: required", "environment_variables.1BAD", `api_gateway_endpoint_type "GLOBAL"`,
		"api_gateway_policy: not valid JSON", "not both", "artifact"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	in = baseInput("dev")
	in.Routes = []coworks.Route{{Method: "GET", Path: "nope"}}
	if _, err := Generate(in); err == nil || !strings.Contains(err.Error(), "route GET nope") {
		t.Errorf("bad route: %v", err)
	}
}

func TestParseBackend(t *testing.T) {
	for _, raw := range []string{"", "null", "{}", `{"local": {}}`} {
		b, err := ParseBackend([]byte(raw))
		if err != nil || b.Type != "" {
			t.Errorf("%q: %+v %v, want local state", raw, b, err)
		}
	}
	b, err := ParseBackend([]byte(`{"s3": {"bucket": "state", "region": "eu-west-1", "use_lockfile": false}}`))
	if err != nil || b.Type != "s3" || b.Settings["bucket"] != "state" {
		t.Fatalf("s3: %+v %v", b, err)
	}
	cfg := b.config("simple", "stage-dev")
	if cfg["key"].AsString() != "cws/simple/stage-dev.tfstate" || cfg["use_lockfile"].True() {
		t.Errorf("default key prefix and an explicit use_lockfile=false must be kept: %#v", cfg)
	}
	for raw, want := range map[string]string{
		`{"s3": {}}`:                           "bucket: required",
		`{"s3": {"bucket": "b", "key": 1}}`:    "key: must be a non-empty string",
		`{"gcs": {"bucket": "b"}}`:             "unsupported backend",
		`{"s3": {"bucket": "b"}, "local": {}}`: "exactly one backend",
		`["s3"]`:                               "want an object",
		`{"local": {"path": "x"}}`:             "takes no settings",
	} {
		if _, err := ParseBackend([]byte(raw)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", raw, err, want)
		}
	}
}

// TestAPIDocumentIsValidOpenAPI validates the body of every golden case's API root with kin-openapi.
func TestAPIDocumentIsValidOpenAPI(t *testing.T) {
	for _, c := range goldenCases() {
		for _, in := range c.inputs {
			doc, err := APIDocument(in)
			if err != nil {
				t.Fatal(err)
			}
			api, err := openapi3.NewLoader().LoadFromData(doc)
			if err != nil {
				t.Fatalf("%s/%s: %v", c.name, in.Stage, err)
			}
			if err := api.Validate(context.Background()); err != nil {
				t.Errorf("%s/%s: kin-openapi rejects the body: %v", c.name, in.Stage, err)
			}
			if in.Authorizer != (api.Components != nil && api.Components.SecuritySchemes["cws_authorizer"] != nil) {
				t.Errorf("%s/%s: authorizer in the body = %v, want %v", c.name, in.Stage, !in.Authorizer, in.Authorizer)
			}
		}
	}
}

func TestStateRootsHoldOnlyTheSettings(t *testing.T) {
	in := baseInput("feature-x")
	in.Backend = Backend{Type: "s3", Settings: map[string]any{"bucket": "simple-state"}}
	files, err := StateRoots(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 {
		t.Fatalf("files: %v", slices.Sorted(maps.Keys(files)))
	}
	// The history root keeps the history in its state next to the stage's, and nothing else.
	if h := string(files["history-feature-x/main.tf"]); !strings.Contains(h, `resource "terraform_data" "history"`) || !strings.Contains(h, `"cws/simple/history-feature-x.tfstate"`) ||
		strings.Contains(h, "provider") || string(files["history-feature-x/history.json"]) != "[]\n" {
		t.Errorf("history-feature-x/main.tf:\n%s", h)
	}
	for root, key := range map[string]string{"stage-feature-x": "cws/simple/stage-feature-x.tfstate", "api-feature-x": "cws/simple/api-feature-x.tfstate"} {
		main := string(files[root+"/main.tf"])
		if !IsGenerated([]byte(main)) || !strings.Contains(main, `"`+key+`"`) || !strings.Contains(main, `provider "aws"`) || strings.Contains(main, "resource ") {
			t.Errorf("%s/main.tf:\n%s", root, main)
		}
	}
	if problems := loadSchema(t).CheckFiles(files); len(problems) > 0 {
		t.Errorf("schema: %s", joined(problems))
	}
	in.Backend = Backend{}
	if _, err := StateRoots(in); err == nil || !strings.Contains(err.Error(), "needs a remote terraform_backend") {
		t.Errorf("local state: %v", err)
	}
}
