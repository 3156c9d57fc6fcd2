package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coworks-go/coworks/internal/functiontest"
	"github.com/coworks-go/coworks/internal/secretstore/ssmtest"
)

// TestSSMFakeServerSecretValuesNeverLeak sets a local secret (stage dev) and an SSM secret (stage prod, on a
// fake SSM server), then runs every command that reads, shows, builds, deploys, exports or serves those
// stages, with all their output (and the functions' logs) in one buffer. The service proves it received its
// secret by answering the value's SHA-256. Then neither that output nor any file cws wrote under the project
// (records, state, build folders, artifacts, Terraform roots, plans) holds either value; the local store
// itself is the one place allowed to.
func TestSSMFakeServerSecretValuesNeverLeak(t *testing.T) {
	project := copyExampleHello(t)
	files := map[string]string{
		".chalice/config.json": `{
  "version": "2.0",
  "app_name": "hello",
  "environment_variables": {"GREETING": "Hello"},
  "stages": {
    "dev": {"api_gateway_stage": "dev"},
    "prod": {"api_gateway_stage": "prod", "deploy_target": "terraform", "aws_region": "eu-west-1"}
  }
}
`,
		"secret.go": "package main\n\nimport (\n\t\"crypto/sha256\"\n\t\"encoding/hex\"\n\t\"os\"\n)\n\n" +
			"// GetSecret serves GET /secret: the SHA-256 of DB_PASSWORD, proving the function has it without showing it.\n" +
			"func (h *Hello) GetSecret() string {\n\tsum := sha256.Sum256([]byte(os.Getenv(\"DB_PASSWORD\")))\n\treturn hex.EncodeToString(sum[:])\n}\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(project, filepath.FromSlash(name)), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fake := ssmtest.New()
	defer fake.Close()
	fake.Setenv(t)
	for _, kv := range []string{"GOPROXY=off", "GOSUMDB=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local",
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=127.0.0.1,localhost", "CHECKPOINT_DISABLE=1"} {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	devValue, prodValue := "leak-test-dev-"+randomHex(t), "leak-test-prod-"+randomHex(t)
	out := &functiontest.Buffer{}
	run := func(ctx context.Context, stdin string, args ...string) int {
		env := &Env{Streams: Streams{In: strings.NewReader(stdin), Out: out, Err: out}, Getenv: os.Getenv, Now: time.Now,
			Getwd: func() (string, error) { return project, nil }}
		// The test's own trace of the command line: a value typed as an argument (refused) is not cws's output.
		line := strings.NewReplacer(devValue, "DEV-VALUE", prodValue, "PROD-VALUE").Replace(strings.Join(args, " "))
		out.Write([]byte("$ cws " + line + "\n"))
		return Run(ctx, env, args)
	}
	must := func(stdin string, args ...string) {
		t.Helper()
		if code := run(context.Background(), stdin, args...); code != 0 {
			t.Fatalf("cws %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
	}

	must(devValue+"\n", "secret", "set", "DB_PASSWORD", "--stage", "dev")
	must(prodValue, "secret", "set", "DB_PASSWORD", "--stage", "prod")
	if p, ok := fake.Get("/cws/hello/prod/DB_PASSWORD"); !ok || p.Value != prodValue {
		t.Fatalf("SSM holds %+v", p)
	}
	// Refused inputs: their errors never quote what was typed.
	run(context.Background(), "", "secret", "set", "DB_PASSWORD", devValue, "--stage", "dev")
	run(context.Background(), devValue+"\x00", "secret", "set", "OTHER", "--stage", "dev")
	run(context.Background(), strings.Repeat(devValue, 200), "secret", "set", "OTHER", "--stage", "dev")

	for _, args := range [][]string{
		{"secret", "list", "--stage", "dev"}, {"secret", "list", "--stage", "prod", "--json"},
		{"stage", "list"}, {"stage", "list", "--json"},
		{"stage", "show", "dev", "--show-values"}, {"stage", "show", "prod", "--show-values", "--json"},
		{"stage", "diff", "dev", "prod", "--show-values"}, {"stage", "diff", "dev", "prod", "--show-values", "--json"},
		{"env", "--stage", "dev"}, {"env", "--stage", "prod", "--format", "json"}, {"env", "--stage", "dev", "--format", "shell"},
		{"validate"}, {"validate", "--json"},
		{"build"}, {"deploy", "--stage", "dev"}, {"deployed"}, {"url", "--stage", "dev"},
		{"export", "terraform", "--stage", "prod", "--out", "infra"}, {"export", "openapi", "--stage", "prod"},
	} {
		must("", args...)
	}
	if _, err := exec.LookPath("terraform"); err == nil {
		// No network here: the deploy writes the roots, then stops at terraform init.
		run(context.Background(), "", "deploy", "--stage", "prod", "--target", "terraform", "--plan")
	}

	// The functions get their secrets: from the local store through cws up (deploy, then the gateway) and
	// cws run.
	for _, args := range [][]string{{"up", "dev", "--port", "0"}, {"run", "--stage", "dev", "--port", "0", "--no-reload"}} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		before := len(servingURL.FindAllString(out.String(), -1))
		go func() { done <- run(ctx, "", args...) }()
		url := waitForURL(t, out, done, before)
		sum := sha256.Sum256([]byte(devValue))
		if body := get(t, url+"dev/secret"); body != hex.EncodeToString(sum[:]) {
			t.Errorf("cws %s: the function answered %q, not the SHA-256 of its secret", strings.Join(args, " "), body)
		}
		cancel()
		<-done
	}
	noValueIn := func(when string) {
		t.Helper()
		var checked []string
		store := filepath.Join(project, ".chalice", "local", "secrets")
		err := filepath.WalkDir(project, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case path == store:
				return filepath.SkipDir
			case d.IsDir():
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(project, path)
			checked = append(checked, rel)
			for _, v := range []string{devValue, prodValue} {
				if bytes.Contains(data, []byte(v)) {
					t.Errorf("%s: %s holds a secret value", when, rel)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d files checked:\n%s", when, len(checked), strings.Join(checked, "\n"))
	}
	noValueIn("deployed and served")
	must("", "delete", "--stage", "dev")
	noValueIn("deleted")
	for _, v := range []string{devValue, prodValue} {
		if strings.Contains(out.String(), v) {
			t.Errorf("a secret value is in cws's output:\n%s", out)
		}
	}
	for _, want := range []string{".chalice/deployed/dev.json", "infra/stage-prod/function.tf", ".chalice/local/state.json"} {
		if _, err := os.Stat(filepath.Join(project, want)); err != nil {
			t.Errorf("%s was not written: the test did not exercise what it should (%v)", want, err)
		}
	}
}

func randomHex(t *testing.T) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

var servingURL = regexp.MustCompile(`Serving (?:the local cloud of \S+|stage dev of hello) on (http://127\.0\.0\.1:\d+/)`)

// waitForURL waits for the URL of the Serving line after the first before ones, printed by a command
// started in the background.
func waitForURL(t *testing.T, out *functiontest.Buffer, done chan int, before int) string {
	t.Helper()
	for end := time.Now().Add(2 * time.Minute); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		select {
		case code := <-done:
			t.Fatalf("the server stopped with exit code %d:\n%s", code, out)
		default:
		}
		if all := servingURL.FindAllStringSubmatch(out.String(), -1); len(all) > before {
			return all[before][1]
		}
	}
	t.Fatalf("no Serving line:\n%s", out)
	return ""
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}
