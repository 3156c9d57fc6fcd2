package terraform

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/coworks-go/coworks/internal/safefile"
	"github.com/coworks-go/coworks/internal/tfgen"
)

// WriteRoots writes generated roots under dir: files (slash-separated paths relative to dir, as tfgen.Output
// holds them) atomically, then assets (destination relative to dir → source file on disk, the zip) as copies.
// In every root it writes, a .tf file cws generated earlier (tfgen.IsGenerated) and no longer generates is
// removed, so a stale resource cannot linger; the user's own files (extra .tf, *_override.tf, tfvars),
// state, the .terraform directory and the lock file are left alone. The roots inline environment values,
// and Terraform keeps state and plans there: each root is made 0700, and what it writes 0600.
func WriteRoots(dir string, files map[string][]byte, assets map[string]string) error {
	keep := map[string]map[string]bool{}
	for name := range files {
		if strings.Contains(name, "..") || path.IsAbs(name) {
			return fmt.Errorf("writing terraform roots: %q is not a path inside %s", name, dir)
		}
		root, file := path.Split(name)
		if keep[root] == nil {
			keep[root] = map[string]bool{}
		}
		keep[root][file] = true
	}
	for root := range keep {
		if root == "" {
			continue // dir itself, the user's (--out) or .chalice/terraform: its roots are what is private
		}
		if err := safefile.PrivateDir(filepath.Join(dir, filepath.FromSlash(root))); err != nil {
			return fmt.Errorf("writing terraform roots: %w", err)
		}
	}
	for name, data := range files {
		if err := safefile.Write(filepath.Join(dir, filepath.FromSlash(name)), data, 0o600); err != nil {
			return fmt.Errorf("writing terraform roots: %w", err)
		}
	}
	for root, names := range keep {
		entries, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(root)))
		if err != nil {
			return fmt.Errorf("writing terraform roots: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".tf") || names[e.Name()] {
				continue
			}
			p := filepath.Join(dir, filepath.FromSlash(root), e.Name())
			data, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("writing terraform roots: %w", err)
			}
			if !tfgen.IsGenerated(data) {
				continue // the user's
			}
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("removing a stale file: %w", err)
			}
		}
	}
	for dest, src := range assets {
		data, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("copying %s into the terraform root: %w", src, err)
		}
		if err := safefile.Write(filepath.Join(dir, filepath.FromSlash(dest)), data, 0o600); err != nil {
			return fmt.Errorf("copying %s into the terraform root: %w", src, err)
		}
	}
	return nil
}
