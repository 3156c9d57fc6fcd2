package coworks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// App is an http.Handler serving the routes of a service struct (and of the blueprints registered on it).
// It is built once by New, then safe for concurrent use. It implements RouteTable and Authorizer.
type App struct {
	name   string
	logger *slog.Logger
	auth   *authMethod
	root   node
	routes []Route // sorted by method, then path

	beforeFirst []func(ctx context.Context) error
	before      []func(r *http.Request) (*Response, error)
	after       []func(r *http.Request, status int)
	firstMu     sync.Mutex
	firstRan    int // before-first hooks that already succeeded
	firstDone   atomic.Bool
}

var (
	_ http.Handler = (*App)(nil)
	_ RouteTable   = (*App)(nil)
	_ Authorizer   = (*App)(nil)
)

// handler is one route and the precomputed plan to serve it.
type handler struct {
	route   Route
	fn      reflect.Value // the method's function, receiver first: calling it so avoids an allocation
	recv    reflect.Value
	bind    *binding
	res     *results
	paramAt []int // indexes of the path segments that are parameters
}

// New builds the App of service, usually a pointer to a struct: each exported method named after an HTTP
// method (Get, Post, Put, Delete, Patch) followed by CamelCase words serves a route, GetServiceTest serving
// GET /service/test (see docs/framework.md for parameters and results). A method Auth(ctx, AuthRequest)
// Access guards every route. name names the service (in logs and Route tables).
//
// New panics, with a message starting "coworks: " and naming the method, on registration mistakes: two
// methods for one route, a parameter or result type it cannot serve, a service without routes.
func New(name string, service any, opts ...Option) *App {
	if service == nil {
		panic("coworks: New: service is nil")
	}
	a := &App{name: name, logger: slog.Default()}
	for _, opt := range opts {
		opt(a)
	}
	v := reflect.ValueOf(service)
	a.auth = findAuth(v)
	a.register(v, "", "")
	return a
}

// Name returns the name the App was created with.
func (a *App) Name() string { return a.name }

// Register adds the routes of blueprint (a struct whose methods follow New's naming) under prefix, a
// literal path such as "/admin" ("" for none), and returns a for chaining. Handler names in the route
// table are qualified by the blueprint's type ("Admin.GetRoutes"); a blueprint's Auth method is ignored,
// the service's guards every route. Register panics like New on mistakes, and on a malformed prefix; call
// it before serving requests.
func (a *App) Register(blueprint any, prefix string) *App {
	if blueprint == nil {
		panic("coworks: Register: blueprint is nil")
	}
	if prefix != "" && (!strings.HasPrefix(prefix, "/") || strings.HasSuffix(prefix, "/") ||
		strings.Contains(prefix, "//") || strings.ContainsAny(prefix, "{}?#* ")) {
		panic(fmt.Sprintf("coworks: Register: prefix %q must be empty or a literal path like \"/admin\", "+
			"without trailing slash or {parameters}", prefix))
	}
	v := reflect.ValueOf(blueprint)
	t := v.Type()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if att, ok := blueprint.(interface{ attach(*App) }); ok {
		att.attach(a)
	}
	a.register(v, prefix, t.Name()+".")
	return a
}

// register adds the routes of the methods of v under prefix, naming handlers qualifier+method.
func (a *App) register(v reflect.Value, prefix, qualifier string) {
	t := v.Type()
	added := 0
	for i := range t.NumMethod() {
		m := t.Method(i)
		rn, ok := parseRouteName(m.Name)
		if !ok {
			continue
		}
		ft := v.Method(i).Type() // without the receiver
		name := qualifier + m.Name
		bind := newBinding(name, ft)
		h := &handler{
			fn:   m.Func,
			recv: v,
			bind: bind,
			res:  newResults(name, ft),
			route: Route{
				Method:    rn.method,
				Path:      routePath(prefix, rn.segments, len(bind.path)),
				Handler:   name,
				Signature: ft.String(),
			},
		}
		for j, seg := range splitPath(h.route.Path) {
			if strings.HasPrefix(seg, "{") {
				h.paramAt = append(h.paramAt, j)
			}
		}
		a.root.insert(h)
		a.routes = append(a.routes, h.route)
		added++
	}
	if added == 0 {
		hint := ""
		if t.Kind() != reflect.Pointer {
			hint = fmt.Sprintf(" (methods with a pointer receiver need a pointer: pass &%s{})", t.Name())
		}
		panic(fmt.Sprintf("coworks: %s has no route methods: none is exported and named Get..., Post..., "+
			"Put..., Delete... or Patch...%s", t, hint))
	}
	slices.SortFunc(a.routes, func(x, y Route) int {
		if c := strings.Compare(x.Method, y.Method); c != 0 {
			return c
		}
		return strings.Compare(x.Path, y.Path)
	})
}

