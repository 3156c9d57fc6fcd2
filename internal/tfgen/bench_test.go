package tfgen

import (
	"fmt"
	"testing"

	"github.com/coworks-go/coworks"
)

// bigApp is an app with 300 routes (150 paths, GET and PUT each, half with a path parameter) and 10 stages
// sharing the API of the first.
func bigApp() []Input {
	routes := make([]coworks.Route, 0, 300)
	for i := 0; len(routes) < 300; i++ {
		p := fmt.Sprintf("/resource%d", i)
		if i%2 == 1 {
			p += "/{_0}"
		}
		routes = append(routes, coworks.Route{Method: "GET", Path: p}, coworks.Route{Method: "PUT", Path: p})
	}
	inputs := make([]Input, 10)
	for i := range inputs {
		in := baseInput(fmt.Sprintf("stage%d", i))
		in.Routes = routes
		in.Authorizer = true
		if i > 0 {
			in.RestAPI = RestAPIRef{Stage: "stage0"}
		}
		inputs[i] = in
	}
	return inputs
}

// BenchmarkGenerate300Routes10Stages measures generating every root of a 300-route app with 10 stages (one
// API root, ten stage roots). The goal is under 200 ms per op; it reports the resources per root.
func BenchmarkGenerate300Routes10Stages(b *testing.B) {
	inputs := bigApp()
	var api, stage int
	for b.Loop() {
		for _, in := range inputs {
			out, err := Generate(in)
			if err != nil {
				b.Fatal(err)
			}
			if out.OwnsAPI {
				api = out.Resources[out.APIRoot]
			}
			stage = out.Resources[out.StageRoot]
		}
	}
	b.ReportMetric(float64(api), "resources/api")
	b.ReportMetric(float64(stage), "resources/stage")
}

func TestBigAppStaysSmallInTerraform(t *testing.T) {
	var api, stage int
	for _, in := range bigApp() {
		out, err := Generate(in)
		if err != nil {
			t.Fatal(err)
		}
		if out.OwnsAPI {
			api += out.Resources[out.APIRoot]
		}
		stage = out.Resources[out.StageRoot]
	}
	// A body-defined API needs no per-route resources: 300 routes stay one REST API resource.
	if api != 1 || stage != 10 {
		t.Errorf("300 routes, 10 stages: %d API resources, %d per stage; want 1 and 10 (9 + authorizer permission)", api, stage)
	}
}
