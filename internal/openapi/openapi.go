// Package openapi builds the OpenAPI 3 document of a CoWorks service as API Gateway imports it: one path per
// route, every method integrated with the stage's Lambda function through an aws_proxy integration, the TOKEN
// authorizer when the service has one, and the binary media types. It is pure: no I/O, and the same input
// always gives the same bytes, so a hash of the document is a stable redeployment trigger.
package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/coworks-go/coworks"
)

// Version is the OpenAPI version written in every document.
const Version = "3.0.1"

// AuthorizerName is the name of the security scheme (and so of the API Gateway authorizer) written when the
// service has an Auth method.
const AuthorizerName = "cws_authorizer"

// AuthorizerTTL is the authorizer result cache time, in seconds (API Gateway's default).
const AuthorizerTTL = 300

// Spec is everything the document depends on.
type Spec struct {
	// Title is the API's title, the app name.
	Title string
	// Routes is the route table of the function; at least one route.
	Routes []coworks.Route
	// BinaryMediaTypes are the media types API Gateway passes to the function base64-encoded ("image/png", "*/*").
	BinaryMediaTypes []string
	// Authorizer is true when the service decides access (has Auth): every method is then guarded by a TOKEN
	// authorizer on the Authorization header, answered by the same function.
	Authorizer bool
	// IntegrationURI is the API Gateway URI invoking the function, for the routes and the authorizer alike,
	// usually built by LambdaIntegrationURI; it may hold stage variables (${stageVariables.cws_stage}).
	IntegrationURI string
}

// LambdaIntegrationURI returns the API Gateway integration URI that invokes the Lambda function functionARN
// (which may contain stage variables) in region.
func LambdaIntegrationURI(partition, region, functionARN string) string {
	return fmt.Sprintf("arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", partition, region, functionARN)
}

// Partition returns the AWS partition of region: "aws-cn" for China, "aws-us-gov" for GovCloud, "aws" otherwise.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// operationKeys maps route methods to OpenAPI path item keys.
var operationKeys = map[string]string{
	"GET": "get", "PUT": "put", "POST": "post", "DELETE": "delete", "OPTIONS": "options", "HEAD": "head",
	"PATCH": "patch", "ANY": "x-amazon-apigateway-any-method",
}

// Generate returns the document as indented JSON with sorted keys. It fails, naming the route, on an empty
// route table, an unknown method, a path API Gateway would refuse, or a route listed twice.
func Generate(s Spec) ([]byte, error) {
	if s.Title == "" {
		return nil, fmt.Errorf("openapi: the API needs a title (the app name)")
	}
	if s.IntegrationURI == "" {
		return nil, fmt.Errorf("openapi: no integration URI for the function")
	}
	if len(s.Routes) == 0 {
		return nil, fmt.Errorf("openapi: the route table is empty; a service needs at least one route")
	}
	paths := map[string]map[string]any{}
	for _, r := range s.Routes {
		key, ok := operationKeys[r.Method]
		if !ok {
			return nil, fmt.Errorf("openapi: route %s %s: unknown method %q (want GET, PUT, POST, DELETE, OPTIONS, HEAD, PATCH or ANY)", r.Method, r.Path, r.Method)
		}
		params, err := pathParameters(r.Path)
		if err != nil {
			return nil, fmt.Errorf("openapi: route %s %s: %w", r.Method, r.Path, err)
		}
		item := paths[r.Path]
		if item == nil {
			item = map[string]any{}
			if len(params) > 0 {
				item["parameters"] = params
			}
			paths[r.Path] = item
		}
		if _, dup := item[key]; dup {
			return nil, fmt.Errorf("openapi: route %s %s is listed twice", r.Method, r.Path)
		}
		item[key] = operation(s, r)
	}
	doc := map[string]any{
		"openapi": Version,
		"info":    map[string]any{"title": s.Title, "version": "1.0"},
		"paths":   paths,
	}
	if len(s.BinaryMediaTypes) > 0 {
		doc["x-amazon-apigateway-binary-media-types"] = s.BinaryMediaTypes
	}
	if s.Authorizer {
		doc["components"] = map[string]any{"securitySchemes": map[string]any{AuthorizerName: map[string]any{
			"type": "apiKey", "name": "Authorization", "in": "header",
			"x-amazon-apigateway-authtype": "custom",
			"x-amazon-apigateway-authorizer": map[string]any{
				"type":                         "token",
				"authorizerUri":                s.IntegrationURI,
				"identitySource":               "method.request.header.Authorization",
				"authorizerResultTtlInSeconds": AuthorizerTTL,
			},
		}}}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("openapi: encoding the document: %w", err)
	}
	return buf.Bytes(), nil
}

// operation is one method of a path: the Lambda proxy integration, and the authorizer when there is one.
func operation(s Spec, r coworks.Route) map[string]any {
	op := map[string]any{
		"responses": map[string]any{"default": map[string]any{"description": "The function's response (Lambda proxy integration)."}},
		"x-amazon-apigateway-integration": map[string]any{
			"type":                "aws_proxy",
			"httpMethod":          "POST",
			"uri":                 s.IntegrationURI,
			"passthroughBehavior": "when_no_match",
		},
	}
	if r.Handler != "" {
		op["operationId"] = strings.ReplaceAll(r.Handler, ".", "_") + "_" + strings.ToLower(r.Method)
	}
	if s.Authorizer {
		op["security"] = []any{map[string]any{AuthorizerName: []any{}}}
	}
	return op
}

// pathParameters checks an API Gateway resource path and declares its variables as required path parameters.
func pathParameters(path string) ([]any, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("path must start with /")
	}
	if path == "/" {
		return nil, nil
	}
	if strings.HasSuffix(path, "/") {
		return nil, fmt.Errorf("path must not end with /")
	}
	var params []any
	segments := strings.Split(path[1:], "/")
	for i, seg := range segments {
		if seg == "" {
			return nil, fmt.Errorf("empty path segment")
		}
		if !strings.HasPrefix(seg, "{") || !strings.HasSuffix(seg, "}") {
			if strings.ContainsAny(seg, "{}") {
				return nil, fmt.Errorf("segment %q: a variable must be a whole segment", seg)
			}
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}")
		greedy := strings.HasSuffix(name, "+")
		name = strings.TrimSuffix(name, "+")
		if name == "" || strings.ContainsAny(name, "{}+") {
			return nil, fmt.Errorf("segment %q is not a valid variable", seg)
		}
		if greedy && i != len(segments)-1 {
			return nil, fmt.Errorf("greedy variable %q must be the last segment", seg)
		}
		params = append(params, map[string]any{
			"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"},
		})
	}
	return params, nil
}
