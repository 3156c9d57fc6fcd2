// Package build turns a project's main package into what the deploy targets need: a binary for the host
// that the local runtime starts as a Lambda execution environment, the function's route table and, for AWS,
// a deterministic Lambda zip (a single `bootstrap` executable for linux/arm64 or linux/amd64). A build for
// the local cloud (Request.HostOnly) compiles the host binary alone. Results live in a content-addressed
// cache, so an unchanged project is never rebuilt and yields the same bytes and the same hashes every time.
//
// Cache layout under Request.CacheDir (default {project}/.chalice/build), where {kind} is the Lambda
// architecture (arm64, x86_64) for a Lambda build and "host" for a HostOnly build:
//
//	manifest-{kind}-{dir hash}.json   the files the key was computed from, with sizes, mtimes and hashes
//	{kind}/{key}/bootstrap.zip        the Lambda deployment package (Lambda builds only)
//	{kind}/{key}/host/bootstrap       the host binary
//	{kind}/{key}/artifact.json        hashes, size and route table; written last, so a complete entry has it
//
// An entry is built in a temporary sibling directory and renamed into place in one step, so concurrent
// builds never leave a half-written entry: the first rename wins and the other build uses the winner's.
package build

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/coworks-go/coworks"
)

// Lambda architectures, spelled as Lambda and Chalice's `lambda_architecture` spell them.
const (
	Arm64  = "arm64"
	X86_64 = "x86_64"
)

// DefaultKeep is how many artifacts are kept per architecture when Request.Keep is zero.
const DefaultKeep = 5

// DefaultRoutesTimeout bounds the run of the host binary that prints the route table.
const DefaultRoutesTimeout = 3 * time.Second

// Request says what to build. Only Dir is required.
type Request struct {
	// Dir is the directory of the main package. It may be a module root or a package inside a larger
	// module; the module root is found by walking up to go.mod.
	Dir string
	// Architecture is the Lambda architecture: "arm64" (when empty) or "x86_64".
	Architecture string
	// CacheDir holds the artifacts; empty means {Dir}/.chalice/build.
	CacheDir string
	// Progress receives one human line per step ("Building ...", "Up to date ..."); nil discards them.
	Progress io.Writer
	// Env is the environment of the go command (GOPATH, GOCACHE, GOMODCACHE, GOFLAGS, GOPROXY, PATH ...);
	// nil means the current process's. GOOS, GOARCH and CGO_ENABLED are set by Build.
	Env []string
	// Go is the go command; empty means "go" looked up in Env's PATH.
	Go string
	// Keep is how many artifacts are kept per architecture; zero means DefaultKeep.
	Keep int
	// RoutesTimeout bounds the host binary's run with CWS_ROUTES=1; zero means DefaultRoutesTimeout.
	RoutesTimeout time.Duration
	// HostOnly builds the host binary alone (what the local cloud and cws run start) and reads its route
	// table: no Lambda zip, and Architecture is not used. Without it Build makes the Lambda zip too.
	HostOnly bool
}

// Artifact is a built function, fresh or from the cache.
type Artifact struct {
	// ZipPath is the Lambda deployment package: one `bootstrap` entry, mode 0755. Empty for a HostOnly build.
	ZipPath string `json:"-"`
	// HostBinary is the executable the local runtime starts (host GOOS/GOARCH).
	HostBinary string `json:"-"`
	// SHA256 is base64(sha256(zip)), Terraform's source_code_hash and Lambda's CodeSha256. Empty for a
	// HostOnly build.
	SHA256 string `json:"sha256,omitempty"`
	// Size is the zip's size in bytes; 0 for a HostOnly build.
	Size int64 `json:"size,omitempty"`
	// HostSHA256 is base64(sha256(host binary)): the identity of what the local cloud stores and runs.
	// The host binary is reproducible (-trimpath, no VCS stamp), so the same sources give the same hash.
	HostSHA256 string `json:"host_sha256"`
	// HostSize is the host binary's size in bytes.
	HostSize int64 `json:"host_size"`
	// Routes is the route table printed by the function with CWS_ROUTES=1, or the catch-all table.
	Routes []coworks.Route `json:"routes"`
	// CatchAll reports that the function did not print a route table and Routes is coworks.CatchAllRoutes().
	CatchAll bool `json:"catch_all"`
	// CatchAllReason says why, for a user: what the function did under CWS_ROUTES=1 ("" unless CatchAll).
	CatchAllReason string `json:"catch_all_reason,omitempty"`
	// Architecture is the Lambda architecture, "arm64" or "x86_64"; empty for a HostOnly build.
	Architecture string `json:"architecture,omitempty"`
	// Key is the cache key: a hash of every input that affects the output.
	Key string `json:"key"`
	// Cached reports that nothing was built: the artifact came from the cache.
	Cached bool `json:"-"`
	// Duration is how long this call took (key computation only, for a cached artifact).
	Duration time.Duration `json:"-"`
}

