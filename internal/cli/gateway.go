package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/coworks-go/coworks/internal/gateway"
	"github.com/coworks-go/coworks/internal/localcloud"
	"github.com/coworks-go/coworks/internal/runtimeapi"
	"github.com/spf13/cobra"
)

// statePoll is how often cws gateway checks the local cloud's state for deploys and deletes.
const statePoll = 200 * time.Millisecond

func newGatewayCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "gateway",
		Short: "Serve every locally deployed stage of the project, reloading on deploy and delete",
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
	o.addFlags(cmd.Flags())
	return cmd
}

func runGateway(ctx context.Context, env *Env, g *globalOptions, o *serveOptions, portSet bool) error {
	gopts, err := o.gatewayOptions("gateway", env.Out, env.Err)
	if err != nil {
		return err
	}
	dir, err := projectDir(env, g)
	if err != nil {
		return err
	}
	st, err := localcloud.Load(dir)
	if err != nil {
		return err
	}
	port := st.Port
	if portSet {
		port = o.port
	}
	ln, err := listen(o.host, port)
	if err != nil {
		return err
	}
	return serveLocalCloud(ctx, env, dir, ln, gopts, nil)
}

// serveLocalCloud serves the local cloud of the project in dir on ln with gopts until ctx ends, applying
// deploys and deletes as they happen, then stops every function process (ln is closed). It prints the stages' URLs
// with the port actually listened on, then calls intro, when not nil, with the state it starts from.
func serveLocalCloud(ctx context.Context, env *Env, dir string, ln net.Listener, gopts gateway.Options, intro func(*localcloud.State, net.Addr)) error {
	defer ln.Close()
	// The stamp is taken before the read: a deploy in between is seen as a change, not missed.
	stamp, err := localcloud.StatStamp(dir)
	if err != nil {
		return fmt.Errorf("read the local cloud state: %w", err)
	}
	st, err := localcloud.Load(dir)
	if err != nil {
		return err
	}
	gw, err := gateway.New(localAPIs(dir, st), gopts)
	if err != nil {
		return fmt.Errorf("local cloud state: %w", err)
	}
	defer closeGateway(gw, env.Err)
	fmt.Fprintf(env.Out, "Serving the local cloud of %s on http://%s/\n", dir, ln.Addr())
	printStages(env.Out, st, ln.Addr())
	if intro != nil {
		intro(st, ln.Addr())
	}
	go watchState(ctx, env, dir, stamp, gw, ln.Addr())
	return serveUntilDone(ctx, ln, gw)
}

// watchState applies deploys and deletes: it polls the state's stamp and updates the gateway on change.
func watchState(ctx context.Context, env *Env, dir string, stamp localcloud.Stamp, gw *gateway.Gateway, addr net.Addr) {
	tick := time.NewTicker(statePoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		next, err := localcloud.StatStamp(dir)
		if err != nil || next.Equal(stamp) {
			continue
		}
		stamp = next
		st, err := localcloud.Load(dir)
		if err == nil {
			err = gw.Update(localAPIs(dir, st))
		}
		if err != nil {
			fmt.Fprintf(env.Err, "Error: reloading the local cloud: %v\nThe previous stages keep serving.\n", err)
			continue
		}
		fmt.Fprintln(env.Out, "Local cloud changed:")
		printStages(env.Out, st, addr)
	}
}

// printStages lists every served stage with its URL, using the port actually listened on.
func printStages(w io.Writer, st *localcloud.State, addr net.Addr) {
	shown := *st
	if p := portOf(addr.String()); p != 0 {
		shown.Port = p
	}
	n := 0
	for _, api := range st.RestAPIs {
		for _, s := range api.Stages {
			fmt.Fprintf(w, "  %s: %s\n", s.ChaliceStage, shown.StageURL(api.ID, s.Name))
			n++
		}
	}
	if n == 0 {
		fmt.Fprintln(w, "  no stage is deployed locally yet (cws deploy puts one here, no restart needed)")
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
// binary, its deploy-time settings and the stage variable cws_stage.
func localAPIs(dir string, st *localcloud.State) []gateway.API {
	apis := make([]gateway.API, 0, len(st.RestAPIs))
	for _, api := range st.RestAPIs {
		ga := gateway.API{ID: api.ID, BinaryMediaTypes: slices.Clone(api.BinaryMediaTypes),
			EndpointType: api.EndpointType, MinimumCompressionSize: api.MinimumCompressionSize}
		for i := range api.Stages {
			s := &api.Stages[i]
			gs := gatewayStage(s.Name, s.ChaliceStage, s.ArtifactSHA256, s.Routes, runtimeapi.FunctionConfig{
				Name:       s.FunctionName,
				Stage:      s.ChaliceStage,
				Executable: s.BinaryPath(dir),
				Env:        s.Settings.Environment,
				MemoryMB:   s.Settings.MemorySize,
				Timeout:    time.Duration(s.Settings.Timeout) * time.Second,
				Region:     s.Settings.Region,
				AccountID:  localcloud.Account,
			}, s.Settings.ReservedConcurrency)
			ga.Stages = append(ga.Stages, gs)
		}
		apis = append(apis, ga)
	}
	return apis
}
