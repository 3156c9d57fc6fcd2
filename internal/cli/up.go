package cli

import (
	"context"
	"fmt"
	"io"
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
		Long: "cws up deploys the named stages (or the --stage one; by default every stage of .chalice/config.json,\n" +
			"in file order) to the local cloud, as cws deploy does: the first stage creates or keeps its REST API and\n" +
			"the others join it, as `cws deploy --stage B --rest-api-id A` does (--separate-apis gives each stage its\n" +
			"own). Then it serves every locally deployed stage, as cws gateway does, and prints each stage's URL and a\n" +
			"curl line. Ctrl-C stops the gateway; the stages stay deployed (cws gateway serves them again).",
		Example: "  cws up\n  cws up dev master\n  cws up --stage prod\n  cws up --separate-apis --port 0",
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("stage") {
				if len(args) > 0 {
					return withTry(fmt.Errorf("stages given both as arguments (%s) and with --stage %s", strings.Join(args, " "), g.stage),
						"cws up "+strings.Join(append(args, g.stage), " "))
				}
				args = []string{g.stage} // --stage S is cws up S
			}
			return runUp(cmd.Context(), env, g, o, args, cmd.Flags().Changed("port"))
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.separateAPIs, "separate-apis", false, "give each stage its own REST API instead of sharing the first stage's")
	f.StringVar(&o.host, "host", "127.0.0.1", "address the gateway listens on")
	f.IntVar(&o.port, "port", 0, "port the gateway listens on (default: the local cloud's port, local_gateway_port, 8000; 0 with --port picks a free one)")
	addConsoleFlags(cmd, &o.console)
	o.addFlags(f)
	return cmd
}

func runUp(ctx context.Context, env *Env, g *globalOptions, o *upOptions, args []string, portSet bool) error {
	gopts, err := o.gatewayOptions("up", env.Out, env.Err)
	if err != nil {
		return err
	}
	dir, p, err := loadValidProject(env, g)
	if err != nil {
		return err
	}
	stages, err := upStages(dir, p, args, o.separateAPIs)
	if err != nil {
		return err
	}
	// Listen before building: a taken port should not cost a build.
	port, err := servePort(dir, p, "cws up", o.port, portSet)
	if err != nil {
		return err
	}
	ln, err := listen(o.host, port)
	if err != nil {
		return withTry(err, fmt.Sprintf("stop what serves port %d (another cws gateway or cws up?), or cws up --port 0 to pick a free port", port))
	}
	defer ln.Close()
	if err := moveCloud(ctx, env, dir, ln.Addr()); err != nil {
		return err
	}

	env, done := liveProgress(env, false) // the deploys; the gateway's output is plain
	defer done()
	sharedID := ""
	for i, s := range stages {
		how := ""
		if sharedID != "" {
			how = fmt.Sprintf(", sharing REST API %s with %s", sharedID, stages[0].StageName)
		}
		fmt.Fprintf(env.Err, "Deploying stage %s to the local cloud (%d/%d)%s\n", s.StageName, i+1, len(stages), how)
		if err := confirmProtected(env, s, "", "deploy stage "+s.StageName, "cws deploy --stage "+s.StageName); err != nil {
			return err
		}
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
	err = serveLocalCloud(ctx, env, dir, ln, gopts, o.console, func(st *localcloud.State) {
		printCurlLines(env.Out, st, stages)
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
			name, err := stageName(dir, p, a, "cws up ")
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

// printCurlLines prints a ready-to-paste curl line for each stage cws up deployed: its recorded URL,
// which cws up made the one that answers.
func printCurlLines(w io.Writer, st *localcloud.State, stages []*config.Stage) {
	var lines []string
	for _, s := range stages {
		if api, as := st.FindStage(s.StageName); api != nil {
			lines = append(lines, "  curl "+st.StageURL(api.ID, as.Name))
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "Try it:\n%s\nCtrl-C stops the gateway; the stages stay deployed.\n", strings.Join(lines, "\n"))
}
