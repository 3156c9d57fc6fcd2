package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/stage"
)

// workDir returns the absolute directory a command works in: --project-dir, else the working directory.
// Commands that create a project (init, new) use it as is; the others find the project from it.
func workDir(env *Env, g *globalOptions) (string, error) {
	wd, err := env.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the working directory: %w", err)
	}
	dir := g.projectDir
	switch {
	case dir == "":
		dir = wd
	case !filepath.IsAbs(dir):
		dir = filepath.Join(wd, dir)
	}
	return filepath.Clean(dir), nil
}

// projectDir returns the project's root: --project-dir as given (as Chalice takes it), else the nearest
// directory holding .chalice/config.json, from the working directory up (as git finds its repository).
// Outside any project it says so, with a Try line.
func projectDir(env *Env, g *globalOptions) (string, error) {
	dir, err := workDir(env, g)
	if err != nil || g.projectDir != "" {
		return dir, err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(config.Path(d)); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return d, nil // found, or there but unreadable: loading it says why
		}
		if filepath.Dir(d) == d {
			return "", withTry(fmt.Errorf("not inside a CoWorks (Chalice) project: no %s in %s or any parent directory", config.RelPath, dir),
				"cd to your project, or create one here: cws init")
		}
	}
}

// loadProject finds the project and reads its config.json. A --project-dir without the file suggests
// cws init there; a syntax error names file:line:col.
func loadProject(env *Env, g *globalOptions) (string, *config.Project, error) {
	dir, err := projectDir(env, g)
	if err != nil {
		return "", nil, err
	}
	p, err := config.Load(dir)
	if errors.Is(err, config.ErrNotFound) {
		return "", nil, withTry(fmt.Errorf("%s has no %s: not a CoWorks (Chalice) project", dir, config.RelPath), "cws init --project-dir "+dir)
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

// stageName turns a stage a user gave (a --stage value, or an argument) into a stage name: @branch becomes
// the current git branch made into a valid stage name; anything else must already be valid. It is the
// one place every stage-taking command goes through, so a probable mistake is refused the same way
// everywhere (see checkStage); retry is the command line that precedes the stage in the Try line of such
// a refusal ("cws deploy --stage "), "" for none.
func stageName(dir string, p *config.Project, value, retry string) (string, error) {
	if value == stage.BranchRef {
		name, err := branchStage(dir, p)
		if err != nil {
			return "", err
		}
		return name, checkStage(dir, p, name, false, retry)
	}
	if !stage.Valid(value) {
		return "", withTry(fmt.Errorf("invalid stage name %q: use 1 to 128 letters, digits, '-' or '_'", value), "cws stage list")
	}
	return value, checkStage(dir, p, value, true, retry)
}

// branchStage is the stage named after the current git branch.
func branchStage(dir string, p *config.Project) (string, error) {
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

// checkStage refuses a stage name that is probably a mistake, before anything is built or written: one
// that differs only in case from a stage declared in the config or deployed (their AWS resources
// collide), or, when typed by the user, that is not one of those stages but close to one (stage.Check).
// The error says "did you mean" and, with retry, gives the corrected command.
func checkStage(dir string, p *config.Project, name string, typed bool, retry string) error {
	known := p.StageNames()
	deployedStages, err := deployed.List(dir)
	if err != nil {
		return err
	}
	known = append(known, deployedStages...)
	var me *stage.MistypedError
	if err := stage.Check(name, known, typed); errors.As(err, &me) {
		try := "cws stage list   (declared stages), cws deployed   (deployed ones)"
		switch {
		case retry != "":
			try = retry + me.Suggestion
			if !me.CaseOnly {
				try += "   (or, for a new stage, declare it first: cws stage add " + name + ")"
			}
		case !me.CaseOnly:
			try = "cws stage add " + name + "   (to declare a new stage), or see: cws stage list"
		}
		return withTry(err, try)
	}
	return nil
}

// resolveStage loads and checks the project and resolves the --stage value's stage for fn.
func resolveStage(env *Env, g *globalOptions, fn string) (string, *config.Project, *config.Stage, error) {
	dir, p, err := loadValidProject(env, g)
	if err != nil {
		return "", nil, nil, err
	}
	name, err := stageName(dir, p, g.stage, g.command+" --stage ")
	if err != nil {
		return "", nil, nil, err
	}
	s, err := p.Resolve(name, fn, config.Overrides{})
	if err != nil {
		return "", nil, nil, err
	}
	if !p.HasStage(name) {
		// Valid, as in Chalice: say so where scripts reading stdout won't mind.
		fmt.Fprintf(env.Err, "Note: stage %s is not declared in %s: it gets the top-level settings, as in Chalice (declare it with: cws stage add %s)\n",
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
