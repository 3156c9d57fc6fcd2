package coworks

import (
	"reflect"
	"testing"
)

func TestParseRouteName(t *testing.T) {
	tests := []struct {
		name     string
		ok       bool
		method   string
		segments []string
	}{
		{"Get", true, "GET", nil},
		{"GetServiceTest", true, "GET", []string{"service", "test"}},
		{"PostValue", true, "POST", []string{"value"}},
		{"PutValue", true, "PUT", []string{"value"}},
		{"DeleteValue", true, "DELETE", []string{"value"}},
		{"PatchValue", true, "PATCH", []string{"value"}},
		{"GetContent_", true, "GET", []string{"content"}},
		{"GetContent__", true, "GET", []string{"content"}},
		{"Get_", true, "GET", nil},
		{"GetHTTPStatus", true, "GET", []string{"http", "status"}},
		{"GetUserID", true, "GET", []string{"user", "id"}},
		{"GetV2Items", true, "GET", []string{"v2", "items"}},
		{"GetSnake_case", true, "GET", []string{"snake", "case"}},
		{"Getter", false, "", nil},
		{"Posted", false, "", nil},
		{"Auth", false, "", nil},
		{"Helper", false, "", nil},
		{"Head", false, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rn, ok := parseRouteName(tt.name)
			if ok != tt.ok {
				t.Fatalf("parseRouteName(%q) ok = %v, want %v", tt.name, ok, tt.ok)
			}
			if !ok {
				return
			}
			if rn.method != tt.method || !reflect.DeepEqual(rn.segments, tt.segments) {
				t.Errorf("parseRouteName(%q) = %s %q, want %s %q", tt.name, rn.method, rn.segments, tt.method, tt.segments)
			}
		})
	}
}

func TestRoutePath(t *testing.T) {
	tests := []struct {
		prefix string
		words  []string
		params int
		want   string
	}{
		{"", nil, 0, "/"},
		{"", nil, 1, "/{_0}"},
		{"", []string{"value"}, 1, "/value/{_0}"},
		{"", []string{"content"}, 2, "/content/{_0}/{_1}"},
		{"/admin", []string{"routes"}, 0, "/admin/routes"},
		{"/admin", nil, 0, "/admin"},
		{"", []string{"a"}, 12, "/a/{_0}/{_1}/{_2}/{_3}/{_4}/{_5}/{_6}/{_7}/{_8}/{_9}/{_10}/{_11}"},
	}
	for _, tt := range tests {
		if got := routePath(tt.prefix, tt.words, tt.params); got != tt.want {
			t.Errorf("routePath(%q, %q, %d) = %q, want %q", tt.prefix, tt.words, tt.params, got, tt.want)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"/value/*", "/value/42", true},
		{"/value/*", "/value/42/x", true},
		{"/value/*", "/value", false},
		{"*", "/", true},
		{"/", "/", true},
		{"/a*b*c", "/axxbyyc", true},
		{"/a*b*c", "/axxbyy", false},
		{"/value/{_0}", "/value/{_0}", true},
		{"/v*/*/x", "/value/1/x", true},
		{"", "", true},
		{"", "/", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
