package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coworks-go/coworks"
)

const uri = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:simple-${stageVariables.cws_stage}/invocations"

func simpleSpec() Spec {
	return Spec{
		Title: "simple",
		Routes: []coworks.Route{
			{Method: "GET", Path: "/", Handler: "Get"},
			{Method: "GET", Path: "/value/{_0}", Handler: "GetValue"},
			{Method: "PUT", Path: "/value/{_0}", Handler: "PutValue"},
			{Method: "ANY", Path: "/files/{proxy+}"},
			{Method: "ANY", Path: "/{proxy+}"},
			{Method: "HEAD", Path: "/admin/route", Handler: "Admin.HeadRoute"},
		},
		BinaryMediaTypes: []string{"image/png", "application/octet-stream"},
		Authorizer:       true,
		IntegrationURI:   uri,
	}
}

// load validates doc with kin-openapi's loader and validator, as an OpenAPI 3 consumer would.
func load(t *testing.T, doc []byte) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	api, err := loader.LoadFromData(doc)
	if err != nil {
		t.Fatalf("kin-openapi cannot load the document: %v\n%s", err, doc)
	}
	if err := api.Validate(context.Background()); err != nil {
		t.Fatalf("kin-openapi rejects the document: %v\n%s", err, doc)
	}
	return api
}

func TestGenerateIsValidOpenAPIWithAPIGatewayExtensions(t *testing.T) {
	doc, err := Generate(simpleSpec())
	if err != nil {
		t.Fatal(err)
	}
	api := load(t, doc)

	value := api.Paths.Find("/value/{_0}")
	if value == nil || value.Get == nil || value.Put == nil {
		t.Fatalf("GET and PUT /value/{_0} missing: %+v", value)
	}
	if len(value.Parameters) != 1 || value.Parameters[0].Value.Name != "_0" || value.Parameters[0].Value.In != "path" || !value.Parameters[0].Value.Required {
		t.Errorf("/value/{_0} must declare _0 as a required path parameter, got %+v", value.Parameters)
	}
	integ, ok := value.Get.Extensions["x-amazon-apigateway-integration"].(map[string]any)
	if !ok {
		t.Fatalf("GET /value/{_0} has no x-amazon-apigateway-integration: %+v", value.Get.Extensions)
	}
	want := map[string]any{"type": "aws_proxy", "httpMethod": "POST", "uri": uri, "passthroughBehavior": "when_no_match"}
	for k, v := range want {
		if integ[k] != v {
			t.Errorf("integration %s = %v, want %v", k, integ[k], v)
		}
	}
	proxy := api.Paths.Find("/{proxy+}")
	if proxy == nil {
		t.Fatal("catch-all /{proxy+} missing")
	}
	if _, ok := proxy.Extensions["x-amazon-apigateway-any-method"]; !ok {
		t.Errorf("ANY must be written as x-amazon-apigateway-any-method, got %+v", proxy.Extensions)
	}
	if proxy.Parameters[0].Value.Name != "proxy" {
		t.Errorf("greedy parameter must be named proxy, got %q", proxy.Parameters[0].Value.Name)
	}
	if got := api.Paths.Find("/admin/route"); got == nil || got.Head == nil {
		t.Errorf("HEAD /admin/route missing")
	}
	if got := api.Extensions["x-amazon-apigateway-binary-media-types"]; got == nil || len(got.([]any)) != 2 {
		t.Errorf("binary media types = %v, want 2 types", got)
	}

	scheme := api.Components.SecuritySchemes[AuthorizerName]
	if scheme == nil || scheme.Value.Extensions["x-amazon-apigateway-authtype"] != "custom" {
		t.Fatalf("security scheme %s with authtype custom missing: %+v", AuthorizerName, scheme)
	}
	authz := scheme.Value.Extensions["x-amazon-apigateway-authorizer"].(map[string]any)
	if authz["type"] != "token" || authz["authorizerUri"] != uri || authz["identitySource"] != "method.request.header.Authorization" || authz["authorizerResultTtlInSeconds"] != float64(300) {
		t.Errorf("authorizer = %v", authz)
	}
	if sec := value.Get.Security; sec == nil || len(*sec) != 1 {
		t.Errorf("GET /value/{_0} must be guarded by the authorizer, security = %v", sec)
	}
	if !strings.Contains(string(doc), "${stageVariables.cws_stage}") {
		t.Errorf("the stage variable must reach the document unescaped:\n%s", doc)
	}
}

func TestGenerateWithoutAuthorizerHasNoSecurity(t *testing.T) {
	s := simpleSpec()
	s.Authorizer = false
	s.BinaryMediaTypes = nil
	doc, err := Generate(s)
	if err != nil {
		t.Fatal(err)
	}
	api := load(t, doc)
	if api.Components != nil && len(api.Components.SecuritySchemes) > 0 {
		t.Errorf("no Auth, yet security schemes: %v", api.Components.SecuritySchemes)
	}
	if bytes.Contains(doc, []byte("security")) || bytes.Contains(doc, []byte("binary-media-types")) {
		t.Errorf("unexpected security or binary types:\n%s", doc)
	}
}

func TestGenerateIsDeterministicWhateverTheRouteOrder(t *testing.T) {
	a := simpleSpec()
	b := simpleSpec()
	for i, j := 0, len(b.Routes)-1; i < j; i, j = i+1, j-1 {
		b.Routes[i], b.Routes[j] = b.Routes[j], b.Routes[i]
	}
	da, err := Generate(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := Generate(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(da, db) {
		t.Errorf("route order changed the document:\n%s\n---\n%s", da, db)
	}
	var keys struct {
		Paths json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(da, &keys); err != nil {
		t.Fatal(err)
	}
	if i, j := bytes.Index(keys.Paths, []byte(`"/admin/route"`)), bytes.Index(keys.Paths, []byte(`"/{proxy+}"`)); i < 0 || j < i {
		t.Errorf("paths are not sorted")
	}
}

func TestGenerateRejectsBadRoutes(t *testing.T) {
	cases := map[string]struct {
		route coworks.Route
		want  string
	}{
		"method":       {coworks.Route{Method: "FETCH", Path: "/"}, `unknown method "FETCH"`},
		"relative":     {coworks.Route{Method: "GET", Path: "value"}, "must start with /"},
		"trailing":     {coworks.Route{Method: "GET", Path: "/value/"}, "must not end with /"},
		"empty seg":    {coworks.Route{Method: "GET", Path: "/a//b"}, "empty path segment"},
		"partial var":  {coworks.Route{Method: "GET", Path: "/res{id}"}, "whole segment"},
		"greedy child": {coworks.Route{Method: "GET", Path: "/{proxy+}/x"}, "must be the last segment"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := simpleSpec()
			s.Routes = []coworks.Route{c.route}
			_, err := Generate(s)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
	s := simpleSpec()
	s.Routes = append(s.Routes, coworks.Route{Method: "GET", Path: "/"})
	if _, err := Generate(s); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("duplicate route: err = %v", err)
	}
	s.Routes = nil
	if _, err := Generate(s); err == nil || !strings.Contains(err.Error(), "route table is empty") {
		t.Errorf("empty table: err = %v", err)
	}
}

func TestLambdaIntegrationURIAndPartition(t *testing.T) {
	got := LambdaIntegrationURI(Partition("cn-north-1"), "cn-north-1", "arn:aws-cn:lambda:cn-north-1:1:function:f")
	want := "arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/arn:aws-cn:lambda:cn-north-1:1:function:f/invocations"
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if Partition("eu-west-1") != "aws" || Partition("us-gov-west-1") != "aws-us-gov" {
		t.Error("partition")
	}
}
