package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/spf13/cobra"
)

type initOptions struct {
	force bool
	name  string
}

func newInitCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &initOptions{}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create .chalice/config.json with one stage, dev",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInit(env, g, o)
		},
	}
	cmd.Flags().BoolVar(&o.force, "force", false, "overwrite an existing config.json")
	cmd.Flags().StringVar(&o.name, "name", "", "app_name (default: the directory name, made valid)")
	return cmd
}

var appNameInvalid = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// appNameFromDir makes a directory name into a valid app_name, "" when nothing is left.
func appNameFromDir(dir string) string {
	return strings.Trim(appNameInvalid.ReplaceAllString(filepath.Base(dir), "-"), "-")
}

func runInit(env *Env, g *globalOptions, o *initOptions) error {
	dir, err := projectDir(env, g)
	if err != nil {
		return err
	}
	name := o.name
	if name == "" {
		if name = appNameFromDir(dir); name == "" {
			return withTry(fmt.Errorf("cannot make an app name from the directory name %q", filepath.Base(dir)), "cws init --name NAME")
		}
	} else if !config.ValidAppName(name) {
		return withTry(fmt.Errorf("app name %q must be letters, digits, '-' or '_' only", name), "cws init --name my-app")
	}
	if fi, err := os.Stat(config.Path(dir)); err == nil && fi.IsDir() {
		return configFileError(dir, &fs.PathError{Op: "read", Path: config.Path(dir), Err: syscall.EISDIR})
	}
	if err := config.Create(dir, name, o.force); errors.Is(err, fs.ErrExist) {
		return withTry(fmt.Errorf("%s already exists; it was left untouched", config.RelPath), "cws init --force")
	} else if err != nil {
		return err
	}
	fmt.Fprintf(env.Out, "Created %s for app %q with stage dev.\n", config.RelPath, name)
	return nil
}
