package secrets_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coworks-go/coworks/internal/functiontest"
	"github.com/coworks-go/coworks/internal/runtimeapi"
	"github.com/coworks-go/coworks/internal/secretstore/ssmtest"
	"github.com/coworks-go/coworks/secrets"
)

// binDir holds testdata/fn/*, built once by TestMain.
var binDir string

func TestMain(m *testing.M) {
	if os.Getenv("SECRETS_TEST_CHILD") == "1" { // TestSSMFakeServerInitLoadsInLambdaAndFailsTheInit's child
		os.Exit(m.Run())
	}
	functiontest.Main(m, []string{"./testdata/fn/service", "./testdata/fn/plain"}, func(dir string) { binDir = dir })
}

// invoke runs one invocation of fn under the local Lambda Runtime API, with the environment the generated
// Terraform gives a stage's function (CWS_SECRETS_PATH) plus the fake's endpoint and credentials standing in
// for Lambda's role credentials.
func invoke(t *testing.T, fake *ssmtest.Server, fn, event string) ([]byte, string, error) {
	t.Helper()
	env := map[string]string{secrets.PathVariable: secrets.Path("shop", "prod")}
	for _, kv := range fake.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	logs := &functiontest.Buffer{}
	pool, err := runtimeapi.NewPool(runtimeapi.FunctionConfig{
		Name: "shop-prod", Stage: "prod", Executable: filepath.Join(binDir, fn), Env: env,
		Region: ssmtest.Region, Timeout: 10 * time.Second, LogWriter: logs,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		pool.Close(ctx)
	}()
	res, err := pool.Invoke(context.Background(), []byte(event), runtimeapi.InvokeOptions{})
	return res.Payload, logs.String(), err
}

// TestSSMFakeServerServiceConstructorSeesItsSecrets: a CoWorks service whose constructor runs in main's
// package variables sees DB_PASSWORD from SSM, in a real process speaking the Lambda Runtime API through
// aws-lambda-go; when the function may not read its path, the init fails and the log says why, without a value.
func TestSSMFakeServerServiceConstructorSeesItsSecrets(t *testing.T) {
	fake := ssmtest.New()
	defer fake.Close()
	fake.Put("/cws/shop/prod/DB_PASSWORD", "s3cret from ssm")
	out, logs, err := invoke(t, fake, "service", `{"httpMethod":"GET","path":"/","requestContext":{"stage":"prod"}}`)
	if err != nil {
		t.Fatalf("%v\nlogs:\n%s", err, logs)
	}
	var resp struct{ Body string }
	json.Unmarshal(out, &resp)
	if resp.Body != `constructor saw s3cret from ssm` {
		t.Errorf("response %s", out)
	}

	fake.Deny("/cws/shop/prod")
	_, logs, err = invoke(t, fake, "service", `{"httpMethod":"GET","path":"/"}`)
	var fe *runtimeapi.FunctionError
	if !errors.As(err, &fe) || fe.Type != "Runtime.ExitError" {
		t.Fatalf("err = %v, want the init to fail with Runtime.ExitError", err)
	}
	if !strings.Contains(logs, "coworks/secrets: load the secrets under /cws/shop/prod/: ") || !strings.Contains(logs, "AccessDeniedException") {
		t.Errorf("the log does not say why:\n%s", logs)
	}
	if strings.Contains(logs, "s3cret") {
		t.Errorf("the log shows the value:\n%s", logs)
	}
}

// TestSSMFakeServerPlainLambdaFunctionLoadsSecrets: a function without the framework gets them too.
func TestSSMFakeServerPlainLambdaFunctionLoadsSecrets(t *testing.T) {
	fake := ssmtest.New()
	defer fake.Close()
	fake.Put("/cws/shop/prod/API_KEY", "k-123")
	out, logs, err := invoke(t, fake, "plain", `{}`)
	if err != nil || string(out) != `"API_KEY=k-123"` {
		t.Fatalf("out %s, err %v\nlogs:\n%s", out, err, logs)
	}
	if calls := fake.Calls(); len(calls) != 1 {
		t.Errorf("SSM calls %q: want one GetParametersByPath per cold start", calls)
	}
}
