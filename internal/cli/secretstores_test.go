package cli

import (
	"context"
	"testing"

	"github.com/coworks-go/coworks/internal/secretstore"
)

// The local cloud gives a stage's function its variables and local secrets; a CWS_SECRETS_PATH from the
// config (a stage with its own IAM role turning SSM loading on) would make the function try SSM without
// credentials, so it is left out.
func TestLocalFunctionEnvironmentHasSecretsButNoSSMPath(t *testing.T) {
	dir := t.TempDir()
	if _, err := secretstore.NewLocal(dir, "dev", nil).Set(context.Background(), "DB_PASSWORD", "pw"); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"GREETING": "hi", "CWS_SECRETS_PATH": "/cws/app/dev/"}
	env, err := stageEnvironment(dir, "dev", vars)
	if err != nil {
		t.Fatal(err)
	}
	if len(env) != 2 || env["GREETING"] != "hi" || env["DB_PASSWORD"] != "pw" {
		t.Errorf("environment = %v, want GREETING and DB_PASSWORD only", env)
	}
	if vars["CWS_SECRETS_PATH"] == "" {
		t.Error("the config's variables were modified")
	}
}
