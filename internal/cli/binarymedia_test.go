package cli

import (
	"slices"
	"testing"

	"github.com/coworks-go/coworks"
	"github.com/coworks-go/coworks/internal/build"
	"github.com/coworks-go/coworks/internal/config"
)

// Binary bodies only round-trip through API Gateway when the API lists their media type; cws run used to
// serve an API with none, so random bytes came back as replacement characters wrapped in base64 text.
func TestRunAndDeployGiveTheAPIChalicesBinaryMediaTypes(t *testing.T) {
	s := &config.Stage{AppName: "svc", StageName: "dev", APIGatewayStage: "dev", LambdaArchitecture: "arm64"}
	art := &build.Artifact{Key: "k", Architecture: "arm64", Routes: []coworks.Route{{Method: "POST", Path: "/echo"}}}
	run := runAPI(t.TempDir(), s, art, nil)
	if !slices.Contains(run.BinaryMediaTypes, "application/octet-stream") || !slices.Contains(run.BinaryMediaTypes, "image/png") {
		t.Fatalf("cws run serves binaryMediaTypes %q, want Chalice's defaults", run.BinaryMediaTypes)
	}
	deploy := deployRequest(s, art, "", "", false, nil).Settings.BinaryMediaTypes
	if !slices.Equal(run.BinaryMediaTypes, deploy) {
		t.Errorf("cws run serves %q but cws deploy sets %q: a local binary round trip would not hold on AWS", run.BinaryMediaTypes, deploy)
	}
	run.BinaryMediaTypes[0] = "changed/by-a-caller"
	if binaryMediaTypes[0] != "application/octet-stream" || runAPI(t.TempDir(), s, art, nil).BinaryMediaTypes[0] != "application/octet-stream" {
		t.Error("the shared list was modified through a returned API: callers must get a copy")
	}
}
