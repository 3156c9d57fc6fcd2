package terraform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/target"
	"github.com/coworks-go/coworks/internal/tfgen"
)

// TargetName is the name of the Terraform target in config (deploy_target) and in deployment metadata.
const TargetName = "terraform"

// RootsDir returns the directory of the project's generated Terraform roots: {projectDir}/.chalice/terraform.
func RootsDir(projectDir string) string { return filepath.Join(projectDir, ".chalice", "terraform") }

// TargetOptions configure a Target. Only ProjectDir is required.
type TargetOptions struct {
	// ProjectDir is the project directory (records under .chalice/deployed, roots under .chalice/terraform).
	ProjectDir string
	// Getenv reads the environment: CWS_TERRAFORM and PATH to find the binary (FindBinary), AWS_REGION and
	// AWS_DEFAULT_REGION when aws_region is not set. Nil means os.Getenv.
	Getenv func(string) string
	// Env is terraform's environment ("KEY=value"); nil means the process's (see Options.Env).
	Env []string
	// Progress receives progress lines and terraform's output when a request has no Progress of its own;
	// nil discards them.
	Progress io.Writer
	// Now is the clock of deploy times; nil means time.Now.
	Now func() time.Time
	// FindArtifact finds, on this machine, a zip with the given hash that the target's own store does not
	// hold (the CLI looks in the build cache): what a promote deploys. Nil finds nothing more.
	FindArtifact func(sha256 string) (target.Artifact, bool)
	// Generate generates a stage's roots; nil means tfgen.Generate. Tests give roots standing in for AWS.
	Generate func(tfgen.Input) (tfgen.Output, error)
}

// Target deploys stages to AWS by generating their Terraform roots under .chalice/terraform and running the
// terraform binary on them. It never calls AWS itself. The binary is looked up on each Deploy and Delete, so
// a Target can be made (and Describe used) where terraform is not installed.
type Target struct {
	opts TargetOptions
}

var _ target.Target = (*Target)(nil)

// NewTarget returns the Terraform target of a project. In the CLI:
//
//	terraform.NewTarget(terraform.TargetOptions{ProjectDir: dir, Getenv: env.Getenv, Progress: env.Err, Now: env.Now})
//
// Every field but ProjectDir may be left zero (see TargetOptions).
func NewTarget(opts TargetOptions) *Target {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Generate == nil {
		opts.Generate = tfgen.Generate
	}
	return &Target{opts: opts}
}

// Name returns "terraform".
func (t *Target) Name() string { return TargetName }

func (t *Target) progress(w io.Writer) io.Writer {
	if w == nil {
		return t.opts.Progress
	}
	return w
}

// relRoot is how progress lines name a root: .chalice/terraform/api-dev.
func relRoot(root string) string { return filepath.Join(".chalice", "terraform", root) }

// runner returns a Runner for root, announcing it.
func (t *Target) runner(bin, root string, progress io.Writer) (*Runner, error) {
	return New(Options{Dir: filepath.Join(RootsDir(t.opts.ProjectDir), root), Binary: bin, Progress: progress, Env: t.opts.Env})
}

// initRoot runs terraform init in root, with its progress line; a provider that cannot be installed is a
// *ProviderInstallError.
func (t *Target) initRoot(ctx context.Context, r *Runner, root string, progress io.Writer) error {
	fmt.Fprintf(progress, "Initializing Terraform in %s...\n", relRoot(root))
	return asProviderInstall(r.Init(ctx), envLookup(t.opts.Env))
}

// Deploy generates the stage's roots (its API root too when it owns its API), writes them under
// .chalice/terraform, then runs init, plan and apply on the API root and then on the stage root. On success
// it writes the stage's Chalice record from the stage root's outputs, and the metadata sidecar. When the
// stage root's apply fails, the record is rewritten from the outputs that exist after the failure, so it
// lists what was created and nothing more. With PlanOnly it runs init and plan only, returns the plans'
// text in Result.Plan and records nothing. Nothing is written at all when the input is invalid, the region
// is unknown or terraform is not installed.
func (t *Target) Deploy(ctx context.Context, req *target.Request) (*target.Result, error) {
	return t.deploy(ctx, req, change{action: target.ActionDeploy})
}

