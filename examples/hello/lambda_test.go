package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"testing"

	"github.com/coworks-go/coworks"
)

// proxyResponse is the REST proxy response as API Gateway reads it: exactly these five keys.
type proxyResponse struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

// recordedEvent is aws-lambda-go's recorded API Gateway event (testdata/events/apigw-request.json at the
// repository root), sent to another method and path. Its query string (name=me) is kept only for GET.
func recordedEvent(t *testing.T, method, path, body string, base64Body bool) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/events/apigw-request.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev["httpMethod"], ev["path"], ev["isBase64Encoded"] = method, path, base64Body
	ev["body"] = body
	if method != "GET" {
		ev["queryStringParameters"], ev["multiValueQueryStringParameters"] = nil, nil
	}
	if body == "" {
		ev["body"] = nil
	}
	rc := ev["requestContext"].(map[string]any)
	rc["httpMethod"], rc["path"] = method, "/"+rc["stage"].(string)+path
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHelloAsLambdaFunction drives the hello service through the Lambda transport Start uses in Lambda,
// payload bytes in and out, with the recorded API Gateway event and hand-made ones.
func TestHelloAsLambdaFunction(t *testing.T) {
	t.Setenv("GREETING", "Hello from testStage")
	fn := coworks.NewLambdaHandler(coworks.New("hello", &Hello{}))
	steps := []struct {
		name, method, path, body string
		base64Body               bool
		status                   int
		wantBody                 string
		wantType                 string
	}{
		{"greeting", "GET", "/", "", false, 200, "Hello from testStage", "text/plain; charset=utf-8"},
		{"unset value", "GET", "/value/7", "", false, 200, "0", "application/json"},
		{"store", "PUT", "/value/7", `{"value": 456}`, false, 200, "456", "application/json"},
		{"stored", "GET", "/value/7", "", false, 200, "456", "application/json"},
		{"base64 body", "PUT", "/value/8", base64.StdEncoding.EncodeToString([]byte(`{"value": 9}`)), true, 200, "9", "application/json"},
		{"stage from requestContext", "GET", "/env", "", false, 200, `{"greeting":"Hello from testStage","stage":"testStage"}`, "application/json"},
		{"bad index", "GET", "/value/abc", "", false, 400, "", "application/json"},
		{"malformed body", "PUT", "/value/1", `{"value": `, false, 400, "", "application/json"},
		{"unknown route", "POST", "/hello/world", `{"a": 1}`, false, 404, "", "application/json"},
	}
	for _, s := range steps {
		out, err := fn.Invoke(context.Background(), recordedEvent(t, s.method, s.path, s.body, s.base64Body))
		if err != nil {
			t.Fatalf("%s: Invoke: %v", s.name, err)
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(out, &keys); err != nil {
			t.Fatalf("%s: the response is not a JSON object: %s", s.name, out)
		}
		for k := range keys {
			switch k {
			case "statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded":
			default:
				t.Errorf("%s: key %q would make API Gateway answer 502", s.name, k)
			}
		}
		var res proxyResponse
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != s.status {
			t.Errorf("%s: status %d, want %d (%s)", s.name, res.StatusCode, s.status, res.Body)
		}
		if s.wantBody != "" && res.Body != s.wantBody {
			t.Errorf("%s: body %q, want %q", s.name, res.Body, s.wantBody)
		}
		if got := res.MultiValueHeaders["Content-Type"]; len(got) != 1 || got[0] != s.wantType {
			t.Errorf("%s: Content-Type %q, want %q", s.name, got, s.wantType)
		}
		if res.IsBase64Encoded {
			t.Errorf("%s: a text answer was base64-encoded", s.name)
		}
	}
}
