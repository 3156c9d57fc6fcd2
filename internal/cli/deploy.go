package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coworks-go/coworks/internal/build"
	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/stage"
	"github.com/coworks-go/coworks/internal/target"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// defaultLockWait is how long deploy and delete wait for another cws working on the same stage.
const defaultLockWait = 2 * time.Minute

type deployOptions struct {
	restAPIID string
	target    string
	plan      bool
	json      bool
	wait      time.Duration
	confirm   string
}

func newDeployCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &deployOptions{}
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Build and deploy a stage (created when it was never deployed), recording it in .chalice/deployed/{stage}.json",
		Long: "Deploy validates config.json, builds the function (reusing an unchanged build), and creates or updates\n" +
			"the stage on its target: the local cloud (default) or AWS through Terraform. --rest-api-id puts the\n" +
			"stage on the REST API of another deployed stage (name it) or on a REST API id.",
		Example: "  cws deploy --stage dev\n  cws deploy --stage master --rest-api-id dev",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDeploy(cmd.Context(), env, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.restAPIID, "rest-api-id", "", "share the REST API of this deployed stage, or of this REST API id (also --rest_api_id)")
	f.StringVar(&o.target, "target", "", "deploy target, local or terraform (default: the stage's deploy_target)")
	f.BoolVar(&o.plan, "plan", false, "show what would change and change nothing")
	f.BoolVar(&o.json, "json", false, "print JSON")
	f.DurationVar(&o.wait, "wait", defaultLockWait, "how long to wait for another cws deploying or deleting the stage")
	f.StringVar(&o.confirm, "confirm", "", "the stage's name, to deploy a protected stage")
	// CoWorks' own page spells it --rest_api_id.
	f.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		return pflag.NormalizedName(strings.ReplaceAll(name, "_", "-"))
	})
	return cmd
}

// deployReport is the JSON of `cws deploy`. ArtifactSHA256 is what the target records as the deployed code:
// the zip's hash (SourceCodeHash) on AWS, the host binary's in the local cloud, which builds no zip.
type deployReport struct {
	Stage          string `json:"stage"`
	Target         string `json:"target"`
	Unchanged      bool   `json:"unchanged"`
	PlanOnly       bool   `json:"plan_only"`
	Plan           string `json:"plan,omitempty"`
	RestAPIID      string `json:"rest_api_id"`
	RestAPIURL     string `json:"rest_api_url"`
	CreatedAPI     bool   `json:"created_api"`
	FunctionName   string `json:"function_name"`
	LambdaARN      string `json:"lambda_arn,omitempty"`
	SourceCodeHash string `json:"source_code_hash,omitempty"`
	ArtifactSHA256 string `json:"artifact_sha256"`
	PackageReused  bool   `json:"package_reused"`
}

func runDeploy(ctx context.Context, env *Env, g *globalOptions, o *deployOptions) error {
	env, done := liveProgress(env, o.json)
	defer done()
	dir, p, s, err := resolveStage(env, g, config.APIHandler)
	if err != nil {
		return err
	}
	if !o.plan {
		if err := confirmProtected(env, s, o.confirm, "deploy stage "+s.StageName, "cws deploy --stage "+s.StageName); err != nil {
			return err
		}
	}
	report, err := deployStage(ctx, env, stageDeploy{
		dir: dir, project: p, stage: s, target: o.target, restAPIID: o.restAPIID, plan: o.plan, wait: o.wait,
		port: pinnedPort(p), branch: branchOf(dir, g.stage),
	})
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(env.Out, report)
	}
	printDeployReport(env.Out, report)
	return nil
}

// stageDeploy is one stage to deploy, as `cws deploy` and `cws up` hand it to deployStage.
type stageDeploy struct {
	dir     string
	project *config.Project
	stage   *config.Stage
	// target is the deploy target's name; "" means the stage's deploy_target.
	target string
	// restAPIID is --rest-api-id: a deployed stage or a REST API id whose API the stage joins; "" keeps
	// the stage's own API (a new one on a first deploy).
	restAPIID string
	plan      bool
	// wait bounds the wait for another cws deploying or deleting the stage.
	wait time.Duration
	// branch is the git branch the stage is named after (--stage @branch), recorded so that `cws stage
	// prune` knows a branch stage.
	branch string
	// port, when not 0, is the port the local cloud must use (see ports.go); 0 keeps its port.
	port int
}

