package coworks

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// call sends one request to h; hdr holds header name, value pairs.
func call(t *testing.T, h http.Handler, method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// message decodes an error body {"message": ...}.
func message(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q, want application/json", ct)
	}
	var m struct{ Message string }
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("error body %q is not JSON: %v", w.Body.String(), err)
	}
	return m.Message
}

type routing struct{}

func (routing) Get() string                                      { return "root" }
func (routing) GetServiceTest() string                           { return "service test" }
func (routing) GetValue(index int) int                           { return index * 2 }
func (routing) GetContent() string                               { return "content" }
func (routing) GetContent_(a string) string                      { return "content " + a }
func (routing) GetContent__(a, b string) string                  { return "content " + a + " " + b }
func (routing) GetItems(id string) string                        { return "item " + id }
func (routing) GetItemsSpecial() string                          { return "special" }
func (routing) PostItemsSpecial() string                         { return "posted special" }
func (routing) DeleteItems(id string) string                     { return "deleted " + id }
func (routing) GetKinds(a int8, b uint, c float64, d bool) []any { return []any{a, b, c, d} }
func (routing) Helper() string                                   { return "not a route" }
func (routing) Getter() string                                   { return "not a route" }

func TestRouting(t *testing.T) {
	app := New("routing", routing{})
	tests := []struct {
		method, target string
		status         int
		body           string
	}{
		{"GET", "/", 200, "root"},
		{"GET", "/service/test", 200, "service test"},
		{"GET", "/service/test/", 200, "service test"}, // one trailing slash is ignored, as in API Gateway
		{"GET", "//service/test", 200, "service test"},
		{"GET", "/value/21", 200, "42"},
		{"GET", "/content", 200, "content"},
		{"GET", "/content/a", 200, "content a"},
		{"GET", "/content/a/b", 200, "content a b"},
		{"GET", "/content/a%2Fb", 200, "content a/b"}, // path parameters arrive percent-decoded
		{"GET", "/content/hello%20world", 200, "content hello world"},
		{"GET", "/items/special", 200, "special"}, // literal beats parameter
		{"GET", "/items/other", 200, "item other"},
		{"DELETE", "/items/special", 200, "deleted special"}, // backtracks to the parameter for the method
		{"GET", "/kinds/-3/7/2.5/true", 200, "[-3,7,2.5,true]"},
		{"GET", "/helper", 404, ""},
		{"GET", "/ter", 404, ""},
		{"GET", "/nowhere", 404, ""},
		{"GET", "/content/a/b/c", 404, ""},
		{"GET", "/content//", 404, ""},
		{"HEAD", "/", 405, ""},
		{"PUT", "/items/special", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			w := call(t, app, tt.method, tt.target, "")
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (body %q)", w.Code, tt.status, w.Body.String())
			}
			if tt.body != "" && strings.TrimSpace(w.Body.String()) != tt.body {
				t.Errorf("body = %q, want %q", w.Body.String(), tt.body)
			}
		})
	}
	w := call(t, app, "PUT", "/items/special", "")
	if allow := w.Header().Get("Allow"); allow != "DELETE, GET, POST" {
		t.Errorf("405 Allow = %q, want %q", allow, "DELETE, GET, POST")
	}
	if msg := message(t, w); msg != "Method not allowed" {
		t.Errorf("405 message = %q", msg)
	}
	if msg := message(t, call(t, app, "GET", "/nowhere", "")); msg != "Not found" {
		t.Errorf("404 message = %q", msg)
	}
}

func TestPathParameterErrors(t *testing.T) {
	app := New("routing", routing{})
	tests := []struct{ target, msg string }{
		{"/value/abc", `path parameter _0: "abc" is not a valid int`},
		{"/value/1.5", `path parameter _0: "1.5" is not a valid int`},
		{"/kinds/300/1/1/true", `path parameter _0: "300" is not a valid int8`},
		{"/kinds/1/-1/1/true", `path parameter _1: "-1" is not a valid uint`},
		{"/kinds/1/1/x/true", `path parameter _2: "x" is not a valid float64`},
		{"/kinds/1/1/1/maybe", `path parameter _3: "maybe" is not a valid bool`},
	}
	for _, tt := range tests {
		w := call(t, app, "GET", tt.target, "")
		if w.Code != 400 {
			t.Errorf("GET %s: status = %d, want 400", tt.target, w.Code)
			continue
		}
		if msg := message(t, w); msg != tt.msg {
			t.Errorf("GET %s: message = %q, want %q", tt.target, msg, tt.msg)
		}
	}
}

func TestRoutes(t *testing.T) {
	app := New("routing", routing{})
	var got []string
	for _, r := range app.Routes() {
		got = append(got, r.Method+" "+r.Path+" "+r.Handler)
	}
	want := []string{
		"DELETE /items/{_0} DeleteItems",
		"GET / Get",
		"GET /content GetContent",
		"GET /content/{_0} GetContent_",
		"GET /content/{_0}/{_1} GetContent__",
		"GET /items/special GetItemsSpecial",
		"GET /items/{_0} GetItems",
		"GET /kinds/{_0}/{_1}/{_2}/{_3} GetKinds",
		"GET /service/test GetServiceTest",
		"GET /value/{_0} GetValue",
		"POST /items/special PostItemsSpecial",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Routes() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, r := range app.Routes() {
		if r.Handler == "GetValue" && r.Signature != "func(int) int" {
			t.Errorf("GetValue signature = %q, want %q", r.Signature, "func(int) int")
		}
	}
}

// newTestLogger returns a logger writing JSON lines into buf.
func newTestLogger(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, nil))
}

type ctxService struct{}

type ctxKey struct{}

func (ctxService) GetCtx(ctx context.Context) string { v, _ := ctx.Value(ctxKey{}).(string); return v }
func (ctxService) GetReq(r *http.Request, id string) string {
	return r.Header.Get("X-Test") + " " + id
}

func TestContextAndRequestParameters(t *testing.T) {
	app := New("ctx", ctxService{})
	req := httptest.NewRequest("GET", "/ctx", nil)
	req = req.WithContext(context.WithValue(req.Context(), ctxKey{}, "from context"))
	w := httptest.NewRecorder()
	app.ServeHTTP(w, req)
	if w.Body.String() != "from context" {
		t.Errorf("GET /ctx = %q, want the request's context value", w.Body.String())
	}
	if w := call(t, app, "GET", "/req/7", "", "X-Test", "header"); w.Body.String() != "header 7" {
		t.Errorf("GET /req/7 = %q, want %q", w.Body.String(), "header 7")
	}
}
