package localcloud

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/coworks-go/coworks"
	"github.com/coworks-go/coworks/internal/safefile"
	"github.com/coworks-go/coworks/internal/target"
)

// Names of the files of a stored artifact: the host binary is started the way Lambda starts a custom
// runtime's bootstrap.
const (
	binaryName = "bootstrap"
	// routesName holds the artifact's route table, so that a rollback can serve it again.
	routesName = "routes.json"
)

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
		return storeRoutes(filepath.Join(local, filepath.FromSlash(rel)), a.Routes)
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
	if err := storeRoutes(tmp, a.Routes); err != nil {
		return err
	}
	dst := filepath.Join(local, filepath.FromSlash(rel))
	os.RemoveAll(dst) // a partial directory left by hand; complete ones returned above
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("artifact store: %w", err)
	}
	return nil
}

// storeRoutes writes the route table of the artifact stored in dir, unless it is there already (an
// artifact's routes never change: they are the binary's).
func storeRoutes(dir string, routes []coworks.Route) error {
	path := filepath.Join(dir, routesName)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	data, err := json.Marshal(nonNil(routes))
	if err != nil {
		return err
	}
	if err := safefile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("store the route table: %w", err)
	}
	return nil
}

// loadRoutes reads the route table of the artifact stored at rel.
func loadRoutes(local, rel string) ([]coworks.Route, error) {
	data, err := os.ReadFile(filepath.Join(local, filepath.FromSlash(rel), routesName))
	if err != nil {
		return nil, err
	}
	var routes []coworks.Route
	if err := json.Unmarshal(data, &routes); err != nil {
		return nil, fmt.Errorf("the route table of artifact %s: %w", rel, err)
	}
	return routes, nil
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
// runs and no deployed stage's history keeps for rollbacks (its last keep_artifacts distinct artifacts).
// Failing to remove one is not fatal: the next deploy or delete tries again.
func collectArtifacts(projectDir string, st *State) error {
	root := filepath.Join(Dir(projectDir), "artifacts")
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	used := keptArtifacts(projectDir, st)
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
