package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/spf13/cobra"
)

func newStageCommand(env *Env, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stage",
		Short: "List, add, remove, show and compare stages",
	}
	cmd.AddCommand(
		newStageListCommand(env, g),
		newStageAddCommand(env, g),
		newStageRmCommand(env, g),
		newStageShowCommand(env, g),
		newStageDiffCommand(env, g),
	)
	return cmd
}

type stageListOptions struct {
	json bool
}

func newStageListCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &stageListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the stages of config.json and where each is deployed",
		Args:  cobra.NoArgs,
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
		d, err := readDeployment(dir, name)
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

// deployment is what stage commands need from .chalice/deployed/{stage}.json. (Kept small on purpose:
// internal/deployed owns the record format; switch to it when merged.)
type deployment struct {
	deployed bool
	url      string
}

// readDeployment reads .chalice/deployed/{stage}.json: deployed when its resources list is non-empty,
// at the rest_api_url of its rest_api resource. A missing file means not deployed.
func readDeployment(dir, stage string) (deployment, error) {
	path := filepath.Join(dir, ".chalice", "deployed", stage+".json")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return deployment{}, nil
	}
	if err != nil {
		return deployment{}, fmt.Errorf("read deployed record: %w", err)
	}
	var rec struct {
		Resources []struct {
			ResourceType string `json:"resource_type"`
			RestAPIURL   string `json:"rest_api_url"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return deployment{}, fmt.Errorf("%s: %w", path, err)
	}
	d := deployment{deployed: len(rec.Resources) > 0}
	for _, r := range rec.Resources {
		if r.ResourceType == "rest_api" {
			d.url = r.RestAPIURL
		}
	}
	return d, nil
}