// change is what a deploy records in the stage's history besides the request: the action, and where a
// promote's artifact came from.
type change struct {
	action       target.Action
	promotedFrom string
}

// deploy is Deploy recording ch in the stage's history (its history root, applied after the stage root)
// when something changed, failures of the apply included.
func (t *Target) deploy(ctx context.Context, req *target.Request, ch change) (*target.Result, error) {
	progress := t.progress(req.Progress)
	rec, err := t.loadOwned(req.Stage, req.AppName)
	if err != nil {
		return nil, err
	}
	cfg := stageConfig(req)
	region, err := Region(cfg, t.opts.Getenv)
	if err != nil {
		return nil, err
	}
	ref := tfgen.RestAPIRef{Stage: req.RestAPIStage}
	if ref.Stage == "" {
		ref.ID = req.RestAPIID
	}
	if ref.Stage == req.Stage {
		ref.Stage = ""
	}
	if err := t.checkSharedAPI(req, ref, cfg.APIGatewayStage); err != nil {
		return nil, err
	}
	in, err := InputFor(Source{
		Stage: cfg, ProjectDir: t.opts.ProjectDir, Region: region, RestAPI: ref,
		ZipPath: req.Artifact.ZipPath, SHA256: req.Artifact.SHA256, Commit: req.Artifact.Commit, Routes: req.Artifact.Routes,
		BinaryMediaTypes: req.Settings.BinaryMediaTypes,
	})
	if err != nil {
		return nil, err
	}
	in.History = t.localHistory(req.Stage)
	out, err := t.opts.Generate(in)
	if err != nil {
		return nil, err
	}
	bin, err := FindBinary(t.opts.Getenv)
	if err != nil {
		return nil, err
	}
	for _, note := range Unsupported(cfg) {
		fmt.Fprintf(progress, "Note: %s\n", note)
	}
	if err := WriteRoots(RootsDir(t.opts.ProjectDir), out.Files, out.Assets); err != nil {
		return nil, err
	}
	result := &target.Result{FunctionName: cfg.FunctionName()}
	if req.PlanOnly {
		// What a deploy would do: serve what it publishes, whatever version a rollback pinned.
		restore, err := t.asideRollbackVars(req.Stage)
		if err != nil {
			return nil, err
		}
		defer restore()
		if result.Plan, err = t.plan(ctx, bin, out, progress); err != nil {
			return nil, err
		}
		return result, nil
	}
	hist, err := t.openHistory(ctx, bin, out.HistoryRoot, true)
	if err != nil {
		return nil, err
	}
	if err := t.removeRollbackVars(req.Stage); err != nil { // a deploy's alias follows the deploy
		return nil, err
	}
	entry := target.Entry{
		Actor: req.Origin.Actor, Action: ch.action, Result: target.ResultOK,
		ArtifactSHA256: req.Artifact.SHA256, Commit: req.Artifact.Commit, Dirty: req.Artifact.Dirty,
		ConfigSHA256: req.Origin.ConfigSHA256, RoutesSHA256: target.RoutesSHA256(req.Artifact.Routes),
		PromotedFrom: ch.promotedFrom, Branch: req.Origin.Branch,
	}

	changed := false
	if out.OwnsAPI {
		r, err := t.runner(bin, out.APIRoot, progress)
		if err != nil {
			return nil, err
		}
		if err := t.initRoot(ctx, r, out.APIRoot, progress); err != nil {
			return nil, err
		}
		before, err := r.Output(ctx)
		if err != nil {
			return nil, err
		}
		applied, err := planApply(ctx, r, progress)
		if err != nil {
			return nil, err
		}
		_, had := before["rest_api_id"]
		changed, result.CreatedAPI = applied, applied && !had
	}
	r, err := t.runner(bin, out.StageRoot, progress)
	if err != nil {
		return nil, err
	}
	if err := t.initRoot(ctx, r, out.StageRoot, progress); err != nil {
		return nil, err
	}
	applied, err := planApply(ctx, r, progress)
	if err != nil {
		if applied { // the apply ran and failed: record what exists now (Chalice issue #1340)
			failed := entry
			failed.Result, failed.Error = target.ResultFailed, err.Error()
			if _, histErr := t.record(ctx, hist, failed); histErr != nil {
				fmt.Fprintf(progress, "Note: the failed deploy could not be recorded in the stage's history: %v\n", histErr)
			}
			if recErr := t.recordWhatExists(ctx, r, req, rec, region); recErr != nil {
				return nil, errors.Join(err, recErr)
			}
		}
		return nil, err
	}
	changed = changed || applied
	outs, err := r.Output(ctx)
	if err != nil {
		return nil, err
	}
	newRec, complete := recordFromOutputs(rec, outs, region)
	if !complete {
		return nil, fmt.Errorf("the outputs of %s lack function_arn, rest_api_id or api_gateway_stage after a successful apply: run terraform -chdir=%s output", relRoot(out.StageRoot), relRoot(out.StageRoot))
	}
	result.Record = newRec
	result.RestAPIID, result.URL, _ = newRec.RestAPI()
	if version, _ := outs.String("function_version"); !changed && t.recordIs(req.Stage, newRec, version) {
		result.Unchanged, result.Record = true, rec
		fmt.Fprintf(progress, "Stage %s is up to date (REST API %s)\n", req.Stage, result.RestAPIID)
		return result, nil
	}
	if err := t.save(req.Stage, newRec, req.Artifact.SHA256, region, outs, req.Origin.Branch); err != nil {
		return nil, err
	}
	if err := t.keepArtifact(req.Stage, req.Artifact, req.Origin.KeepArtifacts); err != nil {
		fmt.Fprintf(progress, "Note: artifact %s is not kept on this machine for promotes: %v\n", req.Artifact.SHA256, err)
	}
	entry.FunctionVersion, _ = outs.String("function_version")
	if result.Entry, err = t.record(ctx, hist, entry); err != nil {
		return nil, err
	}
	result.ArtifactSHA256 = req.Artifact.SHA256
	return result, nil
}

