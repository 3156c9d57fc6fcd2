package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coworks-go/coworks/internal/build"
	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/gateway"
	"github.com/coworks-go/coworks/internal/localcloud"
	"github.com/coworks-go/coworks/internal/runtimeapi"
	"github.com/fsnotify/fsnotify"
	"github.com/spf13/cobra"
)

// serveOptions are the flags of the commands that serve HTTP (cws run, cws gateway).
type serveOptions struct {
	localCloudOptions
	host     string
	port     int
	noReload bool
	// console configures the web console of cws gateway and cws up.
	console consoleFlags
}

func newRunCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Build the stage for this machine and serve it locally, rebuilding on source changes",
		Long: "cws run builds the project, then serves one stage through the local API Gateway emulation, both at the\n" +
			"root (like `chalice local`) and under /{api_gateway_stage}/ (like the deployed API). Go sources,\n" +
			"go.mod, go.sum and .chalice/config.json are watched: a change rebuilds and swaps the function; a build\n" +
			"error is shown and the previous build keeps serving.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRun(cmd.Context(), env, g, o, cmd.Flags().Changed("port"))
		},
	}
	cmd.Flags().StringVar(&o.host, "host", "127.0.0.1", "address to listen on")
	cmd.Flags().IntVar(&o.port, "port", 0, "port to listen on (default: the local cloud's port, local_gateway_port, 8000; 0 with --port picks a free one)")
	cmd.Flags().BoolVar(&o.noReload, "no-reload", false, "do not watch the sources")
	o.addFlags(cmd.Flags())
	return cmd
}

// runSession is one cws run: the project, the stage, and the gateway serving it.
type runSession struct {
	env     *Env // its streams erase the live status line of the builds before writing
	status  *liveStatus
	g       *globalOptions
	dir     string
	project *config.Project
	gw      *gateway.Gateway
}

func runRun(ctx context.Context, env *Env, g *globalOptions, o *serveOptions, portSet bool) error {
	gopts, err := o.gatewayOptions("run", env.Out, env.Err)
	if err != nil {
		return err
	}
	status := newLiveStatus(env, false)
	env = status.wrap(env)
	rs := &runSession{env: env, status: status, g: g}
	apis, s, err := rs.load(ctx)
	if err != nil {
		return err
	}
	store := localLogStore(rs.dir, env)
	defer store.Close()
	gopts.StageLog = store.Writer
	gw, err := gateway.New(apis, gopts)
	if err != nil {
		return err
	}
	rs.gw = gw
	defer closeGateway(gw, env.Err)
	port := o.port
	if !portSet {
		if port, err = cloudPort(rs.dir, rs.project); err != nil {
			return err
		}
	}
	ln, err := listen(o.host, port)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(env.Out, "Serving stage %s of %s on %s/ (also %s/%s/)\n", s.StageName, s.AppName, base, base, s.APIGatewayStage)
	if st, err := localcloud.Load(rs.dir); err == nil && st.Port != portOf(ln.Addr().String()) {
		if api, as := st.FindStage(s.StageName); as != nil {
			fmt.Fprintf(env.Err, "Note: stage %s is deployed locally at %s (cws url), which cws gateway serves; this run serves your working tree on port %d.\n",
				s.StageName, st.StageURL(api.ID, as.Name), portOf(ln.Addr().String()))
		}
	}
	if !o.noReload {
		go rs.watch(ctx)
	}
	return serveUntilDone(ctx, ln, gw)
}

// load resolves the stage and builds it for this machine, returning what the gateway serves.
func (rs *runSession) load(ctx context.Context) ([]gateway.API, *config.Stage, error) {
	dir, p, s, err := resolveStage(rs.env, rs.g, "api_handler")
	if err != nil {
		return nil, nil, err
	}
	rs.dir, rs.project = dir, p
	vars, err := stageEnvironment(dir, s.StageName, s.EnvironmentVariables)
	if err != nil {
		return nil, nil, err
	}
	stop := rs.status.start()
	art, err := buildStage(ctx, dir, s, true, rs.env.Err)
	stop()
	if err != nil {
		return nil, nil, err
	}
	return []gateway.API{runAPI(dir, s, art, vars)}, s, nil
}

