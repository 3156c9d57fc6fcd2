package build

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
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
	tmp, release, err := c.begin(key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
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

// TestKilledBuildsLeaveNothingBehind: the temporary entry of a build that was killed (its process gone,
// so its lock released) is removed by the next build, even a cache hit; one in progress is kept.
func TestKilledBuildsLeaveNothingBehind(t *testing.T) {
	c := cacheArea{dir: t.TempDir()}
	killed := filepath.Join(c.dir, tmpPrefix+"k0-123")
	if err := os.MkdirAll(filepath.Join(killed, "host"), 0o755); err != nil {
		t.Fatal(err)
	}
	inProgress := fakeEntry(t, c, "k1")
	c.removeStale()
	if _, err := os.Stat(killed); !os.IsNotExist(err) {
		t.Errorf("a killed build's entry is still there: %v", err)
	}
	if _, err := os.Stat(inProgress); err != nil {
		t.Errorf("a build in progress lost its entry: %v", err)
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
		why        string
		err        string
	}{
		{"printed table", `[ "$CWS_ROUTES" = 1 ] && [ -z "${AWS_LAMBDA_RUNTIME_API+x}" ] && echo '` + string(js) + `'`, table, "", ""},
		{"plain lambda.Start", `echo '2026/01/02 03:04:05 expected AWS Lambda environment variables [AWS_LAMBDA_RUNTIME_API] are not defined' >&2; exit 1`, coworks.CatchAllRoutes(), reasonLambda, ""},
		{"prints something else", `echo hello`, coworks.CatchAllRoutes(), reasonSilent, ""},
		{"keeps running", `exec sleep 30`, coworks.CatchAllRoutes(), reasonServer, ""},
		{"exits 1 for another reason", `echo starting; echo 'no database configured' >&2; exit 1`, nil, "", "it exited with status 1 while listing its routes (CWS_ROUTES=1)\n  no database configured"},
		{"exits 3", `exit 3`, nil, "", "it exited with status 3"},
		{"killed", `kill -9 $$`, nil, "", "it was killed by a signal"},
		{"malformed table", `echo '[{"method":"GET","path":"value"}]'`, nil, "", "want an upper-case method and a path starting with /"},
		{"not routes", `echo '[1,2]'`, nil, "", "invalid route table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Only a process that keeps running should meet the time limit: on a loaded machine a shell
			// script can take longer than half a second to start, and would then be misread as a server.
			limit := time.Minute
			if tc.why == reasonServer {
				limit = 500 * time.Millisecond
			}
			got, why, err := readRoutes(context.Background(), script(t, tc.body), project{dir: t.TempDir()}, env, limit)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || why != tc.why || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("= %+v, %q, %v; want %+v, %q", got, why, err, tc.want, tc.why)
			}
		})
	}
}

// TestRoutesErrorLocatesThePanicInTheUsersCode parses traces as -trimpath builds print them: the frames of
// the runtime, the standard library and the framework are skipped for the first one in the project's module.
func TestRoutesErrorLocatesThePanicInTheUsersCode(t *testing.T) {
	root := t.TempDir()
	proj := project{dir: filepath.Join(root, "cmd", "svc"), moduleRoot: root, modulePath: "example.com/svc"}
	trace := `panic: coworks: (*main.Hello).GetBad: parameter 1 has unsupported type chan int (want ...)

goroutine 1 [running]:
github.com/coworks-go/coworks.newBinding({0xc000012345, 0x11}, {0x7a3b40, 0x6f2e60})
	github.com/coworks-go/coworks@v1.2.0/bind.go:93 +0x5e5
github.com/coworks-go/coworks.(*App).register(0xc0000b6000, {0x6d1e40?, 0xa5b520?, 0x0?}, {0x0, 0x0}, {0x0, 0x0})
	github.com/coworks-go/coworks@v1.2.0/app.go:120 +0x2c5
regexp.MustCompile(...)
	regexp/regexp.go:317
example.com/svc/internal/setup.Routes(...)
	example.com/svc/internal/setup/setup.go:12
main.main()
	example.com/svc/cmd/svc/main.go:17 +0x4f
exit status 2
`
	e := routesError(proj, &exec.ExitError{}, trace)
	if e.Panic != "panic: coworks: (*main.Hello).GetBad: parameter 1 has unsupported type chan int (want ...)" {
		t.Errorf("Panic = %q", e.Panic)
	}
	want := filepath.Join(root, "internal", "setup", "setup.go") + ":12" // in the module, outside the project: absolute
	if e.Location != want || e.Func != "example.com/svc/internal/setup.Routes" {
		t.Errorf("Location, Func = %q, %q; want %q, example.com/svc/internal/setup.Routes", e.Location, e.Func, want)
	}
	if msg := e.Error(); !strings.Contains(msg, "\n  panic: coworks: ") || !strings.HasSuffix(msg, "\n  at "+want+" (example.com/svc/internal/setup.Routes)") {
		t.Errorf("Error() = %q", msg)
	}

	// Inside the project directory: relative to it.
	e = routesError(proj, &exec.ExitError{}, "panic: x\n\ngoroutine 1 [running]:\nmain.main()\n\texample.com/svc/cmd/svc/main.go:17 +0x4f\n")
	if e.Location != "main.go:17" || e.Func != "main.main" {
		t.Errorf("in the project: Location, Func = %q, %q", e.Location, e.Func)
	}

	// A panic whose frames are all outside the module: the first frame outside the runtime.
	e = routesError(proj, &exec.ExitError{}, "panic: boom\n\ngoroutine 1 [running]:\nruntime.gopanic(...)\n\truntime/panic.go:700\nexample.com/lib.F()\n\texample.com/lib@v1.0.0/f.go:3 +0x1\n")
	if e.Location != "example.com/lib@v1.0.0/f.go:3" || e.Func != "example.com/lib.F" {
		t.Errorf("outside the module: Location, Func = %q, %q", e.Location, e.Func)
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
