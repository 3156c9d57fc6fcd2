package cli

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/target"
)

type promoteOptions struct {
	from, to, target string
	changeFlags
}

// changeFlags are the flags of the commands that change a stage without building (promote, rollback).
type changeFlags struct {
	confirm    string
	plan, json bool
	wait       time.Duration
}

// add registers the flags; whose names the stage --confirm must name.
func (c *changeFlags) add(f *pflag.FlagSet, whose string) {
	f.StringVar(&c.confirm, "confirm", "", whose+", when it is protected")
	f.BoolVar(&c.plan, "plan", false, "show what would change and change nothing")
	f.BoolVar(&c.json, "json", false, "print JSON")
	f.DurationVar(&c.wait, "wait", defaultLockWait, "how long to wait for another cws changing the stage")
}

func newPromoteCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &promoteOptions{}
	cmd := &cobra.Command{
		Use:         "promote",
		Annotations: map[string]string{noStage: "--from and --to name the stages"},
		Short:       "Deploy exactly the artifact that runs on one stage to another, with that stage's own settings (no rebuild)",
		Long: "Promote deploys on --to the artifact that runs on --from (same sha256: nothing is built) with --to's own\n" +
			"configuration (variables, memory, API Gateway stage), and records it in --to's history as promoted from\n" +
			"--from. Both stages must be on one target. On AWS the zip must be on this machine: the one cws deployed,\n" +
			"or one in the build cache (the same source builds the same zip).",
		Example: "  cws promote --from dev --to master\n  cws promote --from master --to prod --confirm prod",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPromote(cmd.Context(), env, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.from, "from", "", "the stage whose artifact is promoted (required)")
	f.StringVar(&o.to, "to", "", "the stage to deploy it to (required)")
	f.StringVar(&o.target, "target", "", "target of stages this machine has no record of, local or terraform (default: each stage's deploy_target)")
	o.add(f, "the --to stage's name")
	cmd.MarkFlagRequired("from")
	cmd.MarkFlagRequired("to")
	return cmd
}

// lifecycleReport is the JSON of `cws promote` and `cws rollback`.
type lifecycleReport struct {
	Stage          string        `json:"stage"`
	Target         string        `json:"target"`
	From           string        `json:"from,omitempty"`
	Unchanged      bool          `json:"unchanged"`
	PlanOnly       bool          `json:"plan_only"`
	Plan           string        `json:"plan,omitempty"`
	ArtifactSHA256 string        `json:"artifact_sha256"`
	RestAPIURL     string        `json:"rest_api_url,omitempty"`
	Entry          *target.Entry `json:"entry,omitempty"`
}

func runPromote(ctx context.Context, env *Env, g *globalOptions, o *promoteOptions) error {
	dir, p, err := loadValidProject(env, g)
	if err != nil {
		return err
	}
	from, err := stageName(dir, p, o.from, "cws promote --from ")
	if err != nil {
		return err
	}
	to, err := stageName(dir, p, o.to, "cws promote --from "+from+" --to ")
	if err != nil {
		return err
	}
	if from == to {
		return withTry(fmt.Errorf("promote %s to %s: %w", from, to, target.ErrSameStage), "cws promote --from "+from+" --to OTHER   (cws stage list)")
	}
	fromStage, err := p.Resolve(from, config.APIHandler, config.Overrides{})
	if err != nil {
		return err
	}
	toStage, err := p.Resolve(to, config.APIHandler, config.Overrides{})
	if err != nil {
		return err
	}
	fromTarget, err := stageTargetName(dir, fromStage, o.target, "cws promote --from "+from+" --to "+to)
	if err != nil {
		return err
	}
	toTarget, err := stageTargetName(dir, toStage, o.target, "cws promote --from "+from+" --to "+to)
	if err != nil {
		return err
	}
	if fromTarget != toTarget {
		return withTry(fmt.Errorf("stage %s is on target %s and stage %s on target %s, which run different artifacts (the local cloud a host binary, AWS a Lambda zip): %w",
			from, fromTarget, to, toTarget, target.ErrArtifactsDiffer), "build and deploy it there instead: cws deploy --stage "+to)
	}
	if err := checkTargetSettings(env, toTarget, toStage); err != nil {
		return err
	}
	if !o.plan {
		if err := confirmProtected(env, toStage, o.confirm, "promote "+from+" to stage "+to, "cws promote --from "+from+" --to "+to); err != nil {
			return err
		}
	}
	tgt, err := newTarget(targetOptions{Name: toTarget, ProjectDir: dir, AppName: p.AppName(), Stage: toStage, Env: env, Port: pinnedPort(p)})
	if err != nil {
		return err
	}
	// Both stages, in name order, so that two promotes between them cannot wait on each other.
	for _, name := range slices.Sorted(slices.Values([]string{from, to})) {
		unlock, err := lockStage(ctx, env, dir, name, "changing", o.wait)
		if err != nil {
			return err
		}
		defer unlock()
	}
	req := deployRequest(toStage, nil, "", "", o.plan, env.Err)
	req.Origin = originOf(env, toStage, "")
	res, err := tgt.Promote(ctx, &target.PromoteRequest{Request: *req, From: from, FromConfig: fromStage})
	if err != nil {
		return lifecycleError(err, to)
	}
	report := lifecycleReport{Stage: to, Target: toTarget, From: from, Unchanged: res.Unchanged, PlanOnly: o.plan, Plan: res.Plan,
		ArtifactSHA256: res.ArtifactSHA256, RestAPIURL: res.URL, Entry: res.Entry}
	if o.json {
		return writeJSON(env.Out, report)
	}
	w := env.Out
	switch {
	case o.plan:
		fmt.Fprint(w, res.Plan)
	case res.Unchanged:
		fmt.Fprintf(w, "Stage %s already runs what %s runs, with its own settings: nothing changed.\n", to, from)
	default:
		fmt.Fprintf(w, "Promoted %s to %s: artifact %s%s, entry %d of %s's history.\n", from, to, res.ArtifactSHA256, commitNote(res.Entry), res.Entry.N, to)
		if res.URL == "" {
			res.URL = recordedURL(dir, to)
		}
		if res.URL != "" {
			fmt.Fprintf(w, "  - Rest API URL: %s\n", res.URL)
		}
	}
	return nil
}

// commitNote is ", built from commit abc (dirty)" for an entry that knows its commit.
func commitNote(e *target.Entry) string {
	if e == nil || e.Commit == "" {
		return ""
	}
	note := ", built from commit " + short(e.Commit, 12)
	if e.Dirty {
		note += " (with uncommitted changes)"
	}
	return note
}

// recordedURL is the rest_api_url of the stage's record, "" when it has none.
func recordedURL(dir, stage string) string {
	rec, err := deployed.Load(dir, stage, "")
	if err != nil {
		return ""
	}
	_, url, _ := rec.RestAPI()
	return url
}
