package cli

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/gateway/console"
	"github.com/coworks-go/coworks/internal/localcloud"
	"github.com/coworks-go/coworks/internal/logs"
	"github.com/spf13/cobra"
)

// consoleFlags are the console flags of the commands that serve the local cloud (cws gateway, cws up).
type consoleFlags struct {
	off  bool
	host string
	port int
}

// addConsoleFlags registers the console flags on cmd.
func addConsoleFlags(cmd *cobra.Command, o *consoleFlags) {
	f := cmd.Flags()
	f.BoolVar(&o.off, "no-console", false, "do not serve the web console")
	f.StringVar(&o.host, "console-host", "127.0.0.1", "address the console listens on (loopback unless you mean it: it can send requests and read logs)")
	f.IntVar(&o.port, "console-port", 0, "port the console listens on (0 picks a free one; cws console prints it)")
}

// startConsole serves the console of the project in dir on its own listener, next to the gateway at
// gatewayURL (whose log store is store), until ctx ends. It returns the console (whose Observe feeds the live request log) and its URL.
func startConsole(ctx context.Context, env *Env, dir, appName, gatewayURL string, store *logs.Store, o consoleFlags) (*console.Console, string, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(o.host, strconv.Itoa(o.port)))
	if err != nil {
		return nil, "", withTry(fmt.Errorf("the console cannot listen on %s:%d: %w", o.host, o.port, err),
			"pass --console-port with a free port (0 picks one), or --no-console")
	}
	c := console.New(console.Options{
		Project:     &consoleProject{env: env, dir: dir, app: appName, gatewayURL: gatewayURL, store: store},
		GatewayURL:  gatewayURL,
		AllowRemote: !isLoopbackAddr(o.host),
	})
	srv := &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close() // the event streams never end by themselves: no graceful wait
	}()
	return c, "http://" + ln.Addr().String() + "/", nil
}

