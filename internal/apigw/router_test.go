package apigw

import (
	"reflect"
	"strings"
	"testing"
)

func mustRouter(t testing.TB, routes ...Route) *Router {
	t.Helper()
	r, err := NewRouter(routes)
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	return r
}

func TestRouterMatch(t *testing.T) {
	// The route sets of the AWS-validated routing cases in spec §3, plus a CoWorks-style API.
	lsCase1 := mustRouter(t,
		Route{Method: "GET", Path: "/part1"},
		Route{Method: "GET", Path: "/part1/hardcoded-value"},
		Route{Method: "GET", Path: "/{param+}"},
	)
	lsCase2 := mustRouter(t,
		Route{Method: "POST", Path: "/test"},
		Route{Method: "ANY", Path: "/test/any"},
		Route{Method: "OPTIONS", Path: "/{proxy+}"},
	)
	coworks := mustRouter(t,
		Route{Method: "GET", Path: "/"},
		Route{Method: "GET", Path: "/{_0}"},
		Route{Method: "GET", Path: "/value/{_0}"},
		Route{Method: "PUT", Path: "/value/{_0}"},
		Route{Method: "GET", Path: "/value/{_0}/{_1}"},
		Route{Method: "GET", Path: "/Users/me"},
	)
	proxy := mustRouter(t,
		Route{Method: "ANY", Path: "/{proxy+}"},
		Route{Method: "GET", Path: "/files/{proxy+}", ResourceID: "abc123", OperationName: "GetFile"},
		Route{Method: "GET", Path: "/files"},
	)

	tests := []struct {
		name     string
		router   *Router
		method   string
		path     string
		resource string // "" means no match
		params   []PathParam
	}{
		{"literal child missing: root greedy sibling wins", lsCase1, "GET", "/part1/random-value", "/{param+}", []PathParam{{"param", "part1/random-value"}}},
		{"literal beats greedy", lsCase1, "GET", "/part1/hardcoded-value", "/part1/hardcoded-value", nil},
		{"literal parent", lsCase1, "GET", "/part1", "/part1", nil},
		{"method-aware backtracking to greedy", lsCase2, "OPTIONS", "/test", "/{proxy+}", []PathParam{{"proxy", "test"}}},
		{"specific method on literal", lsCase2, "POST", "/test", "/test", nil},
		{"ANY on literal", lsCase2, "GET", "/test/any", "/test/any", nil},
		{"path exists, method does not, no fallback", lsCase2, "GET", "/test", "", nil},
		{"ANY does not cover unknown methods", lsCase2, "TRACE", "/test/any", "", nil},
		{"ANY is not a request method", lsCase2, "ANY", "/test/any", "", nil},

		{"root", coworks, "GET", "/", "/", nil},
		{"empty path is root", coworks, "GET", "", "/", nil},
		{"variable", coworks, "GET", "/hello", "/{_0}", []PathParam{{"_0", "hello"}}},
		{"literal over variable", coworks, "GET", "/value/3", "/value/{_0}", []PathParam{{"_0", "3"}}},
		{"two variables", coworks, "GET", "/value/3/x", "/value/{_0}/{_1}", []PathParam{{"_0", "3"}, {"_1", "x"}}},
		{"PUT", coworks, "PUT", "/value/3", "/value/{_0}", []PathParam{{"_0", "3"}}},
		{"PUT on a GET-only resource", coworks, "PUT", "/value/3/x", "", nil},
		{"HEAD is not served by GET", coworks, "HEAD", "/value/3", "", nil},
		{"OPTIONS is not implicit", coworks, "OPTIONS", "/", "", nil},
		{"trailing slash ignored", coworks, "GET", "/value/3/", "/value/{_0}", []PathParam{{"_0", "3"}}},
		{"only one trailing slash ignored", coworks, "GET", "/value/3//", "", nil},
		{"leading slashes collapse", coworks, "GET", "//value/3", "/value/{_0}", []PathParam{{"_0", "3"}}},
		{"case-sensitive literal: no match", coworks, "GET", "/users/me", "", nil},
		{"case-sensitive literal", coworks, "GET", "/Users/me", "/Users/me", nil},
		{"variable does not match empty segment", coworks, "GET", "/value//x", "", nil},
		{"percent-encoding kept in params", coworks, "GET", "/value/test%2Balias@gmail.com", "/value/{_0}", []PathParam{{"_0", "test%2Balias@gmail.com"}}},
		{"encoded slash stays in one segment", coworks, "GET", "/value/a%2Fb", "/value/{_0}", []PathParam{{"_0", "a%2Fb"}}},
		{"too deep", coworks, "GET", "/value/1/2/3", "", nil},

		{"greedy does not match root", proxy, "GET", "/", "", nil},
		{"greedy keeps double slashes", proxy, "POST", "/proxy-value//double-slash", "/{proxy+}", []PathParam{{"proxy", "proxy-value//double-slash"}}},
		{"greedy strips one trailing slash", proxy, "GET", "/proxy-value/", "/{proxy+}", []PathParam{{"proxy", "proxy-value"}}},
		{"deeper greedy wins", proxy, "GET", "/files/a/b.txt", "/files/{proxy+}", []PathParam{{"proxy", "a/b.txt"}}},
		{"deeper greedy lacks method: root greedy", proxy, "DELETE", "/files/a/b.txt", "/{proxy+}", []PathParam{{"proxy", "files/a/b.txt"}}},
		{"literal over greedy", proxy, "GET", "/files", "/files", nil},
		{"literal lacks method: greedy", proxy, "POST", "/files", "/{proxy+}", []PathParam{{"proxy", "files"}}},
		{"HEAD via ANY", proxy, "HEAD", "/x", "/{proxy+}", []PathParam{{"proxy", "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := tt.router.Match(tt.method, tt.path)
			if tt.resource == "" {
				if ok {
					t.Fatalf("Match(%s %s) = %s, want no route (403 Missing Authentication Token)", tt.method, tt.path, m.Resource)
				}
				return
			}
			if !ok {
				t.Fatalf("Match(%s %s): no route, want %s", tt.method, tt.path, tt.resource)
			}
			if m.Resource != tt.resource || !reflect.DeepEqual(m.Params, tt.params) {
				t.Fatalf("Match(%s %s) = %s %v, want %s %v", tt.method, tt.path, m.Resource, m.Params, tt.resource, tt.params)
			}
			if len(m.ResourceID) != 6 {
				t.Errorf("ResourceID = %q, want 6 characters", m.ResourceID)
			}
		})
	}
}

func TestRouterResourceIDsAndOperationName(t *testing.T) {
	r := mustRouter(t,
		Route{Method: "GET", Path: "/files/{proxy+}", ResourceID: "abc123", OperationName: "GetFile"},
		Route{Method: "PUT", Path: "/files/{proxy+}"},
		Route{Method: "GET", Path: "/a"},
		Route{Method: "GET", Path: "/b"},
	)
	m, _ := r.Match("GET", "/files/x")
	if m.ResourceID != "abc123" || m.OperationName != "GetFile" {
		t.Errorf("GET: id %q op %q, want abc123 GetFile", m.ResourceID, m.OperationName)
	}
	m, _ = r.Match("PUT", "/files/x")
	if m.ResourceID != "abc123" || m.OperationName != "" {
		t.Errorf("PUT: id %q op %q, want the resource's id and no operation", m.ResourceID, m.OperationName)
	}
	a, _ := r.Match("GET", "/a")
	b, _ := r.Match("GET", "/b")
	again, _ := mustRouter(t, Route{Method: "GET", Path: "/a"}).Match("GET", "/a")
	if a.ResourceID == b.ResourceID || a.ResourceID != again.ResourceID {
		t.Errorf("derived ids must differ per path and be stable: /a=%q /b=%q /a again=%q", a.ResourceID, b.ResourceID, again.ResourceID)
	}
}

func TestNewRouterRejects(t *testing.T) {
	tests := []struct {
		name   string
		routes []Route
		want   string
	}{
		{"two variable siblings", []Route{{Method: "GET", Path: "/{id}"}, {Method: "GET", Path: "/{name}"}},
			"A sibling ({id}) of this resource already has a variable path part -- only one is allowed"},
		{"variable next to greedy", []Route{{Method: "GET", Path: "/{proxy+}"}, {Method: "GET", Path: "/{id}"}},
			"A sibling ({proxy+}) of this resource already has a variable path part"},
		{"greedy with child", []Route{{Method: "GET", Path: "/{proxy+}/child"}}, "must be the last path part"},
		{"partial variable", []Route{{Method: "GET", Path: "/res{id}"}}, `invalid path part "res{id}"`},
		{"no leading slash", []Route{{Method: "GET", Path: "value"}}, `must start with "/"`},
		{"trailing slash", []Route{{Method: "GET", Path: "/value/"}}, "empty path part"},
		{"double slash", []Route{{Method: "GET", Path: "/a//b"}}, "empty path part"},
		{"unknown method", []Route{{Method: "get", Path: "/a"}}, `unknown method "get"`},
		{"duplicate method", []Route{{Method: "GET", Path: "/a"}, {Method: "GET", Path: "/a"}}, "method GET is defined twice on resource /a"},
		{"same variable twice", []Route{{Method: "GET", Path: "/{id}/{id}"}}, "appears twice"},
		{"empty variable", []Route{{Method: "GET", Path: "/{}"}}, "invalid variable {}"},
		{"conflicting ids", []Route{{Method: "GET", Path: "/a", ResourceID: "aaaaaa"}, {Method: "PUT", Path: "/a", ResourceID: "bbbbbb"}}, "has two ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRouter(tt.routes)
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tt.want)) {
				t.Fatalf("NewRouter error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	_, err := NewRouter([]Route{{Method: "get", Path: "/a"}, {Method: "GET", Path: "b"}})
	if err == nil || !strings.Contains(err.Error(), "route get /a") || !strings.Contains(err.Error(), "route GET b") {
		t.Fatalf("want both problems reported at once, got %v", err)
	}
}

func TestSplitStage(t *testing.T) {
	tests := []struct {
		raw  string
		want StagePath
		ok   bool
	}{
		{"/stage/proxy-value", StagePath{"stage", "/proxy-value", "/stage/proxy-value"}, true},
		{"/stage/proxy-value/", StagePath{"stage", "/proxy-value/", "/stage/proxy-value/"}, true},
		{"/stage/proxy-value//double-slash", StagePath{"stage", "/proxy-value//double-slash", "/stage/proxy-value//double-slash"}, true},
		{"/stage//proxy-value", StagePath{"stage", "/proxy-value", "/stage//proxy-value"}, true},
		{"//stage/proxy-value", StagePath{"stage", "/proxy-value", "/stage/proxy-value"}, true},
		{"/dev", StagePath{"dev", "/", "/dev"}, true},
		{"/dev/", StagePath{"dev", "/", "/dev/"}, true},
		{"/dev/a%2Bb/c+d", StagePath{"dev", "/a%2Bb/c+d", "/dev/a%2Bb/c+d"}, true},
		{"/", StagePath{}, false},
		{"", StagePath{}, false},
	}
	for _, tt := range tests {
		got, ok := SplitStage(tt.raw)
		if ok != tt.ok || got != tt.want {
			t.Errorf("SplitStage(%q) = %+v, %v; want %+v, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzRouterMatch(f *testing.F) {
	r := mustRouter(f,
		Route{Method: "GET", Path: "/"},
		Route{Method: "GET", Path: "/part1"},
		Route{Method: "ANY", Path: "/part1/{id}/x"},
		Route{Method: "GET", Path: "/part1/{id}/{proxy+}"},
		Route{Method: "OPTIONS", Path: "/{proxy+}"},
	)
	for _, s := range []string{"/", "", "//", "/part1/3/x/", "/part1//x", "/a/b/c", "/part1/%2F/y/z/", "///"} {
		f.Add("GET", s)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		m, ok := r.Match(method, path)
		if !ok {
			return
		}
		for _, p := range m.Params {
			if p.Value == "" {
				t.Fatalf("Match(%q, %q) gave empty parameter %q", method, path, p.Name)
			}
		}
		sp, ok := SplitStage("/s/" + path)
		if ok && sp.Stage != "s" {
			t.Fatalf("SplitStage lost the stage of %q: %+v", path, sp)
		}
	})
}

func TestAPIIDFromHost(t *testing.T) {
	for host, want := range map[string]string{
		"abc1234567.execute-api.localhost:8080":          "abc1234567",
		"abc1234567.execute-api.us-east-1.amazonaws.com": "abc1234567",
		"localhost:8080":             "",
		"127.0.0.1:8080":             "",
		".execute-api.localhost":     "",
		"abc.execute-apix.localhost": "",
	} {
		got, ok := APIIDFromHost(host)
		if got != want || ok != (want != "") {
			t.Errorf("APIIDFromHost(%q) = %q, %v; want %q", host, got, ok, want)
		}
	}
}
