package apigw

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// lambdaTestdata reads a recorded event shipped with aws-lambda-go.
func lambdaTestdata(t *testing.T, name string) []byte {
	t.Helper()
	gomodcache := os.Getenv("GOMODCACHE")
	if gomodcache == "" {
		home, _ := os.UserHomeDir()
		gomodcache = filepath.Join(home, "go", "pkg", "mod")
	}
	b, err := os.ReadFile(filepath.Join(gomodcache, "github.com/aws/aws-lambda-go@v1.55.1/events/testdata", name))
	if err != nil {
		t.Fatalf("reading aws-lambda-go testdata (run go mod download): %v", err)
	}
	return b
}

func decodeObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("event is not a JSON object: %v\n%s", err, b)
	}
	return m
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// recordedRequestInput is the request behind events/testdata/apigw-request.json, as the gateway would
// receive it: POST /testStage/hello/world?name=me on the API's host, from 54.182.214.83.
func recordedRequestInput(t *testing.T) *EventInput {
	router := mustRouter(t, Route{Method: "ANY", Path: "/{proxy+}", ResourceID: "roq9wj"})
	sp, _ := SplitStage("/testStage/hello/world")
	match, ok := router.Match("POST", sp.Path)
	if !ok {
		t.Fatal("no match for POST /hello/world")
	}
	header := http.Header{
		"Accept":                       {"*/*"},
		"Accept-Encoding":              {"gzip, deflate"},
		"cache-control":                {"no-cache"},
		"CloudFront-Forwarded-Proto":   {"https"},
		"CloudFront-Is-Desktop-Viewer": {"true"},
		"CloudFront-Is-Mobile-Viewer":  {"false"},
		"CloudFront-Is-SmartTV-Viewer": {"false"},
		"CloudFront-Is-Tablet-Viewer":  {"false"},
		"CloudFront-Viewer-Country":    {"US"},
		"Content-Type":                 {"application/json"},
		"Content-Length":               {"14"},
		"Connection":                   {"keep-alive"},
		"headerName":                   {"headerValue"},
		"Postman-Token":                {"9f583ef0-ed83-4a38-aef3-eb9ce3f7a57f"},
		"User-Agent":                   {"PostmanRuntime/2.4.5"},
		"Via":                          {"1.1 d98420743a69852491bbdea73f7680bd.cloudfront.net (CloudFront)"},
		"X-Amz-Cf-Id":                  {"pn-PWIJc6thYnZm5P0NMgOUglL1DYtl0gdeJky8tqsg8iS_sgsKD1A=="},
		"X-Forwarded-For":              {"54.240.196.186"},
	}
	return &EventInput{
		Method:   "POST",
		Path:     sp,
		RawQuery: "name=me",
		Host:     "gy415nuibc.execute-api.us-east-1.amazonaws.com",
		Header:   header,
		Body:     []byte("{\r\n\t\"a\": 1\r\n}"),
		SourceIP: "54.182.214.83",
		Match:    match,
		Stage: &Stage{
			Name: "testStage", Variables: map[string]string{"stageVariableName": "stageVariableValue"},
			APIID: "gy415nuibc", AccountID: "12345678912", Region: "us-east-1", DeploymentID: "dep123",
		},
		IDs: RequestIDs{RequestID: "deef4878-7910-11e6-8f14-25afc3e9ae33", ExtendedRequestID: "TWegAcC4EowCHnA=",
			TraceID: "Root=1-5ebe3065-deef4878791011e68f1425af"},
		Time:       time.UnixMilli(1589522469693),
		Authorizer: &AuthorizerContext{PrincipalID: "admin", Values: []ContextValue{{Key: "clientId", Value: "1"}, {Key: "clientName", Value: "Exata"}}},
	}
}

