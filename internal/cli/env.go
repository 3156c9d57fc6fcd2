package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

type envOptions struct {
	function string
	format   string
}

func newEnvCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &envOptions{}
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Print a stage's merged environment variables with their real values, for scripts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEnv(env, g, o)
		},
	}
	cmd.Flags().StringVar(&o.function, "function", "api_handler", "logical function name")
	cmd.Flags().StringVar(&o.format, "format", "dotenv", "dotenv, shell or json")
	return cmd
}

func runEnv(env *Env, g *globalOptions, o *envOptions) error {
	switch o.format {
	case "dotenv", "shell", "json":
	default:
		return withTry(fmt.Errorf("unknown format %q", o.format), "cws env --format dotenv|shell|json")
	}
	dir, _, s, err := resolveStage(env, g, o.function)
	if err != nil {
		return err
	}
	if secrets, err := localSecrets(dir, s.StageName); err == nil && len(secrets) > 0 {
		fmt.Fprintf(env.Err, "Note: stage %s also has %s, never printed (cws secret list --stage %s)\n", s.StageName, plural(len(secrets), "local secret"), s.StageName)
	}
	vars := s.EnvironmentVariables
	if o.format == "json" {
		return writeJSON(env.Out, vars)
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if o.format == "shell" {
			fmt.Fprintf(env.Out, "export %s=%s\n", k, shellQuote(vars[k]))
		} else {
			fmt.Fprintf(env.Out, "%s=%s\n", k, dotenvQuote(vars[k]))
		}
	}
	return nil
}

// shellQuote single-quotes v for POSIX shells.
func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// dotenvQuote leaves simple values bare and double-quotes the rest with \\, \", \n escaped.
func dotenvQuote(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\n\r\"'\\#$`=") {
		return v
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "$", `\$`, "`", "\\`")
	return `"` + r.Replace(v) + `"`
}
