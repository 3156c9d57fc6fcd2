package terraform

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/coworks-go/coworks/internal/safefile"
	"github.com/coworks-go/coworks/internal/target"
	"github.com/coworks-go/coworks/internal/tfgen"
)

// Promote deploys on req.Stage the artifact that runs on req.From: the newest running entry of From's
// history (its stage root's sidecar for a stage deployed before histories), whose zip must be on this
// machine: in the target's store (it deployed that artifact) or found by TargetOptions.FindArtifact (the
// build cache: the same source builds the same zip). Otherwise it fails with an *ArtifactNotHereError. The
// promote is a deploy of that zip with req's settings, recorded as promoted from req.From.
func (t *Target) Promote(ctx context.Context, req *target.PromoteRequest) (*target.Result, error) {
	if req.From == req.Stage {
		return nil, fmt.Errorf("promote %s to %s: %w", req.From, req.Stage, target.ErrSameStage)
	}
	h, err := t.History(ctx, &target.HistoryRequest{AppName: req.AppName, Stage: req.From, Config: req.FromConfig})
	if err != nil {
		return nil, err
	}
	var sha, commit string
	var dirty bool
	for _, e := range h.Entries {
		if e.N == h.Current {
			sha, commit, dirty = e.ArtifactSHA256, e.Commit, e.Dirty
		}
	}
	if sha == "" && len(h.Entries) == 0 {
		if d, err := t.Describe(ctx, req.From); err == nil && d.Deployed {
			sha = d.ArtifactSHA256
		}
	}
	if sha == "" {
		return nil, fmt.Errorf("stage %q has nothing deployed with terraform: %w", req.From, target.ErrNotDeployed)
	}
	art, ok := t.findArtifact(sha)
	if !ok {
		return nil, &ArtifactNotHereError{Stage: req.From, SHA256: sha, Commit: commit, BuildStage: req.From}
	}
	r := req.Request
	r.Artifact.ZipPath, r.Artifact.SHA256, r.Artifact.Routes = art.ZipPath, sha, art.Routes
	r.Artifact.Commit, r.Artifact.Dirty = commit, dirty
	return t.deploy(ctx, &r, change{action: target.ActionPromote, promotedFrom: req.From})
}

