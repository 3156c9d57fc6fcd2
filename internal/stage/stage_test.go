package stage

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFromBranch(t *testing.T) {
	long := "feature/" + strings.Repeat("very-long-name-", 8)
	tests := []struct{ branch, app, want string }{
		{"main", "app", "main"},
		{"Feature/JIRA-123_Fix Login!!", "app", "feature-jira-123_fix-login"},
		{"--x--", "app", "x"},
		{"dependabot/go_modules/golang.org/x/net-0.1", "svc", "dependabot-go_modules-golang-org-x-net-0-1"},
		{long, "app", "feature-very-long-name-very-long-name-very-long-name-ed7077"},
	}
	for _, tt := range tests {
		got, err := FromBranch(tt.branch, tt.app)
		if err != nil || got != tt.want {
			t.Errorf("FromBranch(%q) = %q, %v; want %q", tt.branch, got, err, tt.want)
		}
		if !Valid(got) || len(tt.app)+1+len(got) > MaxFunctionName {
			t.Errorf("%q is not a valid stage for app %q", got, tt.app)
		}
	}
	a, _ := FromBranch(long+"a", "app")
	b, _ := FromBranch(long+"b", "app")
	if a == b {
		t.Errorf("distinct long branches give the same stage %q", a)
	}
	if _, err := FromBranch("!!!", "app"); err == nil {
		t.Error("empty name accepted")
	}
	if _, err := FromBranch(long, strings.Repeat("a", 60)); err == nil {
		t.Error("no room accepted")
	}
}

func TestCurrentBranch(t *testing.T) {
	root := t.TempDir()
	write := func(path, data string) {
		t.Helper()
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "repo", ".git", "HEAD"), "ref: refs/heads/Feature/X\n")
	sub := filepath.Join(root, "repo", "a", "b")
	os.MkdirAll(sub, 0o755)
	if b, err := CurrentBranch(sub); err != nil || b != "Feature/X" {
		t.Errorf("repo: %q %v", b, err)
	}
	// A worktree: .git is a file pointing at the real gitdir.
	write(filepath.Join(root, "main", ".git", "worktrees", "wt", "HEAD"), "ref: refs/heads/wt-branch\n")
	write(filepath.Join(root, "wt", ".git"), "gitdir: ../main/.git/worktrees/wt\n")
	if b, err := CurrentBranch(filepath.Join(root, "wt")); err != nil || b != "wt-branch" {
		t.Errorf("worktree: %q %v", b, err)
	}
	write(filepath.Join(root, "detached", ".git", "HEAD"), "0123456789abcdef0123456789abcdef01234567\n")
	if _, err := CurrentBranch(filepath.Join(root, "detached")); !errors.Is(err, ErrDetached) {
		t.Errorf("detached: %v", err)
	}
	none := filepath.Join(root, "none")
	os.MkdirAll(none, 0o755)
	if _, err := CurrentBranch(none); err != nil && !errors.Is(err, ErrNotGit) {
		t.Errorf("no git: %v", err)
	}
}

func TestCurrentCommitReadsLooseAndPackedRefsAndWorktrees(t *testing.T) {
	const a, b = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	root := t.TempDir()
	write := func(rel, data string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("loose/.git/HEAD", "ref: refs/heads/main\n")
	write("loose/.git/refs/heads/main", a+"\n")
	write("packed/.git/HEAD", "ref: refs/heads/feature/x\n")
	write("packed/.git/packed-refs", "# pack-refs with: peeled fully-peeled sorted\n"+b+" refs/heads/feature/x\n")
	write("detached/.git/HEAD", a+"\n")
	write("unborn/.git/HEAD", "ref: refs/heads/main\n")
	write("main/.git/refs/heads/wt", b+"\n")
	write("main/.git/worktrees/wt/HEAD", "ref: refs/heads/wt\n")
	write("main/.git/worktrees/wt/commondir", "../..\n")
	write("wt/.git", "gitdir: ../main/.git/worktrees/wt\n")
	for dir, want := range map[string]string{"loose": a, "packed": b, "detached": a, "unborn": "", "wt": b} {
		got, err := CurrentCommit(filepath.Join(root, dir))
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", dir, got, err, want)
		}
	}
	if _, err := CurrentCommit(t.TempDir()); !errors.Is(err, ErrNotGit) {
		t.Errorf("outside a repository: %v, want ErrNotGit", err)
	}
}
