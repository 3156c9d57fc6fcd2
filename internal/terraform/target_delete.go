package terraform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/target"
	"github.com/coworks-go/coworks/internal/tfgen"
)

// Delete destroys the stage root of req.Stage, then the API root the stage owns, if any. A stage owning an
// API that other stages still use is refused with an *APIInUseError before anything is destroyed. When
// everything is destroyed it writes Chalice's empty record and removes the sidecar; when a destroy fails the
// record still lists what exists (the function when the stage root could not be destroyed, the API when
// only the API root could not). A stage whose roots are not on this machine (a CI job) is found in its
// remote backend (req.Config's terraform_backend) from roots holding only the settings (tfgen.StateRoots);
// with local state and no roots, it is not an error: the stage just gets the empty record.
func (t *Target) Delete(ctx context.Context, req *target.DeleteRequest) (*target.DeleteResult, error) {
	progress := t.progress(req.Progress)
	rec, err := t.loadOwned(req.Stage, req.AppName)
	if err != nil {
		return nil, err
	}
	dir := RootsDir(t.opts.ProjectDir)
	stageRoot, apiRoot := tfgen.StageRootDir(req.Stage), tfgen.APIRootDir(req.Stage)
	hasStage, hasAPI := isDir(filepath.Join(dir, stageRoot)), isDir(filepath.Join(dir, apiRoot))
	if !hasStage && !hasAPI && !rec.IsDeployed() {
		if rec, hasStage, hasAPI, err = t.fromRemoteState(ctx, req, progress); err != nil {
			return nil, err
		}
	}
	res := &target.DeleteResult{Deleted: rec.IsDeployed() || hasStage}
	res.RestAPIID, _, _ = rec.RestAPI()
	res.FunctionARN, _ = rec.LambdaARN(deployed.APIHandlerName)
	if hasAPI && res.RestAPIID != "" {
		users, err := t.stagesOn(res.RestAPIID, req.Stage)
		if err != nil {
			return nil, err
		}
		if len(users) > 0 {
			e := &APIInUseError{Stage: req.Stage, RestAPIID: res.RestAPIID}
			for _, u := range users {
				e.Stages = append(e.Stages, u.name)
			}
			return nil, e
		}
	}
	var hist *stageHistory
	entry := target.Entry{Actor: req.Origin.Actor, Action: target.ActionDelete, Result: target.ResultOK, ConfigSHA256: req.Origin.ConfigSHA256}
	if hasStage || hasAPI {
		bin, err := FindBinary(t.opts.Getenv)
		if err != nil {
			return nil, err
		}
		if res.Deleted && isDir(filepath.Join(dir, tfgen.HistoryRootDir(req.Stage))) {
			if hist, err = t.openHistory(ctx, bin, tfgen.HistoryRootDir(req.Stage), true); err != nil {
				return nil, err
			}
		}
		if hasStage {
			if err := t.destroy(ctx, bin, stageRoot, progress); err != nil {
				entry.Result, entry.Error = target.ResultFailed, err.Error()
				if _, histErr := t.record(ctx, hist, entry); histErr != nil {
					fmt.Fprintf(progress, "Note: the failed delete could not be recorded in the stage's history: %v\n", histErr)
				}
				return nil, err
			}
			if hasAPI && rec.IsDeployed() { // the function is gone, the API is not yet
				rest := deployed.Empty()
				rest.Extra = rec.Extra
				if r := rec.Resource(deployed.RestAPIName); r != nil {
					rest.Put(*r)
				}
				if err := deployed.Save(t.opts.ProjectDir, req.Stage, rest); err != nil {
					return nil, err
				}
			}
		}
		if hasAPI {
			if err := t.destroy(ctx, bin, apiRoot, progress); err != nil {
				return nil, err
			}
			res.APIDeleted = true
		}
	}
	empty := deployed.Empty()
	empty.Extra = rec.Extra
	if err := deployed.Save(t.opts.ProjectDir, req.Stage, empty); err != nil {
		return nil, err
	}
	if err := deployed.RemoveMeta(t.opts.ProjectDir, req.Stage); err != nil {
		return nil, err
	}
	if _, err := t.record(ctx, hist, entry); err != nil {
		return nil, err
	}
	return res, nil
}

