package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/stage"
	"github.com/coworks-go/coworks/internal/target"
)

// confirmProtected lets a change of a protected stage through only when --confirm names the stage or, with
// stdin a terminal, the user types the stage's name; doing is what would happen ("delete stage prod").
func confirmProtected(env *Env, s *config.Stage, confirm, doing, retry string) error {
	if !s.Protected {
		return nil
	}
	if confirm == s.StageName {
		return nil
	}
	try := retry + " --confirm " + s.StageName
	if confirm != "" {
		return withTry(fmt.Errorf("stage %s is protected and --confirm names %q: nothing was changed", s.StageName, confirm), try)
	}
	if f, ok := env.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(env.Err, "Stage %s is protected (\"protected\": true in %s). Type its name to %s: ", s.StageName, config.RelPath, doing)
		line, err := bufio.NewReader(f).ReadString('\n')
		if strings.TrimSpace(line) == s.StageName {
			return nil
		}
		if err != nil {
			fmt.Fprintln(env.Err) // end of input (Ctrl-D): end the prompt's line
		}
		return withTry(fmt.Errorf("%q is not %s: nothing was changed", strings.TrimSpace(line), s.StageName), try)
	}
	return withTry(fmt.Errorf("stage %s is protected (\"protected\": true in %s): to %s, confirm it", s.StageName, config.RelPath, doing), try)
}

// actor is who makes a change, for the stage's history: the CI's user when in CI (GITHUB_ACTOR,
// GITLAB_USER_LOGIN), else $USER (or $LOGNAME), else the account cws runs as, else "unknown".
func actor(env *Env) string {
	for _, k := range []string{"GITHUB_ACTOR", "GITLAB_USER_LOGIN", "USER", "LOGNAME"} {
		if v := env.Getenv(k); v != "" {
			return v
		}
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// originOf is who changes stage s and from what, for its history. branch is the git branch the stage is
// named after (--stage @branch), "" otherwise.
func originOf(env *Env, s *config.Stage, branch string) target.Origin {
	return target.Origin{Actor: actor(env), ConfigSHA256: s.Hash(), Branch: branch, KeepArtifacts: s.KeepArtifacts}
}

// branchOf is the git branch a --stage value names the stage after: the current branch for @branch, ""
// otherwise.
func branchOf(dir, value string) string {
	if value != stage.BranchRef {
		return ""
	}
	b, _ := stage.CurrentBranch(dir)
	return b
}

// sourceDirty reports whether the git working tree of dir has changes outside the project's .chalice/
// (what cws writes there, records included, is not source). Without git, or outside a repository, it is
// false: the commit is unknown then anyway.
func sourceDirty(ctx context.Context, dir string) bool {
	root, err := stage.RepositoryRoot(dir)
	if err != nil {
		return false
	}
	out, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "-z").Output()
	if err != nil {
		return false
	}
	chalice, _ := filepath.Rel(root, filepath.Join(dir, ".chalice"))
	chalice = filepath.ToSlash(chalice) + "/"
	for _, entry := range strings.Split(string(out), "\x00") {
		if len(entry) < 4 {
			continue // a rename's source path, or the end
		}
		if p := entry[3:]; !strings.HasPrefix(p, chalice) {
			return true
		}
	}
	return false
}

// stageTargetName is the target a stage is deployed with (its sidecar), else override (--target), else the
// stage's deploy_target. A --target other than the sidecar's is refused: it would leave what the other
// target deployed.
func stageTargetName(dir string, s *config.Stage, override, retry string) (string, error) {
	name := s.DeployTarget
	if override != "" {
		if !knownTarget(override) {
			return "", withTry(fmt.Errorf("unknown deploy target %q: use %s", override, strings.Join(targetNames, " or ")), retry)
		}
		name = override
	}
	meta, err := deployed.LoadMeta(dir, s.StageName)
	if err != nil {
		return "", err
	}
	if meta != nil && meta.Target != "" {
		if override != "" && override != meta.Target {
			return "", withTry(fmt.Errorf("stage %q is deployed with target %q, not %q", s.StageName, meta.Target, override), retry+" --target "+meta.Target)
		}
		name = meta.Target
	}
	return name, nil
}

// lifecycleError adds the next step to the target's lifecycle errors.
func lifecycleError(err error, stageName string) error {
	switch {
	case errors.Is(err, target.ErrNotDeployed):
		return withTry(err, "cws deployed   (what runs where)")
	case errors.Is(err, target.ErrNoEntry):
		return withTry(err, "cws history --stage "+stageName+"   (the entries, and the artifacts kept)")
	case errors.Is(err, target.ErrArtifactGone):
		return withTry(err, "cws history --stage "+stageName+"   (entries marked available can be returned to; keep_artifacts keeps more)")
	}
	return deployError(err, stageName)
}