// deployStage deploys one resolved stage: it takes the stage's lock, resolves the shared REST API, builds
// (reusing an unchanged build) and hands the artifact to the target, printing Chalice-style progress on
// env.Err. Errors carry their next step.
func deployStage(ctx context.Context, env *Env, d stageDeploy) (*deployReport, error) {
	dir, p, s := d.dir, d.project, d.stage
	name := d.target
	if name == "" {
		name = s.DeployTarget
	}
	if !knownTarget(name) {
		return nil, withTry(fmt.Errorf("unknown deploy target %q: use %s", name, strings.Join(targetNames, " or ")), "cws deploy --stage "+s.StageName+" --target local")
	}
	if err := checkTargetSettings(env, name, s); err != nil { // before the build: the deploy could not go anywhere
		return nil, err
	}
	tgt, err := newTarget(targetOptions{Name: name, ProjectDir: dir, AppName: p.AppName(), Stage: s, Env: env, Port: d.port})
	if err != nil {
		return nil, err
	}
	unlock, err := lockStage(ctx, env, dir, s.StageName, "deploying", d.wait)
	if err != nil {
		return nil, err
	}
	defer unlock()

	// Resolve the shared API before building: a typo should not cost a build.
	var apiID, apiStage string
	if d.restAPIID != "" {
		if apiID, apiStage, err = resolveRestAPI(env, dir, p, name, d.restAPIID); err != nil {
			return nil, err
		}
	}
	rec, err := deployed.Load(dir, s.StageName, p.AppName())
	if err != nil {
		return nil, withTry(err, "fix or remove "+projectRel(dir, deployed.Path(dir, s.StageName)))
	}
	_, existed := rec.LambdaARN(deployed.APIHandlerName)

	// The local cloud runs the host binary alone: the Lambda zip is built only for AWS.
	local := runsHostBinaryOnly(name)
	a, err := buildStage(ctx, dir, s, local, env.Err)
	if err != nil {
		return nil, err
	}
	if a.Cached {
		fmt.Fprintln(env.Err, "Reusing existing deployment package.")
	} else {
		fmt.Fprintln(env.Err, "Creating deployment package.")
	}
	fn := s.FunctionName()
	first := "Updating lambda function: " + fn
	switch {
	case d.plan:
		first = "Planning stage " + s.StageName + " (a dry run: nothing is changed)"
	case !existed:
		first = "Creating lambda function: " + fn
	}
	progress := &heldProgress{w: env.Err, first: first}
	req := deployRequest(s, a, apiID, apiStage, d.plan, progress)
	req.Artifact.Commit, _ = stage.CurrentCommit(dir) // "" outside a git repository: the commit is informative
	req.Artifact.Dirty = req.Artifact.Commit != "" && sourceDirty(ctx, dir)
	req.Origin = originOf(env, s, d.branch)
	res, err := tgt.Deploy(ctx, req)
	progress.finish(err == nil && (res.Unchanged || d.plan))
	if err != nil {
		return nil, deployError(err, s.StageName)
	}
	report := &deployReport{
		Stage: s.StageName, Target: tgt.Name(), Unchanged: res.Unchanged, PlanOnly: d.plan, Plan: res.Plan,
		RestAPIID: res.RestAPIID, RestAPIURL: res.URL, CreatedAPI: res.CreatedAPI, FunctionName: res.FunctionName,
		SourceCodeHash: a.SHA256, ArtifactSHA256: a.SHA256, PackageReused: a.Cached,
	}
	if local {
		report.ArtifactSHA256 = a.HostSHA256
	}
	if res.Record != nil {
		report.LambdaARN, _ = res.Record.LambdaARN(deployed.APIHandlerName)
	}
	return report, nil
}

// printDeployReport prints what `cws deploy` prints on stdout: the plan, or Chalice's "Resources deployed".
func printDeployReport(w io.Writer, report *deployReport) {
	switch {
	case report.PlanOnly:
		fmt.Fprint(w, strings.TrimSuffix(report.Plan, "\n")+"\n")
		return
	case report.Unchanged:
		fmt.Fprintf(w, "Stage %s is up to date (nothing changed).\n", report.Stage)
	}
	fmt.Fprintln(w, "Resources deployed:")
	if report.LambdaARN != "" {
		fmt.Fprintf(w, "  - Lambda ARN: %s\n", report.LambdaARN)
	}
	if report.RestAPIURL != "" {
		fmt.Fprintf(w, "  - Rest API URL: %s\n", report.RestAPIURL)
	}
}

