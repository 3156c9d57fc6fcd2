// Package stage holds the rules for stage names and derives a stage name from the current git branch.
package stage

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// BranchRef is the --stage value that names the stage after the current git branch.
const BranchRef = "@branch"

// MaxFunctionName is Lambda's function-name limit, which {app_name}-{stage} must fit.
const MaxFunctionName = 64

var (
	validRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	invalidRE = regexp.MustCompile(`[^a-z0-9_-]+`)
)

// Valid reports whether name is a valid stage name: 1 to 128 letters, digits, '-' or '_'.
func Valid(name string) bool { return validRE.MatchString(name) }

// FromBranch turns a git branch name into a valid stage name: lower-cased, every run of characters
// outside [a-z0-9_-] replaced by '-', leading and trailing '-' trimmed. When {app}-{stage} would pass
// Lambda's 64 characters, the name is cut and given a 6-hex-digit hash of the branch so that distinct
// long branches stay distinct. It fails when nothing usable is left or app leaves no room.
func FromBranch(branch, app string) (string, error) {
	name := strings.Trim(invalidRE.ReplaceAllString(strings.ToLower(branch), "-"), "-")
	if name == "" {
		return "", fmt.Errorf("branch %q gives an empty stage name", branch)
	}
	room := MaxFunctionName - len(app) - 1
	if len(name) <= room && len(name) <= 128 {
		return name, nil
	}
	const suffix = 7 // "-" + 6 hex digits
	if room < suffix+1 {
		return "", fmt.Errorf("app_name %q is too long to leave room for a branch stage within %d characters", app, MaxFunctionName)
	}
	sum := sha256.Sum256([]byte(branch))
	keep := strings.TrimRight(name[:room-suffix], "-")
	return keep + "-" + hex.EncodeToString(sum[:])[:6], nil
}

// ErrNotGit is returned (wrapped) when no git repository contains the directory.
var ErrNotGit = errors.New("not inside a git repository")

// ErrDetached is returned (wrapped) when HEAD is not on a branch.
var ErrDetached = errors.New("HEAD is detached (not on a branch)")

// CurrentBranch returns the branch checked out in the git repository containing dir, by reading
// .git/HEAD (walking up from dir; a .git file, as in worktrees and submodules, is followed to its
// gitdir). It returns an error wrapping ErrNotGit or ErrDetached when there is no branch.
func CurrentBranch(dir string) (string, error) {
	gitDir, err := findGitDir(dir)
	if err != nil {
		return "", err
	}
	return readHead(gitDir)
}

func followGitFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	line := strings.TrimSpace(string(data))
	target, ok := strings.CutPrefix(line, "gitdir:")
	if !ok {
		return "", fmt.Errorf("%s: not a gitdir file", path)
	}
	target = strings.TrimSpace(target)
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(path), target)
	}
	return target, nil
}

func readHead(gitDir string) (string, error) {
	ref, _, err := headOf(gitDir)
	if err != nil {
		return "", err
	}
	if ref == "" {
		return "", fmt.Errorf("%s: %w", gitDir, ErrDetached)
	}
	branch, ok := strings.CutPrefix(ref, "refs/heads/")
	if !ok {
		return "", fmt.Errorf("HEAD points at %s: %w", ref, ErrDetached)
	}
	return branch, nil
}

// headOf reads HEAD of gitDir: the ref it names ("refs/heads/main"), or, detached, the commit it holds.
func headOf(gitDir string) (ref, commit string, err error) {
	data, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return "", "", fmt.Errorf("read git HEAD: %w", err)
	}
	head := strings.TrimSpace(string(data))
	if ref, ok := strings.CutPrefix(head, "ref:"); ok {
		return strings.TrimSpace(ref), "", nil
	}
	return "", head, nil
}

// CurrentCommit returns the commit checked out in the git repository containing dir (the full hash), by
// reading .git/HEAD and the ref it names, loose or packed; it returns an error wrapping ErrNotGit outside a
// repository, and "" with no error in a repository without commits.
func CurrentCommit(dir string) (string, error) {
	gitDir, err := findGitDir(dir)
	if err != nil {
		return "", err
	}
	ref, commit, err := headOf(gitDir)
	if err != nil || ref == "" {
		return commit, err // detached: HEAD holds the commit
	}
	// A worktree's own refs live in its gitdir; branches live in the common dir it points at.
	dirs := []string{gitDir}
	if common, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		c := strings.TrimSpace(string(common))
		if !filepath.IsAbs(c) {
			c = filepath.Join(gitDir, c)
		}
		dirs = append(dirs, c)
	}
	for _, d := range dirs {
		if data, err := os.ReadFile(filepath.Join(d, filepath.FromSlash(ref))); err == nil {
			return strings.TrimSpace(string(data)), nil
		}
		if packed, err := os.ReadFile(filepath.Join(d, "packed-refs")); err == nil {
			for _, line := range strings.Split(string(packed), "\n") {
				if hash, name, ok := strings.Cut(strings.TrimSpace(line), " "); ok && name == ref {
					return hash, nil
				}
			}
		}
	}
	return "", nil // an unborn branch: no commit yet
}

// RepositoryRoot returns the root of the git working tree containing dir: the nearest directory holding a
// .git entry (a directory, or the file of a worktree or submodule). Outside a repository the error wraps
// ErrNotGit.
func RepositoryRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%s: %w", abs, ErrNotGit)
		}
	}
}

// findGitDir returns the git directory of the repository containing dir, following a .git file.
func findGitDir(dir string) (string, error) {
	root, err := RepositoryRoot(dir)
	if err != nil {
		return "", err
	}
	gitPath := filepath.Join(root, ".git")
	if fi, err := os.Stat(gitPath); err == nil && !fi.IsDir() {
		return followGitFile(gitPath)
	}
	return gitPath, nil
}
