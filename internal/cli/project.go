package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/stage"
)

// projectDir returns the absolute project directory: --project-dir, else the working directory.
func projectDir(env *Env, g *globalOptions) (string, error) {
	dir := g.projectDir
	if dir == "" {
		wd, err := env.Getwd()
		if err != nil {
			return "", fmt.Errorf("find the working directory: %w", err)
		}
		dir = wd
	} else if !filepath.IsAbs(dir) {
		wd, err := env.Getwd()
		if err != nil {
			return "", fmt.Errorf("find the working directory: %w", err)
		}
		dir = filepath.Join(wd, dir)
	}
	return filepath.Clean(dir), nil
}

// loadProject reads the project's config.json. A missing file suggests cws init; a syntax error names
// file:line:col.
func loadProject(env *Env, g *globalOptions) (string, *config.Project, error) {
	dir, err := projectDir(env, g)
	if err != nil {
		return "", nil, err
	}
	p, err := config.Load(dir)
	if errors.Is(err, config.ErrNotFound) {
		return "", nil, withTry(fmt.Errorf("%s has no %s: not a CoWorks (Chalice) project", dir, config.RelPath), "cws init")
	}
	var se *config.SyntaxError
	if errors.As(err, &se) {
		return "", nil, withTry(fmt.Errorf("%s is not valid JSON: %w", config.RelPath, err), "fix the file, then: cws validate")
	}
	if err != nil {
		return "", nil, configFileError(dir, err)
	}
	return dir, p, nil
}

// configFileError gives the failures to read config.json that are not about its content a next step:
// a directory where the file should be (EISDIR), or a --project-dir that is a file (ENOTDIR).
func configFileError(dir string, err error) error {
	switch {
	case errors.Is(err, syscall.EISDIR):
		path := filepath.Join(dir, filepath.FromSlash(config.RelPath))
		return withTry(fmt.Errorf("%s is a directory, not a file", path), "mv "+path+" "+path+".bak && cws init --project-dir "+dir)
	case errors.Is(err, syscall.ENOTDIR):
		return withTry(fmt.Errorf("project directory %s is not a directory: %w", dir, err), "cws --project-dir DIR ...   (the directory holding .chalice/)")
	}
	return err
}

// loadValidProject is loadProject that refuses a config with errors and prints its warnings to stderr.
func loadValidProject(env *Env, g *globalOptions) (string, *config.Project, error) {
	dir, p, err := loadProject(env, g)
	if err != nil {
		return "", nil, err
	}
	ds, err := validateProject(dir, p)
	if err != nil {
		return "", nil, err
	}
	for _, d := range ds.Warnings() {
		fmt.Fprintln(env.Err, d)
	}
	if errs := ds.Errors(); len(errs) > 0 {
		for _, d := range errs {
			fmt.Fprintln(env.Err, d)
		}
		return "", nil, withTry(fmt.Errorf("%s has %s", config.RelPath, plural(len(errs), "error")), "cws validate")
	}
	return dir, p, nil
}

// validateProject validates p with the stages' local secrets (their names, and their sizes toward the 4 KB of
// variables); values are read, never shown.
func validateProject(dir string, p *config.Project) (config.Diagnostics, error) {
	sizes, err := localSecretSizes(dir, p)
	if err != nil {
		return nil, err
	}
	return p.ValidateWithSecrets(sizes), nil
}

// stageName turns a --stage value into a stage name: @branch becomes the current git branch made
// into a valid stage name; anything else must already be valid.
func stageName(dir string, p *config.Project, value string) (string, error) {
	if value == stage.BranchRef {
		// Without a usable branch, the next step is to name a stage: one of the config's, when it has any.
		instead := "pass a stage name instead: --stage dev"
		if names := p.StageNames(); len(names) > 0 {
			instead = fmt.Sprintf("pass a stage name instead: --stage %s (stages: %s)", names[0], strings.Join(names, ", "))
		}
		branch, err := stage.CurrentBranch(dir)
		if errors.Is(err, stage.ErrNotGit) {
			return "", withTry(fmt.Errorf("--stage @branch needs a git repository, and %s is not in one", dir), instead)
		}
		if errors.Is(err, stage.ErrDetached) {
			return "", withTry(errors.New("--stage @branch needs a branch, but git HEAD is detached"), "git switch BRANCH, or "+instead)
		}
		if err != nil {
			return "", err
		}
		name, err := stage.FromBranch(branch, p.AppName())
		if err != nil {
			return "", withTry(err, instead)
		}
		return name, nil
	}
	if !stage.Valid(value) {
		return "", withTry(fmt.Errorf("invalid stage name %q: use 1 to 128 letters, digits, '-' or '_'", value), "cws stage list")
	}
	return value, nil
}

// resolveStage loads and checks the project and resolves the --stage value's stage for fn.
func resolveStage(env *Env, g *globalOptions, fn string) (string, *config.Project, *config.Stage, error) {
	dir, p, err := loadValidProject(env, g)
	if err != nil {
		return "", nil, nil, err
	}
	name, err := stageName(dir, p, g.stage)
	if err != nil {
		return "", nil, nil, err
	}
	s, err := p.Resolve(name, fn, config.Overrides{})
	if err != nil {
		return "", nil, nil, err
	}
	if !p.HasStage(name) {
		// Valid, as in Chalice, but often a typo: say so where scripts reading stdout won't mind.
		fmt.Fprintf(env.Err, "Note: stage %s is not in %s: it gets the top-level values (add it with: cws stage add %s)\n",
			name, config.RelPath, name)
	}
	return dir, p, s, nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