// planApply plans root and applies the plan when it has changes. applied reports that an apply ran (even
// one that failed).
func planApply(ctx context.Context, r *Runner, progress io.Writer) (applied bool, err error) {
	fmt.Fprintln(progress, "Planning...")
	p, err := r.Plan(ctx)
	if err != nil {
		return false, err
	}
	if !p.Changes {
		fmt.Fprintln(progress, "No changes.")
		return false, os.Remove(p.File)
	}
	fmt.Fprintln(progress, "Applying...")
	return true, r.Apply(ctx, &p)
}

// plan runs init and plan on the roots of out and returns the plans' text; saved plans are removed. A stage
// root whose own API root was never applied cannot be planned (it reads the API's state): its text says so.
func (t *Target) plan(ctx context.Context, bin string, out tfgen.Output, progress io.Writer) (string, error) {
	var text strings.Builder
	apiMissing := false
	roots := []string{out.StageRoot}
	if out.OwnsAPI {
		roots = []string{out.APIRoot, out.StageRoot}
	}
	for _, root := range roots {
		r, err := t.runner(bin, root, progress)
		if err != nil {
			return "", err
		}
		if err := t.initRoot(ctx, r, root, progress); err != nil {
			return "", err
		}
		fmt.Fprintf(&text, "# %s\n", relRoot(root))
		if root == out.StageRoot && apiMissing {
			fmt.Fprintf(&text, "Not planned: the stage root reads the REST API from the state of %s, which cws deploy applies first.\n", relRoot(out.APIRoot))
			continue
		}
		if root == out.APIRoot {
			outs, err := r.Output(ctx)
			if err != nil {
				return "", err
			}
			_, had := outs["rest_api_id"]
			apiMissing = !had
		}
		fmt.Fprintln(progress, "Planning...")
		p, err := r.PlanQuietly(ctx) // the text is the result, printed once by the caller
		if err != nil {
			return "", err
		}
		if err := os.Remove(p.File); err != nil {
			return "", fmt.Errorf("removing the saved plan: %w", err)
		}
		text.WriteString(p.Text)
		if !strings.HasSuffix(p.Text, "\n") {
			text.WriteString("\n")
		}
	}
	return text.String(), nil
}