// runAPI is the API cws run serves: stage s with build art and environment vars (the stage's variables and
// local secrets), also at the root, with the binary media types a deploy gives the API. Its id is the local
// cloud's REST API of the stage when it is deployed there, so the stage's Host-header URL answers too.
func runAPI(dir string, s *config.Stage, art *build.Artifact, vars map[string]string) gateway.API {
	sum := sha256.Sum256([]byte(s.AppName + "/" + s.StageName))
	id := hex.EncodeToString(sum[:5])
	if st, err := localcloud.Load(dir); err == nil {
		if api, _ := st.FindStage(s.StageName); api != nil {
			id = api.ID
		}
	}
	var reserved *int
	if s.ReservedConcurrency.Set {
		reserved = &s.ReservedConcurrency.Value
	}
	st := gatewayStage(s.APIGatewayStage, s.StageName, art.Key, art.Routes, runtimeapi.FunctionConfig{
		Name:       s.FunctionName(),
		Stage:      s.StageName,
		Executable: art.HostBinary,
		Env:        vars,
		MemoryMB:   s.LambdaMemorySize,
		Timeout:    time.Duration(s.LambdaTimeout) * time.Second,
		Region:     s.AWSRegion,
	}, reserved)
	var compression *int
	if s.MinimumCompressionSize.Set {
		n := s.MinimumCompressionSize.Value
		compression = &n
	}
	return gateway.API{ID: id, Stages: []gateway.Stage{st}, RootStage: st.Name,
		BinaryMediaTypes: slices.Clone(binaryMediaTypes), EndpointType: s.APIGatewayEndpointType, MinimumCompressionSize: compression}
}

// watch rebuilds and swaps the function when the sources or the config change, until ctx ends.
func (rs *runSession) watch(ctx context.Context) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		fmt.Fprintf(rs.env.Err, "Error: cannot watch the sources: %v (restart cws run after changes)\n", err)
		return
	}
	defer w.Close()
	addTree(w, rs.dir)
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			created := false
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() && !skipDir(rs.dir, ev.Name) {
					addTree(w, ev.Name)
					// The first cws secret set creates the store's directory and its file at once: the
					// file's own event may come before the directory is watched.
					created = true
				}
			}
			if created || watched(rs.dir, ev.Name) {
				timer = time.After(100 * time.Millisecond) // debounce: editors write several times
			}
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			fmt.Fprintf(rs.env.Err, "watching the sources: %v\n", err)
		case <-timer:
			timer = nil
			rs.reload(ctx)
		}
	}
}

// reload rebuilds and swaps; on failure the previous build keeps serving.
func (rs *runSession) reload(ctx context.Context) {
	fmt.Fprintln(rs.env.Err, "Change detected: rebuilding")
	apis, s, err := rs.load(ctx)
	if err == nil {
		err = rs.gw.Update(apis)
	}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		reportError(rs.env.Err, err)
		fmt.Fprintln(rs.env.Err, "The previous build keeps serving.")
		return
	}
	fmt.Fprintf(rs.env.Out, "Reloaded stage %s of %s\n", s.StageName, s.AppName)
}

// addTree watches dir and its subdirectories, except those skipDir excludes.
func addTree(w *fsnotify.Watcher, dir string) {
	root := dir
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if path != root && skipDir(root, path) {
			return filepath.SkipDir
		}
		w.Add(path)
		return nil
	})
}

// skipDir excludes hidden directories (but .chalice and the local secret store), vendor, node_modules and
// testdata.
func skipDir(project, path string) bool {
	rel, err := filepath.Rel(project, path)
	if err != nil {
		return true
	}
	switch filepath.ToSlash(rel) {
	case ".chalice", ".chalice/local", ".chalice/local/secrets": // config.json, and the local secrets
		return false
	}
	base := filepath.Base(path)
	return strings.HasPrefix(base, ".") || base == "vendor" || base == "node_modules" || base == "testdata" ||
		strings.HasPrefix(filepath.ToSlash(rel), ".chalice/")
}

// watched reports whether a change to path calls for a rebuild: Go sources, go.mod, go.sum, the config, the
// local secrets (the build is then reused: only the function's environment changes).
func watched(project, path string) bool {
	rel, err := filepath.Rel(project, path)
	if err != nil {
		return false
	}
	rel = filepath.ToSlash(rel)
	base := filepath.Base(path)
	return rel == ".chalice/config.json" || base == "go.mod" || base == "go.sum" ||
		(strings.HasPrefix(rel, ".chalice/local/secrets/") && strings.HasSuffix(rel, ".json")) ||
		(strings.HasSuffix(base, ".go") && !strings.HasPrefix(base, ".") && !strings.HasPrefix(rel, ".chalice/"))
}

// listen opens the TCP listener; a taken port gets a hint.
func listen(host string, port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, withTry(fmt.Errorf("cannot listen on %s:%d: %w", host, port, err), "pass --port with a free port, or --port 0 to pick one")
	}
	return ln, nil
}

// serveUntilDone serves h on ln until ctx ends, then shuts the server down gracefully.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := gateway.NewServer(h, gateway.DefaultServerTimeouts)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving HTTP: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// closeGateway stops every function process.
func closeGateway(gw *gateway.Gateway, errw io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), runtimeapi.ShutdownGrace+3*time.Second)
	defer cancel()
	if err := gw.Close(ctx); err != nil {
		fmt.Fprintf(errw, "stopping functions: %v\n", err)
	}
}
