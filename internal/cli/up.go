package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/localcloud"
	"github.com/spf13/cobra"
)

// upOptions are the flags of cws up.
type upOptions struct {
	serveOptions
	separateAPIs bool
}

func newUpCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &upOptions{}
	cmd := &cobra.Command{
		Use:   "up [STAGE...]",
		Short: "Deploy stages to the local cloud on one shared REST API, then serve them all (cws deploy + cws gateway)",
		Long: "cws up deploys the named stages (default: every stage of .chalice/config.json, in file order) to the\n" +
			"local cloud, as cws deploy does: the first stage creates or keeps its REST API and the others join it,\n" +
			"as `cws deploy --stage B --rest-api-id A` does (--separate-apis gives each stage its own). Then it serves\n" +
			"every locally deployed stage, as cws gateway does, and prints each stage's URL and a curl line.\n" +
			"Ctrl-C stops the gateway; the stages stay deployed (cws gateway serves them again).",
		Example: "  cws up\n  cws up dev master\n  cws up --separate-apis --port 0",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUp(cmd.Context(), env, g, o, args, cmd.Flags().Changed("port"))
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.separateAPIs, "separate-apis", false, "give each stage its own REST API instead of sharing the first stage's")
	f.StringVar(&o.host, "host", "127.0.0.1", "address the gateway listens on")
	f.IntVar(&o.port, "port", 0, "port the gateway listens on (default: the local cloud's port, local_gateway_port, 8000; 0 with --port picks a free one)")
	return cmd
}

func runUp(ctx context.Context, env *Env, g *globalOptions, o *upOptions, args []string, portSet bool) error {
	dir, p, err := loadValidProject(env, g)
	if err != nil {
		return err
	}
	stages, err := upStages(dir, p, args, o.separateAPIs)
	if err != nil {
		return err
	}
	// Listen before building: a taken port should not cost a build.
	port := o.port
	if !portSet {
		if port, err = cloudPort(dir, stages[0]); err != nil {
			return err
		}
	}
	ln, err := listen(o.host, port)
	if err != nil {
		return withTry(err, fmt.Sprintf("stop what serves port %d (another cws gateway or cws up?), or cws up --port 0 to pick a free port", port))
	}
	defer ln.Close()

	env, done := liveProgress(env, false) // the deploys; the gateway's output is plain
	defer done()
	sharedID := ""
	for i, s := range stages {
		how := ""
		if sharedID != "" {
			how = fmt.Sprintf(", sharing REST API %s with %s", sharedID, stages[0].StageName)
		}
		fmt.Fprintf(env.Err, "Deploying stage %s to the local cloud (%d/%d)%s\n", s.StageName, i+1, len(stages), how)
		report, err := deployStage(ctx, env, stageDeploy{
			dir: dir, project: p, stage: s, target: localcloud.TargetName, restAPIID: sharedID, wait: defaultLockWait,
		})
		if err != nil {
			return err
		}
		printDeployReport(env.Out, report)
		if i == 0 && !o.separateAPIs {
			sharedID = report.RestAPIID
		}
	}
	done()
	err = serveLocalCloud(ctx, env, dir, ln, func(st *localcloud.State, addr net.Addr) {
		printCurlLines(env.Out, st, addr, stages)
	})
	if err == nil {
		fmt.Fprintln(env.Err, "Gateway stopped. The stages stay deployed: cws gateway serves them again, cws delete --stage NAME removes one.")
	}
	return err
}

// upStages resolves the stages cws up deploys: args (each must be a stage of the config), else every
// stage of the config in file order, else Chalice's default stage dev. Stages sharing one REST API need
// distinct API Gateway stage names; that is checked before anything is built.
func upStages(dir string, p *config.Project, args []string, separate bool) ([]*config.Stage, error) {
	names := p.StageNames()
	if len(args) > 0 {
		names = names[:0:0]
		for _, a := range args {
			name, err := stageName(dir, p, a)
			if err != nil {
				return nil, err
			}
			if !p.HasStage(name) {
				return nil, withTry(fmt.Errorf("stage %q is not in %s", name, config.RelPath), "cws stage add "+name+"   (or cws stage list)")
			}
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	if len(names) == 0 {
		names = []string{"dev"}
	}
	stages := make([]*config.Stage, 0, len(names))
	byAPIStage := map[string]string{}
	for _, name := range names {
		s, err := p.Resolve(name, config.APIHandler, config.Overrides{})
		if err != nil {
			return nil, err
		}
		if other, taken := byAPIStage[s.APIGatewayStage]; taken && !separate {
			return nil, withTry(fmt.Errorf("stages %s and %s both use API Gateway stage %q, so they cannot share one REST API", other, name, s.APIGatewayStage),
				"set stages."+name+".api_gateway_stage in "+config.RelPath+", or: cws up --separate-apis")
		}
		byAPIStage[s.APIGatewayStage] = name
		stages = append(stages, s)
	}
	return stages, nil
}

// cloudPort is the port the gateway listens on by default: the local cloud's, or local_gateway_port when
// the local cloud does not exist yet (its first deploy records that port).
func cloudPort(dir string, first *config.Stage) (int, error) {
	st, err := localcloud.Load(dir)
	if err != nil {
		return 0, err
	}
	if st.Version == 0 && len(st.RestAPIs) == 0 && first.LocalGatewayPort != 0 {
		return first.LocalGatewayPort, nil
	}
	return st.Port, nil
}

// printCurlLines prints a ready-to-paste curl line for each stage cws up deployed, with the port
// actually listened on.
func printCurlLines(w io.Writer, st *localcloud.State, addr net.Addr, stages []*config.Stage) {
	shown := *st
	if p := portOf(addr.String()); p != 0 {
		shown.Port = p
	}
	var lines []string
	for _, s := range stages {
		if api, as := st.FindStage(s.StageName); api != nil {
			lines = append(lines, "  curl "+shown.StageURL(api.ID, as.Name))
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "Try it:\n%s\nCtrl-C stops the gateway; the stages stay deployed.\n", strings.Join(lines, "\n"))
}
