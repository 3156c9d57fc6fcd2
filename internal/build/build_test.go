package build

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coworks-go/coworks"
	"github.com/coworks-go/coworks/internal/functiontest"
)

// These tests run the real go build. Each build costs seconds on a busy machine, so a few builds are shared
// by sequential subtests, and the tests that build run side by side once warmGoCache has compiled what
// they all share.

// copyFunction copies testdata/fn (a module using aws-lambda-go) to a fresh directory and returns its root.
func copyFunction(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "fn")
	if err := copyTree("testdata/fn", dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
}

var warm struct {
	once sync.Once
	err  error
}

// warmGoCache builds testdata/fn for Lambda (linux/arm64) and this machine once per test binary, so the
// Go build cache holds the standard library and aws-lambda-go for both before the tests build side by
// side (on a cold cache each would compile them at the same time). The build has its own directory and
// artifact cache: the tests still see a cold artifact cache.
func warmGoCache(t *testing.T) {
	t.Helper()
	warm.once.Do(func() {
		warm.err = functiontest.WarmGoCache(func() error {
			dir, err := os.MkdirTemp("", "build-warm-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			if err := copyTree("testdata/fn", dir); err != nil {
				return err
			}
			_, err = Build(context.Background(), Request{Dir: dir})
			return err
		})
	})
	if warm.err != nil {
		t.Fatalf("warming the Go build cache: %v", warm.err)
	}
}

// countingGo returns a go command that logs its subcommand ("list", "build", "env") to a file before
// running the real go, and a function reading that log.
func countingGo(t *testing.T) (path string, calls func() []string) {
	t.Helper()
	real, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "calls.log")
	script := "#!/bin/sh\necho \"$1\" >> '" + logPath + "'\nexec '" + real + "' \"$@\"\n"
	path = filepath.Join(dir, "go")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, func() []string {
		data, _ := os.ReadFile(logPath)
		return strings.Fields(string(data))
	}
}

func mustBuild(t *testing.T, req Request) *Artifact {
	t.Helper()
	a, err := Build(context.Background(), req)
	if err != nil {
		t.Fatalf("Build(%s): %v", req.Dir, err)
	}
	return a
}

// readBootstrap checks the zip's structure byte by byte and returns the bootstrap binary.
func readBootstrap(t *testing.T, zipPath string) []byte {
	t.Helper()
	raw, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	// Local file header: signature, then the extra field length at offset 28.
	if !bytes.HasPrefix(raw, []byte("PK\x03\x04")) || raw[28] != 0 || raw[29] != 0 {
		t.Errorf("local header has an extra field or is not a zip: % x", raw[:30])
	}
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		t.Fatalf("zip entries = %v, want only bootstrap", zr.File)
	}
	f := zr.File[0]
	if f.Mode() != 0o755 {
		t.Errorf("bootstrap mode = %v, want -rwxr-xr-x", f.Mode())
	}
	if f.CreatorVersion>>8 != 3 || f.ExternalAttrs>>16 != 0o100755 {
		t.Errorf("creator = %d, external attributes = %o: Lambda needs Unix mode 0100755", f.CreatorVersion>>8, f.ExternalAttrs>>16)
	}
	if want := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC); !f.Modified.Equal(want) {
		t.Errorf("modified = %v, want %v", f.Modified, want)
	}
	if len(f.Extra) != 0 || f.Comment != "" || f.Method != zip.Deflate || f.Flags&0x8 != 0 {
		t.Errorf("extra = %x, comment = %q, method = %d, flags = %#x; want none, none, deflate, no data descriptor", f.Extra, f.Comment, f.Method, f.Flags)
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	bin, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading bootstrap (CRC checked): %v", err)
	}
	return bin
}

// checkELF asserts bin is a static Linux executable for machine.
func checkELF(t *testing.T, bin []byte, machine elf.Machine) {
	t.Helper()
	ef, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("bootstrap is not ELF: %v", err)
	}
	if ef.Machine != machine || ef.Type != elf.ET_EXEC {
		t.Errorf("bootstrap is %v %v, want %v ET_EXEC", ef.Machine, ef.Type, machine)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("bootstrap is dynamically linked (PT_INTERP): CGO_ENABLED=0 was not applied")
		}
	}
	if sec := ef.Section(".symtab"); sec != nil {
		t.Errorf("bootstrap has a symbol table: -s was not applied")
	}
}

