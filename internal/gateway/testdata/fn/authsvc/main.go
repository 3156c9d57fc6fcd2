// Command authsvc is a CoWorks service with an Auth method, for the gateway's TOKEN authorizer tests: token
// "allow" may call every route, "reader" only GET /public, any other token none.
package main

import (
	"context"

	"github.com/coworks-go/coworks"
)

// Svc has two routes: GET / and GET /public.
type Svc struct{}

// Get serves GET /: the authorizer's principal, as the function sees it.
func (s *Svc) Get(ctx context.Context) string {
	if pr := coworks.ProxyRequest(ctx); pr != nil {
		if p, ok := pr.RequestContext.Authorizer["principalId"].(string); ok {
			return "hello " + p
		}
	}
	return "hello nobody"
}

// GetPublic serves GET /public.
func (s *Svc) GetPublic() string { return "public" }

// Auth decides by token.
func (s *Svc) Auth(req coworks.AuthRequest) coworks.Access {
	switch req.Token {
	case "allow":
		a := coworks.AllowAll()
		a.PrincipalID = "alice"
		return a
	case "reader":
		a := coworks.AllowRoutes(coworks.RoutePattern{Method: "GET", Path: "/public"})
		a.PrincipalID = "reader"
		return a
	}
	return coworks.DenyAll()
}

func main() { coworks.Start(coworks.New("authsvc", &Svc{})) }
