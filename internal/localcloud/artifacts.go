package localcloud

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/coworks-go/coworks/internal/target"
)

// binaryName is the stored host binary's file name: it is started the way Lambda starts a custom runtime's
// bootstrap.
const binaryName = "bootstrap"

// artifactRel returns the store directory of an artifact, relative to .chalice/local:
// artifacts/{hex sha256 of the host binary}. The base64 hash is not used as is because it may contain '/'.
func artifactRel(sha string) (string, error) {
	sum, err := base64.StdEncoding.DecodeString(sha)
	if err != nil || len(sum) != sha256.Size {
		return "", fmt.Errorf("artifact hash %q is not a base64 SHA-256", sha)
	}
	return path.Join("artifacts", hex.EncodeToString(sum)), nil
}

// artifactPresent reports whether the store holds the host binary of the artifact at rel.
func artifactPresent(local, rel string) bool {
	fi, err := os.Stat(filepath.Join(local, filepath.FromSlash(rel), binaryName))
	return err == nil && fi.Mode().IsRegular()
}

// storeArtifact copies the artifact's host binary into the content-addressed store, unless it is there
// already. The copy is made in a temporary directory renamed into place, so the store never holds half an
// artifact; the binary is checked against its hash on the way.
func storeArtifact(local, rel string, a target.Artifact) error {
	if artifactPresent(local, rel) {
		return nil
	}
	root := filepath.Join(local, "artifacts")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("artifact store: %w", err)
	}
	tmp, err := os.MkdirTemp(root, ".tmp-")
	if err != nil {
		return fmt.Errorf("artifact store: %w", err)
	}
	defer os.RemoveAll(tmp) // gone once renamed
	sum, err := copyFile(a.BinaryPath, filepath.Join(tmp, binaryName), 0o755)
	if err != nil {
		return fmt.Errorf("store host binary: %w", err)
	}
	if got := base64.StdEncoding.EncodeToString(sum); got != a.BinarySHA256 {
		return fmt.Errorf("host binary %s has SHA-256 %s, not the build's %s: rebuild it", a.BinaryPath, got, a.BinarySHA256)
	}
	dst := filepath.Join(local, filepath.FromSlash(rel))
	os.RemoveAll(dst) // a partial directory left by hand; complete ones returned above
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("artifact store: %w", err)
	}
	return nil
}

// copyFile copies src to dst with perm and returns the SHA-256 of the bytes copied.
func copyFile(src, dst string, perm os.FileMode) ([]byte, error) {
	in, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(out, h), in); err != nil {
		out.Close()
		return nil, err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return nil, err
	}
	return h.Sum(nil), out.Close()
}

// collectArtifacts removes every stored artifact (and leftover temporary directory) that no stage of st
// uses. Failing to remove one is not fatal: the next deploy or delete tries again.
func collectArtifacts(local string, st *State) error {
	root := filepath.Join(local, "artifacts")
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, api := range st.RestAPIs {
		for _, s := range api.Stages {
			used[path.Base(s.Artifact)] = true
		}
	}
	var errs []error
	for _, e := range entries {
		if used[e.Name()] && !strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
