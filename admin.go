package coworks

import (
	"net/http"
	"os"
	"slices"
	"strings"
)

// Admin is a blueprint describing the App it is registered on:
//
//	app.Register(&coworks.Admin{}, "/admin")
//
// serves GET /admin/routes (the route table) and GET /admin/context (the stage, the request context and
// the names, never the values, of the environment variables). Like every route, they are guarded by the
// service's Auth method when there is one.
type Admin struct {
	app *App
}

// attach lets Register hand the App to the blueprint.
func (ad *Admin) attach(a *App) { ad.app = a }

// GetRoutes serves GET {prefix}/routes: every route of the App, sorted by method then path.
func (ad *Admin) GetRoutes() []Route {
	if ad.app == nil {
		return []Route{}
	}
	return ad.app.Routes()
}

// AdminContext is the answer of GET {prefix}/context.
type AdminContext struct {
	// Service is the App's name.
	Service string `json:"service"`
	// Stage is coworks.Stage of the request.
	Stage string `json:"stage"`
	// StageVariables are the API Gateway stage variables, when there are any.
	StageVariables map[string]string `json:"stage_variables,omitempty"`
	// RequestContext is API Gateway's requestContext when the request came through it, else what the
	// local server knows of the request (method, path, host, remote address).
	RequestContext any `json:"request_context"`
	// Environment lists the names of the process's environment variables, sorted. Values are never shown.
	Environment []string `json:"environment"`
}

// localRequestContext describes a request that did not come through API Gateway.
type localRequestContext struct {
	HTTPMethod string `json:"httpMethod"`
	Path       string `json:"path"`
	Host       string `json:"host"`
	RemoteAddr string `json:"remoteAddr"`
}

// GetContext serves GET {prefix}/context: see AdminContext.
func (ad *Admin) GetContext(r *http.Request) AdminContext {
	ctx := r.Context()
	out := AdminContext{Stage: Stage(ctx), StageVariables: StageVariables(ctx), Environment: envNames(os.Environ())}
	if ad.app != nil {
		out.Service = ad.app.name
	}
	if pr := ProxyRequest(ctx); pr != nil {
		out.RequestContext = pr.RequestContext
	} else {
		out.RequestContext = localRequestContext{HTTPMethod: r.Method, Path: r.URL.Path, Host: r.Host, RemoteAddr: r.RemoteAddr}
	}
	return out
}

// envNames returns the sorted, distinct names of environ's KEY=value entries.
func envNames(environ []string) []string {
	names := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if name != "" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}