// deployRequest fills the target's request from the resolved stage and the artifact (nil for a promote: the
// target takes the artifact of the stage promoted from).
func deployRequest(s *config.Stage, a *build.Artifact, apiID, apiStage string, plan bool, progress io.Writer) *target.Request {
	var reserved *int
	if s.ReservedConcurrency.Set {
		n := s.ReservedConcurrency.Value
		reserved = &n
	}
	if a == nil {
		a = &build.Artifact{Architecture: s.LambdaArchitecture}
	}
	var compression *int
	if s.MinimumCompressionSize.Set {
		n := s.MinimumCompressionSize.Value
		compression = &n
	}
	return &target.Request{
		AppName:         s.AppName,
		Stage:           s.StageName,
		APIGatewayStage: s.APIGatewayStage,
		RestAPIID:       apiID,
		RestAPIStage:    apiStage,
		Artifact: target.Artifact{ZipPath: a.ZipPath, SHA256: a.SHA256, BinaryPath: a.HostBinary, BinarySHA256: a.HostSHA256,
			Routes: a.Routes},
		Settings: target.Settings{
			Environment:            s.EnvironmentVariables,
			Timeout:                s.LambdaTimeout,
			MemorySize:             s.LambdaMemorySize,
			ReservedConcurrency:    reserved,
			Region:                 s.AWSRegion,
			Architecture:           a.Architecture,
			BinaryMediaTypes:       slices.Clone(binaryMediaTypes),
			EndpointType:           s.APIGatewayEndpointType,
			MinimumCompressionSize: compression,
		},
		Config:   s,
		PlanOnly: plan,
		Progress: progress,
	}
}

// deployError adds the next step to the target's typed errors.
func deployError(err error, stage string) error {
	switch {
	case errors.Is(err, target.ErrRestAPINotFound):
		return withTry(err, "cws deployed   (lists the REST APIs that exist)")
	case errors.Is(err, target.ErrStageConflict):
		return withTry(err, "set stages."+stage+".api_gateway_stage in .chalice/config.json, then: cws deploy --stage "+stage)
	case errors.Is(err, target.ErrDeployedElsewhere):
		return withTry(err, "cws deployed   (shows the stage's target; deploy or delete it with that --target)")
	}
	return err
}

// lockStage takes the stage's deploy lock, saying on stderr when it has to wait, and gives up after wait.
func lockStage(ctx context.Context, env *Env, dir, stage, doing string, wait time.Duration) (func(), error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	unlock, err := deployed.Lock(ctx, dir, stage, func(holder string) {
		who := holder
		if i := strings.Index(who, " since "); i > 0 {
			who = who[:i]
		}
		if who == "" {
			who = "unknown pid"
		}
		fmt.Fprintf(env.Err, "waiting for another cws (%s) %s stage %s...\n", who, doing, stage)
	})
	var le *deployed.LockedError
	if errors.As(err, &le) {
		return nil, withTry(fmt.Errorf("gave up after %s: %w", wait, err), "wait for it to finish, or retry with a longer --wait")
	}
	return unlock, err
}

// heldProgress passes a target's progress lines on to w, first line held back: an unchanged deploy's lone
// "up to date" line is dropped (the command prints its own), and a deploy that changes something gets its
// Chalice-style first line ("Creating lambda function: app-dev") before the target's lines. Safe for
// concurrent writes.
type heldProgress struct {
	w       io.Writer
	first   string
	mu      sync.Mutex
	held    []byte
	flowing bool
}

func (h *heldProgress) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.flowing {
		return h.w.Write(p)
	}
	h.held = append(h.held, p...)
	if strings.Count(string(h.held), "\n") >= 2 {
		h.flow()
	}
	return len(p), nil
}

func (h *heldProgress) flow() {
	h.flowing = true
	fmt.Fprintln(h.w, h.first)
	h.w.Write(h.held)
	h.held = nil
}

// finish ends the deploy: what is held is dropped when nothing changed, printed otherwise.
func (h *heldProgress) finish(nothingChanged bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.flowing && !nothingChanged {
		h.flow()
	}
}
