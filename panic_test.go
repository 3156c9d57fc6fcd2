package coworks

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

type dupRoute struct{}

func (dupRoute) GetContent() string  { return "" }
func (dupRoute) GetContent_() string { return "" }

type dupParamRoute struct{}

func (dupParamRoute) GetValue(i int) string     { return "" }
func (dupParamRoute) GetValue_(s string) string { return "" }

type badParam struct{}

func (badParam) GetThing(ch chan int) string { return "" }

type afterBody struct{}

func (afterBody) PostThing(m map[string]any, i int) string { return "" }

type twoErrors struct{}

func (twoErrors) GetThing() (error, error) { return nil, nil }

type badStatus struct{}

func (badStatus) GetThing() (string, string) { return "", "" }

type badHeader struct{}

func (badHeader) GetThing() (string, int, map[string]string) { return "", 0, nil }

type tooMany struct{}

func (tooMany) GetThing() (string, int, http.Header, int, error) { return "", 0, nil, 0, nil }

type funcResult struct{}

func (funcResult) GetThing() func() { return nil }

type responseStatus struct{}

func (responseStatus) GetThing() (*Response, int) { return nil, 0 }

type badAuth struct{}

func (badAuth) Auth(ctx context.Context, token string) bool { return true }
func (badAuth) Get() string                                 { return "" }

type noRoutes struct{}

func (noRoutes) Helper() {}

type pointerRoutes struct{}

func (*pointerRoutes) Get() string { return "" }

type dupFields struct {
	X string
	B string `json:"X"`
}

type dupFieldService struct{}

func (dupFieldService) PostThing(in dupFields) string { return "" }

func TestRegistrationPanics(t *testing.T) {
	tests := []struct {
		name    string
		service any
		want    string
	}{
		{"two handlers", dupRoute{}, "coworks: GetContent and GetContent_ both serve GET /content"},
		{"two handlers with params", dupParamRoute{}, "coworks: GetValue and GetValue_ both serve GET /value/{_0}"},
		{"parameter type", badParam{}, "coworks: GetThing: parameter 1 has unsupported type chan int"},
		{"parameter after body", afterBody{}, "coworks: PostThing: parameter 2 (int) comes after the body parameter"},
		{"error first", twoErrors{}, "coworks: GetThing: unsupported results func() (error, error): error must be the last result"},
		{"status type", badStatus{}, "coworks: GetThing: unsupported results func() (string, string): the second result must be the int status"},
		{"header type", badHeader{}, "the third result must be an http.Header"},
		{"too many", tooMany{}, "coworks: GetThing: unsupported results func() (string, int, http.Header, int, error): too many results"},
		{"func result", funcResult{}, "coworks: GetThing: unsupported results func() func(): func() cannot be encoded as JSON"},
		{"response with status", responseStatus{}, "a Response carries its own status and headers"},
		{"auth shape", badAuth{}, "coworks: coworks.badAuth.Auth has type func(context.Context, string) bool"},
		{"no routes", noRoutes{}, "coworks: coworks.noRoutes has no route methods"},
		{"pointer receivers", pointerRoutes{}, "(methods with a pointer receiver need a pointer: pass &pointerRoutes{})"},
		{"duplicate json names", dupFieldService{}, `coworks: PostThing: struct coworks.dupFields has two fields named "X"`},
		{"nil service", nil, "coworks: New: service is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := panicMessage(func() { New("bad", tt.service) })
			if !strings.Contains(got, tt.want) {
				t.Errorf("panic = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

func TestRegisterPanics(t *testing.T) {
	tests := []struct {
		prefix string
		bp     any
		want   string
	}{
		{"admin", &Admin{}, `coworks: Register: prefix "admin" must be empty or a literal path`},
		{"/admin/", &Admin{}, `coworks: Register: prefix "/admin/" must be empty`},
		{"/{x}", &Admin{}, `coworks: Register: prefix "/{x}" must be empty`},
		{"/a", nil, "coworks: Register: blueprint is nil"},
		{"", &extra{}, "coworks: Get and extra.Get both serve GET /"},
	}
	for _, tt := range tests {
		got := panicMessage(func() { New("x", &extra{}).Register(tt.bp, tt.prefix) })
		if !strings.Contains(got, tt.want) {
			t.Errorf("Register(%T, %q) panic = %q, want it to contain %q", tt.bp, tt.prefix, got, tt.want)
		}
	}
}

// panicMessage runs f and returns what it panicked with, "" if it did not.
func panicMessage(f func()) (msg string) {
	defer func() {
		if p := recover(); p != nil {
			msg, _ = p.(string)
			if msg == "" {
				msg = "non-string panic"
			}
		}
	}()
	f()
	return ""
}