func TestArm64BuildIsDeterministicAndCached(t *testing.T) {
	t.Parallel()
	warmGoCache(t)
	goCmd, calls := countingGo(t)
	dir := copyFunction(t)
	req := Request{Dir: dir, Go: goCmd}
	first := mustBuild(t, req)

	t.Run("zip holds one executable linux/arm64 bootstrap", func(t *testing.T) {
		if first.Cached || first.Architecture != Arm64 {
			t.Errorf("Cached = %v, Architecture = %q; want a fresh arm64 build", first.Cached, first.Architecture)
		}
		if want := filepath.Join(dir, ".chalice", "build"); !strings.HasPrefix(first.ZipPath, want+string(filepath.Separator)) {
			t.Errorf("zip at %s, want it under the default cache %s", first.ZipPath, want)
		}
		checkELF(t, readBootstrap(t, first.ZipPath), elf.EM_AARCH64)
	})

	t.Run("SHA256 and Size describe the zip", func(t *testing.T) {
		raw, err := os.ReadFile(first.ZipPath)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(raw)
		if got := base64.StdEncoding.EncodeToString(sum[:]); got != first.SHA256 || int64(len(raw)) != first.Size {
			t.Errorf("artifact says %s, %d bytes; zip is %s, %d bytes", first.SHA256, first.Size, got, len(raw))
		}
	})

	t.Run("plain lambda.Start function gets the catch-all route table", func(t *testing.T) {
		if !first.CatchAll || !reflect.DeepEqual(first.Routes, coworks.CatchAllRoutes()) {
			t.Errorf("routes = %+v (catch-all %v), want %+v", first.Routes, first.CatchAll, coworks.CatchAllRoutes())
		}
	})

	t.Run("host binary is built for this machine", func(t *testing.T) {
		fi, err := os.Stat(first.HostBinary)
		if err != nil || fi.Mode().Perm()&0o100 == 0 {
			t.Fatalf("host binary %s: %v, mode %v; want an executable", first.HostBinary, err, fi.Mode())
		}
		if runtime.GOOS != "linux" {
			return
		}
		ef, err := elf.Open(first.HostBinary)
		if err != nil {
			t.Fatal(err)
		}
		defer ef.Close()
		want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]
		if ef.Machine != want {
			t.Errorf("host binary is %v, want %v", ef.Machine, want)
		}
	})

	t.Run("same bytes from another directory and a clean cache", func(t *testing.T) {
		other := mustBuild(t, Request{Dir: copyFunction(t), CacheDir: t.TempDir()})
		a, _ := os.ReadFile(first.ZipPath)
		b, _ := os.ReadFile(other.ZipPath)
		if other.SHA256 != first.SHA256 || !bytes.Equal(a, b) || other.Key != first.Key {
			t.Errorf("second build: sha256 %s key %s; first: %s key %s", other.SHA256, other.Key, first.SHA256, first.Key)
		}
	})

	t.Run("unchanged source is a cache hit that runs no go command", func(t *testing.T) {
		before, _ := os.Stat(first.ZipPath)
		n := len(calls())
		again := mustBuild(t, req)
		if !again.Cached || again.ZipPath != first.ZipPath || again.SHA256 != first.SHA256 || !reflect.DeepEqual(again.Routes, first.Routes) {
			t.Errorf("second Build = %+v, want the first artifact from the cache", again)
		}
		if got := calls()[n:]; len(got) != 0 {
			t.Errorf("cache hit ran go %v", got)
		}
		if after, _ := os.Stat(first.ZipPath); !after.ModTime().Equal(before.ModTime()) {
			t.Errorf("cache hit rewrote the zip")
		}
	})

	t.Run("touching a file without changing it is still a hit", func(t *testing.T) {
		later := time.Now().Add(time.Minute)
		if err := os.Chtimes(filepath.Join(dir, "main.go"), later, later); err != nil {
			t.Fatal(err)
		}
		n := len(calls())
		again := mustBuild(t, req)
		if !again.Cached || strings.Contains(strings.Join(calls()[n:], " "), "build") {
			t.Errorf("Cached = %v, go calls %v; want a hit without go build", again.Cached, calls()[n:])
		}
	})

	t.Run("one-line change in a local dependency rebuilds", func(t *testing.T) {
		greet := filepath.Join(dir, "greet", "greet.go")
		src, _ := os.ReadFile(greet)
		src = bytes.Replace(src, []byte(`greeting + " " + name`), []byte(`greeting + ", " + name`), 1)
		if err := os.WriteFile(greet, src, 0o644); err != nil {
			t.Fatal(err)
		}
		n := len(calls())
		changed := mustBuild(t, req)
		if changed.Cached || changed.Key == first.Key || changed.SHA256 == first.SHA256 {
			t.Errorf("after the change: Cached %v key %s sha %s; want a new build (first key %s sha %s)", changed.Cached, changed.Key, changed.SHA256, first.Key, first.SHA256)
		}
		if !strings.Contains(strings.Join(calls()[n:], " "), "build") {
			t.Errorf("go calls %v, want go build", calls()[n:])
		}
		if _, err := os.Stat(first.ZipPath); err != nil {
			t.Errorf("the previous artifact was dropped (Keep is %d): %v", DefaultKeep, err)
		}
	})
}

