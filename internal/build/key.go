package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/coworks-go/coworks/internal/safefile"
)

// The cache key is a SHA-256 over every input that shapes the artifact:
//   - cacheFormat (bumped when this package changes what it produces),
//   - the Go version (`go env GOVERSION`, after any GOTOOLCHAIN switch) and the environment variables that
//     change compiled code (keyEnv),
//   - both targets (GOOS, GOARCH, flags) and the package's path inside its module,
//   - the contents of go.mod and go.sum of every local module, and of every Go, assembly, syso and embedded
//     file of every package of the build that lives outside the module cache (the main module, `replace`d
//     directories, workspace modules, vendor/), found with `go list -deps` for both targets.
//
// Dependencies in the module cache are immutable and pinned by go.sum, so they need no hashing.
//
// Computing that needs `go list` (tens to hundreds of milliseconds), so the list of files is kept in a
// manifest next to the artifacts with each file's size, mtime and hash. The fast path re-stats the files,
// re-reads the listed directories (a file added or removed there means the file set may have changed) and
// re-hashes only files whose size or mtime changed, or whose mtime is within racyWindow of the moment they
// were hashed (an edit in the same clock tick keeps the mtime, as git's "racy clean" problem). Only when a
// content, a directory listing, go.mod, the go binary or the environment changed does it run `go list` again.
const cacheFormat = "cws-build-2"

// keyEnv are the variables that change what the compiler emits, besides the GOOS/GOARCH Build sets.
var keyEnv = []string{"GOFLAGS", "GOEXPERIMENT", "GOAMD64", "GOARM64", "GOTOOLCHAIN", "GOROOT", "GOWORK"}

// racyWindow is how recent an mtime must be, relative to the hashing, for the file to be re-hashed anyway.
const racyWindow = 2 * time.Second

// manifest is the persisted file list of one project and architecture.
type manifest struct {
	Fingerprint string      `json:"fingerprint"`
	GoVersion   string      `json:"go_version"`
	HashedAt    int64       `json:"hashed_at"` // unix nanoseconds when the files were last hashed
	Files       []fileState `json:"files"`
	Dirs        []dirState  `json:"dirs"`
	Key         string      `json:"key"`
}

// fileState is one hashed input. Name is location-independent (import path + file), Path is where it is.
type fileState struct {
	Name    string `json:"name"`
	Path    string `json:"path"`
	Missing bool   `json:"missing,omitempty"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime"`
	Hash    string `json:"hash"`
}

// dirState is a directory whose relevant entries were listed; a different listing means go list must run.
type dirState struct {
	Path  string   `json:"path"`
	All   bool     `json:"all,omitempty"` // every entry counts (embedded directories), not only source files
	Names []string `json:"names"`
}

// computeKey returns the cache key of the project for targets, from the manifest when it is still valid.
func computeKey(ctx context.Context, gc *goCommand, proj project, req Request, targets []target) (string, error) {
	fp, err := fingerprint(gc, proj, req, targets)
	if err != nil {
		return "", err
	}
	path := filepath.Join(req.CacheDir, fmt.Sprintf("manifest-%s-%s.json", req.kind(), shortHash(proj.dir)))
	if m, ok := readManifest(path); ok && m.Fingerprint == fp {
		if fresh, changed := m.revalidate(); fresh {
			if changed {
				writeManifest(path, m)
			}
			return m.Key, nil
		}
	}
	m, err := scan(ctx, gc, proj, req, targets)
	if err != nil {
		return "", err
	}
	m.Fingerprint = fp
	if err := writeManifest(path, m); err != nil {
		return "", err
	}
	return m.Key, nil
}

// fingerprint covers what the manifest's validity depends on besides the files: the go binary, the
// environment, the targets and where the project is.
func fingerprint(gc *goCommand, proj project, req Request, targets []target) (string, error) {
	bin, err := gc.resolve()
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(bin)
	if err != nil {
		return "", fmt.Errorf("build: go command: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s %d %d\n%s\n%s\n", cacheFormat, bin, fi.Size(), fi.ModTime().UnixNano(), proj.dir, proj.moduleRoot)
	b.WriteString(keyInputs(req.Env, proj, targets))
	return shortHash(b.String()), nil
}

// keyInputs is the part of the key that does not come from files.
func keyInputs(env []string, proj project, targets []target) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\npackage %s\n", cacheFormat, proj.pkg)
	for _, t := range targets {
		fmt.Fprintf(&b, "target %s/%s %q\n", t.goos, t.goarch, t.flags)
	}
	for _, k := range keyEnv {
		fmt.Fprintf(&b, "env %s=%q\n", k, envValue(env, k))
	}
	return b.String()
}

// revalidate re-stats the manifest's files and directories. fresh reports that its key still holds;
// changed that some file had to be re-hashed (same content, new mtime), so the manifest should be saved.
func (m *manifest) revalidate() (fresh, changed bool) {
	now := time.Now().UnixNano()
	for i := range m.Files {
		f := &m.Files[i]
		fi, err := os.Stat(f.Path)
		if f.Missing || err != nil {
			if f.Missing != (err != nil) {
				return false, false
			}
			continue
		}
		if fi.Size() == f.Size && fi.ModTime().UnixNano() == f.ModTime && f.ModTime < m.HashedAt-int64(racyWindow) {
			continue
		}
		h, err := hashFile(f.Path)
		if err != nil || h != f.Hash {
			return false, false
		}
		f.Size, f.ModTime, changed = fi.Size(), fi.ModTime().UnixNano(), true
	}
	for _, d := range m.Dirs {
		names, err := listDir(d.Path, d.All)
		if err != nil || !slices.Equal(names, d.Names) {
			return false, false
		}
	}
	if changed {
		m.HashedAt = now
	}
	return true, changed
}

