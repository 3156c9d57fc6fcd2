package cli

import (
	"fmt"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/spf13/cobra"
)

type stageRmOptions struct {
	force bool
}

func newStageRmCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &stageRmOptions{}
	cmd := &cobra.Command{
		Use:         "rm NAME",
		Annotations: map[string]string{noStage: "the stage is the NAME argument"},
		Short:       "Remove a stage from config.json (refused while it is deployed)",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStageRm(cmd, env, g, o, args[0])
		},
	}
	cmd.Flags().BoolVar(&o.force, "force", false, "remove even while deployed (its resources stay)")
	return cmd
}

func runStageRm(cmd *cobra.Command, env *Env, g *globalOptions, o *stageRmOptions, name string) error {
	dir, _, err := loadProject(env, g)
	if err != nil {
		return err
	}
	d, err := readDeployment(dir, "", name) // the app name only renames legacy functions, unused here
	if err != nil {
		return err
	}
	if d.deployed && !o.force {
		return withTry(fmt.Errorf("stage %q is deployed; delete its resources first", name), "cws delete --stage "+name)
	}
	_, err = config.Edit(cmd.Context(), dir, func(doc *config.Document) error {
		if !doc.RemoveStage(name) {
			return withTry(fmt.Errorf("stage %q is not defined in config.json", name), "cws stage list")
		}
		return nil
	})
	if err != nil {
		return editError(err)
	}
	if d.deployed {
		fmt.Fprintf(env.Err, "warning: stage %s is still deployed; its resources were not deleted\n", name)
	}
	fmt.Fprintf(env.Out, "Removed stage %s.\n", name)
	if secrets, err := localSecrets(dir, name); err == nil && len(secrets) > 0 {
		fmt.Fprintf(env.Err, "Note: stage %s still has %s in the local store (cws secret rm NAME --stage %s removes one)\n",
			name, plural(len(secrets), "secret"), name)
	}
	return nil
}