// Routes returns the route table, sorted by method then path.
func (a *App) Routes() []Route {
	routes := slices.Clone(a.routes)
	for i := range routes {
		routes[i].Authorized = a.auth != nil
	}
	return routes
}

// maxInlineParams is how many path parameters are collected without allocating.
const maxInlineParams = 8

// maxInlineArgs is how many call arguments (receiver included) are built without allocating.
const maxInlineArgs = 6

// ServeHTTP routes r to its handler: 404 for an unknown path, 405 (with Allow) for a known path without
// the method, 401/403 when the service's Auth refuses, 400 for parameters that do not bind, else the
// handler's answer. A panic is answered 500 and logged, never propagated.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status := a.serve(w, r)
	for _, f := range a.after {
		f(r, status)
	}
}

// serve answers r and returns the status written.
func (a *App) serve(w http.ResponseWriter, r *http.Request) (status int) {
	defer func() {
		if p := recover(); p != nil {
			a.logger.ErrorContext(r.Context(), "coworks: request panicked", "function", a.name,
				"method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if status == 0 {
				status = writeMessage(w, http.StatusInternalServerError, msgInternal)
			}
		}
	}()
	if s := a.runBeforeFirst(w, r); s != 0 {
		return s
	}
	p := cleanPath(r.URL.EscapedPath())
	h := a.root.lookup(r.Method, p)
	if h == nil {
		if allow := a.root.allowed(p, nil); len(allow) > 0 {
			slices.Sort(allow)
			w.Header().Set("Allow", strings.Join(allow, ", "))
			return writeMessage(w, http.StatusMethodNotAllowed, msgNotAllowed)
		}
		return writeMessage(w, http.StatusNotFound, msgNotFound)
	}
	authPath := p
	if authPath == "" {
		authPath = "/"
	}
	if s, denied := a.enforceAuth(w, r, h, authPath); denied {
		return s
	}
	if s := a.runBefore(w, r); s != 0 {
		return s
	}
	var inline [maxInlineParams]string
	var raw []string
	if n := len(h.paramAt); n > maxInlineParams {
		raw = make([]string, n)
	} else {
		raw = inline[:n]
	}
	pathValues(p, h.paramAt, raw)
	var inlineIn [maxInlineArgs]reflect.Value
	in, e := h.bind.args(append(inlineIn[:0], h.recv), r, raw)
	if e != nil {
		return writeMessage(w, e.status(), e.Message)
	}
	out := h.fn.Call(in)
	s, err := h.res.write(w, out)
	if err != nil {
		return a.answerError(w, r, h.route.Handler, err)
	}
	return s
}

// answerError answers an error from a handler or hook: a *Error with its status and message, anything
// else with a generic 500 while its text goes to the log only.
func (a *App) answerError(w http.ResponseWriter, r *http.Request, where string, err error) int {
	var e *Error
	if errors.As(err, &e) && e != nil {
		return writeMessage(w, e.status(), e.Message)
	}
	a.logger.ErrorContext(r.Context(), "coworks: request failed", "function", a.name, "handler", where,
		"method", r.Method, "path", r.URL.Path, "stage", Stage(r.Context()), "error", err.Error())
	return writeMessage(w, http.StatusInternalServerError, msgInternal)
}
