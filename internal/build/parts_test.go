package build

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coworks-go/coworks"
)

// These tests exercise the parts of Build that need no compilation: the cache key, the cache directory,
// the route table reader and the zip writer. They run real go list and real processes.

func keyOf(t *testing.T, dir, cache, goCmd string) string {
	t.Helper()
	req, err := normalize(Request{Dir: dir, CacheDir: cache, Go: goCmd})
	if err != nil {
		t.Fatal(err)
	}
	proj, err := findProject(req.Dir)
	if err != nil {
		t.Fatal(err)
	}
	lt, _ := lambdaTargetFor(req.Architecture)
	gc := &goCommand{path: req.Go, env: req.Env, dir: proj.moduleRoot}
	key, err := computeKey(context.Background(), gc, proj, req, []target{lt, hostTarget()})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestCacheKeyFollowsSourcesEmbedsAndNewFiles(t *testing.T) {
	t.Parallel()
	goCmd, calls := countingGo(t)
	dir := copyFunction(t)
	cache := t.TempDir()
	base := keyOf(t, dir, cache, goCmd)

	n := len(calls())
	if again := keyOf(t, dir, cache, goCmd); again != base || len(calls()) != n {
		t.Errorf("unchanged project: key %s (was %s), go calls %v; want the same key from the manifest, no go run", again, base, calls()[n:])
	}
	if other := keyOf(t, copyFunction(t), t.TempDir(), goCmd); other != base {
		t.Errorf("same sources elsewhere: key %s, want %s (the key must not depend on the location)", other, base)
	}

	embedded := filepath.Join(dir, "greet", "greeting.txt")
	if err := os.WriteFile(embedded, []byte("howdy"), 0o644); err != nil {
		t.Fatal(err)
	}
	afterEmbed := keyOf(t, dir, cache, goCmd)
	if afterEmbed == base {
		t.Errorf("changing an embedded file kept the key %s", base)
	}

	// A new Go file in a local package changes the file set even though no listed file changed.
	if err := os.WriteFile(filepath.Join(dir, "greet", "extra.go"), []byte("package greet\n\nconst Extra = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if afterNew := keyOf(t, dir, cache, goCmd); afterNew == afterEmbed {
		t.Errorf("adding greet/extra.go kept the key %s", afterNew)
	}

	if arm, x86 := base, keyOfArch(t, dir, X86_64); arm == x86 {
		t.Errorf("arm64 and x86_64 share the key %s", arm)
	}
}

func keyOfArch(t *testing.T, dir, arch string) string {
	t.Helper()
	req, _ := normalize(Request{Dir: dir, CacheDir: t.TempDir(), Architecture: arch})
	proj, _ := findProject(req.Dir)
	lt, _ := lambdaTargetFor(arch)
	key, err := computeKey(context.Background(), &goCommand{path: req.Go, env: req.Env, dir: proj.moduleRoot}, proj, req, []target{lt, hostTarget()})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestRequestErrorsSayWhatToDo(t *testing.T) {
	noModule := t.TempDir()
	os.WriteFile(filepath.Join(noModule, "main.go"), []byte("package main\nfunc main() {}\n"), 0o644)
	lib := filepath.Join(copyFunction(t), "greet")
	for _, tc := range []struct {
		name string
		req  Request
		want string
	}{
		{"unknown architecture", Request{Dir: noModule, Architecture: "amd64"}, `unknown Lambda architecture "amd64": use "arm64" or "x86_64"`},
		{"no go.mod", Request{Dir: noModule}, "run `go mod init`"},
		{"not a main package", Request{Dir: lib, CacheDir: t.TempDir()}, "holds package greet"},
		{"missing directory", Request{Dir: filepath.Join(noModule, "nope")}, "project directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(context.Background(), tc.req)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// fakeEntry fills a temporary cache entry as a build would.
func fakeEntry(t *testing.T, c cacheArea, key string) string {
	t.Helper()
	tmp, err := c.begin(key)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(tmp, "host"), 0o755)
	os.WriteFile(filepath.Join(tmp, zipName), []byte("zip "+key), 0o644)
	os.WriteFile(filepath.Join(tmp, "host", "bootstrap"), []byte("bin"), 0o755)
	return tmp
}

func TestConcurrentInstallsOfOneKeyLeaveOneEntry(t *testing.T) {
	c := cacheArea{dir: t.TempDir()}
	var wg sync.WaitGroup
	results := make([]*Artifact, 4)
	for i := range results {
		tmp := fakeEntry(t, c, "k1")
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer os.RemoveAll(tmp)
			a, err := c.install(tmp, &Artifact{Key: "k1", SHA256: "s", Routes: coworks.CatchAllRoutes()})
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = a
		}()
	}
	wg.Wait()
	entries, _ := os.ReadDir(c.dir)
	if len(entries) != 1 || entries[0].Name() != "k1" {
		t.Errorf("cache holds %v, want only k1", entries)
	}
	for _, a := range results {
		if a == nil || a.ZipPath != filepath.Join(c.dir, "k1", zipName) {
			t.Errorf("install returned %+v, want the installed entry", a)
		}
	}
	if a, ok := c.load("k1"); !ok || a.SHA256 != "s" {
		t.Errorf("load = %+v, %v", a, ok)
	}
}

func TestPruneKeepsTheMostRecentlyUsed(t *testing.T) {
	c := cacheArea{dir: t.TempDir()}
	base := time.Now().Add(-time.Hour)
	for i, key := range []string{"a", "b", "c", "d", "e"} {
		tmp := fakeEntry(t, c, key)
		if _, err := c.install(tmp, &Artifact{Key: key}); err != nil {
			t.Fatal(err)
		}
		at := base.Add(time.Duration(i) * time.Minute)
		os.Chtimes(filepath.Join(c.dir, key, artifactFile), at, at)
	}
	stale := filepath.Join(c.dir, tmpPrefix+"old-1")
	os.Mkdir(stale, 0o755)
	os.Chtimes(stale, base.Add(-time.Hour), base.Add(-time.Hour))
	c.load("a") // using an entry makes it recent
	c.prune(3, "b")
	var got []string
	entries, _ := os.ReadDir(c.dir)
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if want := []string{"a", "b", "e"}; !reflect.DeepEqual(got, want) {
		t.Errorf("after prune: %v, want %v (current b, then the most recently used)", got, want)
	}
}

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fn")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadRoutes(t *testing.T) {
	t.Parallel()
	table := []coworks.Route{{Method: "GET", Path: "/value/{_0}", Handler: "GetValue"}}
	js, _ := json.Marshal(table)
	env := append(os.Environ(), "AWS_LAMBDA_RUNTIME_API=127.0.0.1:1")
	for _, tc := range []struct {
		name, body string
		want       []coworks.Route
		catchAll   bool
		err        string
	}{
		{"printed table", `[ "$CWS_ROUTES" = 1 ] && [ -z "${AWS_LAMBDA_RUNTIME_API+x}" ] && echo '` + string(js) + `'`, table, false, ""},
		{"exits non-zero", `echo 'expected AWS Lambda environment variables' >&2; exit 1`, coworks.CatchAllRoutes(), true, ""},
		{"prints something else", `echo hello`, coworks.CatchAllRoutes(), true, ""},
		{"keeps running", `exec sleep 30`, coworks.CatchAllRoutes(), true, ""},
		{"malformed table", `echo '[{"method":"GET","path":"value"}]'`, nil, false, "want an upper-case method and a path starting with /"},
		{"not routes", `echo '[1,2]'`, nil, false, "invalid route table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, catchAll, err := readRoutes(context.Background(), script(t, tc.body), t.TempDir(), env, 500*time.Millisecond)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || catchAll != tc.catchAll || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("= %+v, catch-all %v, %v; want %+v, %v", got, catchAll, err, tc.want, tc.catchAll)
			}
		})
	}
}

func TestZipDependsOnlyOnTheBinary(t *testing.T) {
	data := bytes.Repeat([]byte("\x7fELF not really "), 1000)
	var a, b bytes.Buffer
	if err := zipBootstrap(&a, data); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	zipBootstrap(&b, data)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two zips of the same binary differ")
	}
	zr, err := zip.NewReader(bytes.NewReader(a.Bytes()), int64(a.Len()))
	if err != nil || len(zr.File) != 1 || zr.File[0].UncompressedSize64 != uint64(len(data)) {
		t.Fatalf("zip = %v, %v", zr, err)
	}
}
