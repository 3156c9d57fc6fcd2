package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/gateway"
	"github.com/coworks-go/coworks/internal/localcloud"
	"github.com/coworks-go/coworks/internal/runtimeapi"
	"github.com/coworks-go/coworks/internal/secretstore"
	"github.com/spf13/cobra"
)

// statePoll is how often cws gateway checks the local cloud's state for deploys and deletes.
const statePoll = 200 * time.Millisecond

func newGatewayCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:         "gateway",
		Annotations: map[string]string{noStage: "it serves every locally deployed stage (cws up --stage S deploys and serves one)"},
		Short:       "Serve every locally deployed stage of the project, reloading on deploy and delete",
		Long: "cws gateway serves the local cloud (.chalice/local/): every stage deployed with the local target, each\n" +
			"with its own build, environment and settings, on its REST API. Deploys and deletes take effect within\n" +
			"a second, without a restart; stages that did not change stay warm.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGateway(cmd.Context(), env, g, o, cmd.Flags().Changed("port"))
		},
	}
	cmd.Flags().StringVar(&o.host, "host", "127.0.0.1", "address to listen on")
	cmd.Flags().IntVar(&o.port, "port", 0, "port to listen on (default: the local cloud's port, local_gateway_port, 8000)")
	addConsoleFlags(cmd, &o.console)
	o.addFlags(cmd.Flags())
	return cmd
}