// TestEventMatchesRecordedRequest compares, field by field, the event built from the request behind
// aws-lambda-go's events/testdata/apigw-request.json with that recorded event. Where the recording is
// synthetic and contradicts AWS behaviour observed in spec §1, the test says so and asserts AWS's.
func TestEventMatchesRecordedRequest(t *testing.T) {
	recorded := lambdaTestdata(t, "apigw-request.json")
	got := BuildEvent(recordedRequestInput(t))

	// Shape: the same top-level keys, plus isBase64Encoded which API Gateway always sends (spec §1.1).
	gotMap, wantMap := decodeObject(t, got), decodeObject(t, recorded)
	wantKeys := append(keysOf(wantMap), "isBase64Encoded")
	slices.Sort(wantKeys)
	if !reflect.DeepEqual(keysOf(gotMap), wantKeys) {
		t.Errorf("top-level keys\n got %v\nwant %v", keysOf(gotMap), wantKeys)
	}
	gotCtx, wantCtx := gotMap["requestContext"].(map[string]any), wantMap["requestContext"].(map[string]any)
	wantCtxKeys := append(keysOf(wantCtx), "deploymentId")
	slices.Sort(wantCtxKeys)
	if !reflect.DeepEqual(keysOf(gotCtx), wantCtxKeys) {
		t.Errorf("requestContext keys\n got %v\nwant %v", keysOf(gotCtx), wantCtxKeys)
	}
	// identity: AWS sends the Cognito/IAM fields as null for an open method and adds principalOrgId;
	// apiKey, apiKeyId and clientCert appear only with API keys or mTLS (spec §1.3).
	gotID := gotCtx["identity"].(map[string]any)
	wantIDKeys := slices.DeleteFunc(keysOf(wantCtx["identity"].(map[string]any)), func(k string) bool {
		return k == "apiKey" || k == "apiKeyId" || k == "clientCert"
	})
	wantIDKeys = append(wantIDKeys, "principalOrgId")
	slices.Sort(wantIDKeys)
	if !reflect.DeepEqual(keysOf(gotID), wantIDKeys) {
		t.Errorf("identity keys\n got %v\nwant %v", keysOf(gotID), wantIDKeys)
	}
	for k, v := range gotID {
		if k != "sourceIp" && k != "userAgent" && v != nil {
			t.Errorf("identity.%s = %v, want null for an unauthenticated call", k, v)
		}
	}

	// Values, through the aws-lambda-go type the function decodes into.
	var gotEv, wantEv events.APIGatewayProxyRequest
	if err := json.Unmarshal(got, &gotEv); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(recorded, &wantEv); err != nil {
		t.Fatal(err)
	}
	// Differences the recording cannot show, each a rule of spec §1:
	wantEv.Headers["X-Amzn-Trace-Id"] = "Root=1-5ebe3065-deef4878791011e68f1425af"            // added by API Gateway
	wantEv.MultiValueHeaders["X-Amzn-Trace-Id"] = []string{wantEv.Headers["X-Amzn-Trace-Id"]} //
	wantEv.RequestContext.Path = "/testStage/hello/world"                                     // requestContext.path keeps the stage
	wantEv.RequestContext.DomainName = "gy415nuibc.execute-api.us-east-1.amazonaws.com"       // = Host (recording mixes regions)
	wantEv.RequestContext.DomainPrefix = "gy415nuibc"                                         // first label of domainName
	wantEv.RequestContext.Identity = events.APIGatewayRequestIdentity{SourceIP: "54.182.214.83", UserAgent: "PostmanRuntime/2.4.5"}
	wantEv.RequestContext.Authorizer["clientId"] = "1" // context values arrive stringified (spec §5.3)
	wantEv.RequestContext.Authorizer["integrationLatency"] = float64(0)
	if !reflect.DeepEqual(gotEv, wantEv) {
		gj, _ := json.MarshalIndent(gotEv, "", " ")
		wj, _ := json.MarshalIndent(wantEv, "", " ")
		t.Errorf("event differs from the recording\n got %s\nwant %s", gj, wj)
	}
	if gotEv.RequestContext.Identity.SourceIP != "54.182.214.83" {
		t.Errorf("sourceIp = %q", gotEv.RequestContext.Identity.SourceIP)
	}
}

