package cli

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/stage"
	"github.com/coworks-go/coworks/internal/target"
)

// recentDeploy is how recently a stage may have been deployed and still be pruned without --force.
const recentDeploy = time.Hour

type stagePruneOptions struct {
	yes, force, json bool
	merged           string
	wait             time.Duration
}

func newStagePruneCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &stagePruneOptions{}
	cmd := &cobra.Command{
		Use:         "prune",
		Annotations: map[string]string{noStage: "it looks at every branch stage"},
		Short:       "Delete the branch stages whose git branch is gone (a dry run unless --yes)",
		Long: "Prune lists the stages deployed with --stage @branch (their deploy recorded the branch) whose branch no\n" +
			"longer exists, locally or on any remote (as this clone knows them: git fetch --prune first), with their\n" +
			"last deploy, and deletes them with --yes. --merged BRANCH also selects the branches merged into BRANCH.\n" +
			"A protected stage is never pruned; one deployed in the last hour only with --force.",
		Example: "  cws stage prune\n  git fetch --prune && cws stage prune --merged main --yes",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStagePrune(cmd.Context(), env, g, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.yes, "yes", false, "delete the stages listed (default: only list them)")
	f.BoolVar(&o.force, "force", false, "also delete stages deployed in the last hour")
	f.StringVar(&o.merged, "merged", "", "also select the stages of branches merged into this branch")
	f.BoolVar(&o.json, "json", false, "print JSON")
	f.DurationVar(&o.wait, "wait", defaultLockWait, "how long to wait for another cws changing a stage")
	return cmd
}

// pruneCandidate is one branch stage `cws stage prune` looked at.
type pruneCandidate struct {
	Stage      string    `json:"stage"`
	Branch     string    `json:"branch"`
	Target     string    `json:"target"`
	DeployedAt time.Time `json:"deployed_at"`
	// Why the stage is selected: "branch gone" or "merged into BRANCH".
	Why string `json:"why"`
	// Kept says why a selected stage is not deleted ("protected", "deployed in the last hour"), "" when it is.
	Kept    string `json:"kept,omitempty"`
	Deleted bool   `json:"deleted"`
}

func runStagePrune(ctx context.Context, env *Env, g *globalOptions, o *stagePruneOptions) error {
	dir, p, err := loadValidProject(env, g)
	if err != nil {
		return err
	}
	root, err := stage.RepositoryRoot(dir)
	if errors.Is(err, stage.ErrNotGit) {
		return withTry(fmt.Errorf("cws stage prune compares branch stages with the branches of the project's git repository, and %s is not in one", dir), "cws deployed   (the stages), cws delete --stage S")
	}
	if err != nil {
		return err
	}
	branches, err := gitBranches(ctx, root, "")
	if err != nil {
		return err
	}
	var merged map[string]bool
	if o.merged != "" {
		if merged, err = gitBranches(ctx, root, o.merged); err != nil {
			return withTry(err, "git branch --list   (name an existing branch in --merged)")
		}
		delete(merged, o.merged)
	}
	names, err := deployed.List(dir)
	if err != nil {
		return err
	}
	candidates := []pruneCandidate{}
	for _, name := range names {
		meta, err := deployed.LoadMeta(dir, name)
		if err != nil {
			return err
		}
		rec, err := deployed.Load(dir, name, p.AppName())
		if err != nil || meta == nil || meta.Branch == "" || !rec.IsDeployed() {
			continue // not a branch stage, or not deployed
		}
		c := pruneCandidate{Stage: name, Branch: meta.Branch, Target: meta.Target, DeployedAt: meta.DeployedAt.UTC()}
		switch {
		case !branches[meta.Branch]:
			c.Why = "branch gone"
		case merged[meta.Branch]:
			c.Why = "merged into " + o.merged
		default:
			continue
		}
		s, err := p.Resolve(name, config.APIHandler, config.Overrides{})
		if err != nil {
			return err
		}
		switch age := env.Now().Sub(c.DeployedAt); {
		case s.Protected:
			c.Kept = "protected"
		case age < recentDeploy && !o.force:
			c.Kept = fmt.Sprintf("deployed %s ago (--force prunes it)", age.Round(time.Minute))
		}
		if o.yes && c.Kept == "" {
			if err := pruneStage(ctx, env, dir, p, s, o.wait); err != nil {
				return fmt.Errorf("pruning stage %s: %w", name, err)
			}
			c.Deleted = true
		}
		candidates = append(candidates, c)
	}
	if o.json {
		return writeJSON(env.Out, candidates)
	}
	if len(candidates) == 0 {
		fmt.Fprintln(env.Out, "No branch stage to prune: every stage deployed from a branch still has its branch.")
		return nil
	}
	rows := make([][]string, 0, len(candidates))
	pending := 0
	for _, c := range candidates {
		action := "would delete"
		switch {
		case c.Deleted:
			action = "deleted"
		case c.Kept != "":
			action = "kept: " + c.Kept
		default:
			pending++
		}
		rows = append(rows, []string{c.Stage, c.Branch, c.Target, c.DeployedAt.Format("2006-01-02 15:04:05Z"), c.Why, action})
	}
	if err := writeTable(env.Out, []string{"STAGE", "BRANCH", "TARGET", "LAST DEPLOY", "WHY", "ACTION"}, rows); err != nil {
		return err
	}
	if pending > 0 && !o.yes {
		fmt.Fprintf(env.Out, "Dry run: nothing was deleted. Delete %s with: cws stage prune --yes%s\n", plural(pending, "stage"), mergedFlag(o.merged))
	}
	return nil
}

// pruneStage deletes one branch stage with the target that deployed it, recorded as a delete.
func pruneStage(ctx context.Context, env *Env, dir string, p *config.Project, s *config.Stage, wait time.Duration) error {
	name, err := stageTargetName(dir, s, "", "cws delete --stage "+s.StageName)
	if err != nil {
		return err
	}
	tgt, err := newTarget(targetOptions{Name: name, ProjectDir: dir, AppName: p.AppName(), Stage: s, Env: env, Port: pinnedPort(p)})
	if err != nil {
		return err
	}
	unlock, err := lockStage(ctx, env, dir, s.StageName, "deleting", wait)
	if err != nil {
		return err
	}
	defer unlock()
	_, err = tgt.Delete(ctx, &target.DeleteRequest{AppName: p.AppName(), Stage: s.StageName, Progress: env.Err, Config: s, Origin: originOf(env, s, "")})
	return deployError(err, s.StageName)
}

// gitBranches returns the branches of the repository at root, local and remote-tracking (a remote's
// branch under its own name: origin/feature-x is feature-x); with merged, only those merged into it.
func gitBranches(ctx context.Context, root, merged string) (map[string]bool, error) {
	args := []string{"-C", root, "for-each-ref", "--format=%(refname)"}
	if merged != "" {
		args = append(args, "--merged", merged)
	}
	args = append(args, "refs/heads", "refs/remotes")
	out, err := exec.CommandContext(ctx, "git", args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("git %s: %v: %s", strings.Join(args[2:], " "), err, strings.TrimSpace(string(out)))
	}
	branches := map[string]bool{}
	for _, ref := range strings.Fields(string(out)) {
		if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
			branches[b] = true
		} else if rest, ok := strings.CutPrefix(ref, "refs/remotes/"); ok {
			if _, b, ok := strings.Cut(rest, "/"); ok && b != "HEAD" {
				branches[b] = true
			}
		}
	}
	return branches, nil
}

func mergedFlag(branch string) string {
	if branch == "" {
		return ""
	}
	return " --merged " + branch
}
