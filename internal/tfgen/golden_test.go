package tfgen

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/coworks-go/coworks"
)

var update = flag.Bool("update", false, "rewrite testdata/<case>/want from the generator")

func intp(n int) *int { return &n }

// simpleRoutes is the route table of the Simple service of DESIGN.md.
var simpleRoutes = []coworks.Route{
	{Method: "GET", Path: "/", Handler: "Get"},
	{Method: "GET", Path: "/value/{_0}", Handler: "GetValue"},
	{Method: "PUT", Path: "/value/{_0}", Handler: "PutValue"},
}

func baseInput(stage string) Input {
	return Input{
		AppName:         "simple",
		Stage:           stage,
		APIGatewayStage: stage,
		Region:          "eu-west-1",
		Function: Function{
			Architecture:  "arm64",
			MemorySize:    256,
			Timeout:       30,
			Environment:   map[string]string{"STAGE_COLOR": "blue", "GREETING": "hello ${not-interpolated}"},
			Tags:          map[string]string{"team": "api", "Cost Center": "42"},
			ManageIAMRole: true,
		},
		Routes: simpleRoutes,
		Artifact: Artifact{ZipPath: "/tmp/build/" + stage + ".zip", SHA256: "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
			Commit: "0123456789abcdef0123456789abcdef01234567"},
	}
}

// goldenCase is one directory under testdata: the inputs of its stages, generated into one output tree.
type goldenCase struct {
	name   string
	inputs []Input
}

// twoStagesMaster is stage master of the two-stages case: on dev's API, with settings of its own.
func twoStagesMaster() Input {
	two := baseInput("master")
	two.RestAPI = RestAPIRef{Stage: "dev"}
	two.Function.ReservedConcurrency = intp(5)
	two.Function.SubnetIDs = []string{"subnet-1"}
	two.Function.SecurityGroupIDs = []string{"sg-1"}
	two.Backend = Backend{}
	return two
}

func goldenCases() []goldenCase {
	two := twoStagesMaster()

	auth := baseInput("prod")
	auth.Authorizer = true
	auth.API = API{EndpointType: "REGIONAL", BinaryMediaTypes: []string{"image/png"}, MinimumCompressionSize: intp(1024)}
	auth.Function.LogRetentionInDays = intp(14)
	auth.Function.XRay = true
	auth.Function.Policy = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/simple"}]}`
	auth.DefaultTags = map[string]string{"owner": "platform", "env": "prod"}
	auth.Backend = Backend{Type: "s3", Settings: map[string]any{"bucket": "simple-state", "region": "eu-west-1", "key": "teams/api"}}
	auth.Routes = append(append([]coworks.Route(nil), simpleRoutes...), coworks.CatchAllRoutes()[1])

	vpc := baseInput("qa")
	vpc.Region = ""
	vpc.Function.Architecture = "x86_64"
	vpc.Function.Layers = []string{"arn:aws:lambda:eu-west-1:123456789012:layer:otel:3"}
	vpc.Function.SubnetIDs = []string{"subnet-1", "subnet-2"}
	vpc.Function.SecurityGroupIDs = []string{"sg-1"}
	vpc.Function.ManageIAMRole = false
	vpc.Function.IAMRoleARN = "arn:aws:iam::123456789012:role/simple-qa"
	vpc.Artifact.Commit = ""
	vpc.API = API{EndpointType: "PRIVATE", VPCEndpointIDs: []string{"vpce-0abc"},
		Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`}

	byID := baseInput("feature")
	byID.RestAPI = RestAPIRef{ID: "a1b2c3d4e5"}

	return []goldenCase{
		{"one-stage", []Input{baseInput("dev")}},
		{"two-stages", []Input{baseInput("dev"), two}},
		{"authorizer", []Input{auth}},
		{"vpc-layers-role", []Input{vpc}},
		{"api-by-id", []Input{byID}},
	}
}

// generateCase merges the outputs of a case's stages into one tree.
func generateCase(t testing.TB, c goldenCase) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, in := range c.inputs {
		out, err := Generate(in)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for name, data := range out.Files {
			files[name] = data
		}
	}
	return files
}

func TestGoldenFiles(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			files := generateCase(t, c)
			want := filepath.Join("testdata", c.name, "want")
			if *update {
				if err := os.RemoveAll(want); err != nil {
					t.Fatal(err)
				}
				for name, data := range files {
					p := filepath.Join(want, filepath.FromSlash(name))
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			var onDisk []string
			err := filepath.WalkDir(want, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(want, p)
				onDisk = append(onDisk, filepath.ToSlash(rel))
				return nil
			})
			if err != nil {
				t.Fatalf("%v (run go test ./internal/tfgen -update to create the golden files)", err)
			}
			var generated []string
			for name := range files {
				generated = append(generated, name)
			}
			sort.Strings(generated)
			if strings.Join(onDisk, "\n") != strings.Join(generated, "\n") {
				t.Fatalf("files differ:\ngenerated %v\ngolden    %v", generated, onDisk)
			}
			for _, name := range generated {
				golden, _ := os.ReadFile(filepath.Join(want, filepath.FromSlash(name)))
				if !bytes.Equal(golden, files[name]) {
					t.Errorf("%s differs from its golden file (go test ./internal/tfgen -update rewrites them):\n--- got\n%s\n--- want\n%s", name, files[name], golden)
				}
			}
		})
	}
}
