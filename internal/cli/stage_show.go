package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/spf13/cobra"
)

type stageShowOptions struct {
	showValues bool
	json       bool
}

func newStageShowCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &stageShowOptions{}
	cmd := &cobra.Command{
		Use:   "show [NAME]",
		Short: "Show a stage's effective settings and where each comes from (NAME, else --stage)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := g.stage
			if len(args) == 1 {
				if cmd.Flags().Changed("stage") && g.stage != args[0] {
					return withTry(fmt.Errorf("two stages given: %s and --stage %s", args[0], g.stage), "cws stage show "+args[0])
				}
				name = args[0]
			}
			return runStageShow(cmd.Context(), env, g, o, name)
		},
	}
	cmd.Flags().BoolVar(&o.showValues, "show-values", false, "print variable values instead of masking them (secrets stay hidden)")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

// shownValue is one effective value and its source, as printed.
type shownValue struct {
	Value  any    `json:"value"`
	Source string `json:"source"`
}

type stageShowJSON struct {
	Stage                string                           `json:"stage"`
	Defined              bool                             `json:"defined"`
	Protected            bool                             `json:"protected"`
	FunctionName         string                           `json:"function_name"`
	Settings             map[string]shownValue            `json:"settings"`
	EnvironmentVariables map[string]shownValue            `json:"environment_variables"`
	Functions            map[string]map[string]shownValue `json:"functions"`
	// Secrets are the stage's secrets in its deploy target's store, without values.
	Secrets []secretJSON `json:"secrets"`
}

// settingsOf returns the set, non-merged settings of s by key.
func settingsOf(s *config.Stage) map[string]shownValue {
	out := map[string]shownValue{}
	for _, st := range s.Settings {
		if st.Value == nil || st.Key == "environment_variables" {
			continue
		}
		out[st.Key] = shownValue{Value: st.Value.Interface(), Source: st.Source.String()}
	}
	return out
}

// envOf returns the variables of s, masked unless show.
func envOf(s *config.Stage, show bool) map[string]shownValue {
	out := map[string]shownValue{}
	for k, v := range s.EnvironmentVariables {
		src, _ := s.EnvSource(k)
		out[k] = shownValue{Value: maskValue(v, show), Source: src.String()}
	}
	return out
}

func runStageShow(ctx context.Context, env *Env, g *globalOptions, o *stageShowOptions, name string) error {
	dir, p, err := loadValidProject(env, g)
	if err != nil {
		return err
	}
	if name, err = stageName(dir, p, name, "cws stage show "); err != nil {
		return err
	}
	s, err := p.Resolve(name, "", config.Overrides{})
	if err != nil {
		return err
	}
	out := stageShowJSON{Stage: name, Defined: p.HasStage(name), Protected: s.Protected, FunctionName: s.FunctionName(),
		Settings: settingsOf(s), EnvironmentVariables: envOf(s, o.showValues), Functions: map[string]map[string]shownValue{}}
	base := out.Settings
	baseEnv := envOf(s, true)
	for _, fn := range p.FunctionNames(name)[1:] {
		fs, err := p.Resolve(name, fn, config.Overrides{})
		if err != nil {
			return err
		}
		diff := map[string]shownValue{}
		settings := settingsOf(fs)
		for k, v := range settings {
			if b, ok := base[k]; !ok || !sameJSON(b.Value, v.Value) {
				diff[k] = v
			}
		}
		for k := range base {
			if _, ok := settings[k]; !ok { // set for api_handler only: say it is unset here
				diff[k] = shownValue{Value: nil, Source: "default (unset)"}
			}
		}
		for k, v := range envOf(fs, true) {
			if b, ok := baseEnv[k]; !ok || b.Value != v.Value {
				diff["environment_variables."+k] = shownValue{Value: maskValue(v.Value.(string), o.showValues), Source: v.Source}
			}
		}
		if len(diff) > 0 {
			out.Functions[fn] = diff
		}
	}
	out.Secrets, _ = shownSecrets(ctx, env, dir, s)
	if out.Secrets == nil {
		out.Secrets = []secretJSON{}
	}
	if o.json {
		return writeJSON(env.Out, out)
	}
	note := ""
	if !out.Defined {
		note = " (not declared in " + config.RelPath + ": top-level settings)"
	}
	fmt.Fprintf(env.Out, "Stage %s%s, function %s (%s)\n", name, note, config.APIHandler, out.FunctionName)
	if s.Protected {
		fmt.Fprintf(env.Out, "Protected: deploy, promote to, rollback and delete need --confirm %s\n", name)
	}
	fmt.Fprintln(env.Out)
	if err := writeTable(env.Out, []string{"SETTING", "VALUE", "SOURCE"}, rowsOf(out.Settings, "")); err != nil {
		return err
	}
	vars := maps.Clone(out.EnvironmentVariables)
	for _, sec := range out.Secrets {
		vars[sec.Name] = shownValue{Value: "(secret)", Source: sec.Source}
	}
	if len(vars) > 0 {
		fmt.Fprintln(env.Out)
		if err := writeTable(env.Out, []string{"VARIABLE", "VALUE", "SOURCE"}, rowsOf(vars, "")); err != nil {
			return err
		}
	}
	for _, fn := range slices.Sorted(maps.Keys(out.Functions)) {
		fmt.Fprintf(env.Out, "\nFunction %s (differences from %s only)\n", fn, config.APIHandler)
		if err := writeTable(env.Out, []string{"SETTING", "VALUE", "SOURCE"}, rowsOf(out.Functions[fn], "")); err != nil {
			return err
		}
	}
	return nil
}

func rowsOf(m map[string]shownValue, prefix string) [][]string {
	rows := [][]string{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		rows = append(rows, []string{config.Printable(prefix + k), valueText(m[k].Value), m[k].Source})
	}
	return rows
}

// valueText prints strings bare, nil as (unset) and anything else as compact JSON, made printable: a
// value holding terminal escapes is shown escaped, not obeyed.
func valueText(v any) string {
	switch v := v.(type) {
	case nil:
		return "(unset)"
	case string:
		return config.Printable(v)
	}
	b, _ := json.Marshal(v)
	return config.Printable(string(b))
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
