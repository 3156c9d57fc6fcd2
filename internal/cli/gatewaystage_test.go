package cli

import (
	"testing"

	"github.com/coworks-go/coworks"
	"github.com/coworks-go/coworks/internal/gateway"
	"github.com/coworks-go/coworks/internal/runtimeapi"
)

func TestGatewayStageFollowsTheRouteTable(t *testing.T) {
	routes := []coworks.Route{{Method: "GET", Path: "/"}, {Method: "PUT", Path: "/value/{_0}"}}
	st := gatewayStage("v1", "prod", "key", routes, runtimeapi.FunctionConfig{Name: "app-prod"}, nil)
	if st.Name != "v1" || st.Variables["cws_stage"] != "prod" || len(st.Routes) != 2 || st.Routes[1].Path != "/value/{_0}" {
		t.Errorf("stage = %+v", st)
	}
	if st.Authorizer != gateway.AuthorizerNone || st.Function.ReservedConcurrency != 0 {
		t.Errorf("authorizer %v, reserved %d: want none and unset", st.Authorizer, st.Function.ReservedConcurrency)
	}
	routes[0].Authorized = true
	zero := 0
	st = gatewayStage("v1", "prod", "key", routes, runtimeapi.FunctionConfig{Name: "app-prod"}, &zero)
	if st.Authorizer != gateway.AuthorizerToken {
		t.Error("a route guarded by Auth did not give the stage a TOKEN authorizer")
	}
	if st.Function.ReservedConcurrency != -1 {
		t.Errorf("reserved_concurrency 0 became %d, want -1 (blocks every invocation)", st.Function.ReservedConcurrency)
	}
}