func isLoopbackAddr(host string) bool {
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// consoleProject is what the console shows of a project, read afresh on every call: the config, the
// deployment records and the local cloud's state.
type consoleProject struct {
	env        *Env
	dir, app   string
	gatewayURL string
	// store is the gateway's log store.
	store *logs.Store
}

var _ console.Project = (*consoleProject)(nil)

func (cp *consoleProject) Name() string { return cp.app }

func (cp *consoleProject) Stages(ctx context.Context) ([]console.Stage, error) {
	p, err := config.Load(cp.dir)
	if err != nil {
		return nil, err
	}
	records, err := readDeployedStages(cp.env, cp.dir, p.AppName())
	if err != nil {
		return nil, err
	}
	st, err := localcloud.Load(cp.dir)
	if err != nil {
		return nil, err
	}
	shown := *st
	if port := portOf(strings.TrimPrefix(cp.gatewayURL, "http://")); port != 0 {
		shown.Port = port
	}
	byName := map[string]*console.Stage{}
	for _, name := range p.StageNames() {
		byName[name] = &console.Stage{Name: name}
	}
	for _, r := range records {
		if byName[r.Stage] == nil {
			byName[r.Stage] = &console.Stage{Name: r.Stage}
		}
		s := byName[r.Stage]
		if !r.Deployed {
			continue
		}
		s.Deployed, s.Target, s.URL, s.RestAPIID, s.Artifact, s.DeployedAt = true, r.Target, r.RestAPIURL, r.RestAPIID, r.ArtifactSHA256, r.DeployedAt
		s.Function = r.LambdaARN[strings.LastIndex(r.LambdaARN, ":")+1:]
	}
	out := make([]console.Stage, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		s := byName[name]
		rs, err := p.Resolve(name, config.APIHandler, config.Overrides{})
		if err == nil {
			s.Protected = rs.Protected
		}
		if api, as := st.FindStage(name); api != nil && (s.Target == "" || s.Target == localcloud.TargetName) {
			s.Served, s.URL, s.RestAPIID, s.APIStage = true, shown.StageURL(api.ID, as.Name), api.ID, as.Name
			for _, r := range as.Routes {
				s.Routes = append(s.Routes, console.Route{Method: r.Method, Path: r.Path, Authorized: r.Authorized})
			}
			s.Environment = maskedEnv(as.Settings.Environment)
			s.Settings = []console.Setting{
				{Name: "Memory", Value: strconv.Itoa(as.Settings.MemorySize) + " MB"},
				{Name: "Timeout", Value: strconv.Itoa(as.Settings.Timeout) + " s"},
				{Name: "Region", Value: as.Settings.Region},
				{Name: "Architecture", Value: as.Settings.Architecture},
			}
		} else if p.HasStage(name) && err == nil {
			s.Environment = maskedEnv(rs.EnvironmentVariables)
			s.APIStage = rs.APIGatewayStage
			s.Settings = []console.Setting{
				{Name: "Memory", Value: strconv.Itoa(rs.LambdaMemorySize) + " MB"},
				{Name: "Timeout", Value: strconv.Itoa(rs.LambdaTimeout) + " s"},
			}
		}
		out = append(out, *s)
	}
	return out, nil
}

// History is the stage's history as its target keeps it (cws history). A stage neither declared nor recorded
// has none.
func (cp *consoleProject) History(ctx context.Context, stage string) (*console.History, error) {
	p, err := config.Load(cp.dir)
	if err != nil {
		return nil, err
	}
	s, err := p.Resolve(stage, config.APIHandler, config.Overrides{})
	if err != nil {
		return nil, err
	}
	report, err := readHistory(ctx, cp.env, cp.dir, p.AppName(), s, nil)
	if err != nil {
		return nil, err
	}
	out := &console.History{Stage: stage, Target: report.Target, Entries: []console.HistoryEntry{}}
	for _, e := range report.Entries {
		commit := shortCommit(e.Entry)
		if commit == "-" {
			commit = ""
		}
		out.Entries = append(out.Entries, console.HistoryEntry{N: e.N, At: e.At, Action: string(e.Action), Result: e.Result,
			Artifact: e.ArtifactSHA256, Commit: commit, Actor: e.Actor, Note: entryNote(e), Current: e.Current})
	}
	return out, nil
}

// maskedEnv lists a stage's variables by name, every value masked: the console never holds a value.
func maskedEnv(vars map[string]string) []console.Variable {
	out := make([]console.Variable, 0, len(vars))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		out = append(out, console.Variable{Name: k, Value: console.Masked})
	}
	return out
}

func (cp *consoleProject) Diff(ctx context.Context, a, b string) (*console.Diff, error) {
	p, err := config.Load(cp.dir)
	if err != nil {
		return nil, err
	}
	var stages [2]*config.Stage
	for i, name := range []string{a, b} {
		if !p.HasStage(name) {
			return nil, fmt.Errorf("stage %q is not in %s", name, config.RelPath)
		}
		if stages[i], err = p.Resolve(name, "", config.Overrides{}); err != nil {
			return nil, err
		}
	}
	settings, vars := diffStages(stages[0], stages[1], false)
	d := &console.Diff{A: a, B: b, Rows: []console.DiffRow{}}
	for _, s := range settings {
		d.Rows = append(d.Rows, console.DiffRow{Key: s.Key, A: valueText(s.A), B: valueText(s.B)})
	}
	for _, v := range vars {
		d.Rows = append(d.Rows, console.DiffRow{Key: "environment_variables." + v.Key, A: valueText(v.A), B: valueText(v.B)})
	}
	// Secrets as cws stage diff compares them: by fingerprint, never a value. A store that cannot be read
	// (no AWS credentials) is said on the gateway's stderr, and its secrets are left out.
	for _, sec := range secretDifferences(ctx, cp.env, cp.dir, stages) {
		d.Rows = append(d.Rows, console.DiffRow{Key: "secrets." + sec.Key, A: secretSide(sec.A), B: secretSide(sec.B)})
	}
	return d, nil
}

