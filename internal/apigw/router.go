package apigw

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
)

// Route is one method of one resource of a deployed REST API.
type Route struct {
	// Method is GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, or ANY (case-sensitive, like API Gateway).
	Method string
	// Path is the resource path: "/", "/value/{_0}", "/{proxy+}". Segments are literals
	// ([A-Za-z0-9._,:-]), whole-segment variables "{name}", or a final greedy variable "{name+}".
	Path string
	// ResourceID is API Gateway's id of the resource (requestContext.resourceId). When empty, NewRouter
	// derives a stable 6-character id from Path, so events do not change between runs.
	ResourceID string
	// OperationName is the method's operationName (requestContext.operationName); empty leaves it out.
	OperationName string
}

// PathParam is one path parameter of a matched request: the variable's name and the segment (or, for a
// greedy variable, the remainder of the path) exactly as sent, still percent-encoded (spec §1.2).
type PathParam struct {
	Name, Value string
}

// Match is the outcome of routing a request: the resource and method that will handle it.
type Match struct {
	// Resource is the matched resource path template, e.g. "/value/{_0}" (event "resource" and
	// requestContext.resourcePath).
	Resource string
	// ResourceID is the matched resource's id (requestContext.resourceId).
	ResourceID string
	// OperationName is the matched method's operationName, "" when it has none.
	OperationName string
	// Params are the path parameters in path order; nil when the resource has no variables, which the
	// event encodes as "pathParameters": null.
	Params []PathParam
}

// Router matches request paths against the resources of one REST API deployment. Build it once per
// deployment with NewRouter; Match is safe for concurrent use and allocates only the Params slice.
type Router struct {
	root *node
}

// Method indexes into node.methods; methodANY is the ANY fallback.
const (
	methodGET = iota
	methodPOST
	methodPUT
	methodPATCH
	methodDELETE
	methodHEAD
	methodOPTIONS
	methodANY
	methodCount
)

// methodIndex returns the index of an HTTP method, or -1 for a method API Gateway cannot route (ANY covers
// exactly the seven methods above, spec §3).
func methodIndex(m string) int {
	switch m {
	case "GET":
		return methodGET
	case "POST":
		return methodPOST
	case "PUT":
		return methodPUT
	case "PATCH":
		return methodPATCH
	case "DELETE":
		return methodDELETE
	case "HEAD":
		return methodHEAD
	case "OPTIONS":
		return methodOPTIONS
	case "ANY":
		return methodANY
	}
	return -1
}

// methodInfo is a method defined on a resource.
type methodInfo struct {
	operationName string
}

// node is a resource of the tree.
type node struct {
	path       string
	resourceID string
	literals   map[string]*node
	variable   *node // {name} child, at most one variable child per parent (spec §3)
	greedy     *node // {name+} child
	varName    string
	methods    [methodCount]*methodInfo
	// params lists, for the resource's variables, the index of the path segment holding each value.
	params []paramSlot
}

type paramSlot struct {
	name    string
	segment int
	greedy  bool
}

func (n *node) method(mi int) *methodInfo {
	if mi < 0 || mi == methodANY {
		return nil
	}
	if m := n.methods[mi]; m != nil {
		return m
	}
	return n.methods[methodANY]
}

