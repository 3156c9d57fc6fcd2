package cli

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/target"
)

type rollbackOptions struct {
	to string
	changeFlags
}

func newRollbackCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &rollbackOptions{}
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Return a stage to an earlier artifact of its history (no rebuild): the previous one, or --to N or --to HASH",
		Long: "Rollback returns the stage to the previous artifact of its history (cws history), or to entry N, or to the\n" +
			"artifact whose sha256 starts with HASH; nothing is built. In the local cloud the stage's artifact is\n" +
			"swapped (its settings stay); on AWS the stage's alias moves to that entry's function version and, when\n" +
			"its routes differ, the API definition that went with it is deployed again. Rollbacks in a row walk back.",
		Example: "  cws rollback --stage dev\n  cws rollback --stage prod --to 7 --confirm prod\n  cws rollback --stage prod --to llfyxoct",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRollback(cmd.Context(), env, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.to, "to", "", "the entry to return to: its number, or the start of its artifact's sha256 (default: the previous artifact)")
	o.add(f, "the stage's name")
	return cmd
}

func runRollback(ctx context.Context, env *Env, g *globalOptions, o *rollbackOptions) error {
	dir, p, s, err := resolveStage(env, g, config.APIHandler)
	if err != nil {
		return err
	}
	name, err := stageTargetName(dir, s, "", "cws deployed")
	if err != nil {
		return err
	}
	if !o.plan {
		if err := confirmProtected(env, s, o.confirm, "roll stage "+s.StageName+" back", "cws rollback --stage "+s.StageName+toFlag(o.to)); err != nil {
			return err
		}
	}
	tgt, err := newTarget(targetOptions{Name: name, ProjectDir: dir, AppName: p.AppName(), Stage: s, Env: env, Port: pinnedPort(p)})
	if err != nil {
		return err
	}
	unlock, err := lockStage(ctx, env, dir, s.StageName, "changing", o.wait)
	if err != nil {
		return err
	}
	defer unlock()
	res, err := tgt.Rollback(ctx, &target.RollbackRequest{AppName: p.AppName(), Stage: s.StageName, To: o.to, PlanOnly: o.plan,
		Origin: originOf(env, s, ""), Config: s, BinaryMediaTypes: slices.Clone(binaryMediaTypes), Progress: env.Err})
	if err != nil {
		return lifecycleError(err, s.StageName)
	}
	report := lifecycleReport{Stage: s.StageName, Target: name, Unchanged: res.Unchanged, PlanOnly: o.plan, Plan: res.Plan,
		ArtifactSHA256: res.ArtifactSHA256, RestAPIURL: res.URL, Entry: res.Entry}
	if o.json {
		return writeJSON(env.Out, report)
	}
	w := env.Out
	switch {
	case o.plan:
		fmt.Fprint(w, res.Plan)
	case res.Unchanged:
		fmt.Fprintf(w, "Stage %s already runs artifact %s: nothing changed.\n", s.StageName, res.ArtifactSHA256)
	default:
		fmt.Fprintf(w, "Rolled stage %s back to entry %d: artifact %s%s, entry %d of its history.\n",
			s.StageName, res.Entry.RolledBackTo, res.ArtifactSHA256, commitNote(res.Entry), res.Entry.N)
	}
	return nil
}

// toFlag is " --to X" for a --to given, "" otherwise.
func toFlag(to string) string {
	if to == "" {
		return ""
	}
	return " --to " + to
}
