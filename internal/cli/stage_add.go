package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/stage"
	"github.com/spf13/cobra"
)

type stageAddOptions struct {
	from            string
	apiGatewayStage string
	env             []string
}

func newStageAddCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &stageAddOptions{}
	cmd := &cobra.Command{
		Use:         "add NAME",
		Annotations: map[string]string{noStage: "the stage is the NAME argument"},
		Short:       "Add a stage to config.json",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStageAdd(cmd, env, g, o, args[0])
		},
	}
	cmd.Flags().StringVar(&o.from, "from", "", "copy the entries of this stage")
	cmd.Flags().StringVar(&o.apiGatewayStage, "api-gateway-stage", "", "API Gateway stage name (default: NAME)")
	cmd.Flags().StringArrayVar(&o.env, "env", nil, "environment variable K=V (repeatable)")
	return cmd
}

func runStageAdd(cmd *cobra.Command, env *Env, g *globalOptions, o *stageAddOptions, name string) error {
	if !stage.Valid(name) {
		return withTry(fmt.Errorf("invalid stage name %q: use 1 to 128 letters, digits, '-' or '_'", name), "cws stage add "+suggestStageName(name))
	}
	vars := config.NewObject()
	for _, kv := range o.env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return withTry(fmt.Errorf("--env %q is not K=V", kv), "cws stage add "+name+" --env NAME=value")
		}
		vars.Set(k, config.NewString(v))
	}
	dir, p, err := loadProject(env, g)
	if err != nil {
		return err
	}
	if err := checkStage(dir, p, name, false, ""); err != nil {
		return err // a stage differing only in case from one that exists
	}
	_, err = config.Edit(cmd.Context(), dir, func(d *config.Document) error {
		if d.Stage(name) != nil {
			return withTry(fmt.Errorf("stage %q already exists", name), "cws stage show "+name)
		}
		st := config.NewObject()
		if o.from != "" {
			src := d.Stage(o.from)
			if src == nil || src.Kind != config.Object {
				return withTry(fmt.Errorf("stage %q (--from) is not defined in config.json", o.from), "cws stage list")
			}
			st = src.Clone()
		}
		agw := o.apiGatewayStage
		if agw == "" {
			agw = name
		}
		st.Set("api_gateway_stage", config.NewString(agw))
		if len(vars.Members) > 0 {
			ev := st.Get("environment_variables")
			if ev == nil || ev.Kind != config.Object {
				ev = config.NewObject()
				st.Set("environment_variables", ev)
			}
			for _, m := range vars.Members {
				ev.Set(m.Key, m.Value)
			}
		}
		return d.SetStage(name, st)
	})
	if err != nil {
		return editError(err)
	}
	fmt.Fprintf(env.Out, "Added stage %s (API Gateway stage %s).\n", name, orDefault(o.apiGatewayStage, name))
	return nil
}

// editError gives config.Edit's failures their next step.
func editError(err error) error {
	var r *config.RefusedError
	if errors.As(err, &r) {
		lines := make([]string, len(r.Diagnostics))
		for i, d := range r.Diagnostics {
			lines[i] = d.String()
		}
		return withTry(fmt.Errorf("change refused, config.json left unchanged:\n  %s", strings.Join(lines, "\n  ")), "fix the values given, then run the command again")
	}
	if errors.Is(err, config.ErrNotFound) {
		return withTry(fmt.Errorf("no %s here: not a CoWorks (Chalice) project", config.RelPath), "cws init")
	}
	var se *config.SyntaxError
	if errors.As(err, &se) {
		return withTry(fmt.Errorf("%s is not valid JSON: %w", config.RelPath, err), "fix the file, then: cws validate")
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.HasSuffix(filepath.ToSlash(pe.Path), config.RelPath) {
		return configFileError(strings.TrimSuffix(pe.Path, filepath.FromSlash("/"+config.RelPath)), err)
	}
	return err
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// suggestStageName makes name valid, for the Try: line.
func suggestStageName(name string) string {
	s, err := stage.FromBranch(name, "")
	if err != nil {
		return "NAME"
	}
	return s
}
