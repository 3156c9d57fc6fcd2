package secrets

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/coworks-go/coworks/internal/secretstore/ssmtest"
)

// useFake points the loader at a fresh fake SSM server and forgets earlier loads.
func useFake(t *testing.T, path string) *ssmtest.Server {
	t.Helper()
	fake := ssmtest.New()
	t.Cleanup(fake.Close)
	fake.Setenv(t)
	t.Setenv(PathVariable, path)
	resetLoaded(t)
	return fake
}

func resetLoaded(t *testing.T) {
	loadMu.Lock()
	loaded = false
	loadMu.Unlock()
	t.Cleanup(func() {
		loadMu.Lock()
		loaded = false
		loadMu.Unlock()
	})
}

func TestSSMFakeServerLoadSetsEverySecretDirectlyUnderThePath(t *testing.T) {
	fake := useFake(t, "/cws/shop/prod/")
	for i := range 12 { // more than one page of GetParametersByPath
		fake.Put(fmt.Sprintf("/cws/shop/prod/S%02d", i), fmt.Sprintf("value %d", i))
	}
	fake.Put("/cws/shop/prod/DB_PASSWORD", "p@ss word\nline two")
	fake.Put("/cws/shop/prod/nested/INNER", "not a secret of prod")
	fake.Put("/cws/shop/production/OTHER", "another stage")
	fake.Put("/cws/shop/prod/AWS_REGION", "must not replace the region")
	for _, name := range []string{"S00", "S11", "DB_PASSWORD", "INNER", "OTHER"} {
		t.Setenv(name, "")
	}
	if err := Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := os.Getenv("DB_PASSWORD"); got != "p@ss word\nline two" {
		t.Errorf("DB_PASSWORD = %q", got)
	}
	if got := os.Getenv("S11"); got != "value 11" {
		t.Errorf("S11 (on the second page) = %q", got)
	}
	if got := os.Getenv("INNER") + os.Getenv("OTHER"); got != "" {
		t.Errorf("parameters outside the stage's own level were loaded: %q", got)
	}
	if got := os.Getenv("AWS_REGION"); got != ssmtest.Region {
		t.Errorf("AWS_REGION = %q: a parameter replaced a reserved variable", got)
	}
	calls := fake.Calls()
	if len(calls) != 2 || calls[0] != "GetParametersByPath /cws/shop/prod" {
		t.Errorf("calls = %q, want two pages of GetParametersByPath /cws/shop/prod", calls)
	}
	// Loaded once: a second call asks nothing.
	fake.Put("/cws/shop/prod/DB_PASSWORD", "changed")
	if err := Load(context.Background()); err != nil || os.Getenv("DB_PASSWORD") != "p@ss word\nline two" || len(fake.Calls()) != 2 {
		t.Errorf("second Load: err %v, calls %q", err, fake.Calls())
	}
}

func TestSSMFakeServerLoadRetriesThrottlingAndServerErrors(t *testing.T) {
	fake := useFake(t, "/cws/shop/prod")
	fake.Put("/cws/shop/prod/TOKEN", "t0ken")
	t.Setenv("TOKEN", "")
	fake.Fail(400, "ThrottlingException")
	fake.Fail(500, "InternalServerError")
	if err := Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("TOKEN") != "t0ken" || len(fake.Calls()) != 3 {
		t.Errorf("TOKEN %q after calls %q", os.Getenv("TOKEN"), fake.Calls())
	}

	resetLoaded(t)
	fake.Fail(503, "ServiceUnavailable", "ServiceUnavailable", "ServiceUnavailable")
	err := Load(context.Background())
	if err == nil || !strings.Contains(err.Error(), "503 ServiceUnavailable") {
		t.Fatalf("err = %v, want the third 503 after three attempts", err)
	}
	// A failure is not remembered: the next call tries again.
	if err := Load(context.Background()); err != nil {
		t.Errorf("Load after a failed one: %v", err)
	}
}

func TestSSMFakeServerLoadErrorsNameThePathNeverAValue(t *testing.T) {
	fake := useFake(t, "/cws/shop/prod/")
	fake.Put("/cws/shop/prod/DB_PASSWORD", "hunter2-never-printed")
	fake.Deny("/cws/shop/prod")
	err := Load(context.Background())
	if err == nil {
		t.Fatal("Load succeeded without the right to read the path")
	}
	msg := err.Error()
	for _, want := range []string{"coworks/secrets: load the secrets under /cws/shop/prod/", "AccessDeniedException", "ssm:GetParametersByPath"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("error shows the value: %q", msg)
	}
}

func TestSSMFakeServerRefusesABadSignature(t *testing.T) {
	useFake(t, "/cws/shop/prod")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-key")
	err := Load(context.Background())
	if err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Fatalf("err = %v, want InvalidSignatureException", err)
	}
}

func TestSSMFakeServerLoadSignsTheSessionToken(t *testing.T) {
	fake := useFake(t, "/cws/shop/prod")
	t.Setenv("AWS_SESSION_TOKEN", "session-token-of-the-role")
	fake.Put("/cws/shop/prod/KEY", "v")
	t.Setenv("KEY", "")
	if err := Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("KEY") != "v" {
		t.Errorf("KEY = %q", os.Getenv("KEY"))
	}
}

