package build

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Benchmarks on testdata/fn (an examples/hello-sized function). Run with
//
//	go test ./internal/build -run '^$' -bench . -benchtime 5x
//
// BenchmarkColdBuild uses an empty GOCACHE (the standard library compiled for linux/arm64 from scratch);
// run it with -benchtime 1x. BenchmarkGoBuildAfterOneLineChange is the peer: one bare `go build` of the
// Lambda binary, what a Makefile would do, without zip, host binary or route table.

func benchRequest(b *testing.B) Request {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "fn")
	if err := exec.Command("cp", "-r", "testdata/fn", dir).Run(); err != nil {
		b.Fatal(err)
	}
	return Request{Dir: dir}
}

// oneLineChange rewrites greet.go's greeting separator, a different one each call.
func oneLineChange(b *testing.B, dir string, i int) {
	b.Helper()
	src := fmt.Sprintf("package greet\n\nimport _ \"embed\"\n\n//go:embed greeting.txt\nvar greeting string\n\n"+
		"// Hello returns the greeting for name.\nfunc Hello(name string) string {\n\treturn greeting + \"%d \" + name\n}\n", i)
	if err := os.WriteFile(filepath.Join(dir, "greet", "greet.go"), []byte(src), 0o644); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkColdBuild(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		req := benchRequest(b)
		req.Env = append(os.Environ(), "GOCACHE="+b.TempDir())
		b.StartTimer()
		if _, err := Build(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkColdCacheWarmGoBuild(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		req := benchRequest(b)
		b.StartTimer()
		if _, err := Build(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCacheHit(b *testing.B) {
	req := benchRequest(b)
	if _, err := Build(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		a, err := Build(context.Background(), req)
		if err != nil || !a.Cached {
			b.Fatalf("not a cache hit: %v", err)
		}
	}
}

func BenchmarkRebuildAfterOneLineChange(b *testing.B) {
	req := benchRequest(b)
	if testing.Verbose() {
		req.Progress = os.Stderr
	}
	if _, err := Build(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		oneLineChange(b, req.Dir, i)
		b.StartTimer()
		if a, err := Build(context.Background(), req); err != nil || a.Cached {
			b.Fatalf("not rebuilt: %v", err)
		}
	}
}

func BenchmarkGoBuildAfterOneLineChange(b *testing.B) {
	req := benchRequest(b)
	lt, _ := lambdaTargetFor(Arm64)
	gc := &goCommand{path: "go", env: os.Environ(), dir: req.Dir}
	out := filepath.Join(b.TempDir(), "bootstrap")
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		oneLineChange(b, req.Dir, i)
		b.StartTimer()
		if err := gc.build(context.Background(), lt, ".", out); err != nil {
			b.Fatal(err)
		}
	}
}
