package tfschema

import (
	"errors"
	"strings"
	"testing"
)

// loadSchema is the shipped hashicorp/aws schema, or the test's end.
func loadSchema(t testing.TB) *Schema {
	t.Helper()
	s, err := AWS()
	if err != nil {
		t.Fatalf("provider schema: %v", err)
	}
	return s
}

func joined(errs []error) string {
	lines := make([]string, len(errs))
	for i, err := range errs {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

func TestLoad(t *testing.T) {
	s := loadSchema(t)
	if s.ProviderVersion != "6.66.0" || s.Resources["aws_lambda_function"] == nil || s.DataSources["aws_region"] == nil {
		t.Fatalf("schema: version %q, %d resources, %d data sources", s.ProviderVersion, len(s.Resources), len(s.DataSources))
	}
	if s.Resources["terraform_data"] == nil || s.DataSources["terraform_remote_state"] == nil {
		t.Fatal("the built-in provider's types are missing")
	}
	for _, bad := range []string{`{"resources": `, `{"provider_version": "1.0"}`, `[]`} {
		if _, err := Load([]byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "tfschema: ") {
			t.Errorf("Load(%q) = %v, want a tfschema error", bad, err)
		}
	}
}

// TestCheckRootCatches feeds the checker broken HCL, one mistake per case, and requires the right problem.
func TestCheckRootCatches(t *testing.T) {
	schema := loadSchema(t)
	const fn = `
resource "aws_iam_role" "r" {
  assume_role_policy = "{}"
}
resource "aws_lambda_function" "f" {
  function_name = "f"
  role          = aws_iam_role.r.arn
  %s
}
`
	cases := []struct {
		name, hcl, want string
	}{
		{"unknown argument", `runtimee = "provided.al2023"`, `main.tf:8: aws_lambda_function.f: unknown argument "runtimee"`},
		{"unknown block", `environmnt { variables = {} }`, `unknown block "environmnt"`},
		{"block as attribute", `environment = { variables = {} }`, "environment is a block, written as an attribute"},
		{"attribute as block", `tags { a = "b" }`, "tags is an attribute, written as a block"},
		{"too many blocks", "environment {}\n  environment {}", "2 environment blocks, at most 1 allowed"},
		{"computed-only attribute", `invoke_arn = "x"`, "invoke_arn is computed by the provider and cannot be set"},
		{"computed-only nested attribute", "vpc_config {\n subnet_ids = []\n security_group_ids = []\n vpc_id = \"v\"\n}", "vpc_id is computed"},
		{"id set", `id = "x"`, "id must not be set"},
		{"constant of the wrong type", `memory_size = "lots"`, `aws_lambda_function.f: memory_size: wrong type: a number is required (want number)`},
		{"list for a string", `handler = ["bootstrap"]`, `handler: wrong type: string required, but have tuple (want string)`},
		{"map of the wrong element type", `tags = { a = ["b"] }`, `tags: wrong type:`},
		{"tags_all set", `tags_all = {}`, "tags_all must not be set"},
		{"missing nested required", "vpc_config {\n subnet_ids = []\n}", `missing required argument "security_group_ids"`},
		{"unknown block in dynamic", "dynamic \"nope\" {\n for_each = []\n content {}\n}", `unknown block "nope"`},
		{"bad argument in dynamic content", "dynamic \"environment\" {\n for_each = [1]\n content {\n vars = {}\n }\n}", `unknown argument "vars"`},
		{"reference to a missing attribute", `description = aws_iam_role.r.invoke_url`, `aws_iam_role.r has no attribute "invoke_url"`},
		{"reference to an undeclared resource", `description = aws_iam_role.other.arn`, "reference to undeclared aws_iam_role.other"},
		{"reference to an undeclared local", `description = local.nope`, "reference to undeclared local.nope"},
		{"reference to an undeclared variable", `description = var.nope`, "reference to undeclared var.nope"},
		{"reference to an undeclared data source", `description = data.aws_region.here.region`, "reference to undeclared data.aws_region.here"},
		{"depends_on an undeclared resource", `depends_on = [aws_cloudwatch_log_group.lg]`, "reference to undeclared aws_cloudwatch_log_group.lg"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(fn, "%s", c.hcl, 1)
			problems := schema.CheckRoot(map[string][]byte{"main.tf": []byte(src)}, nil)
			if len(problems) == 0 || !strings.Contains(joined(problems), c.want) {
				t.Fatalf("want a problem containing %q, got %q for\n%s", c.want, problems, src)
			}
			var p *Problem
			if !errors.As(problems[0], &p) || p.Filename != "main.tf" || p.Line == 0 {
				t.Fatalf("problem %#v: want a *Problem with file and line", problems[0])
			}
		})
	}

	others := []struct {
		name, hcl, want string
	}{
		{"missing required argument", `resource "aws_lambda_function" "f" { function_name = "f" }`, `missing required argument "role"`},
		{"unknown resource type", `resource "aws_lambda_functions" "f" {}`, `resource type "aws_lambda_functions" is not in the provider schema`},
		{"unknown data source type", `data "aws_regions" "r" {}`, `data type "aws_regions" is not in the provider schema`},
		{"declared twice", "resource \"aws_iam_role\" \"r\" { assume_role_policy = \"{}\" }\nresource \"aws_iam_role\" \"r\" { assume_role_policy = \"{}\" }", "aws_iam_role.r is declared twice"},
		{"deployment stage_name removed in 6.x", `resource "aws_api_gateway_deployment" "d" {
  rest_api_id = "x"
  stage_name  = "api"
}`, `unknown argument "stage_name"`},
		{"deployment invoke_url removed in 6.x", `resource "aws_api_gateway_deployment" "d" { rest_api_id = "x" }
output "u" { value = aws_api_gateway_deployment.d.invoke_url }`, `aws_api_gateway_deployment.d has no attribute "invoke_url"`},
		{"remote state output the remote root lacks", `data "terraform_remote_state" "api" { backend = "local" }
locals { x = data.terraform_remote_state.api.outputs.nope }`, `the remote root declares no output "nope"`},
		{"output without value", `output "o" { description = "d" }`, "has no value"},
		{"unknown top-level block", `resources "aws_iam_role" "r" {}`, `unknown top-level block "resources"`},
		{"syntax error", `resource "aws_iam_role" "r" {`, "main.tf:1: Unclosed configuration block"},
	}
	for _, c := range others {
		t.Run(c.name, func(t *testing.T) {
			problems := schema.CheckRoot(map[string][]byte{"main.tf": []byte(c.hcl)}, map[string]bool{"rest_api_id": true})
			if len(problems) == 0 || !strings.Contains(joined(problems), c.want) {
				t.Fatalf("want a problem containing %q, got %q", c.want, problems)
			}
		})
	}

	// And a correct snippet passes, so the cases above fail for their own mistake only.
	// Terraform converts "256" to a number and 1 to a string; references and function calls are not constants.
	good := strings.Replace(fn, "%s", "environment {\n variables = { A = \"1\", B = 2 }\n}\n  memory_size = \"256\"\n  handler = 1\n"+
		"  description = \"${aws_iam_role.r.name} role\"\n  layers = concat([\"a\"], [])\n  depends_on = [aws_iam_role.r]", 1)
	if problems := schema.CheckRoot(map[string][]byte{"main.tf": []byte(good)}, nil); len(problems) > 0 {
		t.Fatalf("a valid root was rejected: %q", problems)
	}
}

// apiRoot and stageRoot are a minimal pair of roots where the second reads the first's state.
const apiRoot = `
resource "aws_api_gateway_rest_api" "api" {
  name = "a"
}
output "rest_api_id" {
  value = aws_api_gateway_rest_api.api.id
}
`

const stageRoot = `
data "terraform_remote_state" "api" {
  backend = "local"
  config = {
    path = "${path.module}/../api-dev/terraform.tfstate"
  }
}
locals {
  rest_api_id = data.terraform_remote_state.api.outputs.%s
}
resource "aws_api_gateway_deployment" "d" {
  rest_api_id = local.rest_api_id
}
`

// TestCheckFilesFollowsRemoteState checks a tree of roots: a terraform_remote_state reads the outputs of the
// root whose state it names, through a local path or an s3 bucket and key, and of no other root.
func TestCheckFilesFollowsRemoteState(t *testing.T) {
	schema := loadSchema(t)
	tree := func(output string) map[string][]byte {
		return map[string][]byte{
			"api-dev/api.tf":        []byte(apiRoot),
			"api-dev/openapi.json":  []byte(`{"not": "terraform"}`),
			"stage-dev/main.tf":     []byte(strings.Replace(stageRoot, "%s", output, 1)),
			"stage-dev/bootstrap":   []byte{0, 1, 2},
			"other/outputs.tf":      []byte(`output "execution_arn" { value = "x" }`),
			"stage-dev/readme.json": []byte("{"),
		}
	}
	if problems := schema.CheckFiles(tree("rest_api_id")); len(problems) > 0 {
		t.Fatalf("a valid tree was rejected:\n%s", joined(problems))
	}
	// execution_arn is an output of another root of the tree, not of the one whose state is read.
	problems := schema.CheckFiles(tree("execution_arn"))
	if got := joined(problems); len(problems) != 1 || !strings.Contains(got, `stage-dev/main.tf:9: data.terraform_remote_state.api.outputs.execution_arn: api-dev declares no output "execution_arn"`) {
		t.Fatalf("problems:\n%s", got)
	}

	// The state of a root that is not in the tree.
	files := tree("rest_api_id")
	delete(files, "api-dev/api.tf")
	problems = schema.CheckFiles(files)
	if got := joined(problems); len(problems) != 1 || !strings.Contains(got, "reads the state local:api-dev/terraform.tfstate, which no root of the checked files writes") {
		t.Fatalf("problems:\n%s", got)
	}

	// S3 state: the API root's backend names bucket and key, the stage root reads the same.
	const backend = "terraform {\n  backend \"s3\" {\n    bucket = \"b\"\n    key    = \"app/%s.tfstate\"\n  }\n}\n"
	s3Stage := strings.Replace(strings.Replace(stageRoot, `backend = "local"`, `backend = "s3"`, 1),
		`path = "${path.module}/../api-dev/terraform.tfstate"`, `bucket = "b"
    key    = "app/%s.tfstate"`, 1)
	for key, want := range map[string]string{"api-dev": "", "api-other": "reads the state s3:b/app/api-other.tfstate, which no root"} {
		files := map[string][]byte{
			"api-dev/main.tf":   []byte(strings.Replace(backend, "%s", "api-dev", 1)),
			"api-dev/api.tf":    []byte(apiRoot),
			"stage-dev/main.tf": []byte(strings.Replace(strings.Replace(s3Stage, "%s", key, 1), "%s", "rest_api_id", 1)),
		}
		got := joined(schema.CheckFiles(files))
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("s3 state %s: want %q, got:\n%s", key, want, got)
		}
	}
}

// TestCheckFilesNamesFiles reports problems with the path of the file in the tree, sorted.
func TestCheckFilesNamesFiles(t *testing.T) {
	problems := loadSchema(t).CheckFiles(map[string][]byte{
		"b/main.tf": []byte(`resource "aws_iam_role" "r" {}`),
		"a/main.tf": []byte("locals {\n  x = local.y\n}\nresource \"aws_iam_role\" \"r\" {\n  name = 1\n  nme  = 2\n}\n"),
	})
	want := []string{
		`a/main.tf:2: reference to undeclared local.y`,
		`a/main.tf:4: aws_iam_role.r: missing required argument "assume_role_policy"`,
		`a/main.tf:6: aws_iam_role.r: unknown argument "nme"`,
		`b/main.tf:1: aws_iam_role.r: missing required argument "assume_role_policy"`,
	}
	if got := joined(problems); got != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
