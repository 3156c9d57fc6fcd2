package cli

import (
	"fmt"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/spf13/cobra"
)

type validateOptions struct {
	json bool
}

func newValidateCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &validateOptions{}
	cmd := &cobra.Command{
		Use:         "validate",
		Annotations: map[string]string{noStage: "it checks every stage of the config"},
		Short:       "Check .chalice/config.json and print every problem; exit 1 on an error",
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(env, g, o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print the problems as JSON")
	return cmd
}

type diagnosticJSON struct {
	Severity string `json:"severity"`
	Path     string `json:"path"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Message  string `json:"message"`
}

func runValidate(env *Env, g *globalOptions, o *validateOptions) error {
	dir, p, err := loadProject(env, g)
	if err != nil {
		return err
	}
	ds, err := validateProject(dir, p)
	if err != nil {
		return err
	}
	errs, warns := ds.Errors(), ds.Warnings()
	if o.json {
		out := []diagnosticJSON{}
		for _, d := range ds {
			out = append(out, diagnosticJSON{d.Severity.String(), config.Printable(d.Path), d.Pos.File, d.Pos.Line, d.Pos.Col, config.Printable(d.Message)})
		}
		if err := writeJSON(env.Out, map[string]any{"valid": len(errs) == 0, "diagnostics": out}); err != nil {
			return err
		}
	} else {
		color := colorEnabled(env, env.Out)
		for _, d := range errs {
			fmt.Fprintln(env.Out, paint(color, "31", d.String()))
		}
		for _, d := range warns {
			fmt.Fprintln(env.Out, paint(color, "33", d.String()))
		}
		if len(errs) == 0 {
			fmt.Fprintf(env.Out, "%s is valid (%s).\n", config.RelPath, plural(len(warns), "warning"))
		}
	}
	if len(errs) > 0 {
		return &exitCodeError{err: withTry(fmt.Errorf("%s has %s and %s", config.RelPath, plural(len(errs), "error"), plural(len(warns), "warning")), "fix the errors above, then: cws validate"), code: 1}
	}
	return nil
}