// Build returns the artifact for req, building it unless the cache already holds one for the same inputs.
// A failed build returns an error (a *CommandError when a go command failed, with the compiler's output)
// and leaves the cache as it was.
func Build(ctx context.Context, req Request) (*Artifact, error) {
	start := time.Now()
	req, err := normalize(req)
	if err != nil {
		return nil, err
	}
	var lambdaTarget *target // nil for a HostOnly build
	if !req.HostOnly {
		lt, err := lambdaTargetFor(req.Architecture)
		if err != nil {
			return nil, err
		}
		lambdaTarget = &lt
	}
	proj, err := findProject(req.Dir)
	if err != nil {
		return nil, err
	}
	gc := &goCommand{path: req.Go, env: req.Env, dir: proj.moduleRoot}
	ht := hostTarget()
	targets := []target{ht}
	what := fmt.Sprintf("%s/%s", ht.goos, ht.goarch)
	if lambdaTarget != nil {
		targets = []target{*lambdaTarget, ht}
		what = fmt.Sprintf("linux/%s and %s", lambdaTarget.goarch, what)
	}
	key, err := computeKey(ctx, gc, proj, req, targets)
	if err != nil {
		return nil, err
	}
	keyTime := time.Since(start)
	entries := cacheArea{dir: filepath.Join(req.CacheDir, req.kind())}
	entries.removeStale()
	if a, ok := entries.load(key); ok {
		a.Cached, a.Duration = true, time.Since(start)
		_, _, sum := a.named()
		fmt.Fprintf(req.Progress, "Up to date: %s (%s, %s)\n", proj.pkg, req.kind(), sum)
		printCatchAll(req.Progress, a)
		return a, nil
	}

	fmt.Fprintf(req.Progress, "Building %s for %s\n", proj.pkg, what)
	tmp, release, err := entries.begin(key)
	if err != nil {
		return nil, err
	}
	defer release()
	defer os.RemoveAll(tmp) // a no-op once installed
	a, phases, err := buildInto(ctx, gc, proj, req, lambdaTarget, tmp)
	if err != nil {
		return nil, err
	}
	a.Key = key
	a, err = entries.install(tmp, a)
	if err != nil {
		return nil, err
	}
	entries.prune(req.Keep, key)
	a.Duration = time.Since(start)
	path, size, sum := a.named()
	fmt.Fprintf(req.Progress, "Built %s (%s, %d bytes, %s) in %s (key %s, %s)\n", path, req.kind(), size, sum,
		a.Duration.Round(time.Millisecond), keyTime.Round(time.Millisecond), phases)
	return a, nil
}

// kind names what req builds, in progress lines and the cache layout: the Lambda architecture, or "host".
func (req Request) kind() string {
	if req.HostOnly {
		return "host"
	}
	return req.Architecture
}

// named returns the file that names the artifact in progress lines, its size and hash: the zip, or the
// host binary of a HostOnly build.
func (a *Artifact) named() (path string, size int64, sum string) {
	if a.ZipPath != "" {
		return a.ZipPath, a.Size, a.SHA256
	}
	return a.HostBinary, a.HostSize, a.HostSHA256
}

