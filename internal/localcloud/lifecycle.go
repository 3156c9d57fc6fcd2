package localcloud

import (
	"context"
	"fmt"
	"slices"

	"github.com/coworks-go/coworks"
	"github.com/coworks-go/coworks/internal/target"
)

// Promote deploys on req.Stage the artifact that runs on req.From in the local cloud, from the artifact
// store (same hash, no rebuild), with req's settings; the entry records where it came from and the commit
// the artifact was built from.
func (c *Cloud) Promote(ctx context.Context, req *target.PromoteRequest) (*target.Result, error) {
	switch {
	case req.From == req.Stage:
		return nil, fmt.Errorf("promote %s to %s: %w", req.From, req.Stage, target.ErrSameStage)
	case !validName(req.From) || !validName(req.Stage):
		return nil, fmt.Errorf("promote: invalid stage name %q or %q", req.From, req.Stage)
	case req.AppName == "":
		return nil, fmt.Errorf("promote: no app_name given")
	}
	unlock, st, rec, err := c.open(ctx, req.AppName, req.Stage)
	if err != nil {
		return nil, err
	}
	defer unlock()
	_, from := st.FindStage(req.From)
	if from == nil {
		return nil, fmt.Errorf("stage %q has nothing deployed in the local cloud: %w", req.From, target.ErrNotDeployed)
	}
	r := req.Request
	r.Artifact = c.stored(from, from.ArtifactSHA256, from.Routes)
	if h, err := loadHistory(c.project, req.From); err == nil {
		if e := runningEntry(h.Entries); e != nil && e.ArtifactSHA256 == from.ArtifactSHA256 {
			r.Artifact.Commit, r.Artifact.Dirty = e.Commit, e.Dirty
		}
	}
	return c.deploy(st, rec, &r, change{action: target.ActionPromote, promotedFrom: req.From})
}

// Rollback swaps the artifact the stage runs for the one of an earlier entry of its history, taken from the
// artifact store with its route table; the stage keeps its current settings (a Lambda version would bring
// its own: see docs/stages.md).
func (c *Cloud) Rollback(ctx context.Context, req *target.RollbackRequest) (*target.Result, error) {
	if !validName(req.Stage) {
		return nil, fmt.Errorf("rollback: invalid stage name %q", req.Stage)
	}
	unlock, st, rec, err := c.open(ctx, req.AppName, req.Stage)
	if err != nil {
		return nil, err
	}
	defer unlock()
	api, s := st.FindStage(req.Stage)
	if s == nil {
		return nil, fmt.Errorf("stage %q is not deployed in the local cloud: %w", req.Stage, target.ErrNotDeployed)
	}
	h, err := loadHistory(c.project, req.Stage)
	if err != nil {
		return nil, err
	}
	hist := &target.History{Stage: req.Stage, Entries: target.Newest(h.Entries), Current: target.Running(h.Entries)}
	e, err := hist.Choose(req.To)
	if err != nil {
		return nil, err
	}
	rel, err := artifactRel(e.ArtifactSHA256)
	if err != nil {
		return nil, err
	}
	routes, err := loadRoutes(Dir(c.project), rel)
	if err != nil || !artifactPresent(Dir(c.project), rel) {
		return nil, fmt.Errorf("artifact %s of entry %d of stage %q is not in the local cloud's store (it keeps the last keep_artifacts of each stage): %w",
			e.ArtifactSHA256, e.N, req.Stage, target.ErrArtifactGone)
	}
	origin := req.Origin
	if cur := runningEntry(h.Entries); cur != nil {
		origin.ConfigSHA256, origin.Branch = cur.ConfigSHA256, cur.Branch
	}
	r := &target.Request{
		AppName:         req.AppName,
		Stage:           req.Stage,
		APIGatewayStage: s.Name,
		RestAPIID:       api.ID,
		Artifact:        c.stored(&Stage{Artifact: rel}, e.ArtifactSHA256, routes),
		Settings: target.Settings{
			Environment:         s.Settings.Environment,
			Timeout:             s.Settings.Timeout,
			MemorySize:          s.Settings.MemorySize,
			ReservedConcurrency: s.Settings.ReservedConcurrency,
			Region:              s.Settings.Region,
			Architecture:        s.Settings.Architecture,
			BinaryMediaTypes:    slices.Clone(api.BinaryMediaTypes),
		},
		PlanOnly: req.PlanOnly,
		Progress: req.Progress,
		Origin:   origin,
	}
	r.Artifact.Commit, r.Artifact.Dirty = e.Commit, e.Dirty
	return c.deploy(st, rec, r, change{action: target.ActionRollback, rolledBackTo: e.N})
}

// stored returns the artifact of the store directory of s (its Artifact field), whose host binary has hash
// sha, as a deploy takes it.
func (c *Cloud) stored(s *Stage, sha string, routes []coworks.Route) target.Artifact {
	return target.Artifact{BinaryPath: s.BinaryPath(c.project), BinarySHA256: sha, Routes: routes}
}

// runningEntry returns the entry of entries (stored oldest first) that runs now, or nil.
func runningEntry(entries []target.Entry) *target.Entry {
	n := target.Running(entries)
	for i := range entries {
		if entries[i].N == n && n > 0 {
			return &entries[i]
		}
	}
	return nil
}
