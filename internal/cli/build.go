package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/coworks-go/coworks"
	"github.com/coworks-go/coworks/internal/build"
	"github.com/coworks-go/coworks/internal/config"
	"github.com/spf13/cobra"
)

type buildOptions struct {
	json bool
}

func newBuildCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &buildOptions{}
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build the stage's Lambda deployment package (cached: an unchanged project is not rebuilt)",
		Long: "Build compiles the project for the stage's lambda_architecture into a deterministic Lambda zip, the\n" +
			"package a terraform deploy uploads, and prints the zip, its source_code_hash, size and routes (read from\n" +
			"a build for this machine). Deploys to the local cloud do not need it: they build for this machine alone.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd.Context(), env, g, o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

// buildReport is the JSON of `cws build`.
type buildReport struct {
	Stage          string          `json:"stage"`
	Architecture   string          `json:"architecture"`
	ZipPath        string          `json:"zip_path"`
	HostBinary     string          `json:"host_binary"`
	SourceCodeHash string          `json:"source_code_hash"`
	Size           int64           `json:"size"`
	Routes         []coworks.Route `json:"routes"`
	CatchAll       bool            `json:"catch_all"`
	CatchAllReason string          `json:"catch_all_reason,omitempty"`
	Cached         bool            `json:"cached"`
	Key            string          `json:"key"`
	DurationMS     int64           `json:"duration_ms"`
}

func runBuild(ctx context.Context, env *Env, g *globalOptions, o *buildOptions) error {
	env, done := liveProgress(env, o.json)
	defer done()
	dir, _, s, err := resolveStage(env, g, config.APIHandler)
	if err != nil {
		return err
	}
	a, err := buildStage(ctx, dir, s, false, env.Err)
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(env.Out, buildReport{
			Stage: s.StageName, Architecture: a.Architecture, ZipPath: a.ZipPath, HostBinary: a.HostBinary,
			SourceCodeHash: a.SHA256, Size: a.Size, Routes: a.Routes, CatchAll: a.CatchAll, CatchAllReason: a.CatchAllReason, Cached: a.Cached,
			Key: a.Key, DurationMS: a.Duration.Milliseconds(),
		})
	}
	cache := "built in " + a.Duration.Round(10*time.Millisecond).String()
	if a.Cached {
		cache = "hit (nothing built)"
	}
	w := env.Out
	fmt.Fprintf(w, "Artifact:         %s\n", projectRel(dir, a.ZipPath))
	fmt.Fprintf(w, "source_code_hash: %s\n", a.SHA256)
	fmt.Fprintf(w, "Size:             %d bytes (%s)\n", a.Size, humanSize(a.Size))
	fmt.Fprintf(w, "Architecture:     %s\n", a.Architecture)
	fmt.Fprintf(w, "Routes:           %s\n", routeSummary(a))
	fmt.Fprintf(w, "Cache:            %s\n", cache)
	return nil
}

// buildStage builds the project in dir for stage s: the Lambda zip for its architecture and the host
// binary, or with hostOnly the host binary alone (all the local cloud runs). Progress lines go to progress.
// A failed compilation comes back with the compiler's output, a function that cannot start with its panic
// and file:line, each with a Try line.
func buildStage(ctx context.Context, dir string, s *config.Stage, hostOnly bool, progress io.Writer) (*build.Artifact, error) {
	a, err := build.Build(ctx, build.Request{Dir: dir, Architecture: s.LambdaArchitecture, HostOnly: hostOnly, Progress: progress})
	var ce *build.CommandError
	var re *build.RoutesError
	if errors.As(err, &re) {
		try := "CWS_ROUTES=1 go run .   (a CoWorks service prints its routes and exits 0), fix what it reports, then run the command again"
		if re.Location != "" {
			try = "fix " + re.Location + ", then run the command again"
		}
		return nil, withTry(fmt.Errorf("build of stage %q: %w", s.StageName, err), try)
	}
	if errors.As(err, &ce) {
		return nil, withTry(fmt.Errorf("build of stage %q failed: %w", s.StageName, err), "go build ./...   (fix what it reports, then run cws again)")
	}
	if errors.Is(err, build.ErrNoModule) { // go build ./... would fail the same way
		return nil, withTry(fmt.Errorf("build of stage %q: %w", s.StageName, err), "go mod init "+s.AppName+" && go mod tidy")
	}
	if err != nil {
		return nil, withTry(fmt.Errorf("build of stage %q: %w", s.StageName, err), "go build ./...")
	}
	return a, nil
}

// routeSummary says how many routes the function has, or that it did not list them.
func routeSummary(a *build.Artifact) string {
	if a.CatchAll {
		return "catch-all (ANY / and ANY /{proxy+}): " + a.CatchAllReason
	}
	const shown = 5
	parts := make([]string, 0, shown+1)
	for i, r := range a.Routes {
		if i == shown {
			parts = append(parts, fmt.Sprintf("... %d more", len(a.Routes)-shown))
			break
		}
		parts = append(parts, r.Method+" "+r.Path)
	}
	return fmt.Sprintf("%d (%s)", len(a.Routes), strings.Join(parts, ", "))
}

// projectRel shows path relative to the project directory when it lies inside it.
func projectRel(dir, path string) string {
	rel, err := filepath.Rel(dir, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return path
	}
	return rel
}

// humanSize prints n bytes in KiB or MiB.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