// NewRouter compiles the routes of one API. It reports every invalid route at once (joined errors), with
// API Gateway's own wording where it has one: malformed paths, two variable siblings, children under a
// greedy variable, duplicate methods, unknown methods, conflicting resource ids.
func NewRouter(routes []Route) (*Router, error) {
	root := &node{path: "/"}
	var errs []error
	for _, rt := range routes {
		if err := insert(root, rt); err != nil {
			errs = append(errs, fmt.Errorf("route %s %s: %w", rt.Method, rt.Path, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	assignIDs(root)
	return &Router{root: root}, nil
}

func insert(root *node, rt Route) error {
	mi := methodIndex(rt.Method)
	if mi < 0 {
		return fmt.Errorf("unknown method %q: use one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY", rt.Method)
	}
	segs, err := splitResourcePath(rt.Path)
	if err != nil {
		return err
	}
	n := root
	var params []paramSlot
	for i, seg := range segs {
		name, greedy, isVar := variablePart(seg)
		if !isVar {
			child := n.literals[seg]
			if child == nil {
				if n.literals == nil {
					n.literals = map[string]*node{}
				}
				child = &node{path: joinPath(n.path, seg)}
				n.literals[seg] = child
			}
			n = child
			continue
		}
		if greedy && i != len(segs)-1 {
			return fmt.Errorf("greedy variable %s must be the last path part: a {name+} resource cannot have children", seg)
		}
		for _, p := range params {
			if p.name == name {
				return fmt.Errorf("variable {%s} appears twice in the path: give each variable its own name", name)
			}
		}
		existing := n.variable
		if existing == nil {
			existing = n.greedy
		}
		if existing != nil && (existing.varName != name || (existing == n.greedy) != greedy) {
			return fmt.Errorf("a sibling (%s) of this resource already has a variable path part -- only one is allowed",
				lastSegment(existing.path))
		}
		if existing == nil {
			existing = &node{path: joinPath(n.path, seg), varName: name}
			if greedy {
				n.greedy = existing
			} else {
				n.variable = existing
			}
		}
		params = append(params, paramSlot{name: name, segment: i, greedy: greedy})
		n = existing
	}
	if n.methods[mi] != nil {
		return fmt.Errorf("method %s is defined twice on resource %s", rt.Method, n.path)
	}
	if rt.ResourceID != "" {
		if n.resourceID != "" && n.resourceID != rt.ResourceID {
			return fmt.Errorf("resource %s has two ids, %q and %q", n.path, n.resourceID, rt.ResourceID)
		}
		n.resourceID = rt.ResourceID
	}
	n.methods[mi] = &methodInfo{operationName: rt.OperationName}
	n.params = params
	return nil
}

// splitResourcePath validates a resource path and returns its segments (none for "/").
func splitResourcePath(p string) ([]string, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("resource path must start with \"/\"")
	}
	if p == "/" {
		return nil, nil
	}
	segs := strings.Split(p[1:], "/")
	for _, seg := range segs {
		if seg == "" {
			return nil, fmt.Errorf("empty path part (double or trailing slash): write the path as /a/b")
		}
		if name, _, ok := variablePart(seg); ok {
			if !validName(name) {
				return nil, fmt.Errorf("invalid variable %s: names use letters, digits, '_', '-' and '.'", seg)
			}
			continue
		}
		for i := 0; i < len(seg); i++ {
			if !literalByte(seg[i]) {
				return nil, fmt.Errorf("invalid path part %q: use letters, digits and ._,:- or a whole-segment {variable}", seg)
			}
		}
	}
	return segs, nil
}

// variablePart reports whether seg is "{name}" or "{name+}".
func variablePart(seg string) (name string, greedy, ok bool) {
	if len(seg) < 2 || seg[0] != '{' || seg[len(seg)-1] != '}' {
		return "", false, false
	}
	name = seg[1 : len(seg)-1]
	if strings.HasSuffix(name, "+") {
		return name[:len(name)-1], true, true
	}
	return name, false, true
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func literalByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == ',' || c == ':' || c == '-'
}

func joinPath(parent, seg string) string {
	if parent == "/" {
		return "/" + seg
	}
	return parent + "/" + seg
}

func lastSegment(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

// assignIDs gives every resource without an explicit id a stable id derived from its path.
func assignIDs(n *node) {
	if n.resourceID == "" {
		n.resourceID = deriveResourceID(n.path)
	}
	for _, c := range n.literals {
		assignIDs(c)
	}
	if n.variable != nil {
		assignIDs(n.variable)
	}
	if n.greedy != nil {
		assignIDs(n.greedy)
	}
}

// deriveResourceID maps a resource path to 6 lowercase base-36 characters, the shape of API Gateway ids.
func deriveResourceID(p string) string {
	h := fnv.New64a()
	h.Write([]byte(p))
	v := h.Sum64()
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b [6]byte
	for i := range b {
		b[i] = digits[v%36]
		v /= 36
	}
	return string(b[:])
}

// Match routes a request. path is the request path without the stage (StagePath.Path), raw and still
// percent-encoded. Matching follows spec §3: extra leading slashes collapse, one trailing slash is ignored,
// literals are case-sensitive, a literal child beats the variable child which beats the greedy child, and
// the search backtracks until it finds a resource that has the method or ANY. HEAD and OPTIONS are served
// only by a HEAD/OPTIONS or ANY method, never implicitly. A greedy variable consumes at least one segment,
// so "/{proxy+}" does not match "/". ok is false when no resource has the method (a 403 Missing
// Authentication Token, whether the path or the method is unknown).
func (r *Router) Match(method, path string) (m Match, ok bool) {
	mi := methodIndex(method)
	if mi < 0 || mi == methodANY {
		return Match{}, false
	}
	p := normalizeRoutePath(path)
	var n *node
	if p == "/" {
		if r.root.method(mi) != nil {
			n = r.root
		}
	} else {
		n = r.root.find(p[1:], mi)
	}
	if n == nil {
		return Match{}, false
	}
	m = Match{Resource: n.path, ResourceID: n.resourceID, OperationName: n.method(mi).operationName}
	if len(n.params) > 0 {
		m.Params = extractParams(n.params, p[1:])
	}
	return m, true
}

// normalizeRoutePath collapses leading slashes and removes one trailing slash.
func normalizeRoutePath(p string) string {
	for len(p) > 1 && p[0] == '/' && p[1] == '/' {
		p = p[1:]
	}
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	if len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}

// find matches rest (the path below n, without its leading slash; at least one segment) depth first.
func (n *node) find(rest string, mi int) *node {
	seg, next, last := rest, "", true
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		seg, next, last = rest[:i], rest[i+1:], false
	}
	if c := n.literals[seg]; c != nil {
		if found := c.descend(next, last, mi); found != nil {
			return found
		}
	}
	if c := n.variable; c != nil && seg != "" {
		if found := c.descend(next, last, mi); found != nil {
			return found
		}
	}
	if c := n.greedy; c != nil && rest != "" && c.method(mi) != nil {
		return c
	}
	return nil
}

func (n *node) descend(next string, last bool, mi int) *node {
	if last {
		if n.method(mi) != nil {
			return n
		}
		return nil
	}
	return n.find(next, mi)
}

// extractParams reads the parameter values of a matched resource from the normalised path (without its
// leading slash).
func extractParams(slots []paramSlot, rest string) []PathParam {
	out := make([]PathParam, 0, len(slots))
	seg, start := 0, 0
	for _, s := range slots {
		for seg < s.segment {
			start += strings.IndexByte(rest[start:], '/') + 1
			seg++
		}
		if s.greedy {
			out = append(out, PathParam{Name: s.name, Value: rest[start:]})
			continue
		}
		end := strings.IndexByte(rest[start:], '/')
		if end < 0 {
			out = append(out, PathParam{Name: s.name, Value: rest[start:]})
		} else {
			out = append(out, PathParam{Name: s.name, Value: rest[start : start+end]})
		}
	}
	return out
}

// PathParameters returns m.Params as a map (nil when there are none), for callers that want the
// events.APIGatewayProxyRequest shape.
func (m Match) PathParameters() map[string]string {
	if m.Params == nil {
		return nil
	}
	out := make(map[string]string, len(m.Params))
	for _, p := range m.Params {
		out[p.Name] = p.Value
	}
	return out
}
