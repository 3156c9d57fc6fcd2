package coworks

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
)

// requestInfo is what the transport knows about a request beyond net/http.
type requestInfo struct {
	stage          string
	stageVariables map[string]string
	proxyRequest   *events.APIGatewayProxyRequest
}

type requestInfoKey struct{}

func withRequestInfo(ctx context.Context, info *requestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

func requestInfoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	if info == nil {
		return &requestInfo{}
	}
	return info
}

// Stage returns the API Gateway stage serving the request (requestContext.stage in Lambda; $CWS_STAGE when
// served as a plain HTTP server), or "" when unknown.
func Stage(ctx context.Context) string { return requestInfoFrom(ctx).stage }

// StageVariables returns the stage variables of the request's API Gateway stage; nil when there are none.
func StageVariables(ctx context.Context) map[string]string {
	return requestInfoFrom(ctx).stageVariables
}

// ProxyRequest returns the API Gateway REST proxy event the request came from, or nil outside Lambda.
func ProxyRequest(ctx context.Context) *events.APIGatewayProxyRequest {
	return requestInfoFrom(ctx).proxyRequest
}
