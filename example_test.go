package coworks_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/coworks-go/coworks"
)

// show sends a request to h and prints the status, the Content-Type and the body.
func show(h http.Handler, method, target, body string, header ...string) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	line := fmt.Sprintf("%s %s -> %d %s %s %s", method, target, w.Code, w.Header().Get("Content-Type"),
		w.Header().Get("Location"), strings.TrimSpace(w.Body.String()))
	fmt.Println(strings.Join(strings.Fields(line), " "))
}

type Simple struct{}

func (s *Simple) Get() string                          { return "Simple microservice ready." }
func (s *Simple) GetServiceTest() string               { return "service test" }
func (s *Simple) GetValue(index int) int               { return index * 10 }
func (s *Simple) GetContent() string                   { return "all content" }
func (s *Simple) GetContent_(part string) string       { return "content " + part }
func (s *Simple) GetContent__(part, sub string) string { return "content " + part + "/" + sub }
func (s *Simple) DeleteValue(index int) error          { return nil }
func (s *Simple) Describe(w io.Writer)                 {} // no HTTP method prefix: not a route

// Exported methods named after an HTTP method become routes; leading scalar parameters are path parameters.
func ExampleNew() {
	app := coworks.New("simple", &Simple{})
	for _, r := range app.Routes() {
		fmt.Println(r.Method, r.Path, r.Handler)
	}
	show(app, "GET", "/value/4", "")
	show(app, "GET", "/content/a/b", "")
	show(app, "GET", "/value/four", "")
	show(app, "POST", "/value/4", "")
	// Output:
	// DELETE /value/{_0} DeleteValue
	// GET / Get
	// GET /content GetContent
	// GET /content/{_0} GetContent_
	// GET /content/{_0}/{_1} GetContent__
	// GET /service/test GetServiceTest
	// GET /value/{_0} GetValue
	// GET /value/4 -> 200 application/json 40
	// GET /content/a/b -> 200 text/plain; charset=utf-8 content a/b
	// GET /value/four -> 400 application/json {"message":"path parameter _0: \"four\" is not a valid int"}
	// POST /value/4 -> 405 application/json {"message":"Method not allowed"}
}

type Search struct{}

// Query is bound from the query string and from a JSON body, by json tags.
type Query struct {
	Text  string   `json:"q"`
	Limit int      `json:"limit"`
	Tags  []string `json:"tag"`
}

func (Search) GetSearch(q Query) Query                       { return q }
func (Search) PostEcho(params map[string]any) map[string]any { return params }

// A trailing struct receives the query string and the JSON body; a trailing map[string]any receives both as they are.
func ExampleNew_binding() {
	app := coworks.New("search", Search{})
	show(app, "GET", "/search?q=go&limit=5&tag=a&tag=b", "")
	show(app, "GET", "/search", `{"q":"from body","limit":1}`)
	show(app, "GET", "/search?page=2", "")
	show(app, "POST", "/echo?x=1", `{"y":[1,2]}`)
	// Output:
	// GET /search?q=go&limit=5&tag=a&tag=b -> 200 application/json {"q":"go","limit":5,"tag":["a","b"]}
	// GET /search -> 200 application/json {"q":"from body","limit":1,"tag":null}
	// GET /search?page=2 -> 400 application/json {"message":"unexpected parameter \"page\""}
	// POST /echo?x=1 -> 200 application/json {"x":"1","y":[1,2]}
}

type Results struct{}

func (Results) GetText() string        { return "plain text" }
func (Results) GetBlob() []byte        { return []byte("bytes") }
func (Results) GetCreated() (any, int) { return map[string]int{"id": 1}, http.StatusCreated }
func (Results) DeleteItem(id string) error {
	if id != "1" {
		return coworks.NotFound("no item %s", id)
	}
	return nil
}
func (Results) GetFailure() (string, error) { return "", fmt.Errorf("database unreachable") }
func (Results) GetRedirect() *coworks.Response {
	return &coworks.Response{Status: http.StatusFound, Header: http.Header{"Location": {"/text"}}}
}

