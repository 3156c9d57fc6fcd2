package terraform

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/target"
	"github.com/coworks-go/coworks/internal/target/targettest"
)

const simpleConfig = `{"version": "2.0", "app_name": "simple", "stages": {
  "dev": {"api_gateway_stage": "dev", "aws_region": "eu-west-1", "lambda_architecture": "x86_64"},
  "master": {"api_gateway_stage": "master", "aws_region": "eu-west-1"},
  "noregion": {}
}}`

var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newTarget returns a Terraform target on a fresh project, running the real binary offline (a proxy that
// refuses every connection, no CLI config, no plugin cache), and its progress buffer.
func newTarget(t *testing.T, env map[string]string) (*Target, string, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".chalice"), 0o755); err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	tg := NewTarget(TargetOptions{
		ProjectDir: dir,
		Getenv: func(k string) string {
			if v, ok := env[k]; ok {
				return v
			}
			return os.Getenv(k)
		},
		Env:      offlineEnv(t),
		Progress: &progress,
		Now:      func() time.Time { return fixedNow },
	})
	return tg, dir, &progress
}

func deployRequest(t *testing.T, stage string) *target.Request {
	t.Helper()
	s := resolved(t, simpleConfig, stage)
	req := targettest.Request(stage, s.APIGatewayStage, targettest.FakeArtifact(t, 1))
	req.AppName, req.Config = "simple", s
	return req
}

// assertNothingRecorded checks that no record and no sidecar claim that stage exists.
func assertNothingRecorded(t *testing.T, dir, stage string) {
	t.Helper()
	for _, p := range []string{deployed.Path(dir, stage), deployed.MetaPath(dir, stage)} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s was written (err %v)", p, err)
		}
	}
}

func TestDeployWithoutNetworkSaysTheProviderCannotBeDownloaded(t *testing.T) {
	realTerraform(t)
	tg, dir, progress := newTarget(t, nil)
	_, err := tg.Deploy(context.Background(), deployRequest(t, "dev"))
	var dl *ProviderInstallError
	if !errors.As(err, &dl) {
		t.Fatalf("err = %T %v, want *ProviderInstallError\nprogress:\n%s", err, err, progress)
	}
	if !strings.HasPrefix(err.Error(), "could not download the hashicorp/aws provider: ") ||
		!strings.Contains(err.Error(), "registry.terraform.io") {
		t.Errorf("message: %v", err)
	}
	for _, want := range []string{"registry.terraform.io", "terraform providers mirror", "TF_CLI_CONFIG_FILE", "filesystem_mirror"} {
		if !strings.Contains(dl.Hint(), want) {
			t.Errorf("hint lacks %q: %s", want, dl.Hint())
		}
	}
	if dl.Dir != filepath.Join(RootsDir(dir), "api-dev") {
		t.Errorf("failing root = %s, want the API root (applied first)", dl.Dir)
	}
	if !strings.Contains(progress.String(), "Initializing Terraform in .chalice/terraform/api-dev...\n") {
		t.Errorf("progress:\n%s", progress)
	}
	assertNothingRecorded(t, dir, "dev")
	// The roots are written (they are what the user would apply by hand); no state, no plan.
	for _, f := range []string{"api-dev/main.tf", "api-dev/openapi.json", "stage-dev/function.tf", "stage-dev/deployment.zip"} {
		if _, err := os.Stat(filepath.Join(RootsDir(dir), f)); err != nil {
			t.Errorf("root file %s: %v", f, err)
		}
	}
	for _, f := range []string{"api-dev/terraform.tfstate", "stage-dev/terraform.tfstate", "api-dev/" + PlanFile} {
		if _, err := os.Stat(filepath.Join(RootsDir(dir), f)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s exists after a failed init (err %v)", f, err)
		}
	}
}

