package tfgen

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/coworks-go/coworks"
)

// tftestTree generates the roots `terraform test` runs on: the two-stages case (dev owning the API, master
// sharing it) and, next to api-dev, variants of dev's API root that differ in one thing a deployment
// snapshots (api-dev-policy, api-dev-routes, api-dev-binary) or nothing (api-dev-same); the API root's tests
// call them as modules.
func tftestTree(t *testing.T) (dir string, resources map[string]int) {
	t.Helper()
	dir = t.TempDir()
	resources = map[string]int{}
	write := func(files map[string][]byte) {
		for name, data := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range goldenCases() {
		if c.name != "two-stages" {
			continue
		}
		for _, in := range c.inputs {
			out, err := Generate(in)
			if err != nil {
				t.Fatal(err)
			}
			write(out.Files)
			for root, n := range out.Resources {
				resources[root] = n
			}
		}
	}
	variants := map[string]func(*Input){
		"policy": func(in *Input) {
			in.API.Policy = `{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}`
		},
		"routes": func(in *Input) {
			in.Routes = append(slices.Clone(in.Routes), coworks.Route{Method: "DELETE", Path: "/value/{_0}", Handler: "DeleteValue"})
		},
		"binary": func(in *Input) { in.API.BinaryMediaTypes = []string{"image/png"} },
		"same":   func(*Input) {},
	}
	for name, change := range variants {
		in := baseInput("dev")
		change(&in)
		out, err := Generate(in)
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{}
		for path, data := range out.Files {
			if root, file, _ := strings.Cut(path, "/"); root == "api-dev" {
				files["api-dev-"+name+"/"+file] = data
			}
		}
		write(files)
	}
	// Master promoted from dev: master's own settings with another stage's artifact and a history.
	promoted := twoStagesMaster()
	promoted.Artifact = Artifact{ZipPath: "/tmp/build/dev.zip", SHA256: "cHJvbW90ZWQgYXJ0aWZhY3Qgb2YgZGV2IDAxMjM0NTY=", Commit: "fedcba9876543210fedcba9876543210fedcba98"}
	promoted.History = []byte(`[{"n":1,"action":"deploy","result":"ok","artifact_sha256":"n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=","function_version":"1"}]` + "\n")
	out, err := Generate(promoted)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for path, data := range out.Files {
		if root, file, _ := strings.Cut(path, "/"); root == "stage-master" || root == "history-master" {
			files[root+"-promoted/"+file] = data
		}
	}
	write(files)
	return dir, resources
}

// runBlockRE matches the line `terraform test` prints for each run block: `  run "deploy"... pass`.
var runBlockRE = regexp.MustCompile(`(?m)^  run "([^"]+)"\.\.\. (\w+)$`)

// runOutputs splits the verbose output of `terraform test` into what each run block printed (its plan, or
// the state after it), and the status of each.
func runOutputs(out string) (text, status map[string]string) {
	text, status = map[string]string{}, map[string]string{}
	ms := runBlockRE.FindAllStringSubmatchIndex(out, -1)
	for i, m := range ms {
		end := len(out)
		if i+1 < len(ms) {
			end = ms[i+1][0]
		}
		name := out[m[2]:m[3]]
		text[name], status[name] = out[m[1]:end], out[m[4]:m[5]]
	}
	return text, status
}

// stateResources lists the managed resources of a state as `terraform test -verbose` prints it.
func stateResources(state string) []string {
	var addrs []string
	for _, m := range regexp.MustCompile(`(?m)^# ((aws_\w+|terraform_data)\.\w+):$`).FindAllStringSubmatch(state, -1) {
		addrs = append(addrs, m[1])
	}
	slices.Sort(addrs)
	return addrs
}

// TestGeneratedRootsPassTerraformTest runs Terraform's own test framework (`terraform test`, with
// mock_provider "aws" from hashicorp/aws of the filesystem mirror) on generated roots, with the test files of
// testdata/tftest/<root>/: the shared-API case (api-dev owned by dev, stage-dev, stage-master on dev's API),
// their key attributes (names, stage variables, permissions scoped to the stage's ARN and alias, the role
// limited to its log group and its stage's secrets, tags, outputs), the redeploy triggers, rollback through alias_version, and an
// empty plan when nothing changed. Beyond the assertions of the test files, it checks from terraform's own
// output that each "unchanged" run planned nothing, that the API change planned the deployment only, and
// that each root holds exactly the resources expected (as many as Output.Resources counts).
func TestGeneratedRootsPassTerraformTest(t *testing.T) {
	tf := mirroredTerraform(t, "terraform test")
	dir, counts := tftestTree(t)
	stageResources := []string{"aws_api_gateway_deployment.stage", "aws_api_gateway_stage.stage", "aws_cloudwatch_log_group.function",
		"aws_iam_role.function", "aws_iam_role_policy.function", "aws_iam_role_policy.secrets", "aws_lambda_alias.stage", "aws_lambda_function.function", "aws_lambda_permission.api"}
	want := map[string][]string{
		"api-dev":      {"aws_api_gateway_rest_api.api"},
		"history-dev":  {"terraform_data.history"},
		"stage-dev":    stageResources,
		"stage-master": append(slices.Clone(stageResources), "aws_lambda_permission.authorizer"),
	}
	for root, resources := range want {
		t.Run(root, func(t *testing.T) {
			slices.Sort(resources)
			tests, err := filepath.Glob(filepath.Join("testdata", "tftest", root, "*.tftest.hcl"))
			if err != nil || len(tests) == 0 {
				t.Fatalf("no test files under testdata/tftest/%s (%v)", root, err)
			}
			rootDir := filepath.Join(dir, root)
			for _, f := range tests {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(filepath.Join(rootDir, "tests"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(rootDir, "tests", filepath.Base(f)), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if out, err := tf.run(rootDir, "init", "-backend=false", "-input=false", "-no-color"); err != nil {
				t.Fatalf("terraform init with the provider mirror %s: %v\n%s", tf.mirror, err, out)
			}
			raw, err := tf.run(rootDir, "test", "-verbose", "-no-color")
			out := string(raw)
			if err != nil {
				t.Fatalf("terraform test failed in %s: %v\n%s", root, err, out)
			}
			text, status := runOutputs(out)
			for name, s := range status {
				if s != "pass" {
					t.Errorf("run %q: %s", name, s)
				}
			}
			if got := stateResources(text["deploy"]); !slices.Equal(got, resources) {
				t.Errorf("resources after the deploy run:\n got %v\nwant %v", got, resources)
			}
			if len(resources) != counts[root] {
				t.Errorf("Output.Resources[%s] = %d, the applied root holds %d", root, counts[root], len(resources))
			}
			if !strings.Contains(text["unchanged"], "No changes. Your infrastructure matches the configuration.") {
				t.Errorf("a plan with nothing changed is not empty:\n%s", text["unchanged"])
			}
			if plan, ok := text["api_changed"]; ok {
				if !strings.Contains(plan, "# aws_api_gateway_deployment.stage will be updated in-place") ||
					!strings.Contains(plan, "Plan: 0 to add, 1 to change, 0 to destroy.") {
					t.Errorf("an API change must change the deployment and nothing else:\n%s", plan)
				}
			}
			t.Logf("terraform test passed on %s: %d runs", root, len(status))
		})
	}
}
