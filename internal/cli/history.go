package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/target"
)

type historyOptions struct {
	json bool
}

func newHistoryCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &historyOptions{}
	cmd := &cobra.Command{
		Use:   "history",
		Short: "What ran on a stage: every deploy, promote, rollback and delete, newest first, marking what runs now",
		Long: "History lists the changes of a stage as its target keeps them (the local cloud's state, or the Terraform\n" +
			"state of the stage for AWS): when, by whom, the artifact's sha256, the commit it was built from (+dirty\n" +
			"when the tree had changes), the configuration's hash, the result. * marks what runs now; entries whose\n" +
			"artifact is kept can be returned to with cws rollback --to N.",
		Example: "  cws history --stage prod\n  cws history --stage prod --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHistory(cmd.Context(), env, g, o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

// historyEntry is one entry of `cws history --json`.
type historyEntry struct {
	target.Entry
	// Current marks the entry whose artifact runs now; Available, an artifact that can be returned to.
	Current   bool `json:"current"`
	Available bool `json:"available"`
}

// historyReport is the JSON of `cws history`.
type historyReport struct {
	Stage   string         `json:"stage"`
	Target  string         `json:"target"`
	Current int            `json:"current"`
	Entries []historyEntry `json:"entries"`
}

func runHistory(ctx context.Context, env *Env, g *globalOptions, o *historyOptions) error {
	dir, p, s, err := resolveStage(env, g, config.APIHandler)
	if err != nil {
		return err
	}
	report, err := readHistory(ctx, env, dir, p.AppName(), s, env.Err)
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(env.Out, report)
	}
	if len(report.Entries) == 0 {
		fmt.Fprintf(env.Out, "Stage %s has no history on target %s yet: deploy it with: cws deploy --stage %s\n", s.StageName, report.Target, s.StageName)
		return nil
	}
	rows := make([][]string, 0, len(report.Entries))
	for _, e := range report.Entries {
		n := fmt.Sprintf("  %d", e.N)
		if e.Current {
			n = fmt.Sprintf("* %d", e.N)
		}
		rows = append(rows, []string{n, e.At.UTC().Format("2006-01-02 15:04:05Z"), string(e.Action), e.Result, short(e.ArtifactSHA256, 12),
			shortCommit(e.Entry), short(e.ConfigSHA256, 8), e.Actor, entryNote(e)})
	}
	if err := writeTable(env.Out, []string{"  #", "WHEN", "ACTION", "RESULT", "ARTIFACT", "COMMIT", "CONFIG", "BY", "NOTE"}, rows); err != nil {
		return err
	}
	if report.Current != 0 {
		fmt.Fprintf(env.Out, "* runs now. Return to an earlier entry: cws rollback --stage %s --to N\n", s.StageName)
	} else {
		fmt.Fprintf(env.Out, "Nothing runs on stage %s now.\n", s.StageName)
	}
	return nil
}

// readHistory asks the target stage s is deployed with (else its deploy_target) for the stage's history, as
// cws history and the console show it; progress receives the target's progress lines.
func readHistory(ctx context.Context, env *Env, dir, app string, s *config.Stage, progress io.Writer) (*historyReport, error) {
	name, err := stageTargetName(dir, s, "", "cws history --stage "+s.StageName)
	if err != nil {
		return nil, err
	}
	tgt, err := newTarget(targetOptions{Name: name, ProjectDir: dir, AppName: app, Stage: s, Env: env})
	if err != nil {
		return nil, err
	}
	h, err := tgt.History(ctx, &target.HistoryRequest{AppName: app, Stage: s.StageName, Config: s, Progress: progress})
	if err != nil {
		return nil, err
	}
	report := &historyReport{Stage: s.StageName, Target: name, Current: h.Current, Entries: []historyEntry{}}
	for _, e := range h.Entries {
		report.Entries = append(report.Entries, historyEntry{Entry: e, Current: e.N == h.Current, Available: h.Available[e.N]})
	}
	return report, nil
}

// shortCommit is an entry's commit as cws shows it: 8 characters, "+dirty" when the tree had changes.
func shortCommit(e target.Entry) string {
	c := short(e.Commit, 8)
	if e.Dirty {
		c += "+dirty"
	}
	return c
}

// entryNote says what else an entry tells: where a promote came from, where a rollback went, the version
// it serves, whether its artifact is gone, why it failed.
func entryNote(e historyEntry) string {
	var notes []string
	if e.PromotedFrom != "" {
		notes = append(notes, "from "+e.PromotedFrom)
	}
	if e.RolledBackTo != 0 {
		notes = append(notes, fmt.Sprintf("back to #%d", e.RolledBackTo))
	}
	if e.FunctionVersion != "" {
		notes = append(notes, "version "+e.FunctionVersion)
	}
	if e.Branch != "" && e.Action == target.ActionDeploy {
		notes = append(notes, "branch "+e.Branch)
	}
	if e.OK() && e.Action != target.ActionDelete && !e.Available {
		notes = append(notes, "artifact not kept")
	}
	if e.Error != "" {
		msg, _, _ := strings.Cut(e.Error, "\n")
		notes = append(notes, short(msg, 60))
	}
	return strings.Join(notes, "; ")
}

// short cuts s to n characters, "-" for empty.
func short(s string, n int) string {
	if s == "" {
		return "-"
	}
	if len(s) > n {
		return s[:n]
	}
	return s
}