// Rollback points the stage's alias at the function version of an earlier entry of its history (Lambda
// keeps published versions: nothing is built or uploaded) by applying the stage root with alias_version
// set, kept in the root's cws-rollback.auto.tfvars.json so a plain terraform apply keeps it. When that
// version went with other routes and the stage owns its API, the API root is applied first with that
// version's routes (from the target's store: an *ArtifactNotHereError when they are not on this machine),
// which redeploys the API definition. The stage's roots must be on this machine.
func (t *Target) Rollback(ctx context.Context, req *target.RollbackRequest) (*target.Result, error) {
	progress := t.progress(req.Progress)
	rec, err := t.loadOwned(req.Stage, req.AppName)
	if err != nil {
		return nil, err
	}
	h, err := t.History(ctx, &target.HistoryRequest{AppName: req.AppName, Stage: req.Stage, Config: req.Config})
	if err != nil {
		return nil, err
	}
	e, err := h.Choose(req.To)
	if err != nil {
		return nil, err
	}
	if !h.Available[e.N] {
		return nil, fmt.Errorf("entry %d of stage %q has no function version that still exists: %w", e.N, req.Stage, target.ErrArtifactGone)
	}
	var cur target.Entry
	for _, c := range h.Entries {
		if c.N == h.Current {
			cur = c
		}
	}
	stageRoot, apiRoot := tfgen.StageRootDir(req.Stage), tfgen.APIRootDir(req.Stage)
	if !isDir(filepath.Join(RootsDir(t.opts.ProjectDir), stageRoot)) {
		return nil, withHint(fmt.Errorf("the Terraform roots of stage %q are not on this machine: a rollback applies them", req.Stage),
			"run the rollback where the stage was deployed, or deploy it here first: cws deploy --stage "+req.Stage+" --target terraform")
	}
	bin, err := FindBinary(t.opts.Getenv)
	if err != nil {
		return nil, err
	}
	var apiFiles map[string][]byte
	if e.RoutesSHA256 != cur.RoutesSHA256 && isDir(filepath.Join(RootsDir(t.opts.ProjectDir), apiRoot)) {
		if apiFiles, err = t.apiRootWithRoutesOf(req, e); err != nil {
			return nil, err
		}
	}
	varsPath := filepath.Join(RootsDir(t.opts.ProjectDir), stageRoot, rollbackVars)
	oldVars, _ := os.ReadFile(varsPath)
	vars, _ := json.Marshal(map[string]string{"alias_version": e.FunctionVersion})
	if err := safefile.Write(varsPath, append(vars, '\n'), 0o644); err != nil {
		return nil, err
	}
	result := &target.Result{FunctionName: req.AppName + "-" + req.Stage, ArtifactSHA256: e.ArtifactSHA256}
	result.RestAPIID, result.URL, _ = rec.RestAPI()
	if req.PlanOnly {
		defer restoreFile(varsPath, oldVars)
		var text strings.Builder
		if apiFiles != nil {
			fmt.Fprintf(&text, "# %s: the routes of entry %d\n", relRoot(apiRoot), e.N)
			for _, name := range []string{apiRoot + "/" + tfgen.OpenAPIName} {
				fmt.Fprintf(&text, "%d bytes of OpenAPI body would replace the current one\n", len(apiFiles[name]))
			}
		}
		r, err := t.runner(bin, stageRoot, progress)
		if err != nil {
			return nil, err
		}
		if err := t.initRoot(ctx, r, stageRoot, progress); err != nil {
			return nil, err
		}
		p, err := r.PlanQuietly(ctx)
		if err != nil {
			return nil, err
		}
		os.Remove(p.File)
		fmt.Fprintf(&text, "# %s\n%s", relRoot(stageRoot), p.Text)
		result.Plan = text.String()
		return result, nil
	}
	hist, err := t.openHistory(ctx, bin, tfgen.HistoryRootDir(req.Stage), true)
	if err != nil {
		return nil, err
	}
	entry := target.Entry{
		Actor: req.Origin.Actor, Action: target.ActionRollback, Result: target.ResultOK,
		ArtifactSHA256: e.ArtifactSHA256, Commit: e.Commit, Dirty: e.Dirty, ConfigSHA256: e.ConfigSHA256,
		RoutesSHA256: e.RoutesSHA256, RolledBackTo: e.N, Branch: cur.Branch,
	}
	fail := func(err error) (*target.Result, error) {
		restoreFile(varsPath, oldVars)
		entry.Result, entry.Error = target.ResultFailed, err.Error()
		if _, histErr := t.record(ctx, hist, entry); histErr != nil {
			fmt.Fprintf(progress, "Note: the failed rollback could not be recorded in the stage's history: %v\n", histErr)
		}
		return nil, err
	}
	if apiFiles != nil {
		fmt.Fprintf(progress, "Redeploying the API definition of entry %d (its routes)...\n", e.N)
		if err := WriteRoots(RootsDir(t.opts.ProjectDir), apiFiles, nil); err != nil {
			return fail(err)
		}
		r, err := t.runner(bin, apiRoot, progress)
		if err != nil {
			return fail(err)
		}
		if err := t.initRoot(ctx, r, apiRoot, progress); err != nil {
			return fail(err)
		}
		if _, err := planApply(ctx, r, progress); err != nil {
			return fail(err)
		}
	}
	fmt.Fprintf(progress, "Moving the alias %s of %s-%s to version %s (entry %d)...\n", tfgen.AliasName, req.AppName, req.Stage, e.FunctionVersion, e.N)
	r, err := t.runner(bin, stageRoot, progress)
	if err != nil {
		return fail(err)
	}
	if err := t.initRoot(ctx, r, stageRoot, progress); err != nil {
		return fail(err)
	}
	applied, err := planApply(ctx, r, progress)
	if err != nil {
		return fail(err)
	}
	outs, err := r.Output(ctx)
	if err != nil {
		return fail(err)
	}
	if !applied && apiFiles == nil {
		result.Unchanged = true
		return result, nil
	}
	region, _ := outs.String("region")
	if err := t.save(req.Stage, rec, e.ArtifactSHA256, region, outs, cur.Branch); err != nil {
		return nil, err
	}
	entry.FunctionVersion, _ = outs.String("function_version")
	result.Record = rec
	if result.Entry, err = t.record(ctx, hist, entry); err != nil {
		return nil, err
	}
	return result, nil
}

// apiRootWithRoutesOf returns the files of the stage's API root generated with the routes of entry e (from
// the target's store) and the stage's current configuration.
func (t *Target) apiRootWithRoutesOf(req *target.RollbackRequest, e *target.Entry) (map[string][]byte, error) {
	art, ok := t.findArtifact(e.ArtifactSHA256)
	if !ok {
		return nil, &ArtifactNotHereError{Stage: req.Stage, SHA256: e.ArtifactSHA256, Commit: e.Commit, BuildStage: req.Stage}
	}
	if req.Config == nil {
		return nil, fmt.Errorf("rollback of stage %q: its routes changed since entry %d, and regenerating its API needs the stage's configuration", req.Stage, e.N)
	}
	region, err := Region(req.Config, t.opts.Getenv)
	if err != nil {
		return nil, err
	}
	cfg := *req.Config
	cfg.AppName, cfg.StageName = req.AppName, req.Stage
	in, err := InputFor(Source{Stage: &cfg, ProjectDir: t.opts.ProjectDir, Region: region, ZipPath: art.ZipPath, SHA256: art.SHA256,
		Commit: e.Commit, Routes: art.Routes, BinaryMediaTypes: req.BinaryMediaTypes})
	if err != nil {
		return nil, err
	}
	out, err := t.opts.Generate(in)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for name, data := range out.Files {
		if strings.HasPrefix(name, out.APIRoot+"/") && out.OwnsAPI {
			files[name] = data
		}
	}
	return files, nil
}

// hinted is an error with its next step.
type hinted struct {
	err  error
	hint string
}

func withHint(err error, hint string) error { return &hinted{err: err, hint: hint} }

func (e *hinted) Error() string { return e.err.Error() }
func (e *hinted) Unwrap() error { return e.err }

// Hint says what to do next.
func (e *hinted) Hint() string { return e.hint }

// restoreFile puts back the content a file had (nil: it did not exist).
func restoreFile(path string, old []byte) {
	if old == nil {
		os.Remove(path)
		return
	}
	safefile.Write(path, old, 0o644)
}
