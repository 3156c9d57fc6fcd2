package apigw

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

var testIDs = RequestIDs{RequestID: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", ExtendedRequestID: "TWegAcC4EowCHnA=", TraceID: "Root=1-5ebe3065-c6af9ac67b6111e69a4193e8"}

func TestProxyResponseValidation(t *testing.T) {
	// The AWS-observed table of spec §2.1, and the malformed cases around it.
	tests := []struct {
		name    string
		payload string
		status  int
		body    string
		header  http.Header // subset expected
	}{
		{"status only", `{"statusCode":200}`, 200, "", http.Header{"Content-Type": {"application/json"}}},
		{"no statusCode defaults to 200", `{"headers":{"test-header":"value"}}`, 200, "", http.Header{"test-header": {"value"}}},
		{"numeric string status", `{"statusCode":"201"}`, 201, "", nil},
		{"integral float status", `{"statusCode":404.0,"body":"nope"}`, 404, "nope", nil},
		{"null maps allowed", `{"statusCode":200,"headers":null,"multiValueHeaders":null,"body":null,"isBase64Encoded":null}`, 200, "", nil},
		{"bool header value", `{"statusCode":200,"headers":{"flag":true}}`, 200, "", http.Header{"flag": {"true"}}},
		{"number header values as written", `{"statusCode":200,"headers":{"Content-Length":12,"X-Ratio":1.50,"X-Big":-2e3}}`, 200, "",
			http.Header{"x-amzn-Remapped-Content-Length": {"12"}, "X-Ratio": {"1.50"}, "X-Big": {"-2e3"}}},
		{"null header value sends no header", `{"statusCode":200,"headers":{"X-Gone":null,"X-Kept":"v"}}`, 200, "", http.Header{"X-Kept": {"v"}, "X-Gone": nil}},
		{"numbers and nulls in multiValueHeaders", `{"statusCode":200,"multiValueHeaders":{"X-N":[1,null,"two",false]}}`, 200, "", http.Header{"X-N": {"1", "two", "false"}}},
		{"body and content type", `{"statusCode":200,"headers":{"content-type":"text/plain"},"body":"hi"}`, 200, "hi", http.Header{"content-type": {"text/plain"}}},
		{"whitespace around object", " \n{\"statusCode\":204}\n", 204, "", nil},
		{"base64 not negotiated stays text", `{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`, 200, "aGk=", nil},

		{"non-numeric status string", `{"statusCode":"test"}`, 502, `{"message": "Internal server error"}`, http.Header{"x-amzn-ErrorType": {"InternalServerErrorException"}}},
		{"unknown key", `{"statusCode":200,"wrongValue":"x"}`, 502, `{"message": "Internal server error"}`, nil},
		{"cookies key (HTTP API only)", `{"statusCode":200,"cookies":["a=b"]}`, 502, `{"message": "Internal server error"}`, nil},
		{"string payload", `"justAString"`, 502, `{"message": "Internal server error"}`, nil},
		{"array payload", `[1]`, 502, `{"message": "Internal server error"}`, nil},
		{"null payload", `null`, 502, `{"message": "Internal server error"}`, nil},
		{"empty payload", ``, 502, `{"message": "Internal server error"}`, nil},
		{"truncated JSON", `{"statusCode":200`, 502, `{"message": "Internal server error"}`, nil},
		{"multi value not a list", `{"statusCode":200,"multiValueHeaders":{"a":"v"}}`, 502, `{"message": "Internal server error"}`, nil},
		{"object header value", `{"statusCode":200,"headers":{"a":{"b":1}}}`, 502, `{"message": "Internal server error"}`, nil},
		{"array header value", `{"statusCode":200,"headers":{"a":[1]}}`, 502, `{"message": "Internal server error"}`, nil},
		{"object body", `{"statusCode":200,"body":{"a":1}}`, 502, `{"message": "Internal server error"}`, nil},
		{"number body", `{"statusCode":200,"body":1}`, 502, `{"message": "Internal server error"}`, nil},
		{"string isBase64Encoded", `{"statusCode":200,"isBase64Encoded":"true"}`, 502, `{"message": "Internal server error"}`, nil},
		{"fractional status", `{"statusCode":200.5}`, 502, `{"message": "Internal server error"}`, nil},
		{"status out of range", `{"statusCode":99}`, 502, `{"message": "Internal server error"}`, nil},
		{"headers not an object", `{"statusCode":200,"headers":["a"]}`, 502, `{"message": "Internal server error"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := ProxyResponse([]byte(tt.payload), ResponseOptions{IDs: testIDs})
			if tt.status == 502 {
				if !errors.Is(err, ErrMalformedResponse) {
					t.Errorf("err = %v, want ErrMalformedResponse", err)
				}
			} else if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if resp.Status != tt.status || string(resp.Body) != tt.body {
				t.Fatalf("got %d %q, want %d %q", resp.Status, resp.Body, tt.status, tt.body)
			}
			for k, v := range tt.header {
				if !reflect.DeepEqual(resp.Header[k], v) {
					t.Errorf("header %s = %v, want %v (all: %v)", k, resp.Header[k], v, resp.Header)
				}
			}
			for k, want := range map[string]string{"x-amzn-RequestId": testIDs.RequestID, "x-amz-apigw-id": testIDs.ExtendedRequestID, "X-Amzn-Trace-Id": testIDs.TraceID} {
				if got := resp.Header[k]; len(got) != 1 || got[0] != want {
					t.Errorf("header %s = %v, want %s", k, got, want)
				}
			}
		})
	}
}

func TestProxyResponseHeaders(t *testing.T) {
	resp, err := ProxyResponse([]byte(`{"statusCode":200,
		"headers":{"test-multi":"value-solo","Dup":"same","Date":"Mon","server":"mine","Transfer-Encoding":"chunked","Content-Length":"3","x-amzn-RequestId":"spoof"},
		"multiValueHeaders":{"Test-Multi":["value-multi"],"dup":["same"],"Set-Cookie":["a=1","b=2"],"Connection":["close"]},
		"body":"abc"}`), ResponseOptions{IDs: testIDs})
	if err != nil {
		t.Fatal(err)
	}
	want := http.Header{
		"Test-Multi":                     {"value-multi", "value-solo"},
		"dup":                            {"same"},
		"Set-Cookie":                     {"a=1", "b=2"},
		"x-amzn-Remapped-Date":           {"Mon"},
		"x-amzn-Remapped-server":         {"mine"},
		"x-amzn-Remapped-Content-Length": {"3"},
		"x-amzn-Remapped-Connection":     {"close"},
		"Content-Type":                   {"application/json"},
		"x-amzn-RequestId":               {testIDs.RequestID},
		"x-amz-apigw-id":                 {testIDs.ExtendedRequestID},
		"X-Amzn-Trace-Id":                {testIDs.TraceID},
	}
	if !reflect.DeepEqual(resp.Header, want) {
		t.Errorf("headers\n got %v\nwant %v", resp.Header, want)
	}
}

func TestProxyResponseBinary(t *testing.T) {
	const payload = `{"statusCode":200,"headers":{"Content-Type":"image/png"},"body":"iVBORw==","isBase64Encoded":true}`
	decoded := "\x89PNG"
	tests := []struct {
		name   string
		types  []string
		accept string
		want   string
	}{
		{"exact first Accept", []string{"image/png"}, "image/png", decoded},
		{"type wildcard entry", []string{"image/*"}, "image/png;q=0.9", decoded},
		{"*/* entry matches any Accept", []string{"*/*"}, "text/html", decoded},
		{"*/* entry without Accept", []string{"*/*"}, "", decoded},
		{"Accept */* does not match image/png", []string{"image/png"}, "*/*", "iVBORw=="},
		{"only the first Accept counts", []string{"image/png"}, "image/webp,image/png", "iVBORw=="},
		{"left wildcard entry matches nothing", []string{"*/png"}, "image/png", "iVBORw=="},
		{"no binary types", nil, "image/png", "iVBORw=="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := ProxyResponse([]byte(payload), ResponseOptions{IDs: testIDs, Accept: tt.accept, BinaryMediaTypes: tt.types})
			if err != nil || resp.Status != 200 || string(resp.Body) != tt.want {
				t.Fatalf("got %d %q %v, want 200 %q", resp.Status, resp.Body, err, tt.want)
			}
		})
	}
	resp, err := ProxyResponse([]byte(`{"body":"not base64!","isBase64Encoded":true}`), ResponseOptions{IDs: testIDs, Accept: "image/png", BinaryMediaTypes: []string{"image/png"}})
	if err == nil || resp.Status != 500 || string(resp.Body) != `{"message": "Internal server error"}` {
		t.Fatalf("invalid base64: got %d %q %v, want 500", resp.Status, resp.Body, err)
	}
}

func TestGatewayErrors(t *testing.T) {
	tests := []struct {
		kind      ErrorKind
		status    int
		body      string
		errorType string
	}{
		{ErrMissingAuthenticationToken, 403, `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException"},
		{ErrForbidden, 403, `{"message":"Forbidden"}`, "ForbiddenException"},
		{ErrInvalidAPIKey, 403, `{"message":"Forbidden"}`, "ForbiddenException"},
		{ErrIntegrationFailure, 502, `{"message": "Internal server error"}`, "InternalServerErrorException"},
		{ErrInvocationRejected, 500, `{"message": "Internal server error"}`, "InternalServerErrorException"},
		{ErrIntegrationTimeout, 504, `{"message": "Endpoint request timed out"}`, "InternalServerErrorException"},
		{ErrAPIConfiguration, 500, `{"message": "Internal server error"}`, "InternalServerErrorException"},
		{ErrRequestTooLong, 413, `{"message": "Request Too Long"}`, "BadRequestException"},
		{ErrThrottled, 429, `{"message":"Too Many Requests"}`, "TooManyRequestsException"},
		{ErrQuotaExceeded, 429, `{"message":"Limit Exceeded"}`, "LimitExceededException"},
		{ErrUnauthorized, 401, `{"message":"Unauthorized"}`, "UnauthorizedException"},
		{ErrAccessDenied, 403, `{"Message":"User is not authorized to access this resource"}`, "AccessDeniedException"},
		{ErrExplicitDeny, 403, `{"Message":"User is not authorized to access this resource with an explicit deny"}`, "AccessDeniedException"},
		{ErrAuthorizerConfiguration, 500, `{"message": null}`, "AuthorizerConfigurationException"},
	}
	for _, tt := range tests {
		r := GatewayError(tt.kind, testIDs)
		if r.Status != tt.status || string(r.Body) != tt.body || tt.kind.Status() != tt.status {
			t.Errorf("kind %d: %d %s, want %d %s", tt.kind, r.Status, r.Body, tt.status, tt.body)
		}
		if got := r.Header["x-amzn-ErrorType"]; !reflect.DeepEqual(got, []string{tt.errorType}) {
			t.Errorf("kind %d: x-amzn-ErrorType %v, want %s", tt.kind, got, tt.errorType)
		}
		if r.Header["x-amzn-RequestId"][0] != testIDs.RequestID || r.Header["x-amz-apigw-id"][0] != testIDs.ExtendedRequestID ||
			r.Header["Content-Type"][0] != "application/json" {
			t.Errorf("kind %d: headers %v", tt.kind, r.Header)
		}
	}
	// Content-Length 42 and 36 were observed on AWS for these two bodies (spec §2.2).
	if n := len(GatewayError(ErrMissingAuthenticationToken, testIDs).Body); n != 42 {
		t.Errorf("Missing Authentication Token body is %d bytes, AWS sends 42", n)
	}
	if n := len(GatewayError(ErrIntegrationFailure, testIDs).Body); n != 36 {
		t.Errorf("Internal server error body is %d bytes, AWS sends 36", n)
	}
	r := GatewayError(ErrBodyTooLarge, testIDs)
	if r.Status != 413 || string(r.Body) != "HTTP content length exceeded 10485760 bytes." ||
		!reflect.DeepEqual(r.Header, http.Header{"Content-Type": {"text; charset=utf-8"}}) {
		t.Errorf("body too large: %d %q %v", r.Status, r.Body, r.Header)
	}
}

func TestFailureResponse(t *testing.T) {
	for f, want := range map[Failure]int{
		FailureFunctionError: 502, FailureCrash: 502, FailureFunctionTimeout: 502, FailureResponseTooLarge: 502,
		FailureThrottled: 500, FailureFunctionNotFound: 500, FailureIntegrationTimeout: 504,
	} {
		r := FailureResponse(f, testIDs)
		if r.Status != want {
			t.Errorf("failure %d: status %d, want %d", f, r.Status, want)
		}
		if r.Header["X-Amzn-Trace-Id"] == nil {
			t.Errorf("failure %d: no X-Amzn-Trace-Id after calling the integration", f)
		}
	}
}

func TestResponseWriteTo(t *testing.T) {
	resp, _ := ProxyResponse([]byte(`{"statusCode":201,"headers":{"content-type":"text/plain","my-Header":"v"},"body":"<html>hello"}`), ResponseOptions{IDs: testIDs})
	rec := httptest.NewRecorder()
	resp.WriteTo(rec)
	res := rec.Result()
	if res.StatusCode != 201 || rec.Body.String() != "<html>hello" {
		t.Fatalf("wrote %d %q", res.StatusCode, rec.Body.String())
	}
	// Names are written as spelled, and net/http adds no sniffed Content-Type next to the function's.
	h := rec.Header()
	if !reflect.DeepEqual(h["content-type"], []string{"text/plain"}) || !reflect.DeepEqual(h["my-Header"], []string{"v"}) ||
		!reflect.DeepEqual(h["x-amzn-RequestId"], []string{testIDs.RequestID}) || h["Content-Length"][0] != "11" {
		t.Errorf("headers %v", h)
	}
	if ct := h["Content-Type"]; len(ct) != 0 {
		t.Errorf("Content-Type %v written next to the function's content-type", ct)
	}
}

func FuzzProxyResponse(f *testing.F) {
	for _, s := range []string{`{"statusCode":200}`, `{"statusCode":"201","headers":{"a":true},"multiValueHeaders":{"a":["x"]},"body":"aGk=","isBase64Encoded":true}`,
		`"x"`, `{"statusCode":1e400}`, `{"multiValueHeaders":{"a":[null]}}`, `{"headers":{"Date":"x","date":"y"}}`} {
		f.Add([]byte(s), "image/png")
	}
	f.Fuzz(func(t *testing.T, payload []byte, accept string) {
		resp, err := ProxyResponse(payload, ResponseOptions{IDs: testIDs, Accept: accept, BinaryMediaTypes: []string{"image/*"}})
		if resp.Status < 100 || resp.Status > 599 {
			t.Fatalf("status %d", resp.Status)
		}
		if err != nil && resp.Status != 502 && resp.Status != 500 {
			t.Fatalf("error %v with status %d", err, resp.Status)
		}
		if resp.Header["x-amzn-RequestId"] == nil {
			t.Fatal("no x-amzn-RequestId")
		}
	})
}

func TestResponseWriteToNoContent(t *testing.T) {
	resp, _ := ProxyResponse([]byte(`{"statusCode":204}`), ResponseOptions{IDs: testIDs})
	rec := httptest.NewRecorder()
	resp.WriteTo(rec)
	if rec.Code != 204 || rec.Header()["Content-Length"] != nil {
		t.Errorf("204: code %d, Content-Length %v (must be absent)", rec.Code, rec.Header()["Content-Length"])
	}
}