func TestX86_64RouteTableOfPackageInsideModule(t *testing.T) {
	t.Parallel()
	warmGoCache(t)
	dir := copyFunction(t)
	req := Request{Dir: filepath.Join(dir, "routes"), Architecture: X86_64, CacheDir: t.TempDir()}
	a := mustBuild(t, req)
	checkELF(t, readBootstrap(t, a.ZipPath), elf.EM_X86_64)
	want := []coworks.Route{
		{Method: "GET", Path: "/", Handler: "Get", Signature: "func() string"},
		{Method: "PUT", Path: "/value/{_0}", Handler: "PutValue", Signature: "func(index int) error"},
	}
	if a.CatchAll || !reflect.DeepEqual(a.Routes, want) || a.Architecture != X86_64 {
		t.Errorf("routes = %+v (catch-all %v, %s), want %+v", a.Routes, a.CatchAll, a.Architecture, want)
	}
	again := mustBuild(t, req)
	if !again.Cached || !reflect.DeepEqual(again.Routes, want) {
		t.Errorf("cached artifact: Cached %v, routes %+v; want the route table kept with the artifact", again.Cached, again.Routes)
	}
}

func TestCompileErrorNamesCommandAndLine(t *testing.T) {
	t.Parallel()
	warmGoCache(t)
	dir := copyFunction(t)
	main := filepath.Join(dir, "main.go")
	src, _ := os.ReadFile(main)
	src = bytes.Replace(src, []byte("return greet.Hello(e.Name), nil"), []byte("return greet.Hello(e.Missing), nil"), 1)
	if err := os.WriteFile(main, src, 0o644); err != nil {
		t.Fatal(err)
	}
	line := strings.Count(string(src[:bytes.Index(src, []byte("e.Missing"))]), "\n") + 1
	cache := t.TempDir()
	_, err := Build(context.Background(), Request{Dir: dir, CacheDir: cache})
	var ce *CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *CommandError", err)
	}
	msg := err.Error()
	t.Logf("error shown to the user:\n%s", msg)
	for _, want := range []string{"`GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build ", "main.go:" + itoa(line) + ":", "e.Missing undefined"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(cache, Arm64)); len(entries) != 0 {
		t.Errorf("failed build left %v in the cache", entries)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestHostOnlyBuildMakesOneReproducibleBinary(t *testing.T) {
	t.Parallel()
	warmGoCache(t)
	goCmd, calls := countingGo(t)
	dir := copyFunction(t)
	var progress bytes.Buffer
	req := Request{Dir: dir, Go: goCmd, HostOnly: true, Progress: &progress}
	a := mustBuild(t, req)
	if got := strings.Join(calls(), " "); strings.Count(got, "build") != 1 {
		t.Errorf("go calls %q, want one go build (the host binary alone)", got)
	}
	host := runtime.GOOS + "/" + runtime.GOARCH
	if want := "Building . for " + host + "\n"; !strings.Contains(progress.String(), want) || strings.Contains(progress.String(), "linux/arm64") {
		t.Errorf("progress:\n%s\nwant %q and no linux/arm64 build", progress.String(), want)
	}
	if a.ZipPath != "" || a.SHA256 != "" || a.Architecture != "" {
		t.Errorf("host-only artifact has a zip: %q %q %q", a.ZipPath, a.SHA256, a.Architecture)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, ".chalice", "build", Arm64)); len(entries) != 0 {
		t.Errorf("host-only build wrote the arm64 cache: %v", entries)
	}
	bin, err := os.ReadFile(a.HostBinary)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bin)
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != a.HostSHA256 || int64(len(bin)) != a.HostSize {
		t.Errorf("artifact says %s, %d bytes; host binary is %s, %d bytes", a.HostSHA256, a.HostSize, got, len(bin))
	}
	if !strings.HasPrefix(a.HostBinary, filepath.Join(dir, ".chalice", "build", "host", a.Key)+string(filepath.Separator)) {
		t.Errorf("host binary at %s, want it in the cache entry host/%s", a.HostBinary, a.Key)
	}
	if !a.CatchAll || !reflect.DeepEqual(a.Routes, coworks.CatchAllRoutes()) {
		t.Errorf("routes = %+v, want the catch-all table of a plain lambda.Start function", a.Routes)
	}

	// The local cloud names what it runs by HostSHA256: the same sources elsewhere give the same bytes.
	other := mustBuild(t, Request{Dir: copyFunction(t), CacheDir: t.TempDir(), HostOnly: true})
	if other.HostSHA256 != a.HostSHA256 || other.Key != a.Key {
		t.Errorf("same sources elsewhere: host sha256 %s key %s; first: %s key %s", other.HostSHA256, other.Key, a.HostSHA256, a.Key)
	}
	n := len(calls())
	again := mustBuild(t, req)
	if !again.Cached || again.HostSHA256 != a.HostSHA256 || again.HostBinary != a.HostBinary || len(calls()) != n {
		t.Errorf("second host-only Build = %+v after go calls %v; want the first from the cache, no go run", again, calls()[n:])
	}
	lambda := mustBuild(t, Request{Dir: dir, Go: goCmd})
	if lambda.Cached || lambda.ZipPath == "" {
		t.Errorf("a Lambda build after a host-only one: Cached %v, zip %q; want a fresh build with its zip", lambda.Cached, lambda.ZipPath)
	}
}