// TestEventNulls checks the nulls of a bodyless GET without query, variables, stage variables or
// authorizer, as in the real-AWS echo of spec §1.1.
func TestEventNulls(t *testing.T) {
	router := mustRouter(t, Route{Method: "GET", Path: "/hardcoded"})
	sp, _ := SplitStage("/dev//hardcoded")
	match, _ := router.Match("GET", sp.Path)
	got := decodeObject(t, BuildEvent(&EventInput{
		Method: "GET", Path: sp, Host: "abc1234567.execute-api.localhost:8080", Header: http.Header{},
		Match: match, Stage: &Stage{Name: "dev", APIID: "abc1234567"}, SourceIP: "127.0.0.1",
		IDs: NewRequestIDs("77375676-0000-4b79-853a-f982474efe18", time.Unix(0, 0)), Time: time.Unix(1583798639, 428e6),
	}))
	for _, k := range []string{"queryStringParameters", "multiValueQueryStringParameters", "pathParameters", "stageVariables", "body"} {
		if v, ok := got[k]; !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", k, v, ok)
		}
	}
	if got["isBase64Encoded"] != false {
		t.Errorf("isBase64Encoded = %v, want false", got["isBase64Encoded"])
	}
	if got["path"] != "/hardcoded" || got["resource"] != "/hardcoded" {
		t.Errorf("path %v resource %v", got["path"], got["resource"])
	}
	// domainName has no port (AWS hosts never have one), headers.Host keeps it.
	if h := got["headers"].(map[string]any)["Host"]; h != "abc1234567.execute-api.localhost:8080" {
		t.Errorf("headers.Host = %v, want the Host header as sent", h)
	}
	rc := got["requestContext"].(map[string]any)
	for k, want := range map[string]any{
		"path": "/dev//hardcoded", "stage": "dev", "protocol": "HTTP/1.1", "requestTime": "10/Mar/2020:00:03:59 +0000",
		"requestTimeEpoch": float64(1583798639428), "domainPrefix": "abc1234567", "domainName": "abc1234567.execute-api.localhost",
		"requestId": "77375676-0000-4b79-853a-f982474efe18", "extendedRequestId": "dzdWdgAAS3mFOvk=", "resourcePath": "/hardcoded",
	} {
		if rc[k] != want {
			t.Errorf("requestContext.%s = %v, want %v", k, rc[k], want)
		}
	}
	for _, k := range []string{"authorizer", "operationName"} {
		if _, ok := rc[k]; ok {
			t.Errorf("requestContext.%s present, want absent", k)
		}
	}
	if ua := rc["identity"].(map[string]any)["userAgent"]; ua != nil {
		t.Errorf("identity.userAgent = %v, want null without a User-Agent header", ua)
	}
	headers := got["headers"].(map[string]any)
	for k, want := range map[string]any{"Host": "abc1234567.execute-api.localhost:8080", "X-Forwarded-For": "127.0.0.1",
		"X-Forwarded-Port": "443", "X-Forwarded-Proto": "https", "X-Amzn-Trace-Id": "Root=1-0-7737567600004b79853af982"} {
		if headers[k] != want {
			t.Errorf("headers.%s = %v, want %v", k, headers[k], want)
		}
	}
}

