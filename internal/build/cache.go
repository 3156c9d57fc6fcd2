package build

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/coworks-go/coworks/internal/safefile"
)

// cacheArea is the directory of one architecture's artifacts, one subdirectory per cache key.
type cacheArea struct {
	dir string
}

const (
	artifactFile = "artifact.json"
	tmpPrefix    = ".tmp-"
)

// load returns the complete entry for key, if any, and marks it as just used (for pruning).
func (c cacheArea) load(key string) (*Artifact, bool) {
	entry := filepath.Join(c.dir, key)
	meta := filepath.Join(entry, artifactFile)
	data, err := os.ReadFile(meta)
	if err != nil {
		return nil, false
	}
	var a Artifact
	if json.Unmarshal(data, &a) != nil || a.Key != key {
		return nil, false
	}
	a.setPaths(entry)
	for _, p := range []string{a.ZipPath, a.HostBinary} {
		if _, err := os.Stat(p); p != "" && err != nil {
			return nil, false
		}
	}
	now := time.Now()
	os.Chtimes(meta, now, now) // best effort: only orders pruning
	return &a, true
}

// begin creates a temporary entry for key to build into, marked in use until release: the temporary
// entries of killed builds are removed by the next build (removeStale), never one in progress.
func (c cacheArea) begin(key string) (tmp string, release func(), err error) {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("build: cache directory: %w", err)
	}
	tmp, release, err = safefile.TempDir(c.dir, tmpPrefix+key+"-", 0o755)
	if err != nil {
		return "", nil, fmt.Errorf("build: cache directory: %w", err)
	}
	return tmp, release, nil
}

// removeStale removes the temporary entries that killed builds left behind.
func (c cacheArea) removeStale() { safefile.RemoveStale(c.dir, tmpPrefix) }

// install writes a's metadata into tmp and renames tmp to the entry of a.Key in one step. When another
// build installed the same key first, its entry is kept and returned.
func (c cacheArea) install(tmp string, a *Artifact) (*Artifact, error) {
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, artifactFile), data, 0o644); err != nil {
		return nil, fmt.Errorf("build: cache entry: %w", err)
	}
	a.setPaths(tmp)
	for _, p := range []string{a.ZipPath, a.HostBinary, filepath.Join(tmp, artifactFile)} {
		if err := syncFile(p); p != "" && err != nil {
			return nil, fmt.Errorf("build: cache entry: %w", err)
		}
	}
	entry := filepath.Join(c.dir, a.Key)
	if err := os.Rename(tmp, entry); err != nil {
		if won, ok := c.load(a.Key); ok {
			return won, nil
		}
		return nil, fmt.Errorf("build: installing the cache entry %s: %w", entry, err)
	}
	a.setPaths(entry)
	return a, nil
}

// setPaths points a's files into the cache entry dir: the host binary, and the zip when a has one.
func (a *Artifact) setPaths(dir string) {
	a.ZipPath = ""
	if a.SHA256 != "" {
		a.ZipPath = filepath.Join(dir, zipName)
	}
	a.HostBinary = filepath.Join(dir, "host", "bootstrap")
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// prune keeps the keep most recently used entries (always including current) and removes the rest.
// Errors are ignored: pruning only saves space, and an entry another process is reading is at worst
// rebuilt.
func (c cacheArea) prune(keep int, current string) {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	type used struct {
		name string
		at   time.Time
	}
	var complete []used
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		path := filepath.Join(c.dir, e.Name())
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			continue // removeStale's
		}
		fi, err := os.Stat(filepath.Join(path, artifactFile))
		if errors.Is(err, os.ErrNotExist) {
			continue // not ours
		}
		if err == nil && e.Name() != current {
			complete = append(complete, used{e.Name(), fi.ModTime()})
		}
	}
	slices.SortFunc(complete, func(a, b used) int { return b.at.Compare(a.at) })
	for i, u := range complete {
		if i >= keep-1 { // current takes one of the keep places
			os.RemoveAll(filepath.Join(c.dir, u.name))
		}
	}
}

// Cached returns the artifact of the cache under cacheDir (empty: {projectDir}/.chalice/build) whose zip
// has the base64 SHA-256 sha, whatever its architecture, and false when the cache holds none: builds are
// deterministic, so building the same source again puts it there. It is how a promote finds a zip that the
// machine built but did not deploy.
func Cached(projectDir, cacheDir, sha string) (*Artifact, bool) {
	if cacheDir == "" {
		cacheDir = filepath.Join(projectDir, ".chalice", "build")
	}
	metas, _ := filepath.Glob(filepath.Join(cacheDir, "*", "*", artifactFile))
	for _, meta := range metas {
		data, err := os.ReadFile(meta)
		var a Artifact
		if err != nil || json.Unmarshal(data, &a) != nil || a.SHA256 != sha || a.Key != filepath.Base(filepath.Dir(meta)) {
			continue
		}
		if found, ok := (cacheArea{dir: filepath.Dir(filepath.Dir(meta))}).load(a.Key); ok {
			return found, true
		}
	}
	return nil, false
}