func TestLoadWithoutAPathDoesNothing(t *testing.T) {
	resetLoaded(t)
	t.Setenv(PathVariable, "")
	t.Setenv("AWS_REGION", "")
	if err := Load(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestLoadNeedsRegionAndCredentials(t *testing.T) {
	useFake(t, "/cws/shop/prod")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	if err := Load(context.Background()); err == nil || !strings.Contains(err.Error(), "no credentials") {
		t.Errorf("err = %v, want no credentials", err)
	}
	useFake(t, "/cws/shop/prod")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	if err := Load(context.Background()); err == nil || !strings.Contains(err.Error(), "no region") {
		t.Errorf("err = %v, want no region", err)
	}
}

func TestEndpointOfEachPartition(t *testing.T) {
	for region, want := range map[string]string{
		"eu-west-1":      "https://ssm.eu-west-1.amazonaws.com/",
		"cn-north-1":     "https://ssm.cn-north-1.amazonaws.com.cn/",
		"us-gov-west-1":  "https://ssm.us-gov-west-1.amazonaws.com/",
		"us-iso-east-1":  "https://ssm.us-iso-east-1.c2s.ic.gov/",
		"us-isob-east-1": "https://ssm.us-isob-east-1.sc2s.sgov.gov/",
	} {
		env := map[string]string{"AWS_REGION": region, "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}
		c, err := clientFromEnv(func(k string) string { return env[k] })
		if err != nil || c.endpoint != want {
			t.Errorf("%s: endpoint %v, %v; want %s", region, c, err, want)
		}
	}
	env := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b",
		"AWS_ENDPOINT_URL": "http://generic", "AWS_ENDPOINT_URL_SSM": "http://ssm-only"}
	if c, _ := clientFromEnv(func(k string) string { return env[k] }); c.endpoint != "http://ssm-only/" {
		t.Errorf("endpoint %s: AWS_ENDPOINT_URL_SSM should win", c.endpoint)
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"DB_PASSWORD", "apiKey", "X", "A1_2"} {
		if err := CheckName(ok); err != nil {
			t.Errorf("CheckName(%q) = %v", ok, err)
		}
	}
	for name, want := range map[string]string{
		"":                 "start with a letter",
		"1ABC":             "start with a letter",
		"_HANDLER":         "start with a letter",
		"DB-PASSWORD":      "only letters, digits and '_'",
		"AWS_REGION":       "reserved by Lambda and the AWS SDKs",
		"aws_endpoint_url": "reserved by Lambda and the AWS SDKs",
		"LAMBDA_TASK_ROOT": "reserved by Lambda and the AWS SDKs",
		"CWS_SECRETS_PATH": "reserved by cws",
	} {
		if err := CheckName(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckName(%q) = %v, want %q in it", name, err, want)
		}
	}
}

// TestSSMFakeServerInitLoadsInLambdaAndFailsTheInit runs this test binary as a process with Lambda's
// variables: the package's initialisation loads the secrets before any test (or main) code runs, and a
// failure ends the process with status 1 and the reason, without the value.
func TestSSMFakeServerInitLoadsInLambdaAndFailsTheInit(t *testing.T) {
	if os.Getenv("SECRETS_TEST_CHILD") == "1" {
		// The child: report what initialisation left in the environment.
		fmt.Printf("DB_PASSWORD=%s\n", os.Getenv("DB_PASSWORD"))
		return
	}
	fake := ssmtest.New()
	defer fake.Close()
	fake.Put("/cws/shop/prod/DB_PASSWORD", "from-ssm")
	run := func() (string, string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSSMFakeServerInitLoadsInLambdaAndFailsTheInit$")
		cmd.Env = append(fake.Env(), "SECRETS_TEST_CHILD=1", "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9", PathVariable+"=/cws/shop/prod/")
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	stdout, stderr, err := run()
	if err != nil || !strings.Contains(stdout, "DB_PASSWORD=from-ssm\n") {
		t.Fatalf("child: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	fake.Deny("/cws/shop")
	stdout, stderr, err = run()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Fatalf("child with no right to read: %v, want exit status 1\nstdout:\n%s", err, stdout)
	}
	if !strings.HasPrefix(stderr, "coworks/secrets: load the secrets under /cws/shop/prod/: ") || !strings.Contains(stderr, "AccessDeniedException") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if strings.Contains(stdout+stderr, "from-ssm") {
		t.Errorf("the value leaked into the output:\n%s%s", stdout, stderr)
	}
}

// TestFunctionsDoNotLinkTheAWSSDK keeps the SDK out of every function binary: the framework and this package
// sign their one SSM call themselves (see ssm.go), which costs about 20 KB instead of about 2.7 MB.
func TestFunctionsDoNotLinkTheAWSSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/coworks-go/coworks", "github.com/coworks-go/coworks/secrets").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2") || strings.HasPrefix(pkg, "github.com/aws/smithy-go/") && !strings.HasPrefix(pkg, "github.com/aws/smithy-go/aws-http-auth") {
			t.Errorf("the framework imports %s", pkg)
		}
	}
}