func TestPlanWithoutNetworkFailsTheSameWayAndRecordsNothing(t *testing.T) {
	realTerraform(t)
	tg, dir, _ := newTarget(t, nil)
	req := deployRequest(t, "dev")
	req.PlanOnly = true
	res, err := tg.Deploy(context.Background(), req)
	var dl *ProviderInstallError
	if !errors.As(err, &dl) || res != nil {
		t.Fatalf("plan: %v, %+v; want *ProviderInstallError", err, res)
	}
	assertNothingRecorded(t, dir, "dev")
}

func TestDeployWithoutTerraformWritesNothing(t *testing.T) {
	tg, dir, _ := newTarget(t, map[string]string{BinaryEnv: filepath.Join(t.TempDir(), "no-terraform")})
	_, err := tg.Deploy(context.Background(), deployRequest(t, "dev"))
	var missing *NotInstalledError
	if !errors.As(err, &missing) || !strings.Contains(missing.Hint(), "CWS_TERRAFORM") {
		t.Fatalf("err = %v, want *NotInstalledError", err)
	}
	if _, err := os.Stat(RootsDir(dir)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf(".chalice/terraform was created: %v", err)
	}
	assertNothingRecorded(t, dir, "dev")
}

func TestDeployNeedsARegion(t *testing.T) {
	tg, dir, _ := newTarget(t, map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": ""})
	_, err := tg.Deploy(context.Background(), deployRequest(t, "noregion"))
	var re *RegionError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), `no AWS region for stage "noregion"`) || !strings.Contains(re.Hint(), "AWS_REGION") {
		t.Fatalf("err = %v, want *RegionError", err)
	}
	if _, err := os.Stat(RootsDir(dir)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf(".chalice/terraform was created: %v", err)
	}

	// AWS_DEFAULT_REGION is enough, and is pinned in the provider block.
	tg, _, _ = newTarget(t, map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": "ca-central-1", BinaryEnv: "/none"})
	_, err = tg.Deploy(context.Background(), deployRequest(t, "noregion"))
	if !errors.As(err, new(*NotInstalledError)) {
		t.Fatalf("err = %v, want to get as far as the binary lookup", err)
	}
}

// writeSimulatedRecord stands in for a terraform deploy of stage on REST API id (no AWS here): the record and
// the sidecar the target writes after a successful apply.
func writeSimulatedRecord(t *testing.T, dir, stage, id, apigwStage, target string) {
	t.Helper()
	rec := deployed.Empty()
	rec.Put(deployed.LambdaFunction(deployed.APIHandlerName, "arn:aws:lambda:eu-west-1:123456789012:function:simple-"+stage))
	rec.Put(deployed.RestAPI(id, StageURL(id, "eu-west-1", apigwStage)))
	if err := deployed.Save(dir, stage, rec); err != nil {
		t.Fatal(err)
	}
	if err := deployed.SaveMeta(dir, stage, &deployed.Meta{Target: target, ArtifactSHA256: "c2hh", DeployedAt: fixedNow, Region: "eu-west-1", RestAPIID: id}); err != nil {
		t.Fatal(err)
	}
}