func TestEventQueryString(t *testing.T) {
	tests := []struct {
		raw    string
		single map[string]string
		multi  map[string][]string
	}{
		{"plus=test+alias@gmail.com&email=test%2Balias@gmail.com", map[string]string{"plus": "test alias@gmail.com", "email": "test+alias@gmail.com"},
			map[string][]string{"plus": {"test alias@gmail.com"}, "email": {"test+alias@gmail.com"}}},
		{"category=electronics&category=books", map[string]string{"category": "books"}, map[string][]string{"category": {"electronics", "books"}}},
		{"flag&empty=&&a%20b=%zz", map[string]string{"flag": "", "empty": "", "a b": "%zz"},
			map[string][]string{"flag": {""}, "empty": {""}, "a b": {"%zz"}}},
		{"Name=1&name=2", map[string]string{"Name": "1", "name": "2"}, map[string][]string{"Name": {"1"}, "name": {"2"}}},
	}
	for _, tt := range tests {
		in := recordedRequestInput(t)
		in.RawQuery = tt.raw
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(BuildEvent(in), &ev); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ev.QueryStringParameters, tt.single) || !reflect.DeepEqual(ev.MultiValueQueryStringParameters, tt.multi) {
			t.Errorf("query %q\n got %v %v\nwant %v %v", tt.raw, ev.QueryStringParameters, ev.MultiValueQueryStringParameters, tt.single, tt.multi)
		}
	}
}

func TestEventHeaders(t *testing.T) {
	in := recordedRequestInput(t)
	in.Header = http.Header{
		"X-Repeat":          {"first", "last"},
		"Forwarded-List":    {"a, b"},
		"Transfer-Encoding": {"chunked"},
		"Expect":            {"100-continue"},
		"Host":              {"spoofed"},
		"X-Forwarded-Proto": {"spoofed"},
		"Authorization":     {"Bearer abc"},
		"X-Amzn-Trace-Id":   {"Root=1-incoming"},
		"tEsT-HEADeR":       {"kept as spelled"},
	}
	in.ForwardedProto, in.ForwardedPort = "http", "8080"
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(BuildEvent(in), &ev); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"X-Repeat": "last", "Forwarded-List": "a, b", "Host": in.Host, "X-Forwarded-Proto": "http", "X-Forwarded-Port": "8080",
		"X-Forwarded-For": "54.182.214.83", "Authorization": "Bearer abc", "X-Amzn-Trace-Id": "Root=1-incoming", "tEsT-HEADeR": "kept as spelled",
	}
	if !reflect.DeepEqual(ev.Headers, want) {
		t.Errorf("headers\n got %v\nwant %v", ev.Headers, want)
	}
	if got := ev.MultiValueHeaders["X-Repeat"]; !reflect.DeepEqual(got, []string{"first", "last"}) {
		t.Errorf("multiValueHeaders.X-Repeat = %v", got)
	}
	in.Header = http.Header{"Authorization": {"AWS4-HMAC-SHA256 Credential=AKID/20200101/us-east-1/execute-api/aws4_request"}}
	ev = events.APIGatewayProxyRequest{}
	if err := json.Unmarshal(BuildEvent(in), &ev); err != nil {
		t.Fatal(err)
	}
	if _, ok := ev.Headers["Authorization"]; ok {
		t.Error("a SigV4 Authorization header must not reach the function")
	}
}

func TestEventBinaryBody(t *testing.T) {
	png := []byte{0x89, 'P', 'N', 'G', 0, 0xff}
	tests := []struct {
		name        string
		types       []string
		contentType string
		body        []byte
		base64      bool
	}{
		{"no binary types", nil, "image/png", []byte("text"), false},
		{"exact", []string{"image/png"}, "image/png", png, true},
		{"parameters ignored", []string{"image/png"}, "image/png; q=1", png, true},
		{"type wildcard", []string{"image/*"}, "image/jpeg", png, true},
		{"*/* encodes JSON too", []string{"*/*"}, "application/json", []byte(`{"a":1}`), true},
		{"*/* without Content-Type", []string{"*/*"}, "", []byte("x"), true},
		{"left wildcard matches nothing", []string{"*/png"}, "image/png", []byte("x"), false},
		{"other type", []string{"image/png"}, "application/json", []byte(`{"a":"é"}`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := recordedRequestInput(t)
			in.Stage.BinaryMediaTypes = tt.types
			in.Header = http.Header{}
			if tt.contentType != "" {
				in.Header.Set("Content-Type", tt.contentType)
			}
			in.Body = tt.body
			var ev events.APIGatewayProxyRequest
			if err := json.Unmarshal(BuildEvent(in), &ev); err != nil {
				t.Fatal(err)
			}
			want := string(tt.body)
			if tt.base64 {
				want = base64.StdEncoding.EncodeToString(tt.body)
			}
			if ev.IsBase64Encoded != tt.base64 || ev.Body != want {
				t.Errorf("body %q base64 %v, want %q %v", ev.Body, ev.IsBase64Encoded, want, tt.base64)
			}
		})
	}
}

