package coworks

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
)

var (
	typeAuthRequest = reflect.TypeFor[AuthRequest]()
	typeAccess      = reflect.TypeFor[Access]()
)

// Allows reports whether a lets method call path. path is the request path without the stage, as API
// Gateway puts it in a method ARN ("/value/42"); a resource path ("/value/{_0}") works too. A pattern's
// Method is "*" or the method (case-insensitive); in its Path, "*" matches any run of characters, "/"
// included, as in an IAM policy resource.
func (a Access) Allows(method, path string) bool {
	if a.allowAll {
		return true
	}
	for _, p := range a.routes {
		if p.Matches(method, path) {
			return true
		}
	}
	return false
}

// Matches reports whether p matches a request of method on path (see Access.Allows).
func (p RoutePattern) Matches(method, path string) bool {
	if p.Method != "*" && !strings.EqualFold(p.Method, method) {
		return false
	}
	return globMatch(p.Path, path)
}

// globMatch matches s against pattern, in which "*" matches any run of characters. It is linear in
// practice and never allocates: on a mismatch it backtracks only to the last star.
func globMatch(pattern, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && pattern[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(pattern) && pattern[pi] == s[si]:
			pi++
			si++
		case star >= 0:
			pi, mark = star+1, mark+1
			si = mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// authMethod is a service's Auth method, in one of its two accepted forms.
type authMethod struct {
	fn      reflect.Value
	withCtx bool
}

// findAuth returns the Auth method of service, nil when it has none; an Auth method of another shape panics.
func findAuth(service reflect.Value) *authMethod {
	m := service.MethodByName("Auth")
	if !m.IsValid() {
		return nil
	}
	ft := m.Type()
	ok := ft.NumOut() == 1 && ft.Out(0) == typeAccess
	switch {
	case ok && ft.NumIn() == 2 && ft.In(0) == typeContext && ft.In(1) == typeAuthRequest:
		return &authMethod{fn: m, withCtx: true}
	case ok && ft.NumIn() == 1 && ft.In(0) == typeAuthRequest:
		return &authMethod{fn: m}
	}
	panic(fmt.Sprintf("coworks: %T.Auth has type %s; want func(context.Context, coworks.AuthRequest) coworks.Access "+
		"or func(coworks.AuthRequest) coworks.Access", service.Interface(), ft))
}

// Authorize asks the service's Auth method about req; ok is false when the service has no Auth method.
// A panicking Auth method denies everything (and the panic is logged).
func (a *App) Authorize(ctx context.Context, req AuthRequest) (access Access, ok bool) {
	if a.auth == nil {
		return Access{}, false
	}
	defer func() {
		if p := recover(); p != nil {
			a.logger.ErrorContext(ctx, "coworks: Auth panicked", "panic", fmt.Sprint(p))
			access, ok = DenyAll(), true
		}
	}()
	var out []reflect.Value
	if a.auth.withCtx {
		out = a.auth.fn.Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(req)})
	} else {
		out = a.auth.fn.Call([]reflect.Value{reflect.ValueOf(req)})
	}
	return out[0].Interface().(Access), true
}

// enforceAuth answers the request with 401 or 403 when the service's Auth method does not let it through,
// and reports whether it did. A request that came through API Gateway with an authorizer was already
// decided there and is not asked twice.
func (a *App) enforceAuth(w http.ResponseWriter, r *http.Request, h *handler, escapedPath string) (status int, denied bool) {
	if a.auth == nil {
		return 0, false
	}
	if pr := ProxyRequest(r.Context()); pr != nil && len(pr.RequestContext.Authorizer) > 0 {
		return 0, false
	}
	token := r.Header.Get("Authorization")
	if token == "" {
		return writeMessage(w, http.StatusUnauthorized, msgUnauthorized), true
	}
	access, _ := a.Authorize(r.Context(), AuthRequest{Token: token, Method: h.route.Method, Path: h.route.Path})
	if !access.Allows(r.Method, escapedPath) {
		return writeMessage(w, http.StatusForbidden, msgForbidden), true
	}
	return 0, false
}
