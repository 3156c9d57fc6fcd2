package coworks

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

type extra struct{}

func (*extra) GetPing() string { return "pong" }
func (*extra) Get() string     { return "extra root" }

func TestBlueprint(t *testing.T) {
	app := New("routing", routing{}).Register(&extra{}, "/extra").Register(&Admin{}, "/admin")
	if w := call(t, app, "GET", "/extra/ping", ""); w.Body.String() != "pong" {
		t.Errorf("GET /extra/ping = %d %q", w.Code, w.Body.String())
	}
	if w := call(t, app, "GET", "/extra", ""); w.Body.String() != "extra root" {
		t.Errorf("GET /extra = %d %q", w.Code, w.Body.String())
	}
	var routes []Route
	w := call(t, app, "GET", "/admin/routes", "")
	if err := json.Unmarshal(w.Body.Bytes(), &routes); err != nil {
		t.Fatalf("GET /admin/routes: %v (body %q)", err, w.Body.String())
	}
	if !slices.Equal(routes, app.Routes()) {
		t.Errorf("GET /admin/routes listed %v, want App.Routes()", routes)
	}
	want := []Route{
		{Method: "GET", Path: "/admin/context", Handler: "Admin.GetContext", Signature: "func(*http.Request) coworks.AdminContext"},
		{Method: "GET", Path: "/admin/routes", Handler: "Admin.GetRoutes", Signature: "func() []coworks.Route"},
		{Method: "GET", Path: "/extra", Handler: "extra.Get", Signature: "func() string"},
		{Method: "GET", Path: "/extra/ping", Handler: "extra.GetPing", Signature: "func() string"},
	}
	for _, r := range want {
		if !slices.Contains(routes, r) {
			t.Errorf("route table lacks %+v", r)
		}
	}
}

func TestAdminContext(t *testing.T) {
	t.Setenv("COWORKS_TEST_SECRET", "hunter2-value")
	app := New("routing", routing{}).Register(&Admin{}, "/admin")

	// Locally: the stage the server knows, and the request as seen by net/http.
	req := httptest.NewRequest("GET", "/admin/context", nil)
	req = req.WithContext(withRequestInfo(req.Context(), &requestInfo{stage: "dev"}))
	w := httptest.NewRecorder()
	app.ServeHTTP(w, req)
	if strings.Contains(w.Body.String(), "hunter2-value") {
		t.Fatal("GET /admin/context revealed an environment variable's value")
	}
	var got struct {
		Service        string            `json:"service"`
		Stage          string            `json:"stage"`
		StageVariables map[string]string `json:"stage_variables"`
		RequestContext map[string]any    `json:"request_context"`
		Environment    []string          `json:"environment"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	if got.Service != "routing" || got.Stage != "dev" || got.RequestContext["path"] != "/admin/context" {
		t.Errorf("local context = %+v", got)
	}
	if !slices.Contains(got.Environment, "COWORKS_TEST_SECRET") || !slices.IsSorted(got.Environment) {
		t.Errorf("environment names = %v, want sorted and including COWORKS_TEST_SECRET", got.Environment)
	}

	// Through API Gateway: its requestContext and stage variables.
	proxy := &events.APIGatewayProxyRequest{RequestContext: events.APIGatewayProxyRequestContext{Stage: "prod", RequestID: "req-1"}}
	req = httptest.NewRequest("GET", "/admin/context", nil)
	req = req.WithContext(withRequestInfo(req.Context(), &requestInfo{stage: "prod", stageVariables: map[string]string{"fn": "f"}, proxyRequest: proxy}))
	w = httptest.NewRecorder()
	app.ServeHTTP(w, req)
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Stage != "prod" || got.RequestContext["requestId"] != "req-1" || got.StageVariables["fn"] != "f" {
		t.Errorf("API Gateway context = %+v", got)
	}
}

func TestEnvNames(t *testing.T) {
	got := envNames([]string{"B=1", "A=x=y", "B=2", "=C:=weird", "EMPTY="})
	if !slices.Equal(got, []string{"A", "B", "EMPTY"}) {
		t.Errorf("envNames = %v", got)
	}
}