func TestEventJSONEscaping(t *testing.T) {
	for _, s := range []string{"plain", "quote \" backslash \\ slash /", "ctl \x00\x01\x1f\x7f \n\r\t", "é 日本 \u2028\u2029 🎉", "bad \xff\xfe utf8", "<html>&"} {
		in := recordedRequestInput(t)
		in.Body = []byte(s)
		in.Header = http.Header{"X-Value": {s}}
		ev := BuildEvent(in)
		if !json.Valid(ev) {
			t.Fatalf("invalid JSON for %q: %s", s, ev)
		}
		var got events.APIGatewayProxyRequest
		_ = json.Unmarshal(ev, &got)
		var want string // encoding/json's reading: each invalid byte becomes U+FFFD
		quoted, _ := json.Marshal(s)
		_ = json.Unmarshal(quoted, &want)
		if got.Body != want || got.Headers["X-Value"] != want {
			t.Errorf("round trip of %q: body %q header %q", s, got.Body, got.Headers["X-Value"])
		}
	}
}

func TestEventAuthorizerContext(t *testing.T) {
	res, err := ParseAuthorizerOutput([]byte(`{"principalId":"my-username","policyDocument":{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]},
		"context":{"str":"hello","bool":true,"null":null,"num":123,"principalId":"spoofed"}}`))
	if err != nil {
		t.Fatal(err)
	}
	in := recordedRequestInput(t)
	in.Authorizer = res.EventContext(7)
	ev := BuildEvent(in)
	const want = `"authorizer":{"str":"hello","bool":"true","null":null,"num":"123","principalId":"my-username","integrationLatency":7}`
	if !strings.Contains(string(ev), want) {
		t.Errorf("event lacks %s\n%s", want, ev)
	}
}

func TestNewRequestIDs(t *testing.T) {
	ids := NewRequestIDs("deef4878-7910-11e6-8f14-25afc3e9ae33", time.Unix(1589522469, 0))
	if ids.ExtendedRequestID != "3u9IeHkQEeaPFCU=" || ids.TraceID != "Root=1-5ebe3025-deef4878791011e68f1425af" {
		t.Errorf("ids = %+v", ids)
	}
	other := NewRequestIDs("not-a-uuid", time.Unix(0, 0))
	if len(other.ExtendedRequestID) != 16 || !strings.HasPrefix(other.TraceID, "Root=1-0-") || len(other.TraceID) != len("Root=1-0-")+24 {
		t.Errorf("ids from a non-UUID = %+v", other)
	}
}