func runGateway(ctx context.Context, env *Env, g *globalOptions, o *serveOptions, portSet bool) error {
	gopts, err := o.gatewayOptions("gateway", env.Out, env.Err)
	if err != nil {
		return err
	}
	dir, p, err := loadProject(env, g)
	if err != nil {
		return err
	}
	port, err := servePort(dir, p, "cws gateway", o.port, portSet)
	if err != nil {
		return err
	}
	ln, err := listen(o.host, port)
	if err != nil {
		return err
	}
	if err := moveCloud(ctx, env, dir, ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	return serveLocalCloud(ctx, env, dir, ln, gopts, o.console, nil)
}

// serveLocalCloud serves the local cloud of the project in dir on ln with gopts until ctx ends, applying
// deploys and deletes as they happen, then stops every function process (ln is closed). The functions' logs
// are kept in the local log store; the console, unless cf turns it off, is served on its own listener. It
// prints the stages' URLs (the recorded ones) and the console's URL, then calls intro, when not nil, with
// the state it starts from.
func serveLocalCloud(ctx context.Context, env *Env, dir string, ln net.Listener, gopts gateway.Options, cf consoleFlags, intro func(*localcloud.State)) error {
	defer ln.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the console
	gatewayURL := "http://" + ln.Addr().String()
	// The stamp is taken before the read: a deploy in between is seen as a change, not missed.
	stamp, err := takeStamp(dir)
	if err != nil {
		return fmt.Errorf("read the local cloud state: %w", err)
	}
	st, err := localcloud.Load(dir)
	if err != nil {
		return err
	}
	apis, err := localAPIs(dir, st)
	if err != nil {
		return err
	}
	store := localLogStore(dir, env)
	defer store.Close()
	opts := gopts
	opts.StageLog = store.Writer
	consoleURL := ""
	if !cf.off {
		app := ""
		if p, err := config.Load(dir); err == nil {
			app = p.AppName()
		}
		c, url, err := startConsole(ctx, env, dir, app, gatewayURL, store, cf)
		if err != nil {
			return err
		}
		opts.Observe, consoleURL = c.Observe, url
	}
	gw, err := gateway.New(apis, opts)
	if err != nil {
		return fmt.Errorf("local cloud state: %w", err)
	}
	defer closeGateway(gw, env.Err)
	defer recordGateway(env, dir, gatewayURL, consoleURL)()
	fmt.Fprintf(env.Out, "Serving the local cloud of %s on %s/\n", dir, gatewayURL)
	printStages(env.Out, st, ln.Addr())
	if consoleURL != "" {
		fmt.Fprintf(env.Out, "Console: %s\n", consoleURL)
	}
	if intro != nil {
		intro(st)
	}
	go watchState(ctx, env, dir, stamp, gw, ln.Addr())
	return serveUntilDone(ctx, ln, gw)
}

// cloudStamp identifies one version of what the gateway serves: the local cloud's state and the stages'
// local secrets.
type cloudStamp struct {
	state   localcloud.Stamp
	secrets string
}

func (s cloudStamp) equal(o cloudStamp) bool { return s.state.Equal(o.state) && s.secrets == o.secrets }

func takeStamp(dir string) (cloudStamp, error) {
	state, err := localcloud.StatStamp(dir)
	if err != nil {
		return cloudStamp{}, err
	}
	secrets, err := secretstore.Stamp(dir)
	return cloudStamp{state, secrets}, err
}

// watchState applies deploys, deletes and changed secrets: it polls the stamps and updates the gateway on
// change (a stage whose environment changed gets new execution environments; the others stay warm).
func watchState(ctx context.Context, env *Env, dir string, stamp cloudStamp, gw *gateway.Gateway, addr net.Addr) {
	tick := time.NewTicker(statePoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		next, err := takeStamp(dir)
		if err != nil || next.equal(stamp) {
			continue
		}
		stamp = next
		st, err := localcloud.Load(dir)
		var apis []gateway.API
		if err == nil {
			apis, err = localAPIs(dir, st)
		}
		if err == nil {
			err = gw.Update(apis)
		}
		if err != nil {
			fmt.Fprintf(env.Err, "Error: reloading the local cloud: %v\nThe previous stages keep serving.\n", err)
			continue
		}
		fmt.Fprintln(env.Out, "Local cloud changed:")
		printStages(env.Out, st, addr)
	}
}

// printStages lists every served stage with its recorded URL, and warns when the records name another
// port than the one listened on (a deploy moved the local cloud to a new local_gateway_port, or another
// cws gateway or cws up to its --port).
func printStages(w io.Writer, st *localcloud.State, addr net.Addr) {
	n := 0
	for _, api := range st.RestAPIs {
		for _, s := range api.Stages {
			fmt.Fprintf(w, "  %s: %s\n", s.ChaliceStage, st.StageURL(api.ID, s.Name))
			n++
		}
	}
	if n == 0 {
		fmt.Fprintln(w, "  no stage is deployed locally yet (cws deploy puts one here, no restart needed)")
	}
	if p := portOf(addr.String()); p != 0 && p != st.Port {
		fmt.Fprintf(w, "Warning: the local cloud's URLs now use port %d, but this gateway listens on %d: restart it (Ctrl-C, then cws gateway).\n", st.Port, p)
	}
}

// portOf returns the port of a "host:port" address, 0 if none.
func portOf(addr string) int {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(port)
	return p
}

// localAPIs turns the local cloud's state into what the gateway serves: each stage with its stored host
// binary, its deploy-time settings, its local secrets (read now: they are never in the state) and the stage
// variable cws_stage.
func localAPIs(dir string, st *localcloud.State) ([]gateway.API, error) {
	apis := make([]gateway.API, 0, len(st.RestAPIs))
	for _, api := range st.RestAPIs {
		ga := gateway.API{ID: api.ID, BinaryMediaTypes: slices.Clone(api.BinaryMediaTypes),
			EndpointType: api.EndpointType, MinimumCompressionSize: api.MinimumCompressionSize}
		for i := range api.Stages {
			s := &api.Stages[i]
			vars, err := stageEnvironment(dir, s.ChaliceStage, s.Settings.Environment)
			if err != nil {
				return nil, err
			}
			gs := gatewayStage(s.Name, s.ChaliceStage, s.ArtifactSHA256, s.Routes, runtimeapi.FunctionConfig{
				Name:       s.FunctionName,
				Stage:      s.ChaliceStage,
				Executable: s.BinaryPath(dir),
				Env:        vars,
				MemoryMB:   s.Settings.MemorySize,
				Timeout:    time.Duration(s.Settings.Timeout) * time.Second,
				Region:     s.Settings.Region,
				AccountID:  localcloud.Account,
			}, s.Settings.ReservedConcurrency)
			ga.Stages = append(ga.Stages, gs)
		}
		apis = append(apis, ga)
	}
	return apis, nil
}
