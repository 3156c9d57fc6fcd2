package coworks

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

type resulter struct{}

type greeting string

func (resulter) GetText() string           { return "hi" }
func (resulter) GetNamedText() greeting    { return "named" }
func (resulter) GetBytes() []byte          { return []byte{0, 1, 2} }
func (resulter) GetJSON() map[string]int   { return map[string]int{"a": 1} }
func (resulter) GetNumber() int            { return 7 }
func (resulter) GetStatus() (string, int)  { return "made", http.StatusCreated }
func (resulter) GetNothing()               {}
func (resulter) GetNilError() error        { return nil }
func (resulter) GetAnyText() any           { return "dynamic" }
func (resulter) GetAnyBytes() (any, error) { return []byte("raw"), nil }
func (resulter) GetAnyJSON() (any, error)  { return []int{1, 2}, nil }
func (resulter) GetAnyNil() (any, error)   { return nil, nil }
func (resulter) GetTeapot() (string, error) {
	return "ignored", NewError(http.StatusTeapot, "short and stout")
}
func (resulter) GetWrapped() error {
	return fmt.Errorf("looking up: %w", NotFound("no value at %d", 3))
}
func (resulter) GetSecret() (int, error)   { return 0, errors.New("db password hunter2 rejected") }
func (resulter) GetNilCoworksError() error { var e *Error; return e }
func (resulter) GetBadStatus() (string, int) {
	return "x", 42
}
func (resulter) GetUnencodable() any { return func() {} }
func (resulter) GetHeaders() (map[string]string, int, http.Header) {
	return map[string]string{"ok": "yes"}, http.StatusAccepted, http.Header{"X-Extra": {"1", "2"}}
}
func (resulter) GetResponse() *Response {
	return &Response{Status: http.StatusFound, Header: http.Header{"Location": {"/elsewhere"}}, Body: []byte("moved")}
}
func (resulter) GetResponseValue() Response {
	return Response{Header: http.Header{"Content-Type": {"text/csv"}}, Body: []byte("a,b\n")}
}
func (resulter) GetNilResponse() *Response { return nil }
func (resulter) GetPanic() string          { panic("boom: secret detail") }

func TestResults(t *testing.T) {
	var logs bytes.Buffer
	app := New("results", resulter{}, WithLogger(newTestLogger(&logs)))
	tests := []struct {
		target      string
		status      int
		contentType string
		body        string
		header      string // "Name: v1,v2"
	}{
		{"/text", 200, "text/plain; charset=utf-8", "hi", ""},
		{"/named/text", 200, "text/plain; charset=utf-8", "named", ""},
		{"/bytes", 200, "application/octet-stream", "\x00\x01\x02", ""},
		{"/json", 200, "application/json", `{"a":1}`, ""},
		{"/number", 200, "application/json", `7`, ""},
		{"/status", 201, "text/plain; charset=utf-8", "made", ""},
		{"/nothing", 204, "", "", ""},
		{"/nil/error", 204, "", "", ""},
		{"/any/text", 200, "text/plain; charset=utf-8", "dynamic", ""},
		{"/any/bytes", 200, "application/octet-stream", "raw", ""},
		{"/any/json", 200, "application/json", "[1,2]", ""},
		{"/any/nil", 200, "application/json", "null", ""},
		{"/headers", 202, "application/json", `{"ok":"yes"}`, "X-Extra: 1,2"},
		{"/response", 302, "", "moved", "Location: /elsewhere"},
		{"/response/value", 200, "text/csv", "a,b\n", ""},
		{"/teapot", 418, "application/json", `{"message":"short and stout"}`, ""},
		{"/wrapped", 404, "application/json", `{"message":"no value at 3"}`, ""},
		{"/secret", 500, "application/json", `{"message":"Internal server error"}`, ""},
		{"/nil/coworks/error", 500, "application/json", `{"message":"Internal server error"}`, ""},
		{"/bad/status", 500, "application/json", `{"message":"Internal server error"}`, ""},
		{"/unencodable", 500, "application/json", `{"message":"Internal server error"}`, ""},
		{"/nil/response", 500, "application/json", `{"message":"Internal server error"}`, ""},
		{"/panic", 500, "application/json", `{"message":"Internal server error"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			w := call(t, app, "GET", tt.target, "")
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (body %q)", w.Code, tt.status, w.Body.String())
			}
			if ct := w.Header().Get("Content-Type"); tt.contentType != "" && ct != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", ct, tt.contentType)
			}
			if w.Body.String() != tt.body {
				t.Errorf("body = %q, want %q", w.Body.String(), tt.body)
			}
			if tt.header != "" {
				name, want, _ := strings.Cut(tt.header, ": ")
				if got := strings.Join(w.Header().Values(name), ","); got != want {
					t.Errorf("header %s = %q, want %q", name, got, want)
				}
			}
		})
	}
	if strings.Contains(call(t, app, "GET", "/secret", "").Body.String(), "hunter2") {
		t.Error("an internal error's detail reached the client")
	}
	for _, want := range []string{"db password hunter2 rejected", "boom: secret detail", "handler returned invalid HTTP status 42",
		"encoding the result as JSON", "handler returned a nil *Response"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestErrorConstructors(t *testing.T) {
	tests := []struct {
		err    *Error
		status int
		msg    string
	}{
		{NewError(409, "taken"), 409, "taken"},
		{Errorf(422, "field %s", "x"), 422, "field x"},
		{BadRequest("bad %d", 1), 400, "bad 1"},
		{NotFound("no %s", "thing"), 404, "no thing"},
		{&Error{Message: "unset"}, 500, "unset"},
	}
	for _, tt := range tests {
		if tt.err.status() != tt.status || tt.err.Error() != tt.msg {
			t.Errorf("%#v: status %d, message %q; want %d, %q", tt.err, tt.err.status(), tt.err.Error(), tt.status, tt.msg)
		}
	}
}
