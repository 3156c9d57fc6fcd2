package cli

import (
	"context"
	"fmt"
	"net"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/localcloud"
)

// The local cloud has one port, and its stages' recorded URLs (cws url, cws deployed) use it:
// local_gateway_port when the config sets it, else the port it was last served or deployed on, else 8000.
// cws gateway and cws up serve on it; with --port they move the local cloud there first (the records are
// rewritten), so that the recorded URLs are the ones that answer. cws run serves a working tree, not the
// local cloud: it listens on the same port by default and never moves the cloud.

// pinnedPort returns local_gateway_port when the config sets it, else 0.
func pinnedPort(p *config.Project) int {
	s, err := p.Resolve(config.DefaultStage, config.APIHandler, config.Overrides{})
	if err != nil {
		return 0 // an invalid config pins nothing; validation reports it
	}
	if st, _ := s.Setting("local_gateway_port"); st.Source.Layer == config.LayerDefault {
		return 0
	}
	return s.LocalGatewayPort
}

// cloudPort returns the local cloud's port: local_gateway_port when set, else the recorded one (8000 for
// a project without a local cloud).
func cloudPort(dir string, p *config.Project) (int, error) {
	if port := pinnedPort(p); port != 0 {
		return port, nil
	}
	st, err := localcloud.Load(dir)
	if err != nil {
		return 0, err
	}
	return st.Port, nil
}

// servePort is the port cws gateway and cws up listen on: --port when given, else the local cloud's port.
// A --port that disagrees with local_gateway_port is refused: the next deploy would move the URLs back.
func servePort(dir string, p *config.Project, command string, flag int, flagSet bool) (int, error) {
	pinned := pinnedPort(p)
	if !flagSet {
		return cloudPort(dir, p)
	}
	if pinned != 0 && flag != pinned {
		return 0, withTry(fmt.Errorf("--port %d disagrees with local_gateway_port %d in %s: the stages' recorded URLs would not answer", flag, pinned, config.RelPath),
			fmt.Sprintf("%s   (port %d), or change local_gateway_port in %s", command, pinned, config.RelPath))
	}
	return flag, nil
}

// moveCloud moves the local cloud of dir to the port addr listens on, saying so when the stages' URLs
// change.
func moveCloud(ctx context.Context, env *Env, dir string, addr net.Addr) error {
	port := portOf(addr.String())
	cloud := localcloud.New(dir, localcloud.Options{Now: env.Now})
	changed, err := cloud.SetPort(ctx, port, env.Err)
	if err != nil {
		return err
	}
	if changed {
		fmt.Fprintf(env.Err, "The local cloud now uses port %d: its records in .chalice/deployed/ name it.\n", port)
	}
	return nil
}
