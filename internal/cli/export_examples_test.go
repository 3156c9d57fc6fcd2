package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/coworks-go/coworks/internal/build"
	"github.com/coworks-go/coworks/internal/tfgen/tfschema"
)

// TestExportExamplesHello runs `cws export terraform` in process on a copy of examples/hello, for stage dev
// and then for stage master on dev's API into the same directory, and checks what a user would apply: every
// root passes the hashicorp/aws schema check (standing in for `terraform validate`, which needs the
// provider) and `terraform fmt -check`; master attaches to dev's API through the cws_stage stage variable;
// the API's OpenAPI body invokes the function that variable names; each stage root ships the build's zip.
func TestExportExamplesHello(t *testing.T) {
	t.Parallel()
	warmBuilds(t)
	project := copyExampleHello(t)
	out := filepath.Join(t.TempDir(), "infra")
	exportTerraform(t, project, "--stage", "dev", "--out", out)
	stdout := exportTerraform(t, project, "--stage", "master", "--rest-api-id", "dev", "--out", out)
	if !strings.Contains(stdout, "stage-master reads the REST API from the state of api-dev") {
		t.Errorf("the master export does not say it shares dev's API:\n%s", stdout)
	}
	tree := readTree(t, out)

	var roots []string
	for _, dir := range []string{"api-dev", "api-master", "stage-dev", "stage-master"} {
		if _, err := os.Stat(filepath.Join(out, dir)); err == nil {
			roots = append(roots, dir)
		}
	}
	if strings.Join(roots, " ") != "api-dev stage-dev stage-master" {
		t.Fatalf("roots = %v, want api-dev (one API) and a stage root per stage", roots)
	}

	t.Run("provider schema", func(t *testing.T) {
		schema, err := tfschema.AWS()
		if err != nil {
			t.Fatal(err)
		}
		var tf int
		for name := range tree {
			if strings.HasSuffix(name, ".tf") {
				tf++
			}
		}
		if tf < 10 {
			t.Fatalf("only %d .tf files under %s", tf, out)
		}
		if problems := schema.CheckFiles(tree); len(problems) > 0 {
			var lines []string
			for _, p := range problems {
				lines = append(lines, p.Error())
			}
			t.Fatalf("the exported roots do not match hashicorp/aws %s:\n%s", schema.ProviderVersion, strings.Join(lines, "\n"))
		}
	})

	t.Run("terraform fmt", func(t *testing.T) {
		bin, err := exec.LookPath("terraform")
		if err != nil {
			t.Skip("terraform is not on PATH: `terraform fmt -check` of the exported roots is not run")
		}
		cmd := exec.Command(bin, "fmt", "-check", "-recursive", "-diff", out)
		cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE="+os.DevNull)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("terraform fmt -check: %v\n%s", err, msg)
		}
	})

	t.Run("master shares dev's API", func(t *testing.T) {
		for name, data := range tree {
			if strings.HasPrefix(name, "stage-master/") && strings.Contains(string(data), `"aws_api_gateway_rest_api"`) {
				t.Errorf("%s declares a REST API: master must use dev's", name)
			}
		}
		main := tree["stage-master/main.tf"]
		if !strings.Contains(string(main), `path = "${path.module}/../api-dev/terraform.tfstate"`) ||
			localExpr(t, main, "stage-master/main.tf", "rest_api_id") != "data.terraform_remote_state.api.outputs.rest_api_id" {
			t.Errorf("stage-master does not take its REST API from api-dev's state:\n%s", main)
		}
		for _, stage := range []string{"dev", "master"} {
			stageTF := tree["stage-"+stage+"/stage.tf"]
			if got := attrValue(t, stageTF, "stage-"+stage+"/stage.tf", "aws_api_gateway_stage", "stage_name"); got != cty.StringVal(stage) {
				t.Errorf("stage-%s: stage_name = %#v, want %q", stage, got, stage)
			}
			want := cty.ObjectVal(map[string]cty.Value{"cws_stage": cty.StringVal(stage), "cws_alias": cty.StringVal("live")})
			if got := attrValue(t, stageTF, "stage-"+stage+"/stage.tf", "aws_api_gateway_stage", "variables"); !got.RawEquals(want) {
				t.Errorf("stage-%s: variables = %#v, want { cws_stage = %q, cws_alias = \"live\" }", stage, got, stage)
			}
			if got := attrExpr(t, stageTF, "stage-"+stage+"/stage.tf", "aws_api_gateway_stage", "rest_api_id"); got != "local.rest_api_id" {
				t.Errorf("stage-%s: rest_api_id = %s, want local.rest_api_id (from api-dev's state)", stage, got)
			}
			fn := tree["stage-"+stage+"/function.tf"]
			if got := attrValue(t, fn, "stage-"+stage+"/function.tf", "aws_lambda_function", "function_name"); got != cty.StringVal("hello-"+stage) {
				t.Errorf("stage-%s: function_name = %#v, want hello-%s (the name the stage variable selects)", stage, got, stage)
			}
		}
		if !regexp.MustCompile(`GREETING\s+=\s+"Hello from master"`).Match(tree["stage-master/function.tf"]) {
			t.Errorf("stage-master's function does not get master's GREETING:\n%s", tree["stage-master/function.tf"])
		}
	})

	t.Run("the API invokes the function named by the stage variable", func(t *testing.T) {
		if !strings.Contains(string(tree["api-dev/api.tf"]), `file("${path.module}/openapi.json")`) ||
			attrExpr(t, tree["api-dev/api.tf"], "api-dev/api.tf", "aws_api_gateway_rest_api", "body") != "local.openapi" {
			t.Fatalf("api-dev/api.tf does not define the REST API by openapi.json:\n%s", tree["api-dev/api.tf"])
		}
		media := attrValue(t, tree["api-dev/api.tf"], "api-dev/api.tf", "aws_api_gateway_rest_api", "binary_media_types")
		if !media.Type().IsTupleType() || media.LengthInt() != len(binaryMediaTypes) || !media.Index(cty.NumberIntVal(0)).RawEquals(cty.StringVal("application/octet-stream")) {
			t.Errorf("binary_media_types = %#v, want the list cws run serves (%d types, application/octet-stream first)", media, len(binaryMediaTypes))
		}
		var doc struct {
			Paths map[string]map[string]json.RawMessage `json:"paths"`
		}
		if err := json.Unmarshal(tree["api-dev/openapi.json"], &doc); err != nil {
			t.Fatalf("api-dev/openapi.json: %v", err)
		}
		const function = ":function:hello-${stageVariables.cws_stage}:${stageVariables.cws_alias}/invocations"
		ops := map[string]bool{}
		for path, item := range doc.Paths {
			for method, raw := range item {
				var op struct {
					Integration *struct {
						Type string `json:"type"`
						URI  string `json:"uri"`
					} `json:"x-amazon-apigateway-integration"`
				}
				if method == "parameters" || json.Unmarshal(raw, &op) != nil || op.Integration == nil {
					continue
				}
				ops[method+" "+path] = true
				if op.Integration.Type != "aws_proxy" || !strings.HasSuffix(op.Integration.URI, function) {
					t.Errorf("%s %s: integration %s %s, want aws_proxy ending %s", method, path, op.Integration.Type, op.Integration.URI, function)
				}
			}
		}
		for _, want := range []string{"get /", "get /value/{_0}", "put /value/{_0}", "get /env"} {
			if !ops[want] {
				t.Errorf("openapi.json has no integration for %s (hello's routes); it has %v", want, ops)
			}
		}
	})

	t.Run("each stage root ships the build's zip", func(t *testing.T) {
		// The build of the stage's architecture, from the cache the exports filled: nothing is rebuilt.
		arch := attrValue(t, tree["stage-dev/function.tf"], "stage-dev/function.tf", "aws_lambda_function", "architectures")
		if !arch.Type().IsTupleType() || arch.LengthInt() != 1 {
			t.Fatalf("architectures = %#v", arch)
		}
		art, err := build.Build(context.Background(), build.Request{Dir: project, Architecture: arch.Index(cty.NumberIntVal(0)).AsString()})
		if err != nil {
			t.Fatal(err)
		}
		if !art.Cached {
			t.Error("building again rebuilt the function: the export did not use the build cache")
		}
		for _, stage := range []string{"dev", "master"} {
			zipData := tree["stage-"+stage+"/deployment.zip"]
			sum := sha256.Sum256(zipData)
			hash := base64.StdEncoding.EncodeToString(sum[:])
			if hash != art.SHA256 {
				t.Errorf("stage-%s/deployment.zip has SHA-256 %s, the build %s", stage, hash, art.SHA256)
			}
			fn := "stage-" + stage + "/function.tf"
			if got := attrValue(t, tree[fn], fn, "aws_lambda_function", "source_code_hash"); got != cty.StringVal(hash) {
				t.Errorf("%s: source_code_hash = %#v, want the zip's %s", fn, got, hash)
			}
			zr, err := zip.NewReader(bytes.NewReader(zipData), int64(len(zipData)))
			if err != nil {
				t.Fatalf("stage-%s/deployment.zip: %v", stage, err)
			}
			if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
				t.Errorf("stage-%s/deployment.zip holds %d entries, want one bootstrap", stage, len(zr.File))
			}
		}
	})
}

