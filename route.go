package coworks

// Route is one entry of a route table: what `cws` reads from a built function (CWS_ROUTES=1) to configure
// API Gateway, and what the Admin blueprint lists.
type Route struct {
	// Method is the HTTP method, upper case ("GET"), or "ANY" for a catch-all.
	Method string `json:"method"`
	// Path is the API Gateway resource path: "/", "/value/{_0}", or "/{proxy+}" for a catch-all.
	Path string `json:"path"`
	// Handler names the Go method serving the route ("GetValue", "Admin.GetRoutes"); empty for a plain http.Handler.
	Handler string `json:"handler,omitempty"`
	// Signature is the Go signature of the handler, for people ("func(index int) (any, error)").
	Signature string `json:"signature,omitempty"`
	// Authorized is true when the service's Auth method guards the route: API Gateway then calls the
	// function as a TOKEN authorizer before the route (see Authorizer).
	Authorized bool `json:"authorized,omitempty"`
}

// RouteTable is implemented by handlers that know their routes, App among them. A handler that does not
// implement it is reported as one catch-all route (ANY /{proxy+} and ANY /).
type RouteTable interface {
	Routes() []Route
}

// CatchAllRoutes is the route table of a handler that does not list its routes: every method on every path.
func CatchAllRoutes() []Route {
	return []Route{{Method: "ANY", Path: "/"}, {Method: "ANY", Path: "/{proxy+}"}}
}
