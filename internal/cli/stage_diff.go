package cli

import (
	"fmt"
	"maps"
	"slices"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/spf13/cobra"
)

type stageDiffOptions struct {
	showValues bool
	json       bool
}

func newStageDiffCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &stageDiffOptions{}
	cmd := &cobra.Command{
		Use:         "diff A B",
		Annotations: map[string]string{noStage: "the stages are the A and B arguments"},
		Short:       "Show the effective differences between two stages",
		Args:        cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStageDiff(env, g, o, args[0], args[1])
		},
	}
	cmd.Flags().BoolVar(&o.showValues, "show-values", false, "print variable values instead of masking them")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

// stageDifference is one key whose effective value differs; a nil side is unset.
type stageDifference struct {
	Key string `json:"key"`
	A   any    `json:"a"`
	B   any    `json:"b"`
}

func runStageDiff(env *Env, g *globalOptions, o *stageDiffOptions, a, b string) error {
	dir, p, err := loadValidProject(env, g)
	if err != nil {
		return err
	}
	var stages [2]*config.Stage
	for i, name := range []string{a, b} {
		if name, err = stageName(dir, p, name, ""); err != nil {
			return err
		}
		if stages[i], err = p.Resolve(name, "", config.Overrides{}); err != nil {
			return err
		}
	}
	a, b = stages[0].StageName, stages[1].StageName
	settings, vars := diffStages(stages[0], stages[1], o.showValues)
	if o.json {
		return writeJSON(env.Out, map[string]any{"a": a, "b": b, "settings": settings, "environment_variables": vars})
	}
	if len(settings) == 0 && len(vars) == 0 {
		fmt.Fprintf(env.Out, "Stages %s and %s have the same effective settings.\n", a, b)
		return nil
	}
	rows := [][]string{}
	for _, d := range settings {
		rows = append(rows, []string{d.Key, valueText(d.A), valueText(d.B)})
	}
	for _, d := range vars {
		rows = append(rows, []string{"environment_variables." + config.Printable(d.Key), valueText(d.A), valueText(d.B)})
	}
	return writeTable(env.Out, []string{"SETTING", a, b}, rows)
}

// diffStages returns the settings and the environment variables whose effective values differ between
// sa and sb, sorted by key; variable values are masked unless show.
func diffStages(sa, sb *config.Stage, show bool) (settings, vars []stageDifference) {
	settings = []stageDifference{}
	seta, setb := settingsOf(sa), settingsOf(sb)
	for _, k := range slices.Sorted(maps.Keys(union(seta, setb))) {
		va, oka := seta[k]
		vb, okb := setb[k]
		if oka != okb || !sameJSON(va.Value, vb.Value) {
			settings = append(settings, stageDifference{k, va.Value, vb.Value})
		}
	}
	vars = []stageDifference{}
	ea, eb := sa.EnvironmentVariables, sb.EnvironmentVariables
	for _, k := range slices.Sorted(maps.Keys(union(ea, eb))) {
		va, oka := ea[k]
		vb, okb := eb[k]
		if oka == okb && va == vb {
			continue
		}
		d := stageDifference{Key: k}
		if oka {
			d.A = maskValue(va, show)
		}
		if okb {
			d.B = maskValue(vb, show)
		}
		vars = append(vars, d)
	}
	return settings, vars
}

func union[V any](a, b map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
