package terraform

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coworks-go/coworks/internal/deployed"
)

// simulatedStageRoot stands in for a generated stage root (its AWS resources need the provider, which cannot
// be downloaded here): built-in terraform_data resources with the same outputs. When failStage is set, the
// API Gateway stage fails at apply time, after the function was created, as a CreateStage error would.
func simulatedStageRoot(failStage bool) string {
	provisioner := ""
	if failStage {
		provisioner = `
  provisioner "local-exec" {
    command = "echo 'creating API Gateway stage: BadRequestException: simulated' >&2; exit 1"
  }`
	}
	return `resource "terraform_data" "function" {
  input = "arn:aws:lambda:eu-west-1:123456789012:function:simple-dev"
}

resource "terraform_data" "stage" {
  input      = "dev"
  depends_on = [terraform_data.function]` + provisioner + `
}

output "function_arn" {
  value = terraform_data.function.output
}

output "rest_api_id" {
  value = "a1b2c3d4e5"
}

output "api_gateway_stage" {
  value = terraform_data.stage.output
}

output "region" {
  value = "eu-west-1"
}

output "function_version" {
  value = "3"
}
`
}

// applySimulated writes the simulated root as stage-dev of a target's project and plans and applies it.
func applySimulated(t *testing.T, failStage bool) (*Target, string, *Runner, error) {
	t.Helper()
	bin := realTerraform(t)
	tg, dir, progress := newTarget(t, nil)
	if err := WriteRoots(RootsDir(dir), map[string][]byte{"stage-dev/main.tf": []byte(simulatedStageRoot(failStage))}, nil); err != nil {
		t.Fatal(err)
	}
	r, err := tg.runner(bin, "stage-dev", progress)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := tg.initRoot(ctx, r, "stage-dev", progress); err != nil {
		t.Fatal(err)
	}
	applied, err := planApply(ctx, r, progress)
	if !applied {
		t.Fatalf("nothing applied: %v\n%s", err, progress)
	}
	return tg, dir, r, err
}

func TestFailedApplyRecordsWhatExists_SimulatedStageRoot(t *testing.T) {
	tg, dir, r, applyErr := applySimulated(t, true)
	if applyErr == nil || !strings.Contains(applyErr.Error(), "BadRequestException: simulated") {
		t.Fatalf("apply error = %v", applyErr)
	}
	req := deployRequest(t, "dev")
	if err := tg.recordWhatExists(context.Background(), r, req, deployed.Empty(), "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	rec, err := deployed.Load(dir, "dev", "simple")
	if err != nil {
		t.Fatal(err)
	}
	// The function exists, the stage does not: the record says exactly that (Chalice issue #1340).
	if arn, ok := rec.LambdaARN(deployed.APIHandlerName); !ok || arn != "arn:aws:lambda:eu-west-1:123456789012:function:simple-dev" {
		t.Errorf("function not recorded: %+v", rec)
	}
	if _, _, ok := rec.RestAPI(); ok {
		t.Errorf("a REST API stage that does not exist is recorded: %+v", rec)
	}
	if meta, err := deployed.LoadMeta(dir, "dev"); err != nil || meta == nil || meta.Target != TargetName {
		t.Errorf("sidecar: %+v, %v", meta, err)
	}
}

func TestSuccessfulApplyRecordsInChalicesSchema_SimulatedStageRoot(t *testing.T) {
	tg, dir, r, err := applySimulated(t, false)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := r.Output(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rec, complete := recordFromOutputs(deployed.Empty(), outs, "us-east-1")
	if !complete {
		t.Fatalf("outputs %v: record incomplete", outs)
	}
	if err := tg.save("dev", rec, "c2hh", "eu-west-1", outs, ""); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, ".chalice", "deployed", "dev.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "resources": [
    {
      "name": "api_handler",
      "resource_type": "lambda_function",
      "lambda_arn": "arn:aws:lambda:eu-west-1:123456789012:function:simple-dev"
    },
    {
      "name": "rest_api",
      "resource_type": "rest_api",
      "rest_api_id": "a1b2c3d4e5",
      "rest_api_url": "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev/"
    }
  ],
  "schema_version": "2.0",
  "backend": "api"
}
`
	if string(got) != want {
		t.Errorf("record:\n%s\nwant:\n%s", got, want)
	}
	meta, err := deployed.LoadMeta(dir, "dev")
	if err != nil || meta.Target != "terraform" || meta.RestAPIID != "a1b2c3d4e5" || meta.Region != "eu-west-1" || !meta.DeployedAt.Equal(fixedNow) ||
		meta.FunctionVersion != "3" {
		t.Errorf("sidecar: %+v, %v", meta, err)
	}
	if !tg.recordIs("dev", rec, "3") {
		t.Error("recordIs is false right after saving the same record")
	}
	if tg.recordIs("dev", rec, "2") {
		t.Error("recordIs is true although the alias moved to another version")
	}
	// What the alias points at is what Describe reports: rollback and promote start from it.
	d, err := tg.Describe(context.Background(), "dev")
	if err != nil || d.FunctionVersion != "3" {
		t.Errorf("Describe: %+v, %v", d, err)
	}
}
