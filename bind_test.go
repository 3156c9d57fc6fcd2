package coworks

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

type Embedded struct {
	Page int `json:"page"`
}

type queryIn struct {
	Embedded
	Name   string   `json:"name"`
	Count  int      `json:"count"`
	Ratio  float32  `json:"ratio"`
	OK     bool     `json:"ok"`
	Tags   []string `json:"tags"`
	Nums   []int    `json:"nums"`
	Plain  string
	Hidden string          `json:"-"`
	Nested struct{ X int } `json:"nested"`
}

type binder struct{}

func (binder) PostQuery(in queryIn) queryIn               { return in }
func (binder) PutPtr(id int, in *queryIn) map[string]any  { return map[string]any{"id": id, "in": in} }
func (binder) PostAll(m map[string]any) map[string]any    { return m }
func (binder) PostMixed(a string, m map[string]any) []any { return []any{a, m} }

func TestBindStruct(t *testing.T) {
	app := New("bind", binder{})
	tests := []struct {
		name, method, target, body, ctype string
		want                              queryIn
	}{
		{name: "query scalars", method: "POST", target: "/query?name=bob&count=3&ratio=0.5&ok=true&page=2&Plain=p",
			want: queryIn{Embedded: Embedded{Page: 2}, Name: "bob", Count: 3, Ratio: 0.5, OK: true, Plain: "p"}},
		{name: "query slices", method: "POST", target: "/query?tags=a&tags=b&nums=1&nums=2&nums=3",
			want: queryIn{Tags: []string{"a", "b"}, Nums: []int{1, 2, 3}}},
		{name: "query decoding", method: "POST", target: "/query?name=a+b%26c",
			want: queryIn{Name: "a b&c"}},
		{name: "json body", method: "POST", target: "/query", body: `{"name":"ann","count":4,"tags":["x"],"nested":{"X":9}}`,
			want: queryIn{Name: "ann", Count: 4, Tags: []string{"x"}, Nested: struct{ X int }{9}}},
		{name: "query overrides body", method: "POST", target: "/query?count=5&tags=q", body: `{"name":"ann","count":4,"tags":["x"]}`,
			want: queryIn{Name: "ann", Count: 5, Tags: []string{"q"}}},
		{name: "form body", method: "POST", target: "/query", body: "name=form&tags=1&tags=2", ctype: "application/x-www-form-urlencoded",
			want: queryIn{Name: "form", Tags: []string{"1", "2"}}},
		{name: "JSON body sent as a form (curl -d)", method: "POST", target: "/query", body: `{"name": "curl"}`, ctype: "application/x-www-form-urlencoded",
			want: queryIn{Name: "curl"}},
		{name: "empty body", method: "POST", target: "/query", body: "  ", want: queryIn{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := call(t, app, tt.method, tt.target, tt.body, "Content-Type", tt.ctype)
			if w.Code != 200 {
				t.Fatalf("status = %d, body %q", w.Code, w.Body.String())
			}
			var got queryIn
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("bound %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestBindPointerStruct(t *testing.T) {
	app := New("bind", binder{})
	w := call(t, app, "PUT", "/ptr/7?name=z", `{"count":1}`)
	if w.Code != 200 {
		t.Fatalf("status = %d, body %q", w.Code, w.Body.String())
	}
	var got struct {
		ID int     `json:"id"`
		In queryIn `json:"in"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != 7 || got.In.Name != "z" || got.In.Count != 1 {
		t.Errorf("got %+v, want id 7, name z, count 1", got)
	}
}

func TestBindMap(t *testing.T) {
	app := New("bind", binder{})
	w := call(t, app, "POST", "/all?a=1&b=x&b=y&c=", `{"d":{"e":true},"a":"body"}`)
	if w.Code != 200 {
		t.Fatalf("status = %d, body %q", w.Code, w.Body.String())
	}
	want := `{"a":"1","b":["x","y"],"c":"","d":{"e":true}}`
	if got := strings.TrimSpace(w.Body.String()); got != want {
		t.Errorf("map = %s, want %s", got, want)
	}
	w = call(t, app, "POST", "/mixed/p?q=1", "")
	if got := strings.TrimSpace(w.Body.String()); got != `["p",{"q":"1"}]` {
		t.Errorf("path param + map = %s", got)
	}
	w = call(t, app, "POST", "/all", "")
	if got := strings.TrimSpace(w.Body.String()); got != `{}` {
		t.Errorf("map without parameters = %s, want {}", got)
	}
}

func TestBindErrors(t *testing.T) {
	app := New("bind", binder{})
	tests := []struct {
		name, target, body, ctype, msg string
	}{
		{"unknown query key", "/query?nope=1", "", "", `unexpected parameter "nope"`},
		{"json-only key in query", "/query?Hidden=1", "", "", `unexpected parameter "Hidden"`},
		{"unknown body key", "/query", `{"nope":1}`, "", `unexpected parameter "nope"`},
		{"query type", "/query?count=x", "", "", `parameter "count": "x" is not a valid int`},
		{"query slice type", "/query?nums=1&nums=x", "", "", `parameter "nums": "x" is not a valid int`},
		{"struct in query", "/query?nested=1", "", "", `parameter "nested" cannot be given in the query string (type struct { X int }): send it in a JSON body`},
		{"malformed body", "/query", `{"name":`, "", "request body is not valid JSON: unexpected EOF"},
		{"trailing data", "/query", `{"name":"a"} x`, "", "request body is not valid JSON: data after the JSON value"},
		{"body type", "/query", `{"count":"x"}`, "", `parameter "count": expected int, got JSON string`},
		{"bad escape", "/query?name=%zz", "", "", `query string: "%zz" is not a valid value of parameter "name"`},
		{"map body not object", "/all", `[1]`, "", "request body must be a JSON object, got JSON array"},
		{"struct body not object", "/query", `"x"`, "", "request body must be a JSON object, got JSON string"},
		{"form unknown key", "/query", "zzz=1", "application/x-www-form-urlencoded", `unexpected parameter "zzz"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.target
			w := call(t, app, "POST", path, tt.body, "Content-Type", tt.ctype)
			if w.Code != 400 {
				t.Fatalf("status = %d, want 400 (body %q)", w.Code, w.Body.String())
			}
			if msg := message(t, w); msg != tt.msg {
				t.Errorf("message = %q, want %q", msg, tt.msg)
			}
		})
	}
}
