package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/target"
	"github.com/spf13/cobra"
)

type deleteOptions struct {
	json    bool
	confirm string
	wait    time.Duration
	target  string
}

func newDeleteCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &deleteOptions{}
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Delete a deployed stage (and its REST API when no other stage uses it); writes Chalice's empty record",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDelete(cmd.Context(), env, g, o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	cmd.Flags().StringVar(&o.target, "target", "", "target of a stage this machine has no record of, local or terraform (default: the stage's deploy_target)")
	cmd.Flags().DurationVar(&o.wait, "wait", defaultLockWait, "how long to wait for another cws deploying or deleting the stage")
	cmd.Flags().StringVar(&o.confirm, "confirm", "", "the stage's name, to delete a protected stage")
	return cmd
}

// deleteReport is the JSON of `cws delete`.
type deleteReport struct {
	Stage      string `json:"stage"`
	Target     string `json:"target"`
	Deleted    bool   `json:"deleted"`
	LambdaARN  string `json:"lambda_arn,omitempty"`
	RestAPIID  string `json:"rest_api_id,omitempty"`
	APIDeleted bool   `json:"api_deleted"`
	// KeptFor lists the stages still on the REST API when it was kept.
	KeptFor []string `json:"kept_for"`
}

// runDelete deletes the stage with the target that deployed it (from the metadata sidecar), else --target,
// else the configured one. A --target other than the sidecar's is refused: it would leave what the other
// target deployed.
func runDelete(ctx context.Context, env *Env, g *globalOptions, o *deleteOptions) error {
	env, done := liveProgress(env, o.json)
	defer done()
	dir, p, s, err := resolveStage(env, g, config.APIHandler)
	if err != nil {
		return err
	}
	name, err := stageTargetName(dir, s, o.target, "cws delete --stage "+s.StageName)
	if err != nil {
		return err
	}
	if err := confirmProtected(env, s, o.confirm, "delete stage "+s.StageName, "cws delete --stage "+s.StageName); err != nil {
		return err
	}
	tgt, err := newTarget(targetOptions{Name: name, ProjectDir: dir, AppName: p.AppName(), Stage: s, Env: env, Port: pinnedPort(p)})
	if err != nil {
		return err
	}
	unlock, err := lockStage(ctx, env, dir, s.StageName, "deleting", o.wait)
	if err != nil {
		return err
	}
	defer unlock()

	if _, err := deployed.Load(dir, s.StageName, p.AppName()); err != nil {
		return withTry(err, "fix or remove "+projectRel(dir, deployed.Path(dir, s.StageName)))
	}
	desc, err := tgt.Describe(ctx, s.StageName)
	if err != nil {
		return err
	}
	res, err := tgt.Delete(ctx, &target.DeleteRequest{AppName: p.AppName(), Stage: s.StageName, Progress: env.Err, Config: s, Origin: originOf(env, s, "")})
	if err != nil {
		return deployError(err, s.StageName)
	}
	report := deleteReport{Stage: s.StageName, Target: tgt.Name(), Deleted: res.Deleted, RestAPIID: res.RestAPIID,
		APIDeleted: res.APIDeleted, KeptFor: []string{}}
	if res.Deleted {
		report.LambdaARN = desc.FunctionARN
		if res.FunctionARN != "" {
			report.LambdaARN = res.FunctionARN
		}
		if !res.APIDeleted {
			report.KeptFor = append(report.KeptFor, desc.SharedWith...)
		}
	}
	if o.json {
		return writeJSON(env.Out, report)
	}
	w := env.Out
	switch {
	case !res.Deleted:
		fmt.Fprintf(w, "Stage %s was not deployed; its record is now empty.\n", s.StageName)
	case res.APIDeleted:
		fmt.Fprintf(w, "Deleted stage %s: function %s and Rest API %s.\n", s.StageName, report.LambdaARN, res.RestAPIID)
	default:
		fmt.Fprintf(w, "Deleted stage %s: function %s.\n", s.StageName, report.LambdaARN)
		fmt.Fprintf(w, "Kept Rest API %s: still used by %s.\n", res.RestAPIID, stagesPhrase(report.KeptFor))
	}
	return nil
}

// stagesPhrase names stages in a sentence: "stage dev", "stages dev and qa", "stages dev, qa and x".
func stagesPhrase(stages []string) string {
	if n := len(stages); n > 1 {
		return "stages " + strings.Join(stages[:n-1], ", ") + " and " + stages[n-1]
	}
	return "stage " + strings.Join(stages, "")
}
