package coworks

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

type routedHandler struct{ http.Handler }

func (routedHandler) Routes() []Route {
	return []Route{{Method: "GET", Path: "/value/{_0}", Handler: "GetValue", Signature: "func(index int) (any, error)"}}
}

func TestWriteRoutes(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    http.Handler
		want []Route
	}{
		{"RouteTable", routedHandler{http.NewServeMux()}, routedHandler{}.Routes()},
		{"plain handler", http.NewServeMux(), CatchAllRoutes()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := writeRoutes(&out, tc.h); err != nil {
				t.Fatal(err)
			}
			var got []Route
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("%v in %s", err, out.String())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("routes %+v, want %+v", got, tc.want)
			}
		})
	}
}
