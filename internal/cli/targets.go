package cli

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/coworks-go/coworks/internal/build"
	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/localcloud"
	"github.com/coworks-go/coworks/internal/target"
	"github.com/coworks-go/coworks/internal/terraform"
)

// targetNames are the deploy targets cws knows, as config's deploy_target and --target spell them.
var targetNames = []string{"local", "terraform"}

// targetOptions is what a deploy target may need to act on one stage of a project.
type targetOptions struct {
	// Name is the target's name: "local" or "terraform".
	Name string
	// ProjectDir is the project's absolute directory.
	ProjectDir string
	// AppName is the config's app_name.
	AppName string
	// Stage is the resolved stage (api_handler scope): port of the local cloud, region, Terraform backend...
	Stage *config.Stage
	// Env gives the streams (progress, logs) and the clock.
	Env *Env
	// Port, when not 0, is the port the local cloud must use (local_gateway_port, or where cws up serves).
	Port int
}

// newTarget returns the deploy target named o.Name. An unknown name is an error with the known ones.
func newTarget(o targetOptions) (target.Target, error) {
	switch o.Name {
	case localcloud.TargetName:
		return localcloud.New(o.ProjectDir, localcloud.Options{
			Now:    o.Env.Now,
			Port:   o.Port,
			Logger: targetLogger(o.Env),
		}), nil
	case terraform.TargetName:
		return terraform.NewTarget(terraform.TargetOptions{
			ProjectDir:   o.ProjectDir,
			Getenv:       o.Env.Getenv,
			Progress:     o.Env.Err,
			Now:          o.Env.Now,
			FindArtifact: func(sha string) (target.Artifact, bool) { return cachedArtifact(o.ProjectDir, sha) },
		}), nil
	}
	return nil, withTry(fmt.Errorf("unknown deploy target %q: use %s", o.Name, strings.Join(targetNames, " or ")), "cws deployed   (shows each stage's target)")
}

// checkTargetSettings refuses, before anything is built or changed, a stage whose settings give the target
// named name nowhere to deploy (terraform: no AWS region).
func checkTargetSettings(env *Env, name string, s *config.Stage) error {
	if name == terraform.TargetName {
		_, err := terraform.Region(s, env.Getenv)
		return err
	}
	return nil
}

// runsHostBinaryOnly reports whether the target named name runs a function's host binary alone (the local
// cloud), so that deploying there builds no Lambda zip.
func runsHostBinaryOnly(name string) bool { return name == localcloud.TargetName }

// knownTarget reports whether name is a deploy target cws knows.
func knownTarget(name string) bool { return slices.Contains(targetNames, name) }

// targetLogger writes the target's logs to stderr: warnings and above, debug with CWS_DEBUG set.
func targetLogger(env *Env) *slog.Logger {
	level := slog.LevelWarn
	if env.Getenv("CWS_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(env.Err, &slog.HandlerOptions{Level: level}))
}

// cachedArtifact finds in the project's build cache the zip with hash sha, as a target deploys it.
func cachedArtifact(dir, sha string) (target.Artifact, bool) {
	a, ok := build.Cached(dir, "", sha)
	if !ok {
		return target.Artifact{}, false
	}
	return target.Artifact{ZipPath: a.ZipPath, BinaryPath: a.HostBinary, SHA256: a.SHA256, BinarySHA256: a.HostSHA256, Routes: a.Routes}, true
}
