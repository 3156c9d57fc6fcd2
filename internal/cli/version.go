package cli

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is the cws version, set at build time with -ldflags "-X github.com/coworks-go/coworks/internal/cli.Version=v1.2.3";
// without it, the module version recorded in the binary is used.
var Version = ""

// version returns the version of this build of cws.
func version() string {
	if Version != "" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}

type versionOptions struct {
	json bool
}

func newVersionCommand(env *Env) *cobra.Command {
	o := &versionOptions{}
	cmd := &cobra.Command{
		Use:         "version",
		Annotations: map[string]string{noStage: "it prints the version of cws"},
		Short:       "Print the cws version, the Go version and the platform",
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVersion(env, o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

func runVersion(env *Env, o *versionOptions) error {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	if o.json {
		return json.NewEncoder(env.Out).Encode(map[string]string{
			"version": version(), "go": runtime.Version(), "platform": platform,
		})
	}
	_, err := fmt.Fprintf(env.Out, "cws %s (%s, %s)\n", version(), runtime.Version(), platform)
	return err
}