// Results become responses by their types: text, bytes, JSON, a status, a *coworks.Error, a *coworks.Response.
func ExampleNew_results() {
	app := coworks.New("results", Results{}, coworks.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	show(app, "GET", "/text", "")
	show(app, "GET", "/blob", "")
	show(app, "GET", "/created", "")
	show(app, "DELETE", "/item/1", "")
	show(app, "DELETE", "/item/2", "")
	show(app, "GET", "/failure", "")
	show(app, "GET", "/redirect", "")
	// Output:
	// GET /text -> 200 text/plain; charset=utf-8 plain text
	// GET /blob -> 200 application/octet-stream bytes
	// GET /created -> 201 application/json {"id":1}
	// DELETE /item/1 -> 204
	// DELETE /item/2 -> 404 application/json {"message":"no item 2"}
	// GET /failure -> 500 application/json {"message":"Internal server error"}
	// GET /redirect -> 302 /text
}

type Guarded struct{}

// Auth decides who may call what; the token is the Authorization header.
func (Guarded) Auth(ctx context.Context, req coworks.AuthRequest) coworks.Access {
	switch req.Token {
	case "admin-token":
		return coworks.AllowAll()
	case "reader-token":
		return coworks.AllowRoutes(coworks.RoutePattern{Method: "GET", Path: "/*"})
	}
	return coworks.DenyAll()
}
func (Guarded) GetSecret() string { return "the secret" }
func (Guarded) PutSecret() error  { return nil }

// A service with an Auth method guards every route, answering as API Gateway's authorizer would.
func ExampleAccess() {
	app := coworks.New("guarded", Guarded{})
	show(app, "GET", "/secret", "")
	show(app, "GET", "/secret", "", "Authorization", "wrong")
	show(app, "GET", "/secret", "", "Authorization", "reader-token")
	show(app, "PUT", "/secret", "", "Authorization", "reader-token")
	show(app, "PUT", "/secret", "", "Authorization", "admin-token")
	// Output:
	// GET /secret -> 401 application/json {"message":"Unauthorized"}
	// GET /secret -> 403 application/json {"message":"User is not authorized to access this resource"}
	// GET /secret -> 200 text/plain; charset=utf-8 the secret
	// PUT /secret -> 403 application/json {"message":"User is not authorized to access this resource"}
	// PUT /secret -> 204
}

type Users struct{}

func (Users) Get() []string         { return []string{"ann", "bob"} }
func (Users) GetName(id int) string { return []string{"ann", "bob"}[id] }

// Blueprints add a struct's routes under a prefix; coworks.Admin describes the App.
func ExampleApp_Register() {
	app := coworks.New("simple", &Simple{}).
		Register(Users{}, "/users").
		Register(&coworks.Admin{}, "/admin")
	show(app, "GET", "/users", "")
	show(app, "GET", "/users/name/1", "")
	for _, r := range app.Routes() {
		if strings.HasPrefix(r.Path, "/admin") || strings.HasPrefix(r.Path, "/users") {
			fmt.Println(r.Method, r.Path, r.Handler)
		}
	}
	// Output:
	// GET /users -> 200 application/json ["ann","bob"]
	// GET /users/name/1 -> 200 text/plain; charset=utf-8 bob
	// GET /admin/context Admin.GetContext
	// GET /admin/routes Admin.GetRoutes
	// GET /users Users.Get
	// GET /users/name/{_0} Users.GetName
}

// Hooks run before the first request, before each request (and may answer it), and after each request.
func ExampleWithBeforeRequest() {
	app := coworks.New("simple", &Simple{},
		coworks.WithBeforeFirstRequest(func(ctx context.Context) error {
			fmt.Println("warming up")
			return nil
		}),
		coworks.WithBeforeRequest(func(r *http.Request) (*coworks.Response, error) {
			if r.Header.Get("X-Maintenance") != "" {
				return nil, coworks.NewError(http.StatusServiceUnavailable, "down for maintenance")
			}
			return nil, nil
		}),
		coworks.WithAfterRequest(func(r *http.Request, status int) {
			fmt.Println("served", r.Method, r.URL.Path, status)
		}),
	)
	show(app, "GET", "/", "")
	show(app, "GET", "/", "", "X-Maintenance", "1")
	// Output:
	// warming up
	// served GET / 200
	// GET / -> 200 text/plain; charset=utf-8 Simple microservice ready.
	// served GET / 503
	// GET / -> 503 application/json {"message":"down for maintenance"}
}