// buildInto compiles the host binary, and the Lambda one for lt unless lt is nil, into dir, zips the Lambda
// one and reads the route table. phases says where the time went, for the progress line.
func buildInto(ctx context.Context, gc *goCommand, proj project, req Request, lt *target, dir string) (a *Artifact, phases string, err error) {
	ht := hostTarget()
	t0 := time.Now()
	bootstrap := filepath.Join(dir, "bootstrap")
	host := filepath.Join(dir, "host", "bootstrap")
	if err := os.MkdirAll(filepath.Dir(host), 0o755); err != nil {
		return nil, "", fmt.Errorf("build: %w", err)
	}
	switch {
	case lt == nil:
		if err := gc.build(ctx, ht, proj.pkg, host); err != nil {
			return nil, "", err
		}
	case ht.goos == lt.goos && ht.goarch == lt.goarch:
		// The Lambda binary runs on this host: one compile serves both, stripped symbols do not matter locally.
		if err := gc.build(ctx, *lt, proj.pkg, bootstrap); err != nil {
			return nil, "", err
		}
		if err := os.Link(bootstrap, host); err != nil {
			return nil, "", fmt.Errorf("build: %w", err)
		}
	default:
		// Two processes: linking is mostly single-threaded, so they overlap well. The Lambda build's error
		// wins when both fail, so the message is the same from run to run.
		hostErr := make(chan error, 1)
		go func() { hostErr <- gc.build(ctx, ht, proj.pkg, host) }()
		lambdaErr := gc.build(ctx, *lt, proj.pkg, bootstrap)
		if err := <-hostErr; lambdaErr == nil && err != nil {
			return nil, "", err
		}
		if lambdaErr != nil {
			return nil, "", lambdaErr
		}
	}
	t1 := time.Now()
	a = &Artifact{}
	if lt != nil {
		a.Architecture = req.Architecture
		if a.SHA256, a.Size, err = writeZip(filepath.Join(dir, zipName), bootstrap); err != nil {
			return nil, "", err
		}
		if err := os.Remove(bootstrap); err != nil {
			return nil, "", fmt.Errorf("build: %w", err)
		}
	}
	if a.HostSHA256, a.HostSize, err = fileSHA256(host); err != nil {
		return nil, "", err
	}
	t2 := time.Now()
	var why string
	if a.Routes, why, err = readRoutes(ctx, host, proj, req.Env, req.RoutesTimeout); err != nil {
		return nil, "", err
	}
	a.CatchAll, a.CatchAllReason = why != "", why
	printCatchAll(req.Progress, a)
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	phases = fmt.Sprintf("go build %s, ", r(t1.Sub(t0)))
	if lt != nil {
		phases += fmt.Sprintf("zip %s, ", r(t2.Sub(t1)))
	}
	return a, phases + fmt.Sprintf("routes %s", r(time.Since(t2))), nil
}

// printCatchAll says, in one line, why a function gets the catch-all routes; nothing when it listed them.
func printCatchAll(w io.Writer, a *Artifact) {
	if a.CatchAll {
		fmt.Fprintf(w, "Routes: the function does not list its routes: %s; every method and path goes to it\n", a.CatchAllReason)
	}
}

// normalize fills the defaults and makes the paths absolute.
func normalize(req Request) (Request, error) {
	if req.Dir == "" {
		req.Dir = "."
	}
	dir, err := filepath.Abs(req.Dir)
	if err != nil {
		return req, fmt.Errorf("build: project directory %q: %w", req.Dir, err)
	}
	req.Dir = dir
	if req.Architecture == "" && !req.HostOnly {
		req.Architecture = Arm64
	}
	if req.CacheDir == "" {
		req.CacheDir = filepath.Join(req.Dir, ".chalice", "build")
	}
	if req.CacheDir, err = filepath.Abs(req.CacheDir); err != nil {
		return req, fmt.Errorf("build: cache directory: %w", err)
	}
	if req.Progress == nil {
		req.Progress = io.Discard
	}
	if req.Env == nil {
		req.Env = os.Environ()
	}
	if req.Go == "" {
		req.Go = "go"
	}
	if req.Keep <= 0 {
		req.Keep = DefaultKeep
	}
	if req.RoutesTimeout <= 0 {
		req.RoutesTimeout = DefaultRoutesTimeout
	}
	return req, nil
}

// fileSHA256 returns base64(sha256(contents)) of the file at path, and its size.
func fileSHA256(path string) (string, int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", 0, fmt.Errorf("build: %w", err)
	}
	return contentSHA256(data), int64(len(data)), nil
}
