package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/localcloud"
	"github.com/coworks-go/coworks/internal/secretstore"
	"github.com/coworks-go/coworks/internal/terraform"
	"github.com/coworks-go/coworks/secrets"
)

// secretStoreOf returns where the secrets of stage s live on the named target ("" means the stage's
// deploy_target): the local store for the local cloud, SSM Parameter Store in the stage's region for
// terraform.
func secretStoreOf(ctx context.Context, env *Env, dir string, s *config.Stage, targetName string) (secretstore.Store, error) {
	if targetName == "" {
		targetName = s.DeployTarget
	}
	switch targetName {
	case localcloud.TargetName:
		return secretstore.NewLocal(dir, s.StageName, env.Now), nil
	case "terraform":
		region, err := terraform.Region(s, env.Getenv)
		if err != nil {
			return nil, err
		}
		return secretstore.NewSSM(ctx, s.AppName, s.StageName, region, env.Now)
	}
	return nil, withTry(fmt.Errorf("unknown deploy target %q: use %s", targetName, strings.Join(targetNames, " or ")), "--target local")
}

// localSecrets returns the secrets of stage in the project's local store, which the local cloud gives the
// stage's function as environment variables.
func localSecrets(dir, stage string) ([]secretstore.Secret, error) {
	return secretstore.NewLocal(dir, stage, nil).List(context.Background())
}

// localSecretSizes reads the local store of each stage of p (dev when it has none) for validation: the names
// and the size of each value.
func localSecretSizes(dir string, p *config.Project) (config.StageSecrets, error) {
	names := p.StageNames()
	if len(names) == 0 {
		names = []string{config.DefaultStage}
	}
	sizes := config.StageSecrets{}
	for _, name := range names {
		if !config.ValidStageName(name) {
			continue // reported by validation; no store can exist for it
		}
		list, err := localSecrets(dir, name)
		if err != nil {
			return nil, err
		}
		if len(list) > 0 {
			sizes[name] = map[string]int{}
		}
		for _, s := range list {
			sizes[name][s.Name] = len(s.Value)
		}
	}
	return sizes, nil
}

// stageEnvironment is the environment the local cloud gives the function of stage: its merged variables
// plus its local secrets. A CWS_SECRETS_PATH of the config (how a stage with its own IAM role turns the SSM
// loading on) is left out: locally the secrets come from the local store, and the function has no AWS
// credentials to read SSM with.
func stageEnvironment(dir, stage string, vars map[string]string) (map[string]string, error) {
	list, err := localSecrets(dir, stage)
	if err != nil {
		return nil, err
	}
	env := secretstore.Environment(vars, list)
	delete(env, secrets.PathVariable)
	return env, nil
}

// shownSecrets lists the secrets of stage s in its deploy target's store, values replaced by fingerprints.
// When the store cannot be read (no AWS credentials, say), it says so on stderr and reports false, so that
// the rest of a stage's description still prints.
func shownSecrets(ctx context.Context, env *Env, dir string, s *config.Stage) ([]secretJSON, bool) {
	store, err := secretStoreOf(ctx, env, dir, s, "")
	var list []secretJSON
	if err == nil {
		list, err = listSecrets(ctx, dir, store)
	}
	if err != nil {
		fmt.Fprintf(env.Err, "Note: the secrets of stage %s are not shown: %v\n", s.StageName, err)
		return nil, false
	}
	return list, true
}
