package cli

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/coworks-go/coworks"
	"github.com/coworks-go/coworks/internal/apigw"
	"github.com/coworks-go/coworks/internal/gateway"
	"github.com/coworks-go/coworks/internal/runtimeapi"
)

// gatewayStage is how the gateway serves one stage, for cws run and cws gateway alike: API Gateway stage
// apiStage with the stage variable cws_stage naming the cws stage, the function's routes (a TOKEN
// authorizer when the service's Auth guards them, as the Terraform target deploys it), and fn. deployKey
// identifies the build (it becomes the deployment id); reserved is the stage's reserved_concurrency, nil
// when unset.
func gatewayStage(apiStage, cwsStage, deployKey string, routes []coworks.Route, fn runtimeapi.FunctionConfig, reserved *int) gateway.Stage {
	st := gateway.Stage{
		Name:         apiStage,
		Variables:    map[string]string{"cws_stage": cwsStage},
		DeploymentID: deploymentID(deployKey),
		Routes:       make([]apigw.Route, len(routes)),
		Function:     fn,
		Authorizer:   gateway.AuthorizerNone,
	}
	for i, r := range routes {
		st.Routes[i] = apigw.Route{Method: r.Method, Path: r.Path}
		if r.Authorized {
			st.Authorizer = gateway.AuthorizerToken
		}
	}
	if reserved != nil {
		st.Function.ReservedConcurrency = *reserved
		if *reserved == 0 {
			st.Function.ReservedConcurrency = -1 // 0 blocks every invocation, as in Lambda
		}
	}
	return st
}

// binaryMediaTypes is the binaryMediaTypes of every REST API cws serves, deploys or exports: AWS Chalice's
// defaults (the APIGateway.binary_types that chalice deploy gives every API). Request bodies of these types
// reach the function base64-encoded, and base64 responses reach the client as bytes when its first Accept
// type is one of them; other bodies travel as UTF-8 text, as on AWS. One list for cws run, cws deploy (both
// targets) and cws export, so a binary round trip that works locally works on AWS. Callers clone it.
var binaryMediaTypes = []string{
	"application/octet-stream", "application/x-tar", "application/zip",
	"audio/basic", "audio/ogg", "audio/mp4", "audio/mpeg", "audio/wav", "audio/webm",
	"image/png", "image/jpg", "image/jpeg", "image/gif",
	"video/ogg", "video/mpeg", "video/webm",
}

// deploymentID derives a stable 10-character deployment id from a build's identity.
func deploymentID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:5])
}
