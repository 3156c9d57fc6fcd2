package terraform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coworks-go/coworks/internal/target"
	"github.com/coworks-go/coworks/internal/target/targettest"
	"github.com/coworks-go/coworks/internal/tfgen"
)

var ctx = context.Background()

// simulatedRoots generates what tfgen.Generate does, with the AWS resources of the API and stage roots
// stood in for by built-in terraform_data resources (the AWS provider cannot run here): the same outputs,
// a "function" replaced whenever its code or settings change, whose id stands for the version it
// publishes, and an "alias" serving coalesce(var.alias_version, that version). The history root is the
// real one.
func simulatedRoots(in tfgen.Input) (tfgen.Output, error) {
	out, err := tfgen.Generate(in)
	if err != nil {
		return out, err
	}
	for name := range out.Files {
		if strings.HasPrefix(name, out.StageRoot+"/") || (out.OwnsAPI && strings.HasPrefix(name, out.APIRoot+"/")) {
			delete(out.Files, name)
		}
	}
	if out.OwnsAPI {
		routes, _ := json.Marshal(in.Routes)
		sum := sha256.Sum256(routes)
		out.Files[out.APIRoot+"/main.tf"] = []byte(fmt.Sprintf(`resource "terraform_data" "api" {
  input = "simulated REST API"
}

output "rest_api_id" {
  value = substr(replace(terraform_data.api.id, "-", ""), 0, 10)
}

output "execution_arn" {
  value = "arn:aws:execute-api:eu-west-1:123456789012:${substr(replace(terraform_data.api.id, "-", ""), 0, 10)}"
}

output "deployment_sha256" {
  value = %q
}
`, hex.EncodeToString(sum[:])))
	}
	settings, _ := json.Marshal(in.Function)
	out.Files[out.StageRoot+"/main.tf"] = []byte(fmt.Sprintf(`variable "alias_version" {
  type    = string
  default = null
}

data "terraform_remote_state" "api" {
  backend = "local"
  config = {
    path = "${path.module}/../%s/terraform.tfstate"
  }
}

resource "terraform_data" "function" {
  triggers_replace = [%q, %q]
}

resource "terraform_data" "alias" {
  input = coalesce(var.alias_version, terraform_data.function.id)
}

resource "terraform_data" "stage" {
  input = [%q, data.terraform_remote_state.api.outputs.deployment_sha256]
}

output "function_arn" {
  value = "arn:aws:lambda:eu-west-1:123456789012:function:%s-%s"
}

output "function_version" {
  value = terraform_data.alias.output
}

output "latest_version" {
  value = terraform_data.function.id
}

output "rest_api_id" {
  value = data.terraform_remote_state.api.outputs.rest_api_id
}

output "api_gateway_stage" {
  value = %q
}

output "region" {
  value = "eu-west-1"
}
`, out.APIRoot, in.Artifact.SHA256, settings, in.APIGatewayStage, in.AppName, in.Stage, in.APIGatewayStage))
	return out, nil
}

// newSimulatedTarget is a Terraform target on a fresh project whose roots stand in for AWS (simulatedRoots),
// run by the real terraform binary offline.
func newSimulatedTarget(t *testing.T) (target.Target, string) {
	t.Helper()
	realTerraform(t)
	dir := t.TempDir()
	tg := NewTarget(TargetOptions{ProjectDir: dir, Env: offlineEnv(t), Generate: simulatedRoots,
		Now: func() time.Time { return fixedNow }})
	return tg, dir
}

// TestLifecycleConformance_SimulatedAWSResources runs the lifecycle conformance suite (history, promote,
// rollback, delete recorded) on the Terraform target with the real terraform binary: the history root and
// its state are real, the AWS resources are stand-ins.
func TestLifecycleConformance_SimulatedAWSResources(t *testing.T) {
	targettest.RunLifecycle(t, targettest.Harness{New: newSimulatedTarget, KeepsEveryVersion: true})
}

// TestRollbackKeepsItsVersionAcrossPlainApplies_SimulatedAWSResources: the alias version a rollback set is
// kept in the stage root, so a plain terraform apply there does not undo the rollback; a deploy does.
func TestRollbackKeepsItsVersionAcrossPlainApplies_SimulatedAWSResources(t *testing.T) {
	tg, dir := newSimulatedTarget(t)
	v1, v2 := targettest.FakeArtifact(t, 1), targettest.FakeArtifact(t, 2)
	for _, v := range []target.Artifact{v1, v2} {
		if _, err := tg.Deploy(ctx, targettest.Request("dev", "dev", v)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tg.Rollback(ctx, &target.RollbackRequest{AppName: "demo", Stage: "dev"}); err != nil {
		t.Fatal(err)
	}
	vars, err := os.ReadFile(filepath.Join(RootsDir(dir), "stage-dev", rollbackVars))
	h, _ := tg.History(ctx, &target.HistoryRequest{AppName: "demo", Stage: "dev"})
	if err != nil || !strings.Contains(string(vars), h.Entries[len(h.Entries)-1].FunctionVersion) {
		t.Fatalf("rollback vars %s (%v); want the first version %s", vars, err, h.Entries[len(h.Entries)-1].FunctionVersion)
	}
	if _, err := tg.Deploy(ctx, targettest.Request("dev", "dev", v2)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(RootsDir(dir), "stage-dev", rollbackVars)); err == nil {
		t.Error("a deploy left the rollback's alias version in the root")
	}
	if d, _ := tg.Describe(ctx, "dev"); d.ArtifactSHA256 != v2.SHA256 {
		t.Errorf("after the deploy, dev runs %s; want v2", d.ArtifactSHA256)
	}
}

// TestHistoryReadersChangeNothing_SimulatedAWSResources: reading a stage's history (cws history, the console:
// no lock) while a deploy is between writing the history root's history.json and applying it leaves the
// deploy's file alone, so that the entry it appends is not lost.
func TestHistoryReadersChangeNothing_SimulatedAWSResources(t *testing.T) {
	tg, dir := newSimulatedTarget(t)
	if _, err := tg.Deploy(ctx, targettest.Request("dev", "dev", targettest.FakeArtifact(t, 1))); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(RootsDir(dir), tfgen.HistoryRootDir("dev"), tfgen.HistoryName)
	state, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var entries []target.Entry
	if err := json.Unmarshal(state, &entries); err != nil || len(entries) != 1 {
		t.Fatalf("history.json after a deploy: %s (%v)", state, err)
	}
	// A writer's next entry, written but not applied yet.
	entries, _ = target.Append(entries, target.Entry{Action: target.ActionDeploy, Result: target.ResultOK, Actor: "writer"})
	pending, _ := json.MarshalIndent(entries, "", "  ")
	if err := os.WriteFile(file, pending, 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := tg.History(ctx, &target.HistoryRequest{AppName: "demo", Stage: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Entries) != 1 {
		t.Errorf("the reader got %d entries, want the 1 the state holds", len(h.Entries))
	}
	if now, _ := os.ReadFile(file); string(now) != string(pending) {
		t.Errorf("reading the history rewrote history.json:\n%s\nwant the writer's:\n%s", now, pending)
	}
}