func (cp *consoleProject) Logs(ctx context.Context, stage string) (logs.Reader, error) {
	r, _, err := stageLogs(ctx, cp.env, cp.dir, cp.app, stage, cp.store)
	return r, err
}

// consoleOptions are the flags of cws console.
type consoleOptions struct {
	open bool
	json bool
}

func newConsoleCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &consoleOptions{}
	cmd := &cobra.Command{
		Use:         "console",
		Annotations: map[string]string{noStage: "the console shows every stage the gateway serves"},
		Short:       "Print (or open) the URL of the web console of the project's running gateway",
		Long: "cws gateway and cws up serve a web console on a loopback port of its own: every stage with its target,\n" +
			"URL, artifact and last deploy, its routes with a form to send a request, the live request log, each stage's\n" +
			"function log, and stage diffs. cws console prints its URL; --open opens it in the browser.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runConsole(cmd.Context(), env, g, o) },
	}
	cmd.Flags().BoolVar(&o.open, "open", false, "open the console in the web browser ($BROWSER, else xdg-open or open)")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON: console_url, gateway_url, pid")
	return cmd
}

func runConsole(ctx context.Context, env *Env, g *globalOptions, o *consoleOptions) error {
	dir, _, err := loadProject(env, g)
	if err != nil {
		return err
	}
	info, err := runningGateway(ctx, dir)
	if err != nil {
		return err
	}
	if info.ConsoleURL == "" {
		return withTry(fmt.Errorf("the gateway (pid %d, %s) runs without its console", info.PID, info.URL), "restart it without --no-console: cws gateway")
	}
	if o.json {
		return writeJSON(env.Out, map[string]any{"console_url": info.ConsoleURL, "gateway_url": info.URL, "pid": info.PID})
	}
	fmt.Fprintln(env.Out, info.ConsoleURL)
	if !o.open {
		return nil
	}
	opener := env.Getenv("BROWSER")
	if opener == "" {
		opener = "xdg-open"
		if runtime.GOOS == "darwin" {
			opener = "open"
		}
	}
	cmd := exec.CommandContext(ctx, opener, info.ConsoleURL)
	cmd.Stdout, cmd.Stderr = env.Err, env.Err
	if err := cmd.Start(); err != nil {
		return withTry(fmt.Errorf("cannot open a browser with %s: %w", opener, err), "open "+info.ConsoleURL+" yourself, or set BROWSER")
	}
	go cmd.Wait()
	return nil
}

// runningGateway returns the info of the project's gateway when it runs and answers.
func runningGateway(ctx context.Context, dir string) (*localcloud.GatewayInfo, error) {
	info, err := localcloud.LoadGatewayInfo(dir)
	if err != nil {
		return nil, err
	}
	if info == nil {
		return nil, withTry(fmt.Errorf("no gateway is running for %s", dir), "cws gateway   (or cws up), in another terminal")
	}
	if !answers(ctx, info.URL) {
		return nil, withTry(fmt.Errorf("the gateway recorded in %s (pid %d, %s) does not answer: it is not running any more",
			projectRel(dir, localcloud.GatewayInfoPath(dir)), info.PID, info.URL), "cws gateway   (or cws up), in another terminal")
	}
	return info, nil
}

// answers reports whether an HTTP server answers at url within a second.
func answers(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// recordGateway writes the running gateway's info for cws console and cws invoke; the returned function
// removes it.
func recordGateway(env *Env, dir, gatewayURL, consoleURL string) func() {
	pid := os.Getpid()
	info := &localcloud.GatewayInfo{PID: pid, URL: gatewayURL, ConsoleURL: consoleURL, StartedAt: env.Now().UTC()}
	if err := localcloud.SaveGatewayInfo(dir, info); err != nil {
		fmt.Fprintf(env.Err, "Note: cannot record the gateway for cws console and cws invoke: %v\n", err)
	}
	return func() { localcloud.RemoveGatewayInfo(dir, pid) }
}
