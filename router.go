package coworks

import (
	"fmt"
	"strings"
)

// node is one resource of the route tree: literal children, at most one {_n} child (as in API Gateway),
// and the handlers of the methods served right here.
type node struct {
	literal  map[string]*node
	param    *node
	handlers []*handler // one per HTTP method, few: a slice scan beats a map
}

// insert adds h at its route's path; a second handler for one method and path panics naming both.
func (n *node) insert(h *handler) {
	for _, seg := range splitPath(h.route.Path) {
		if strings.HasPrefix(seg, "{") {
			if n.param == nil {
				n.param = &node{}
			}
			n = n.param
			continue
		}
		if n.literal == nil {
			n.literal = map[string]*node{}
		}
		child := n.literal[seg]
		if child == nil {
			child = &node{}
			n.literal[seg] = child
		}
		n = child
	}
	for _, other := range n.handlers {
		if other.route.Method == h.route.Method {
			panic(fmt.Sprintf("coworks: %s and %s both serve %s %s", other.route.Handler, h.route.Handler,
				h.route.Method, h.route.Path))
		}
	}
	n.handlers = append(n.handlers, h)
}

// splitPath returns the segments of a resource path; "/" has none.
func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// cleanPath normalises an escaped request path as API Gateway does before matching: repeated leading
// slashes collapse and one trailing slash is ignored. The root becomes "".
func cleanPath(p string) string {
	for len(p) > 1 && p[0] == '/' && p[1] == '/' {
		p = p[1:]
	}
	if p == "/" {
		return ""
	}
	if len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}

// nextSegment splits "/seg/rest" into "seg" and "/rest"; rest is "" after the last segment.
func nextSegment(p string) (seg, rest string) {
	p = p[1:]
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i], p[i:]
	}
	return p, ""
}

// lookup finds the handler of method for the cleaned path p ("" or "/a/b"), preferring literal segments
// over parameters and backtracking when the literal branch has no such route (API Gateway's rule).
func (n *node) lookup(method, p string) *handler {
	if p == "" {
		for _, h := range n.handlers {
			if h.route.Method == method {
				return h
			}
		}
		return nil
	}
	seg, rest := nextSegment(p)
	if child := n.literal[seg]; child != nil {
		if h := child.lookup(method, rest); h != nil {
			return h
		}
	}
	if n.param != nil && seg != "" {
		return n.param.lookup(method, rest)
	}
	return nil
}

// allowed appends the methods served at any resource matching p: the Allow header of a 405.
func (n *node) allowed(p string, methods []string) []string {
	if p == "" {
		for _, h := range n.handlers {
			if !contains(methods, h.route.Method) {
				methods = append(methods, h.route.Method)
			}
		}
		return methods
	}
	seg, rest := nextSegment(p)
	if child := n.literal[seg]; child != nil {
		methods = child.allowed(rest, methods)
	}
	if n.param != nil && seg != "" {
		methods = n.param.allowed(rest, methods)
	}
	return methods
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// pathValues fills vals with the raw (still escaped) values of the segments of p at the given indexes.
func pathValues(p string, at []int, vals []string) {
	i, k := 0, 0
	for p != "" && k < len(at) {
		var seg string
		seg, p = nextSegment(p)
		if at[k] == i {
			vals[k] = seg
			k++
		}
		i++
	}
}