func TestDeleteRefusesWhileAnotherStageUsesTheAPI_SimulatedAWSState(t *testing.T) {
	tg, dir, _ := newTarget(t, map[string]string{BinaryEnv: "/none"}) // never reached: the refusal comes first
	writeSimulatedRecord(t, dir, "dev", "a1b2c3", "dev", TargetName)
	writeSimulatedRecord(t, dir, "master", "a1b2c3", "master", TargetName)
	writeSimulatedRecord(t, dir, "qa", "a1b2c3", "qa", TargetName)
	writeSimulatedRecord(t, dir, "other", "zz9", "api", TargetName)
	for _, root := range []string{"api-dev", "stage-dev", "stage-master", "stage-qa"} {
		if err := os.MkdirAll(filepath.Join(RootsDir(dir), root), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := os.ReadFile(deployed.Path(dir, "dev"))
	_, err := tg.Delete(context.Background(), &target.DeleteRequest{AppName: "simple", Stage: "dev"})
	var inUse *APIInUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("err = %T %v, want *APIInUseError", err, err)
	}
	if strings.Join(inUse.Stages, ",") != "master,qa" || inUse.RestAPIID != "a1b2c3" {
		t.Errorf("stages using the API = %v (%s)", inUse.Stages, inUse.RestAPIID)
	}
	if err.Error() != `stage "dev" owns REST API a1b2c3, which stages master and qa still use; nothing was deleted` {
		t.Errorf("message: %v", err)
	}
	one := &APIInUseError{Stage: "dev", RestAPIID: "a1b2c3", Stages: []string{"master"}}
	if one.Error() != `stage "dev" owns REST API a1b2c3, which stage master still uses; nothing was deleted` {
		t.Errorf("message: %v", one)
	}
	three := &APIInUseError{Stage: "dev", RestAPIID: "a1b2c3", Stages: []string{"master", "qa", "x"}}
	if !strings.Contains(three.Error(), "which stages master, qa and x still use;") {
		t.Errorf("message: %v", three)
	}
	if inUse.Hint() != "cws delete --stage master, then cws delete --stage qa, then delete dev again" {
		t.Errorf("hint: %s", inUse.Hint())
	}
	if after, _ := os.ReadFile(deployed.Path(dir, "dev")); !bytes.Equal(before, after) {
		t.Errorf("the record changed on a refused delete:\n%s", after)
	}

	// Describe reports the sharing from the records.
	d, err := tg.Describe(context.Background(), "dev")
	if err != nil {
		t.Fatal(err)
	}
	if !d.Deployed || d.RestAPIID != "a1b2c3" || d.URL != "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev/" || d.APIGatewayStage != "dev" ||
		d.FunctionName != "simple-dev" || d.ArtifactSHA256 != "c2hh" || !d.DeployedAt.Equal(fixedNow) || strings.Join(d.SharedWith, ",") != "master,qa" {
		t.Errorf("describe: %+v", d)
	}
}

func TestDeleteOfAStageWithoutRootsWritesTheEmptyRecord(t *testing.T) {
	tg, dir, _ := newTarget(t, map[string]string{BinaryEnv: "/none"}) // nothing to destroy: terraform is not needed
	res, err := tg.Delete(context.Background(), &target.DeleteRequest{AppName: "simple", Stage: "dev"})
	if err != nil || res.Deleted || res.APIDeleted {
		t.Fatalf("delete: %+v, %v", res, err)
	}
	data, err := os.ReadFile(deployed.Path(dir, "dev"))
	if err != nil || string(data) != "{\n  \"resources\": [],\n  \"schema_version\": \"2.0\",\n  \"backend\": \"api\"\n}\n" {
		t.Errorf("record: %q, %v", data, err)
	}
}

func TestStagesOfAnotherTargetAreRefused_SimulatedLocalDeploy(t *testing.T) {
	tg, dir, _ := newTarget(t, nil)
	writeSimulatedRecord(t, dir, "dev", "a1b2c3", "dev", "local")
	if _, err := tg.Deploy(context.Background(), deployRequest(t, "dev")); !errors.Is(err, target.ErrDeployedElsewhere) {
		t.Errorf("deploy: %v", err)
	}
	if _, err := tg.Delete(context.Background(), &target.DeleteRequest{AppName: "simple", Stage: "dev"}); !errors.Is(err, target.ErrDeployedElsewhere) {
		t.Errorf("delete: %v", err)
	}
	if d, err := tg.Describe(context.Background(), "dev"); err != nil || d.Deployed {
		t.Errorf("describe: %+v, %v", d, err)
	}
}

func TestSharingChecks_SimulatedAWSState(t *testing.T) {
	tg, dir, _ := newTarget(t, map[string]string{BinaryEnv: "/none"})
	req := deployRequest(t, "master")
	req.RestAPIStage = "dev"
	if _, err := tg.Deploy(context.Background(), req); !errors.Is(err, target.ErrRestAPINotFound) || !strings.Contains(err.Error(), ".chalice/terraform/api-dev") {
		t.Errorf("sharing an API never deployed: %v", err)
	}
	writeSimulatedRecord(t, dir, "dev", "a1b2c3", "master", TargetName) // dev serves API Gateway stage "master"
	if err := os.MkdirAll(filepath.Join(RootsDir(dir), "api-dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Deploy(context.Background(), req); !errors.Is(err, target.ErrStageConflict) {
		t.Errorf("API Gateway stage taken: %v", err)
	}
	req.RestAPIStage, req.RestAPIID = "", "a1b2c3" // by id, the same check
	if _, err := tg.Deploy(context.Background(), req); !errors.Is(err, target.ErrStageConflict) {
		t.Errorf("API Gateway stage taken (by id): %v", err)
	}
}

func TestDeleteWithoutNetworkKeepsTheRecord_SimulatedAWSState(t *testing.T) {
	realTerraform(t)
	tg, dir, progress := newTarget(t, nil)
	if _, err := tg.Deploy(context.Background(), deployRequest(t, "dev")); !errors.As(err, new(*ProviderInstallError)) {
		t.Fatalf("deploy: %v", err) // it writes the roots, then fails at init
	}
	writeSimulatedRecord(t, dir, "dev", "a1b2c3", "dev", TargetName)
	before, _ := os.ReadFile(deployed.Path(dir, "dev"))
	_, err := tg.Delete(context.Background(), &target.DeleteRequest{AppName: "simple", Stage: "dev"})
	var dl *ProviderInstallError
	if !errors.As(err, &dl) || dl.Dir != filepath.Join(RootsDir(dir), "stage-dev") {
		t.Fatalf("delete: %v, want *ProviderInstallError in the stage root (destroyed first)", err)
	}
	if !strings.Contains(progress.String(), "Initializing Terraform in .chalice/terraform/stage-dev...") {
		t.Errorf("progress:\n%s", progress)
	}
	if after, _ := os.ReadFile(deployed.Path(dir, "dev")); !bytes.Equal(before, after) {
		t.Errorf("the record changed although nothing was destroyed:\n%s", after)
	}
	if meta, _ := deployed.LoadMeta(dir, "dev"); meta == nil {
		t.Error("the sidecar was removed although nothing was destroyed")
	}
}

// TestDeleteWithoutRootsReadsTheRemoteState is a CI job deleting a branch's stage: nothing of the stage is on
// the machine, its state is in S3. Delete must look there (and fail when it cannot reach it), never report
// "not deployed" from an empty disk. Offline, terraform init of the S3 backend fails.
func TestDeleteWithoutRootsReadsTheRemoteState(t *testing.T) {
	realTerraform(t)
	tg, dir, progress := newTarget(t, map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_PROFILE": ""})
	s := resolved(t, `{"version": "2.0", "app_name": "simple", "stages": {"feature-x": {"aws_region": "eu-west-1",
	  "terraform_backend": {"s3": {"bucket": "simple-state", "region": "eu-west-1"}}}}}`, "feature-x")
	_, err := tg.Delete(context.Background(), &target.DeleteRequest{AppName: "simple", Stage: "feature-x", Config: s})
	if err == nil {
		t.Fatalf("delete found nothing and said nothing:\n%s", progress)
	}
	t.Logf("offline: %v", err)
	if !strings.Contains(progress.String(), "The roots of stage feature-x are not on this machine: reading its state from the s3 backend...") {
		t.Errorf("progress:\n%s", progress)
	}
	main, rerr := os.ReadFile(filepath.Join(RootsDir(dir), "stage-feature-x", "main.tf"))
	if rerr != nil || !strings.Contains(string(main), `key          = "cws/simple/stage-feature-x.tfstate"`) || strings.Contains(string(main), "resource ") {
		t.Errorf("the settings-only stage root (%v):\n%s", rerr, main)
	}
	assertNothingRecorded(t, dir, "feature-x")

	// With local state, a stage with nothing on disk is simply not deployed.
	local := resolved(t, simpleConfig, "dev")
	res, err := tg.Delete(context.Background(), &target.DeleteRequest{AppName: "simple", Stage: "dev", Config: local})
	if err != nil || res.Deleted {
		t.Errorf("local state, no roots: %+v, %v", res, err)
	}
}
