package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExportOpenAPIPrintsValidJSON runs `cws export openapi` in process and decodes what it printed: stdout
// is the document alone, a JSON object whose every operation is an aws_proxy integration invoking the
// stage's function through ${stageVariables.cws_stage}.
func TestExportOpenAPIPrintsValidJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module hello\n\ngo 1.26\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tif os.Getenv(\"CWS_ROUTES\") == \"1\" {\n" +
			"\t\tfmt.Println(`[{\"method\":\"GET\",\"path\":\"/\"},{\"method\":\"ANY\",\"path\":\"/{proxy+}\"}]`)\n\t}\n}\n",
		".chalice/config.json": `{"version": "2.0", "app_name": "hello", "lambda_architecture": "x86_64", "stages": {"dev": {"aws_region": "eu-west-1"}}}`,
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	env := &Env{Streams: Streams{In: strings.NewReader(""), Out: &stdout, Err: &stderr}, Getenv: func(string) string { return "" },
		Now: time.Now, Getwd: func() (string, error) { return dir, nil }}
	if code := Run(context.Background(), env, []string{"export", "openapi", "--stage", "dev"}); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout.String())
	}
	if doc.OpenAPI != "3.0.1" || len(doc.Paths) != 2 {
		t.Fatalf("document: %s", stdout.String())
	}
	for path, method := range map[string]string{"/": "get", "/{proxy+}": "x-amazon-apigateway-any-method"} {
		op, ok := doc.Paths[path][method].(map[string]any)
		if !ok {
			t.Errorf("%s: no %s operation: %v", path, method, doc.Paths[path])
			continue
		}
		integ, _ := op["x-amazon-apigateway-integration"].(map[string]any)
		uri, _ := integ["uri"].(string)
		if integ["type"] != "aws_proxy" || integ["httpMethod"] != "POST" ||
			!strings.HasSuffix(uri, ":function:hello-${stageVariables.cws_stage}:${stageVariables.cws_alias}/invocations") {
			t.Errorf("%s: integration %v", path, integ)
		}
	}
}
