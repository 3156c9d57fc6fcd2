package cli

import (
	"errors"
	"fmt"

	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/spf13/cobra"
)

func newURLCommand(env *Env, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "url",
		Short: "Print the stage's REST API URL, from .chalice/deployed/{stage}.json",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runURL(env, g)
		},
	}
}

// runURL prints the recorded rest_api_url. Like `chalice url`, it reads only the record and exits 2
// when the stage has no REST API.
func runURL(env *Env, g *globalOptions) error {
	dir, p, err := loadProject(env, g)
	if err != nil {
		return err
	}
	name, err := stageName(dir, p, g.stage, g.command+" --stage ")
	if err != nil {
		return err
	}
	rec, err := deployed.Load(dir, name, p.AppName())
	if err != nil {
		return withTry(err, "fix or remove "+projectRel(dir, deployed.Path(dir, name)))
	}
	url, err := rec.URL(name)
	var none *deployed.NoRestAPIError
	if errors.As(err, &none) {
		return &exitCodeError{err: withTry(err, "cws deploy --stage "+name), code: 2}
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Out, url)
	if meta, err := deployed.LoadMeta(dir, name); err == nil && meta != nil && meta.Target != "" {
		if gone, err := missing(env, dir, p.AppName(), meta.Target, name); err == nil && gone {
			warnMissing(env.Err, name)
		}
	}
	return nil
}
