package tfgen

import (
	"strings"
	"testing"

	"github.com/coworks-go/coworks/internal/tfgen/tfschema"
)

// loadSchema is the project's hashicorp/aws schema, or the test's end.
func loadSchema(t testing.TB) *tfschema.Schema {
	t.Helper()
	s, err := tfschema.AWS()
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

// TestGeneratedRootsMatchTheProviderSchema checks every golden case's tree of roots, the stage roots'
// terraform_remote_state reading outputs the API root of the same tree declares.
func TestGeneratedRootsMatchTheProviderSchema(t *testing.T) {
	schema := loadSchema(t)
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			if problems := schema.CheckFiles(generateCase(t, c)); len(problems) > 0 {
				t.Errorf("the generated roots do not match hashicorp/aws %s:\n%s", schema.ProviderVersion, joined(problems))
			}
		})
	}
}

// TestSchemaCheckSeesGeneratedMistakes proves the check of generated roots is not vacuous: the same roots
// with a provider-5 habit (invoke_url from the deployment), or a stage root reading an output its API root
// does not declare, fail it.
func TestSchemaCheckSeesGeneratedMistakes(t *testing.T) {
	out, err := Generate(baseInput("dev"))
	if err != nil {
		t.Fatal(err)
	}
	// want is where the one problem is reported (file) and what it says (message).
	mistakes := []struct{ file, from, to, where, want string }{
		{"stage-dev/outputs.tf", "aws_api_gateway_stage.stage.invoke_url", "aws_api_gateway_deployment.stage.invoke_url",
			"stage-dev/outputs.tf:", `: aws_api_gateway_deployment.stage has no attribute "invoke_url"`},
		{"api-dev/outputs.tf", `output "execution_arn"`, `output "execution_arns"`,
			"stage-dev/main.tf:", `: data.terraform_remote_state.api.outputs.execution_arn: api-dev declares no output "execution_arn"`},
	}
	for _, m := range mistakes {
		files := map[string][]byte{}
		for name, data := range out.Files {
			files[name] = data
		}
		if !strings.Contains(string(files[m.file]), m.from) {
			t.Fatalf("%s has no %q to break", m.file, m.from)
		}
		files[m.file] = []byte(strings.Replace(string(files[m.file]), m.from, m.to, 1))
		problems := loadSchema(t).CheckFiles(files)
		if got := joined(problems); len(problems) != 1 || !strings.HasPrefix(got, m.where) || !strings.HasSuffix(got, m.want) {
			t.Errorf("%s with %s: problems\n%s\nwant one in %s ending %s", m.file, m.to, got, m.where, m.want)
		}
	}
}
