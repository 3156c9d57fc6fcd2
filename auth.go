package coworks

import "context"

// AuthRequest is what a service's Auth method is asked to decide on: the token of the Authorization header
// (an API Gateway TOKEN authorizer's authorizationToken) and, when known, the request it guards.
type AuthRequest struct {
	// Token is the raw value of the Authorization header.
	Token string
	// MethodArn is the ARN of the method being called, when API Gateway asks (Lambda authorizer events).
	MethodArn string
	// Method and Path describe the request being authorized: "GET" and the resource path "/value/{_0}".
	// Both are empty when API Gateway asks, since its policy is cached for every route of the API.
	Method, Path string
}

// Access is the decision of an Auth method: allow every route, deny every route, or allow some routes.
type Access struct {
	allowAll bool
	routes   []RoutePattern
	// PrincipalID identifies the caller in API Gateway's policy response (default "user").
	PrincipalID string
	// Context is passed by API Gateway to the function as requestContext.authorizer (string, number and bool values only).
	Context map[string]any
}

// RoutePattern is a route an Access allows: an HTTP method ("GET", or "*" for any) and a resource path
// pattern in which "*" matches any run of characters ("/value/*").
type RoutePattern struct {
	Method string
	Path   string
}

// AllowAll allows every route.
func AllowAll() Access { return Access{allowAll: true} }

// DenyAll denies every route.
func DenyAll() Access { return Access{} }

// AllowRoutes allows only the routes matching one of the patterns.
func AllowRoutes(patterns ...RoutePattern) Access {
	return Access{routes: append([]RoutePattern(nil), patterns...)}
}

// AllowsAll reports whether a allows every route.
func (a Access) AllowsAll() bool { return a.allowAll }

// Routes returns the patterns a allows when it does not allow everything; none means deny all.
func (a Access) Routes() []RoutePattern { return append([]RoutePattern(nil), a.routes...) }

// Authorizer is implemented by handlers that decide access per request, App among them (through the service's
// Auth method). In Lambda, Start answers API Gateway TOKEN authorizer events with it.
type Authorizer interface {
	// Authorize returns the decision for req; ok is false when the handler has no Auth method at all.
	Authorize(ctx context.Context, req AuthRequest) (access Access, ok bool)
}
