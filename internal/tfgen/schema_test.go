package tfgen

import (
	"path"
	"regexp"
	"strings"
	"testing"
)

// rootsOf splits generated files by root directory.
func rootsOf(files map[string][]byte) map[string]map[string][]byte {
	roots := map[string]map[string][]byte{}
	for name, data := range files {
		dir, file := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		if roots[dir] == nil {
			roots[dir] = map[string][]byte{}
		}
		roots[dir][file] = data
	}
	return roots
}

var outputRE = regexp.MustCompile(`(?m)^output "([a-z_0-9]+)"`)

func TestGeneratedRootsMatchTheProviderSchema(t *testing.T) {
	schema := loadSchema(t)
	if schema.ProviderVersion == "" || len(schema.Resources) < 10 {
		t.Fatalf("the provider schema looks empty: %+v", schema.ProviderVersion)
	}
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			roots := rootsOf(generateCase(t, c))
			// The outputs of the API roots, which stage roots read through terraform_remote_state.
			apiOutputs := map[string]bool{}
			for dir, files := range roots {
				if strings.HasPrefix(dir, "api-") {
					for _, m := range outputRE.FindAllStringSubmatch(string(files["outputs.tf"]), -1) {
						apiOutputs[m[1]] = true
					}
				}
			}
			for dir, files := range roots {
				if problems := checkRoot(schema, files, apiOutputs); len(problems) > 0 {
					t.Errorf("%s:\n%s", dir, strings.Join(problems, "\n"))
				}
			}
		})
	}
}

// TestSchemaCheckerCatches feeds the checker broken HCL, one mistake per case, and requires the right problem.
func TestSchemaCheckerCatches(t *testing.T) {
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
		{"unknown argument", `runtimee = "provided.al2023"`, `unknown argument "runtimee"`},
		{"unknown block", `environmnt { variables = {} }`, `unknown block "environmnt"`},
		{"block as attribute", `environment = { variables = {} }`, "environment is a block, written as an attribute"},
		{"attribute as block", `tags { a = "b" }`, "tags is an attribute, written as a block"},
		{"too many blocks", "environment {}\n  environment {}", "2 environment blocks, at most 1 allowed"},
		{"computed-only attribute", `invoke_arn = "x"`, "invoke_arn is computed by the provider and cannot be set"},
		{"computed-only nested attribute", "vpc_config {\n subnet_ids = []\n security_group_ids = []\n vpc_id = \"v\"\n}", "vpc_id is computed"},
		{"id set", `id = "x"`, "id must not be set"},
		{"tags_all set", `tags_all = {}`, "tags_all must not be set"},
		{"missing nested required", "vpc_config {\n subnet_ids = []\n}", `missing required argument "security_group_ids"`},
		{"unknown block in dynamic", "dynamic \"nope\" {\n for_each = []\n content {}\n}", `unknown block "nope"`},
		{"bad argument in dynamic content", "dynamic \"environment\" {\n for_each = [1]\n content {\n vars = {}\n }\n}", `unknown argument "vars"`},
		{"reference to a missing attribute", `description = aws_iam_role.r.invoke_url`, `aws_iam_role.r has no attribute "invoke_url"`},
		{"reference to an undeclared resource", `description = aws_iam_role.other.arn`, "reference to undeclared aws_iam_role.other"},
		{"reference to an undeclared local", `description = local.nope`, "reference to undeclared local.nope"},
		{"reference to an undeclared data source", `description = data.aws_region.here.region`, "reference to undeclared data.aws_region.here"},
		{"depends_on an undeclared resource", `depends_on = [aws_cloudwatch_log_group.lg]`, "reference to undeclared aws_cloudwatch_log_group.lg"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(fn, "%s", c.hcl, 1)
			problems := checkRoot(schema, map[string][]byte{"main.tf": []byte(src)}, nil)
			if len(problems) == 0 || !strings.Contains(strings.Join(problems, "\n"), c.want) {
				t.Fatalf("want a problem containing %q, got %q for\n%s", c.want, problems, src)
			}
		})
	}

	others := []struct {
		name, hcl, want string
	}{
		{"missing required argument", `resource "aws_lambda_function" "f" { function_name = "f" }`, `missing required argument "role"`},
		{"unknown resource type", `resource "aws_lambda_functions" "f" {}`, `resource type "aws_lambda_functions" is not in the provider schema`},
		{"deployment stage_name removed in 6.x", `resource "aws_api_gateway_deployment" "d" {
  rest_api_id = "x"
  stage_name  = "api"
}`, `unknown argument "stage_name"`},
		{"deployment invoke_url removed in 6.x", `resource "aws_api_gateway_deployment" "d" { rest_api_id = "x" }
output "u" { value = aws_api_gateway_deployment.d.invoke_url }`, `aws_api_gateway_deployment.d has no attribute "invoke_url"`},
		{"remote state output the API root lacks", `data "terraform_remote_state" "api" { backend = "local" }
locals { x = data.terraform_remote_state.api.outputs.nope }`, "the API root has no such output"},
		{"output without value", `output "o" { description = "d" }`, "has no value"},
		{"syntax error", `resource "aws_iam_role" "r" {`, "Unclosed configuration block"},
	}
	for _, c := range others {
		t.Run(c.name, func(t *testing.T) {
			problems := checkRoot(schema, map[string][]byte{"main.tf": []byte(c.hcl)}, map[string]bool{"rest_api_id": true})
			if len(problems) == 0 || !strings.Contains(strings.Join(problems, "\n"), c.want) {
				t.Fatalf("want a problem containing %q, got %q", c.want, problems)
			}
		})
	}

	// And a correct snippet passes, so the cases above fail for their own mistake only.
	good := strings.Replace(fn, "%s", "environment {\n variables = { A = \"1\" }\n}\n  depends_on = [aws_iam_role.r]", 1)
	if problems := checkRoot(schema, map[string][]byte{"main.tf": []byte(good)}, nil); len(problems) > 0 {
		t.Fatalf("a valid root was rejected: %q", problems)
	}
}

// TestSchemaCheckSeesGeneratedMistakes proves the check of generated roots is not vacuous: the same stage
// root with a provider-5 habit (invoke_url from the deployment) fails it.
func TestSchemaCheckSeesGeneratedMistakes(t *testing.T) {
	out, err := Generate(baseInput("dev"))
	if err != nil {
		t.Fatal(err)
	}
	files := rootsOf(out.Files)["stage-dev"]
	files["outputs.tf"] = []byte(strings.Replace(string(files["outputs.tf"]), "aws_api_gateway_stage.stage.invoke_url", "aws_api_gateway_deployment.stage.invoke_url", 1))
	problems := checkRoot(loadSchema(t), files, nil)
	if len(problems) != 1 || !strings.Contains(problems[0], `aws_api_gateway_deployment.stage has no attribute "invoke_url"`) {
		t.Fatalf("problems = %q", problems)
	}
}
