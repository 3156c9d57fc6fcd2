package coworks

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

type guarded struct{ seen *AuthRequest }

func (g *guarded) Auth(ctx context.Context, req AuthRequest) Access {
	*g.seen = req
	switch req.Token {
	case "admin":
		return AllowAll()
	case "reader":
		return AllowRoutes(RoutePattern{Method: "GET", Path: "/value/*"}, RoutePattern{Method: "*", Path: "/"})
	case "panic":
		panic("auth exploded")
	}
	return DenyAll()
}
func (g *guarded) Get() string                { return "home" }
func (g *guarded) GetValue(i int) int         { return i }
func (g *guarded) PutValue(i int, v int) bool { return true }

type guardedNoCtx struct{}

func (guardedNoCtx) Auth(req AuthRequest) Access {
	return AllowRoutes(RoutePattern{Method: "get", Path: "/open"})
}
func (guardedNoCtx) GetOpen() string   { return "open" }
func (guardedNoCtx) GetClosed() string { return "closed" }

func TestAuthEnforcedLocally(t *testing.T) {
	var seen AuthRequest
	app := New("guarded", &guarded{seen: &seen}, WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	tests := []struct {
		method, target, token string
		status                int
		msg                   string
	}{
		{"GET", "/", "", 401, "Unauthorized"},
		{"GET", "/", "nobody", 403, "User is not authorized to access this resource"},
		{"GET", "/", "admin", 200, ""},
		{"PUT", "/value/1/2", "admin", 200, ""},
		{"GET", "/", "reader", 200, ""},
		{"GET", "/value/5", "reader", 200, ""},
		{"PUT", "/value/5/6", "reader", 403, "User is not authorized to access this resource"},
		{"GET", "/value/5", "panic", 403, "User is not authorized to access this resource"},
		{"GET", "/nowhere", "", 404, "Not found"}, // routing first, as API Gateway does
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target+" "+tt.token, func(t *testing.T) {
			w := call(t, app, tt.method, tt.target, "", "Authorization", tt.token)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (body %q)", w.Code, tt.status, w.Body.String())
			}
			if tt.msg != "" {
				if msg := message(t, w); msg != tt.msg {
					t.Errorf("message = %q, want %q", msg, tt.msg)
				}
			}
		})
	}
	call(t, app, "GET", "/value/5", "", "Authorization", "Bearer abc")
	if seen != (AuthRequest{Token: "Bearer abc", Method: "GET", Path: "/value/{_0}"}) {
		t.Errorf("Auth saw %+v, want the raw token and the resource path", seen)
	}

	noCtx := New("noctx", guardedNoCtx{})
	if w := call(t, noCtx, "GET", "/open", "", "Authorization", "t"); w.Code != 200 {
		t.Errorf("Auth without ctx: GET /open = %d, want 200", w.Code)
	}
	if w := call(t, noCtx, "GET", "/closed", "", "Authorization", "t"); w.Code != 403 {
		t.Errorf("Auth without ctx: GET /closed = %d, want 403", w.Code)
	}
}

func TestAuthNotEnforcedTwiceBehindAPIGateway(t *testing.T) {
	var seen AuthRequest
	app := New("guarded", &guarded{seen: &seen})
	proxy := &events.APIGatewayProxyRequest{RequestContext: events.APIGatewayProxyRequestContext{
		Authorizer: map[string]any{"principalId": "user"},
	}}
	req := httptest.NewRequest("GET", "/value/3", nil)
	req = req.WithContext(withRequestInfo(req.Context(), &requestInfo{proxyRequest: proxy}))
	w := httptest.NewRecorder()
	app.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Errorf("behind an API Gateway authorizer: status = %d, want 200 without asking Auth again", w.Code)
	}
	// Through API Gateway without an authorizer, the App still enforces Auth itself.
	proxy.RequestContext.Authorizer = nil
	w = httptest.NewRecorder()
	app.ServeHTTP(w, req)
	if w.Code != 401 {
		t.Errorf("behind API Gateway without authorizer: status = %d, want 401", w.Code)
	}
}

func TestAuthorize(t *testing.T) {
	var seen AuthRequest
	app := New("guarded", &guarded{seen: &seen})
	access, ok := app.Authorize(context.Background(), AuthRequest{Token: "reader", MethodArn: "arn:x"})
	if !ok || access.AllowsAll() || !access.Allows("GET", "/value/9") || access.Allows("PUT", "/value/9") {
		t.Errorf("Authorize(reader) = %+v, %v", access, ok)
	}
	if _, ok := New("open", routing{}).Authorize(context.Background(), AuthRequest{Token: "x"}); ok {
		t.Error("Authorize on a service without Auth reported ok")
	}
}

func TestAccessAllows(t *testing.T) {
	tests := []struct {
		access       Access
		method, path string
		want         bool
	}{
		{AllowAll(), "DELETE", "/anything", true},
		{DenyAll(), "GET", "/", false},
		{AllowRoutes(RoutePattern{"GET", "/value/*"}), "GET", "/value/1", true},
		{AllowRoutes(RoutePattern{"GET", "/value/*"}), "get", "/value/1", true},
		{AllowRoutes(RoutePattern{"GET", "/value/*"}), "POST", "/value/1", false},
		{AllowRoutes(RoutePattern{"*", "/value/*"}), "POST", "/value/1", true},
		{AllowRoutes(RoutePattern{"*", "*"}), "PATCH", "/x/y", true},
		{AllowRoutes(RoutePattern{"GET", "/"}), "GET", "/value", false},
	}
	for _, tt := range tests {
		if got := tt.access.Allows(tt.method, tt.path); got != tt.want {
			t.Errorf("%+v.Allows(%s, %s) = %v, want %v", tt.access, tt.method, tt.path, got, tt.want)
		}
	}
}

func TestRoutesSayWhetherAuthGuardsThem(t *testing.T) {
	for _, r := range New("guarded", &guarded{seen: new(AuthRequest)}).Routes() {
		if !r.Authorized {
			t.Errorf("%s %s: Authorized = false for a service with Auth", r.Method, r.Path)
		}
	}
	for _, r := range New("open", openService{}).Routes() {
		if r.Authorized {
			t.Errorf("%s %s: Authorized = true for a service without Auth", r.Method, r.Path)
		}
	}
}

type openService struct{}

func (openService) Get() string { return "open" }