// recordFromOutputs returns the Chalice record of a stage root's outputs, keeping old's unknown top-level
// keys: the api_handler function when function_arn is there, the rest_api when rest_api_id and
// api_gateway_stage are (the stage exists). complete reports that both are.
func recordFromOutputs(old *deployed.Record, outs Outputs, region string) (rec *deployed.Record, complete bool) {
	rec = deployed.Empty()
	rec.Extra = old.Extra
	arn, err := outs.String("function_arn")
	hasFn := err == nil && arn != ""
	if hasFn {
		rec.Put(deployed.LambdaFunction(deployed.APIHandlerName, arn))
	}
	id, err1 := outs.String("rest_api_id")
	stage, err2 := outs.String("api_gateway_stage")
	hasAPI := err1 == nil && err2 == nil && id != "" && stage != ""
	if hasAPI {
		if r, err := outs.String("region"); err == nil && r != "" {
			region = r
		}
		rec.Put(deployed.RestAPI(id, StageURL(id, region, stage)))
	}
	return rec, hasFn && hasAPI
}

// StageURL is the URL of an API Gateway stage: https://{id}.execute-api.{region}.amazonaws.com/{stage}/.
func StageURL(restAPIID, region, apiGatewayStage string) string {
	return fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com/%s/", restAPIID, region, apiGatewayStage)
}

// recordWhatExists rewrites the stage's record from the stage root's outputs after a failed apply. When the
// outputs cannot be read the old record is kept: it is no worse than before the apply.
func (t *Target) recordWhatExists(ctx context.Context, r *Runner, req *target.Request, old *deployed.Record, region string) error {
	outs, err := r.Output(ctx)
	if err != nil {
		return nil
	}
	rec, _ := recordFromOutputs(old, outs, region)
	if !rec.IsDeployed() && !old.IsDeployed() {
		return nil
	}
	if !rec.IsDeployed() {
		if err := deployed.Save(t.opts.ProjectDir, req.Stage, rec); err != nil {
			return err
		}
		return deployed.RemoveMeta(t.opts.ProjectDir, req.Stage)
	}
	return t.save(req.Stage, rec, req.Artifact.SHA256, region, outs, req.Origin.Branch)
}

// save writes the record and the metadata sidecar of stage; the sidecar's function version is the stage
// root's function_version output (the version its alias points at).
func (t *Target) save(stage string, rec *deployed.Record, sha, region string, outs Outputs, branch string) error {
	if err := deployed.Save(t.opts.ProjectDir, stage, rec); err != nil {
		return err
	}
	id, _, _ := rec.RestAPI()
	version, _ := outs.String("function_version")
	return deployed.SaveMeta(t.opts.ProjectDir, stage, &deployed.Meta{
		Target: TargetName, ArtifactSHA256: sha, DeployedAt: t.opts.Now().UTC(), Region: region, RestAPIID: id,
		FunctionVersion: version, Branch: branch,
	})
}

