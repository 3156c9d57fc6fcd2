package cli

import (
	"context"
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
			return runStageDiff(cmd.Context(), env, g, o, args[0], args[1])
		},
	}
	cmd.Flags().BoolVar(&o.showValues, "show-values", false, "print variable values instead of masking them (secrets compare by fingerprint)")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

// stageDifference is one key whose effective value differs; a nil side is unset.
type stageDifference struct {
	Key string `json:"key"`
	A   any    `json:"a"`
	B   any    `json:"b"`
}

func runStageDiff(ctx context.Context, env *Env, g *globalOptions, o *stageDiffOptions, a, b string) error {
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
	secrets := secretDifferences(ctx, env, dir, stages)
	if o.json {
		return writeJSON(env.Out, map[string]any{"a": a, "b": b, "settings": settings, "environment_variables": vars, "secrets": secrets})
	}
	if len(settings) == 0 && len(vars) == 0 && len(secrets) == 0 {
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
	for _, d := range secrets {
		rows = append(rows, []string{"secrets." + d.Key, secretSide(d.A), secretSide(d.B)})
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
	vars = mapDifferences(sa.EnvironmentVariables, sb.EnvironmentVariables, func(v string) any { return maskValue(v, show) })
	return settings, vars
}

// secretDifferences compares the secrets of two stages, each in its deploy target's store: a secret on one
// stage only, or on both with different fingerprints. A side is the fingerprint, nil when unset. When a
// store cannot be read, it says so on stderr and compares nothing.
func secretDifferences(ctx context.Context, env *Env, dir string, stages [2]*config.Stage) []stageDifference {
	var sides [2]map[string]string
	for i, s := range stages {
		list, ok := shownSecrets(ctx, env, dir, s)
		if !ok {
			return []stageDifference{}
		}
		sides[i] = map[string]string{}
		for _, sec := range list {
			sides[i][sec.Name] = sec.Fingerprint
		}
	}
	return mapDifferences(sides[0], sides[1], func(fingerprint string) any { return fingerprint })
}

// mapDifferences lists, sorted by key, the keys of a and b whose values differ or that only one of them
// has, each side shown through show (nil when the key is missing).
func mapDifferences[V comparable](a, b map[string]V, show func(V) any) []stageDifference {
	out := []stageDifference{}
	for _, k := range slices.Sorted(maps.Keys(union(a, b))) {
		va, oka := a[k]
		vb, okb := b[k]
		if oka == okb && va == vb {
			continue
		}
		d := stageDifference{Key: k}
		if oka {
			d.A = show(va)
		}
		if okb {
			d.B = show(vb)
		}
		out = append(out, d)
	}
	return out
}

// secretSide shows one side of a secret's difference: its fingerprint, or (unset).
func secretSide(v any) string {
	if v == nil {
		return "(unset)"
	}
	return fmt.Sprintf("(secret %s)", v)
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