// fromRemoteState finds what the remote backend of req.Config holds for the stage when its roots are not on
// this machine: it writes roots holding only the settings, initialises them and reads their outputs. It
// returns the record of what exists, and whether each root's state holds anything (the roots are left for
// destroy then, removed otherwise). Without a remote backend there is nothing to find.
func (t *Target) fromRemoteState(ctx context.Context, req *target.DeleteRequest, progress io.Writer) (rec *deployed.Record, hasStage, hasAPI bool, err error) {
	rec = deployed.Empty()
	if req.Config == nil || req.Config.TerraformBackend == nil {
		return rec, false, false, nil
	}
	cfg := *req.Config
	cfg.AppName, cfg.StageName = req.AppName, req.Stage
	region, err := Region(&cfg, t.opts.Getenv)
	if err != nil {
		return nil, false, false, err
	}
	in, err := InputFor(Source{Stage: &cfg, ProjectDir: t.opts.ProjectDir, Region: region})
	if err != nil {
		return nil, false, false, err
	}
	files, err := tfgen.StateRoots(in)
	if err != nil {
		return nil, false, false, err
	}
	bin, err := FindBinary(t.opts.Getenv)
	if err != nil {
		return nil, false, false, err
	}
	fmt.Fprintf(progress, "The roots of stage %s are not on this machine: reading its state from the %s backend...\n", req.Stage, in.Backend.Type)
	if err := WriteRoots(RootsDir(t.opts.ProjectDir), files, nil); err != nil {
		return nil, false, false, err
	}
	found := map[string]bool{}
	for _, root := range []string{tfgen.StageRootDir(req.Stage), tfgen.APIRootDir(req.Stage)} {
		r, err := t.runner(bin, root, progress)
		if err != nil {
			return nil, false, false, err
		}
		if err := t.initRoot(ctx, r, root, progress); err != nil {
			return nil, false, false, err
		}
		outs, err := r.Output(ctx)
		if err != nil {
			return nil, false, false, err
		}
		if found[root] = len(outs) > 0; !found[root] {
			if err := os.RemoveAll(filepath.Join(RootsDir(t.opts.ProjectDir), root)); err != nil {
				return nil, false, false, err
			}
			continue
		}
		if root == tfgen.StageRootDir(req.Stage) {
			rec, _ = recordFromOutputs(rec, outs, region)
		}
	}
	return rec, found[tfgen.StageRootDir(req.Stage)], found[tfgen.APIRootDir(req.Stage)], nil
}

// destroy runs init and destroy in root.
func (t *Target) destroy(ctx context.Context, bin, root string, progress io.Writer) error {
	r, err := t.runner(bin, root, progress)
	if err != nil {
		return err
	}
	if err := t.initRoot(ctx, r, root, progress); err != nil {
		return err
	}
	fmt.Fprintf(progress, "Destroying %s...\n", relRoot(root))
	return r.Destroy(ctx)
}

// Describe reports what the stage's record and sidecar say is deployed with this target. A stage whose
// sidecar names another target is reported as not deployed here; a record without sidecar (written by
// Chalice) is reported as it is.
func (t *Target) Describe(ctx context.Context, stage string) (*target.Description, error) {
	rec, err := deployed.Load(t.opts.ProjectDir, stage, "")
	if err != nil {
		return nil, err
	}
	meta, err := deployed.LoadMeta(t.opts.ProjectDir, stage)
	if err != nil {
		return nil, err
	}
	d := &target.Description{Stage: stage}
	if !rec.IsDeployed() || (meta != nil && meta.Target != "" && meta.Target != TargetName) {
		return d, nil
	}
	d.Deployed = true
	d.RestAPIID, d.URL, _ = rec.RestAPI()
	d.APIGatewayStage = urlStage(d.URL)
	d.FunctionARN, _ = rec.LambdaARN(deployed.APIHandlerName)
	if _, name, ok := strings.Cut(d.FunctionARN, ":function:"); ok {
		d.FunctionName = name
	}
	if meta != nil {
		d.ArtifactSHA256, d.DeployedAt, d.FunctionVersion = meta.ArtifactSHA256, meta.DeployedAt, meta.FunctionVersion
	}
	if d.RestAPIID != "" {
		users, err := t.stagesOn(d.RestAPIID, stage)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			d.SharedWith = append(d.SharedWith, u.name)
		}
	}
	return d, nil
}

// apiUser is a stage deployed with this target on some REST API.
type apiUser struct {
	name, apigwStage string
}

// stagesOn returns, sorted by name, the stages other than except whose records put them on REST API apiID
// and whose sidecar says this target deployed them.
func (t *Target) stagesOn(apiID, except string) ([]apiUser, error) {
	stages, err := deployed.List(t.opts.ProjectDir)
	if err != nil {
		return nil, err
	}
	var users []apiUser
	for _, s := range stages {
		if s == except {
			continue
		}
		meta, err := deployed.LoadMeta(t.opts.ProjectDir, s)
		if err != nil {
			return nil, err
		}
		if meta == nil || meta.Target != TargetName {
			continue
		}
		rec, err := deployed.Load(t.opts.ProjectDir, s, "")
		if err != nil {
			return nil, err
		}
		if id, url, ok := rec.RestAPI(); ok && id == apiID {
			users = append(users, apiUser{name: s, apigwStage: urlStage(url)})
		}
	}
	slices.SortFunc(users, func(a, b apiUser) int { return strings.Compare(a.name, b.name) })
	return users, nil
}

// urlStage returns the API Gateway stage of a stage URL, its first path segment.
func urlStage(url string) string {
	_, path, ok := strings.Cut(strings.TrimPrefix(url, "https://"), "/")
	if !ok {
		return ""
	}
	first, _, _ := strings.Cut(path, "/")
	return first
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	return err == nil && fi.IsDir()
}
