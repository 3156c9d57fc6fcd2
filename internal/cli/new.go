package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/safefile"
	"github.com/spf13/cobra"
)

// frameworkModule is the module path of the CoWorks framework.
const frameworkModule = "github.com/coworks-go/coworks"

type newOptions struct {
	replace string
}

func newNewCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &newOptions{}
	cmd := &cobra.Command{
		Use:         "new NAME",
		Annotations: map[string]string{noStage: "the new service gets stage dev; add stages with cws stage add NAME"},
		Short:       "Create a new CoWorks service in directory NAME",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runNew(env, g, o, args[0])
		},
	}
	cmd.Flags().StringVar(&o.replace, "replace", "", "use the CoWorks framework checked out in DIR (adds a replace directive)")
	return cmd
}

func runNew(env *Env, g *globalOptions, o *newOptions, arg string) error {
	name := filepath.Base(arg)
	if !config.ValidAppName(name) || strings.HasPrefix(name, "-") { // "-x": not a Go module path, nor a directory to cd into
		return withTry(fmt.Errorf("invalid name %q: use letters, digits, '-' or '_', not starting with '-' (it becomes the app_name and the Go module)", name), "cws new my-service")
	}
	wd, err := workDir(env, g)
	if err != nil {
		return err
	}
	dir := filepath.Join(wd, arg)
	if filepath.IsAbs(arg) {
		dir = filepath.Clean(arg)
	}
	parent := filepath.Dir(dir)
	if fi, err := os.Stat(parent); err != nil || !fi.IsDir() {
		return withTry(fmt.Errorf("%s is not a directory; nothing was written", parent), "mkdir -p "+parent+", or: cws new my-service")
	}
	if _, err := os.Lstat(dir); err == nil {
		return withTry(fmt.Errorf("%s already exists; nothing was written", dir), "cws new ANOTHER-NAME")
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	ver := version()
	replace := o.replace
	if replace != "" {
		abs, err := filepath.Abs(filepath.Join(wd, replace))
		if filepath.IsAbs(replace) {
			abs, err = filepath.Clean(replace), nil
		}
		if err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(abs, "go.mod")); err != nil {
			return withTry(fmt.Errorf("--replace %s: no go.mod there; it must be a checkout of %s", replace, frameworkModule), "cws new "+name+" --replace PATH/TO/coworks")
		}
		replace = abs
	}
	if ver == "devel" {
		ver = "v0.0.0"
	}
	var gomod strings.Builder
	fmt.Fprintf(&gomod, "module %s\n\ngo 1.26\n\nrequire %s %s\n", name, frameworkModule, ver)
	if replace != "" {
		fmt.Fprintf(&gomod, "\nreplace %s => %s\n", frameworkModule, replace)
	}
	files := []struct {
		path string
		data []byte
	}{
		{"go.mod", []byte(gomod.String())},
		{"main.go", []byte(strings.ReplaceAll(mainTemplate, "NAME", name))},
		{".gitignore", []byte(gitignoreBlock(generatedPaths))},
		{config.RelPath, config.InitialConfig(name)},
	}
	if replace != "" {
		// The framework's own checksums cover every module the new service needs, so go mod tidy needs
		// neither the network nor the checksum database.
		if sums, err := os.ReadFile(filepath.Join(replace, "go.sum")); err == nil {
			files = append(files, struct {
				path string
				data []byte
			}{"go.sum", sums})
		}
	}
	// Write into a temporary sibling and rename, so a failure leaves no half-made project; the sibling of a
	// killed cws new is removed first.
	prefix := "." + name + ".tmp-"
	safefile.RemoveStale(parent, prefix)
	tmp, release, err := safefile.TempDir(parent, prefix, 0o755)
	if err != nil {
		return fmt.Errorf("create project: %w", err)
	}
	defer release()
	defer os.RemoveAll(tmp)
	for _, f := range files {
		p := filepath.Join(tmp, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("create project: %w", err)
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return fmt.Errorf("create project: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("create project: %w", err)
	}
	fmt.Fprintf(env.Out, "Created %s (app %s, stage dev).\n", dir, name)
	if outer := enclosingModule(parent); outer != "" {
		fmt.Fprintf(env.Out, "Note: it is a Go module nested in the module of %s, whose go commands skip it; to keep them apart, create it elsewhere: cws new ../%s\n", outer, name)
	}
	fmt.Fprintf(env.Out, "\nNext:\n  cd %s\n", arg)
	if replace == "" && version() == "devel" {
		fmt.Fprintf(env.Out, "  go mod edit -replace %s=PATH/TO/coworks   # this cws is a development build: no released framework version to require\n", frameworkModule)
	}
	fmt.Fprintf(env.Out, "  go mod tidy        # fills go.sum (works offline when the module cache has the dependencies)\n  go build ./...\n  cws deploy --stage dev\n")
	return nil
}

// enclosingModule returns the directory of the go.mod that dir lies in, "" when none.
func enclosingModule(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

const mainTemplate = `// Command NAME is a CoWorks service: each exported method of Hello is a route.
package main

import (
	"os"

	"github.com/coworks-go/coworks"
)

// Hello is the service.
type Hello struct{}

// Get answers GET /: the GREETING variable of the stage, or a default greeting.
func (h *Hello) Get() string {
	if g := os.Getenv("GREETING"); g != "" {
		return g
	}
	return "Hello from NAME!"
}

// GetValue answers GET /value/{_0} (CoWorks names path parameters by position) with the index it was given.
func (h *Hello) GetValue(index int) (map[string]int, error) {
	return map[string]int{"value": index}, nil
}

func main() {
	coworks.Start(coworks.New("NAME", &Hello{}))
}
`