// recordIs reports whether the stage's record file holds exactly rec and its sidecar is this target's, with
// the function version given.
func (t *Target) recordIs(stage string, rec *deployed.Record, version string) bool {
	want, err := rec.Marshal()
	if err != nil {
		return false
	}
	got, err := os.ReadFile(deployed.Path(t.opts.ProjectDir, stage))
	meta, _ := deployed.LoadMeta(t.opts.ProjectDir, stage)
	return err == nil && string(got) == string(want) && meta != nil && meta.Target == TargetName && meta.FunctionVersion == version
}

// loadOwned loads the stage's record and refuses a stage another target deployed.
func (t *Target) loadOwned(stage, appName string) (*deployed.Record, error) {
	rec, err := deployed.Load(t.opts.ProjectDir, stage, appName)
	if err != nil {
		return nil, err
	}
	meta, err := deployed.LoadMeta(t.opts.ProjectDir, stage)
	if err != nil {
		return nil, err
	}
	if meta != nil && meta.Target != "" && meta.Target != TargetName && rec.IsDeployed() {
		return nil, fmt.Errorf("stage %q is deployed with target %q, not terraform: %w", stage, meta.Target, target.ErrDeployedElsewhere)
	}
	return rec, nil
}

// stageConfig returns the resolved stage of req, or one made of req's settings when the caller has none.
func stageConfig(req *target.Request) *config.Stage {
	var s config.Stage
	if req.Config != nil {
		s = *req.Config
	} else {
		s = config.Stage{
			Function: config.APIHandler, LambdaMemorySize: req.Settings.MemorySize, LambdaTimeout: req.Settings.Timeout,
			EnvironmentVariables: req.Settings.Environment, AWSRegion: req.Settings.Region,
			LambdaArchitecture: req.Settings.Architecture, ManageIAMRole: true, AutogenPolicy: true,
		}
		if rc := req.Settings.ReservedConcurrency; rc != nil {
			s.ReservedConcurrency = config.Some(*rc)
		}
	}
	s.AppName, s.StageName = req.AppName, req.Stage
	if req.APIGatewayStage != "" {
		s.APIGatewayStage = req.APIGatewayStage
	}
	return &s
}

// checkSharedAPI checks that the API a stage attaches to exists (for a stage's API, its root was generated)
// and that no other stage on it serves the same API Gateway stage.
func (t *Target) checkSharedAPI(req *target.Request, ref tfgen.RestAPIRef, apigwStage string) error {
	apiID := ref.ID
	if ref.Stage != "" {
		if _, err := os.Stat(filepath.Join(RootsDir(t.opts.ProjectDir), tfgen.APIRootDir(ref.Stage))); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("stage %q has no REST API of its own (no %s): deploy it with --target terraform first: %w",
				ref.Stage, relRoot(tfgen.APIRootDir(ref.Stage)), target.ErrRestAPINotFound)
		}
		owner, err := deployed.Load(t.opts.ProjectDir, ref.Stage, req.AppName)
		if err != nil {
			return err
		}
		apiID, _, _ = owner.RestAPI()
	}
	if apiID == "" {
		return nil
	}
	if apigwStage == "" {
		apigwStage = "api"
	}
	users, err := t.stagesOn(apiID, req.Stage)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.apigwStage == apigwStage {
			return fmt.Errorf("API Gateway stage %q of REST API %s serves stage %q; give stage %q another api_gateway_stage: %w",
				apigwStage, apiID, u.name, req.Stage, target.ErrStageConflict)
		}
	}
	return nil
}

// Region is the AWS region a stage deploys to: its aws_region, else $AWS_REGION, else $AWS_DEFAULT_REGION.
// None of them is a *RegionError, which callers can report before any build starts.
func Region(s *config.Stage, getenv func(string) string) (string, error) {
	region := s.AWSRegion
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if region == "" {
			region = getenv(k)
		}
	}
	if region == "" {
		return "", &RegionError{Stage: s.StageName}
	}
	return region, nil
}