// copyExampleHello copies what a deploy of examples/hello needs (its non-test Go files and .chalice/config.json)
// into a module of its own that replaces github.com/coworks-go/coworks with this repository, so the test
// writes no build cache into the repository.
func copyExampleHello(t *testing.T) string {
	t.Helper()
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(repo, "examples", "hello")
	dir := filepath.Join(t.TempDir(), "hello")
	copyFile := func(from, to string) {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if name := e.Name(); !e.IsDir() && strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			copyFile(filepath.Join(src, name), filepath.Join(dir, name))
		}
	}
	copyFile(filepath.Join(src, ".chalice", "config.json"), filepath.Join(dir, ".chalice", "config.json"))
	copyFile(filepath.Join(repo, "go.sum"), filepath.Join(dir, "go.sum"))
	gomod := "module hello\n\ngo 1.26.0\n\nrequire github.com/coworks-go/coworks v0.0.0\n\nreplace github.com/coworks-go/coworks => " + repo + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	// Fill in the framework's own requirements from the module cache (offline; -e: see TestScripts).
	tidy := exec.Command("go", "mod", "tidy", "-e")
	tidy.Dir = dir
	tidy.Env = offlineGoEnv()
	if msg, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy in the copy of examples/hello: %v\n%s", err, msg)
	}
	return dir
}