// TestEdgeOptimizedEndpointHeaders: an EDGE API's function sees the request as CloudFront forwards it: Via,
// X-Amz-Cf-Id, the CloudFront-* viewer headers (a client's own spellings replaced) and a second hop in
// X-Forwarded-For; a REGIONAL API's function sees none of them.
func TestEdgeOptimizedEndpointHeaders(t *testing.T) {
	router := mustRouter(t, Route{Method: "GET", Path: "/"})
	sp, _ := SplitStage("/dev/")
	match, _ := router.Match("GET", sp.Path)
	build := func(endpoint, ua string) map[string]any {
		h := http.Header{"User-Agent": {ua}, "X-Forwarded-For": {"203.0.113.7"}, "Cloudfront-Viewer-Country": {"FR"}}
		ev := decodeObject(t, BuildEvent(&EventInput{
			Method: "GET", Path: sp, Host: "abc1234567.execute-api.localhost:8080", Header: h, Protocol: "HTTP/1.1",
			Match: match, Stage: &Stage{Name: "dev", APIID: "abc1234567", EndpointType: endpoint}, SourceIP: "127.0.0.2", EdgeIP: "127.0.0.1",
			IDs: NewRequestIDs("77375676-0000-4b79-853a-f982474efe18", time.Unix(0, 0)), Time: time.Unix(0, 0),
		}))
		return ev["headers"].(map[string]any)
	}
	edge := build(EndpointEdge, "curl/8.5.0")
	for k, want := range map[string]string{
		"CloudFront-Forwarded-Proto": "https", "CloudFront-Is-Desktop-Viewer": "true", "CloudFront-Is-Mobile-Viewer": "false",
		"CloudFront-Is-SmartTV-Viewer": "false", "CloudFront-Is-Tablet-Viewer": "false", "CloudFront-Viewer-ASN": "16509",
		"CloudFront-Viewer-Country": "US", "X-Forwarded-For": "203.0.113.7, 127.0.0.2, 127.0.0.1",
	} {
		if edge[k] != want {
			t.Errorf("EDGE headers[%s] = %v, want %s", k, edge[k], want)
		}
	}
	if _, ok := edge["Cloudfront-Viewer-Country"]; ok {
		t.Errorf("the client's own Cloudfront-Viewer-Country reached the function")
	}
	if !regexp.MustCompile(`^1\.1 [0-9a-f]{32}\.cloudfront\.net \(CloudFront\)$`).MatchString(edge["Via"].(string)) {
		t.Errorf("Via = %v", edge["Via"])
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{54}==$`).MatchString(edge["X-Amz-Cf-Id"].(string)) {
		t.Errorf("X-Amz-Cf-Id = %v, want 56 URL-safe base64 characters", edge["X-Amz-Cf-Id"])
	}
	if mobile := build(EndpointEdge, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"); mobile["CloudFront-Is-Mobile-Viewer"] != "true" ||
		mobile["CloudFront-Is-Desktop-Viewer"] != "false" {
		t.Errorf("an iPhone: mobile %v desktop %v", mobile["CloudFront-Is-Mobile-Viewer"], mobile["CloudFront-Is-Desktop-Viewer"])
	}
	regional := build(EndpointRegional, "curl/8.5.0")
	for k := range regional {
		if strings.HasPrefix(k, "CloudFront-") || k == "Via" || k == "X-Amz-Cf-Id" {
			t.Errorf("REGIONAL API: header %s present", k)
		}
	}
	if regional["X-Forwarded-For"] != "203.0.113.7, 127.0.0.2" || regional["Cloudfront-Viewer-Country"] != "FR" {
		t.Errorf("REGIONAL API: X-Forwarded-For %v, client's own header %v", regional["X-Forwarded-For"], regional["Cloudfront-Viewer-Country"])
	}
}

// FuzzAppendEvent builds proxy events from arbitrary requests: the event is always valid JSON that
// aws-lambda-go decodes, and says what the request said: the method, both paths, the header (unless API
// Gateway replaces or drops it) in both header maps, the body (base64 when binary), the query with the last
// value of each key in queryStringParameters, and a domainName without the port.
func FuzzAppendEvent(f *testing.F) {
	f.Add("GET", "/dev/a/b", "a=1&a=2&b", "X-Key", "v", []byte("body"), "*/*", false)
	f.Add("POST", "//dev//x/", "%zz=+&=", "tEsT", "\xff", []byte{0, 1, 2}, "application/octet-stream", true)
	router := mustRouter(f, Route{Method: "ANY", Path: "/{proxy+}"}, Route{Method: "ANY", Path: "/"}, Route{Method: "GET", Path: "/a/{b}"})
	f.Fuzz(func(t *testing.T, method, rawPath, rawQuery, hname, hvalue string, body []byte, contentType string, edge bool) {
		sp, ok := SplitStage(rawPath)
		if !ok {
			return
		}
		m, ok := router.Match(method, sp.Path)
		if !ok {
			return
		}
		stage := &Stage{Name: sp.Stage, APIID: "abc1234567", BinaryMediaTypes: []string{"application/octet-stream", "image/*"}}
		if edge {
			stage.EndpointType = EndpointEdge
		}
		header := http.Header{hname: {hvalue}, "Content-Type": {contentType}}
		ev := BuildEvent(&EventInput{Method: method, Path: sp, RawQuery: rawQuery, Host: "h.example:8080", Header: header,
			Body: body, Match: m, Stage: stage, SourceIP: "10.0.0.1", EdgeIP: "127.0.0.1",
			IDs: NewRequestIDs("77375676-0000-4b79-853a-f982474efe18", time.Unix(0, 0)), Time: time.Unix(0, 0)})
		var got events.APIGatewayProxyRequest
		if err := json.Unmarshal(ev, &got); err != nil {
			t.Fatalf("invalid event JSON: %v\n%s", err, ev)
		}
		if utf8.ValidString(rawPath) && (got.Path != sp.Path || got.RequestContext.Path != sp.ContextPath) {
			t.Fatalf("path %q / %q, want %q / %q", got.Path, got.RequestContext.Path, sp.Path, sp.ContextPath)
		}
		if utf8.ValidString(method) && (got.HTTPMethod != method || got.RequestContext.HTTPMethod != method) {
			t.Fatalf("httpMethod %q / %q, want %q", got.HTTPMethod, got.RequestContext.HTTPMethod, method)
		}
		if got.RequestContext.DomainName != "h.example" {
			t.Fatalf("domainName %q, want the host without its port", got.RequestContext.DomainName)
		}
		replaced := strings.EqualFold(hname, "Content-Type") || strings.EqualFold(hname, "X-Forwarded-For") ||
			strings.EqualFold(hname, "X-Amzn-Trace-Id") || edge && isCloudFrontHeader(hname)
		if !replaced && !dropRequestHeader(hname, []string{hvalue}) && validUTF8(hname, hvalue) &&
			(!reflect.DeepEqual(got.MultiValueHeaders[hname], []string{hvalue}) || got.Headers[hname] != hvalue) {
			t.Fatalf("header %q: %q, multi %q; want %q", hname, got.Headers[hname], got.MultiValueHeaders[hname], hvalue)
		}
		switch {
		case len(body) == 0:
			if got.Body != "" || got.IsBase64Encoded {
				t.Fatalf("no body: body %q, base64 %v", got.Body, got.IsBase64Encoded)
			}
		case got.IsBase64Encoded:
			if dec, err := base64.StdEncoding.DecodeString(got.Body); err != nil || !bytes.Equal(dec, body) {
				t.Fatalf("base64 body %q does not decode to the request body", got.Body)
			}
		case utf8.Valid(body) && got.Body != string(body):
			t.Fatalf("text body %q, want %q", got.Body, body)
		}
		for k, vs := range got.MultiValueQueryStringParameters {
			if len(vs) == 0 || got.QueryStringParameters[k] != vs[len(vs)-1] {
				t.Fatalf("query %q: single %q, multi %q; want the last value", k, got.QueryStringParameters[k], vs)
			}
		}
		if len(got.QueryStringParameters) != len(got.MultiValueQueryStringParameters) {
			t.Fatalf("query maps of %d and %d keys", len(got.QueryStringParameters), len(got.MultiValueQueryStringParameters))
		}
	})
}

func validUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