// scan runs go env and go list, hashes every input and computes the key.
func scan(ctx context.Context, gc *goCommand, proj project, req Request, targets []target) (*manifest, error) {
	hashedAt := time.Now().UnixNano()
	type listing struct {
		pkgs []listedPackage
		err  error
	}
	lists := make([]chan listing, len(targets))
	for i, t := range targets {
		lists[i] = make(chan listing, 1)
		go func() {
			pkgs, err := gc.listDeps(ctx, t, proj.pkg)
			lists[i] <- listing{pkgs, err}
		}()
	}
	env, envErr := gc.goEnv(ctx)
	var all []listedPackage
	for i, t := range targets {
		l := <-lists[i]
		if l.err != nil {
			return nil, l.err
		}
		if len(l.pkgs) == 0 || l.pkgs[len(l.pkgs)-1].Name != "main" {
			name := "no Go package"
			if len(l.pkgs) > 0 && l.pkgs[len(l.pkgs)-1].Name != "" {
				name = "package " + l.pkgs[len(l.pkgs)-1].Name
			}
			return nil, fmt.Errorf("build: %s holds %s for %s/%s, not a main package: point the build at the directory of `package main`", proj.dir, name, t.goos, t.goarch)
		}
		all = append(all, l.pkgs...)
	}
	if envErr != nil {
		return nil, envErr
	}

	files := map[string]fileState{} // by path
	dirs := map[string]bool{}       // path -> every entry counts
	addFile := func(name, path string) {
		files[path] = fileState{Name: name, Path: path}
	}
	modCache := filepath.Clean(env.GOMODCACHE) + string(filepath.Separator)
	for _, p := range all {
		if p.Standard || p.Dir == "" || (env.GOMODCACHE != "" && strings.HasPrefix(p.Dir, modCache)) {
			continue
		}
		dirs[p.Dir] = dirs[p.Dir] || false
		for _, list := range [][]string{p.GoFiles, p.CgoFiles, p.IgnoredGoFiles, p.SFiles, p.HFiles, p.SysoFiles} {
			for _, f := range list {
				if !strings.HasSuffix(f, "_test.go") {
					addFile(p.ImportPath+"/"+f, filepath.Join(p.Dir, f))
				}
			}
		}
		for _, f := range p.EmbedFiles {
			addFile(p.ImportPath+"/"+f, filepath.Join(p.Dir, filepath.FromSlash(f)))
			for d := filepath.Dir(filepath.Join(p.Dir, filepath.FromSlash(f))); strings.HasPrefix(d, p.Dir); d = filepath.Dir(d) {
				dirs[d] = true
			}
		}
		if p.Module != nil && p.Module.Dir != "" {
			addFile(p.Module.Path+"/go.mod", filepath.Join(p.Module.Dir, "go.mod"))
			addFile(p.Module.Path+"/go.sum", filepath.Join(p.Module.Dir, "go.sum"))
		}
	}

	m := &manifest{GoVersion: env.GOVERSION, HashedAt: hashedAt}
	for _, f := range files {
		fi, err := os.Stat(f.Path)
		switch {
		case os.IsNotExist(err):
			f.Missing = true
		case err != nil:
			return nil, fmt.Errorf("build: %w", err)
		default:
			if f.Hash, err = hashFile(f.Path); err != nil {
				return nil, err
			}
			f.Size, f.ModTime = fi.Size(), fi.ModTime().UnixNano()
		}
		m.Files = append(m.Files, f)
	}
	slices.SortFunc(m.Files, func(a, b fileState) int { return strings.Compare(a.Name+"\x00"+a.Path, b.Name+"\x00"+b.Path) })
	for d, all := range dirs {
		names, err := listDir(d, all)
		if err != nil {
			return nil, fmt.Errorf("build: %w", err)
		}
		m.Dirs = append(m.Dirs, dirState{Path: d, All: all, Names: names})
	}
	slices.SortFunc(m.Dirs, func(a, b dirState) int { return strings.Compare(a.Path, b.Path) })

	h := sha256.New()
	fmt.Fprintf(h, "%sgo %s\n", keyInputs(req.Env, proj, targets), env.GOVERSION)
	for _, f := range m.Files {
		if f.Missing {
			fmt.Fprintf(h, "file %s missing\n", f.Name)
		} else {
			fmt.Fprintf(h, "file %s %s\n", f.Name, f.Hash)
		}
	}
	m.Key = hex.EncodeToString(h.Sum(nil))[:32]
	return m, nil
}

// listDir returns the sorted entry names of dir that can change a build: source files (Go, assembly,
// headers, syso; not tests, not hidden) or, with all, every entry (directories with embedded files).
func listDir(dir string, all bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := []string{}
	for _, e := range entries {
		n := e.Name()
		if all {
			names = append(names, n)
			continue
		}
		if strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		switch filepath.Ext(n) {
		case ".go", ".s", ".S", ".h", ".syso":
			names = append(names, n)
		}
	}
	return names, nil // os.ReadDir sorts by name
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("build: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("build: reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// readManifest returns the manifest at path; a missing or unreadable one just means a full scan.
func readManifest(path string) (*manifest, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var m manifest
	if json.Unmarshal(data, &m) != nil || m.Key == "" {
		return nil, false
	}
	return &m, true
}

func writeManifest(path string, m *manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	if err := safefile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("build: writing the cache manifest: %w", err)
	}
	return nil
}