// exportTerraform runs `cws --project-dir project export terraform args...` in process and returns stdout.
func exportTerraform(t *testing.T, project string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &Env{Streams: Streams{In: strings.NewReader(""), Out: &stdout, Err: &stderr}, Getenv: func(string) string { return "" },
		Now: time.Now, Getwd: func() (string, error) { return project, nil }}
	argv := append([]string{"--project-dir", project, "export", "terraform"}, args...)
	if code := Run(context.Background(), env, argv); code != 0 {
		t.Fatalf("cws %s: exit %d\n%s%s", strings.Join(argv, " "), code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "Wrote the Terraform of stage ") {
		t.Fatalf("cws %s printed:\n%s", strings.Join(argv, " "), stdout.String())
	}
	return stdout.String()
}

// readTree reads every file under dir, keyed by slash-separated path relative to dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	tree := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		tree[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// resourceAttr returns attribute attr of the only resource of type typ in src.
func resourceAttr(t *testing.T, src []byte, name, typ, attr string) *hclsyntax.Attribute {
	t.Helper()
	f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("%s: %v", name, diags)
	}
	var found *hclsyntax.Attribute
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type == "resource" && len(b.Labels) == 2 && b.Labels[0] == typ {
			if found != nil {
				t.Fatalf("%s: more than one %s", name, typ)
			}
			if found = b.Body.Attributes[attr]; found == nil {
				t.Fatalf("%s: %s has no %s", name, typ, attr)
			}
		}
	}
	if found == nil {
		t.Fatalf("%s: no %s resource", name, typ)
	}
	return found
}

// localExpr returns the source text of local value name in src.
func localExpr(t *testing.T, src []byte, file, name string) string {
	t.Helper()
	f, diags := hclsyntax.ParseConfig(src, file, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("%s: %v", file, diags)
	}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if attr := b.Body.Attributes[name]; b.Type == "locals" && attr != nil {
			return string(attr.Expr.Range().SliceBytes(src))
		}
	}
	t.Fatalf("%s: no local %s", file, name)
	return ""
}

// attrValue returns the value of a constant attribute of the only resource of type typ in src.
func attrValue(t *testing.T, src []byte, name, typ, attr string) cty.Value {
	t.Helper()
	v, diags := resourceAttr(t, src, name, typ, attr).Expr.Value(nil)
	if diags.HasErrors() {
		t.Fatalf("%s: %s.%s is not a constant: %v", name, typ, attr, diags)
	}
	return v
}

// attrExpr returns the source text of an attribute of the only resource of type typ in src.
func attrExpr(t *testing.T, src []byte, name, typ, attr string) string {
	t.Helper()
	return string(resourceAttr(t, src, name, typ, attr).Expr.Range().SliceBytes(src))
}
