package cli

import (
	"fmt"
	"strconv"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/spf13/cobra"
)

func newStageCommand(env *Env, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stage",
		Short: "List, add, remove, show and compare stages; prune the stages of deleted branches",
	}
	cmd.AddCommand(
		newStageListCommand(env, g),
		newStageAddCommand(env, g),
		newStageRmCommand(env, g),
		newStageShowCommand(env, g),
		newStageDiffCommand(env, g),
		newStagePruneCommand(env, g),
	)
	return cmd
}

type stageListOptions struct {
	json bool
}

func newStageListCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &stageListOptions{}
	cmd := &cobra.Command{
		Use:         "list",
		Annotations: map[string]string{noStage: "it lists every stage"},
		Short:       "List the stages of config.json and where each is deployed",
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStageList(env, g, o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

type stageListEntry struct {
	Name            string `json:"name"`
	APIGatewayStage string `json:"api_gateway_stage"`
	DeployTarget    string `json:"deploy_target"`
	Variables       int    `json:"variables"`
	Deployed        bool   `json:"deployed"`
	URL             string `json:"url,omitempty"`
}

func runStageList(env *Env, g *globalOptions, o *stageListOptions) error {
	dir, p, err := loadValidProject(env, g)
	if err != nil {
		return err
	}
	entries := []stageListEntry{}
	for _, name := range p.StageNames() {
		s, err := p.Resolve(name, "", config.Overrides{})
		if err != nil {
			return err
		}
		d, err := readDeployment(dir, p.AppName(), name)
		if err != nil {
			return err
		}
		entries = append(entries, stageListEntry{name, s.APIGatewayStage, s.DeployTarget, len(s.EnvironmentVariables), d.deployed, d.url})
	}
	if o.json {
		return writeJSON(env.Out, entries)
	}
	if len(entries) == 0 {
		fmt.Fprintln(env.Out, "No stages in config.json; add one with: cws stage add NAME")
		return nil
	}
	rows := make([][]string, 0, len(entries))
	for _, e := range entries {
		where := "no"
		if e.Deployed {
			where = "yes"
			if e.URL != "" {
				where = e.URL
			}
		}
		rows = append(rows, []string{e.Name, e.APIGatewayStage, e.DeployTarget, strconv.Itoa(e.Variables), where})
	}
	return writeTable(env.Out, []string{"STAGE", "API GATEWAY STAGE", "TARGET", "VARIABLES", "DEPLOYED"}, rows)
}

// deployment is what stage commands show of a stage's record.
type deployment struct {
	deployed bool
	url      string
}

// readDeployment reads the record of stage (a missing one means not deployed): deployed when it lists
// resources, at its rest_api_url.
func readDeployment(dir, appName, stage string) (deployment, error) {
	rec, err := deployed.Load(dir, stage, appName)
	if err != nil {
		return deployment{}, err
	}
	d := deployment{deployed: rec.IsDeployed()}
	_, d.url, _ = rec.RestAPI()
	return d, nil
}
