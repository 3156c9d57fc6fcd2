package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/stage"
	"github.com/spf13/cobra"
)

type deployedOptions struct {
	json bool
}

func newDeployedCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &deployedOptions{}
	cmd := &cobra.Command{
		Use:         "deployed",
		Annotations: map[string]string{noStage: "it lists every deployed stage"},
		Short:       "List every stage with a deployment record: target, REST API, URL, artifact and deploy time",
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDeployed(env, g, o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

// deployedStage is one row of `cws deployed`, from the stage's record and its cws metadata.
type deployedStage struct {
	Stage    string `json:"stage"`
	Deployed bool   `json:"deployed"`
	// Target, ArtifactSHA256 and DeployedAt come from the metadata sidecar; empty when it is missing or
	// stale (the record was rewritten by another tool since).
	Target         string     `json:"target"`
	RestAPIID      string     `json:"rest_api_id"`
	RestAPIURL     string     `json:"rest_api_url"`
	LambdaARN      string     `json:"lambda_arn"`
	ArtifactSHA256 string     `json:"artifact_sha256"`
	DeployedAt     *time.Time `json:"deployed_at"`
	// FunctionVersion is the published function version the stage serves (terraform target).
	FunctionVersion string `json:"function_version,omitempty"`
	// Missing says the record lists resources that its target no longer has: a local stage whose
	// .chalice/local/ was removed. Nothing answers at its URL.
	Missing bool `json:"missing"`
	// Protected says the config protects the stage ("protected": true).
	Protected bool `json:"protected"`
}

// readDeployedStages reads the record and metadata of every stage that has a record, sorted by stage, and
// asks each stage's target whether it still has it (Describe).
func readDeployedStages(env *Env, dir, appName string) ([]deployedStage, error) {
	names, err := deployed.List(dir)
	if err != nil {
		return nil, err
	}
	out := make([]deployedStage, 0, len(names))
	for _, name := range names {
		rec, err := deployed.Load(dir, name, appName)
		if err != nil {
			return nil, withTry(err, "fix or remove "+projectRel(dir, deployed.Path(dir, name)))
		}
		d := deployedStage{Stage: name, Deployed: rec.IsDeployed()}
		d.RestAPIID, d.RestAPIURL, _ = rec.RestAPI()
		d.LambdaARN, _ = rec.LambdaARN(deployed.APIHandlerName)
		meta, err := deployed.LoadMeta(dir, name)
		if err != nil {
			return nil, err
		}
		if meta != nil && d.Deployed && meta.RestAPIID == d.RestAPIID {
			d.Target, d.ArtifactSHA256, d.FunctionVersion = meta.Target, meta.ArtifactSHA256, meta.FunctionVersion
			at := meta.DeployedAt.UTC()
			d.DeployedAt = &at
		}
		if d.Target != "" {
			if d.Missing, err = missing(env, dir, appName, d.Target, name); err != nil {
				return nil, err
			}
		}
		out = append(out, d)
	}
	return out, nil
}

func runDeployed(env *Env, g *globalOptions, o *deployedOptions) error {
	dir, p, err := loadProject(env, g)
	if err != nil {
		return err
	}
	stages, err := readDeployedStages(env, dir, p.AppName())
	if err != nil {
		return err
	}
	for i := range stages {
		if s, err := p.Resolve(stages[i].Stage, config.APIHandler, config.Overrides{}); err == nil {
			stages[i].Protected = s.Protected
		}
	}
	if o.json {
		return writeJSON(env.Out, stages)
	}
	if len(stages) == 0 {
		fmt.Fprintln(env.Out, "No stage has been deployed; deploy one with: cws deploy --stage dev")
		return nil
	}
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	rows := make([][]string, 0, len(stages))
	for _, s := range stages {
		if !s.Deployed {
			rows = append(rows, []string{s.Stage, "-", "-", "(deleted)", "-", "-", protectedMark(s.Protected)})
			continue
		}
		if s.Missing {
			warnMissing(env.Err, s.Stage)
			s.Target += " (missing)"
		}
		hash, at := "-", "-"
		if s.ArtifactSHA256 != "" {
			hash = s.ArtifactSHA256[:min(12, len(s.ArtifactSHA256))]
		}
		if s.DeployedAt != nil {
			at = s.DeployedAt.Format("2006-01-02 15:04:05Z")
		}
		rows = append(rows, []string{s.Stage, dash(s.Target), dash(s.RestAPIID), dash(s.RestAPIURL), hash, at, protectedMark(s.Protected)})
	}
	return writeTable(env.Out, []string{"STAGE", "TARGET", "REST API ID", "URL", "ARTIFACT", "DEPLOYED AT", "PROTECTED"}, rows)
}

func protectedMark(p bool) string {
	if p {
		return "yes"
	}
	return "-"
}

// missing reports whether a stage recorded as deployed with targetName is unknown to that target.
func missing(env *Env, dir, appName, targetName, stage string) (bool, error) {
	tgt, err := newTarget(targetOptions{Name: targetName, ProjectDir: dir, AppName: appName, Env: env})
	if err != nil {
		return false, err
	}
	d, err := tgt.Describe(context.Background(), stage)
	if err != nil {
		return false, err
	}
	return !d.Deployed, nil
}

// warnMissing says that stage is recorded as deployed locally while the local cloud does not have it, and
// how to recover.
func warnMissing(w io.Writer, stage string) {
	fmt.Fprintf(w, "Warning: stage %s is recorded as deployed to the local cloud, which does not have it (.chalice/local/ removed?): nothing answers at its URL.\n"+
		"  To recover: cws deploy --stage %s   (the same REST API id and URL), or forget it: cws delete --stage %s\n", stage, stage, stage)
}

// resolveRestAPI turns the value of --rest-api-id into a REST API id: the id in the record of the
// deployed stage of that name (stage names win), else an id some record names. viaStage is the stage
// when value named one. The shared API must belong to targetName. Anything else is an error listing the
// deployed stages and their ids.
func resolveRestAPI(env *Env, dir string, p *config.Project, targetName, value string) (id, viaStage string, err error) {
	stages, err := readDeployedStages(env, dir, p.AppName())
	if err != nil {
		return "", "", err
	}
	check := func(s deployedStage) error {
		if s.Target != "" && s.Target != targetName {
			return withTry(fmt.Errorf("--rest-api-id %s: REST API %s was deployed with target %q, not %q", value, s.RestAPIID, s.Target, targetName),
				"cws deploy ... --target "+s.Target)
		}
		return nil
	}
	for _, s := range stages {
		if s.Stage == value && s.RestAPIID != "" {
			return s.RestAPIID, s.Stage, check(s)
		}
	}
	for _, s := range stages {
		if s.RestAPIID == value {
			return s.RestAPIID, "", check(s)
		}
	}
	var names, ids []string
	for _, s := range stages {
		if s.RestAPIID != "" {
			names = append(names, s.Stage)
			if !slices.Contains(ids, s.RestAPIID) {
				ids = append(ids, s.RestAPIID)
			}
		}
	}
	slices.Sort(ids)
	msg := fmt.Sprintf("--rest-api-id %q is neither a deployed stage nor a known REST API id", value)
	if len(names) == 0 {
		msg += " (nothing is deployed yet)"
	} else {
		msg += fmt.Sprintf(" (deployed stages: %s; REST API ids: %s)", strings.Join(names, ", "), strings.Join(ids, ", "))
	}
	try := "cws deployed"
	if stage.Valid(value) && p.HasStage(value) {
		try = "cws deploy --stage " + value + "   (deploy it first), or see: cws deployed"
	}
	return "", "", withTry(fmt.Errorf("%s", msg), try)
}
