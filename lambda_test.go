package coworks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// seen is what a handler observed of its request.
type seen struct {
	method, path, rawPath, escapedPath, rawQuery, requestURI, host, remoteAddr string
	header                                                                     http.Header
	body                                                                       string
	contentLength                                                              int64
	stage                                                                      string
	stageVariables                                                             map[string]string
	proxy                                                                      *events.APIGatewayProxyRequest
	lambdaRequestID                                                            string
}

// recorder is a handler that records its request and answers "Hello".
func recorder(got *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			panic(err)
		}
		*got = seen{
			method: r.Method, path: r.URL.Path, rawPath: r.URL.RawPath, escapedPath: r.URL.EscapedPath(),
			rawQuery: r.URL.RawQuery, requestURI: r.RequestURI, host: r.Host, remoteAddr: r.RemoteAddr,
			header: r.Header, body: string(body), contentLength: r.ContentLength,
			stage: Stage(r.Context()), stageVariables: StageVariables(r.Context()), proxy: ProxyRequest(r.Context()),
		}
		if lc, ok := lambdacontext.FromContext(r.Context()); ok {
			got.lambdaRequestID = lc.AwsRequestID
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Hello")
	})
}

func readEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// invoke runs payload through Invoke and decodes the proxy response, checking it has only allowed keys.
func invoke(t *testing.T, h http.Handler, payload []byte) events.APIGatewayProxyResponse {
	t.Helper()
	out, err := NewLambdaHandler(h, WithTransportLogger(discardLogger())).Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	return decodeResponse(t, out)
}

func decodeResponse(t *testing.T, out []byte) events.APIGatewayProxyResponse {
	t.Helper()
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(out, &keys); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, out)
	}
	for k := range keys {
		switch k {
		case "statusCode", "multiValueHeaders", "body", "isBase64Encoded":
		default:
			t.Errorf("response has key %q, which API Gateway answers with a 502: %s", k, out)
		}
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestDecodeEventMatchesEncodingJSON(t *testing.T) {
	for _, name := range []string{"apigw-request.json", "apigw-restapi-openapi-request.json",
		"apigw-custom-auth-request-type-request.json"} {
		t.Run(name, func(t *testing.T) {
			payload := readEvent(t, name)
			var want events.APIGatewayProxyRequest
			if err := json.Unmarshal(payload, &want); err != nil {
				t.Fatal(err)
			}
			ev, err := decodeEvent(payload)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ev.proxy, want) {
				t.Errorf("decodeEvent differs from encoding/json:\n got %+v\nwant %+v", ev.proxy, want)
			}
		})
	}
}

func TestLambdaRecordedEvents(t *testing.T) {
	for _, tc := range []struct {
		file     string
		resource string
	}{
		{"apigw-request.json", "/{proxy+}"},
		{"apigw-restapi-openapi-request.json", "/{proxy+}"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var got seen
			resp := invoke(t, recorder(&got), readEvent(t, tc.file))
			if resp.StatusCode != 200 || resp.Body != "Hello" || resp.IsBase64Encoded {
				t.Errorf("response = %d %q base64=%v, want 200 \"Hello\" text", resp.StatusCode, resp.Body, resp.IsBase64Encoded)
			}
			if resp.Headers != nil {
				t.Errorf("single-value headers %v sent; want headers only in multiValueHeaders", resp.Headers)
			}
			if ct := resp.MultiValueHeaders["Content-Type"]; !reflect.DeepEqual(ct, []string{"text/plain; charset=utf-8"}) {
				t.Errorf("Content-Type = %q", ct)
			}
			want := seen{
				method: "POST", path: "/hello/world", escapedPath: "/hello/world", rawQuery: "name=me",
				requestURI: "/hello/world?name=me", host: "gy415nuibc.execute-api.us-east-1.amazonaws.com",
				remoteAddr: "192.168.196.186", body: "{\r\n\t\"a\": 1\r\n}", contentLength: 13, stage: "testStage",
				stageVariables: map[string]string{"stageVariableName": "stageVariableValue"},
			}
			header, proxy := got.header, got.proxy
			got.header, got.proxy = nil, nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("request seen by the handler:\n got %+v\nwant %+v", got, want)
			}
			if v := header.Get("X-Forwarded-For"); v != "54.240.196.186, 54.182.214.83" {
				t.Errorf("X-Forwarded-For = %q", v)
			}
			if v := header.Values("Cache-Control"); !reflect.DeepEqual(v, []string{"no-cache"}) {
				t.Errorf("cache-control (lower case in the event) = %q, want canonical Cache-Control", v)
			}
			if _, ok := header["Host"]; ok {
				t.Error("Host is in r.Header; net/http keeps it in r.Host only")
			}
			if len(header) != 18 {
				t.Errorf("got %d headers, want the event's 19 minus Host: %v", len(header), header)
			}
			if proxy == nil || proxy.Resource != tc.resource || proxy.RequestContext.RequestID != "deef4878-7910-11e6-8f14-25afc3e9ae33" {
				t.Errorf("ProxyRequest(ctx) = %+v, want the event", proxy)
			}
		})
	}
}

// event builds a proxy event payload from a Go value, as a hand-made test case.
func event(t *testing.T, ev events.APIGatewayProxyRequest) []byte {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLambdaRequestMapping(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    func(t *testing.T, got seen)
	}{{
		name:    "encoded path keeps RawPath, Path is decoded",
		payload: `{"httpMethod":"GET","path":"/files/a%2Fb/c%20d/test+alias@x","requestContext":{"stage":"dev"}}`,
		want: func(t *testing.T, got seen) {
			if got.path != "/files/a/b/c d/test+alias@x" || got.escapedPath != "/files/a%2Fb/c%20d/test+alias@x" {
				t.Errorf("Path %q EscapedPath %q", got.path, got.escapedPath)
			}
			if got.requestURI != "/files/a%2Fb/c%20d/test+alias@x" {
				t.Errorf("RequestURI %q", got.requestURI)
			}
		},
	}, {
		name:    "null maps and body",
		payload: `{"httpMethod":"GET","path":"/","headers":null,"multiValueHeaders":null,"queryStringParameters":null,"multiValueQueryStringParameters":null,"pathParameters":null,"stageVariables":null,"requestContext":{"domainName":"api.example.com","identity":{"sourceIp":"1.2.3.4"}},"body":null,"isBase64Encoded":false}`,
		want: func(t *testing.T, got seen) {
			if got.host != "api.example.com" || got.remoteAddr != "1.2.3.4" || got.rawQuery != "" || got.body != "" {
				t.Errorf("got %+v", got)
			}
			if got.stageVariables != nil || len(got.header) != 0 {
				t.Errorf("stage variables %v, header %v; want none", got.stageVariables, got.header)
			}
		},
	}, {
		name:    "multi-value query and headers win over single maps",
		payload: `{"httpMethod":"GET","path":"/q","queryStringParameters":{"a":"2","b":"x y"},"multiValueQueryStringParameters":{"a":["1","2"],"b":["x y"],"c&d":["e=f"]},"headers":{"X-Tag":"two"},"multiValueHeaders":{"X-Tag":["one","two"]}}`,
		want: func(t *testing.T, got seen) {
			if got.rawQuery != "a=1&a=2&b=x+y&c%26d=e%3Df" {
				t.Errorf("RawQuery = %q", got.rawQuery)
			}
			if v := got.header.Values("X-Tag"); !reflect.DeepEqual(v, []string{"one", "two"}) {
				t.Errorf("X-Tag = %q", v)
			}
		},
	}, {
		name:    "single maps alone",
		payload: `{"httpMethod":"GET","path":"/q","queryStringParameters":{"k":"v"},"headers":{"x-one":"1","Host":"h.example"}}`,
		want: func(t *testing.T, got seen) {
			if got.rawQuery != "k=v" || got.header.Get("X-One") != "1" || got.host != "h.example" {
				t.Errorf("got %+v", got)
			}
		},
	}, {
		name:    "base64 request body",
		payload: `{"httpMethod":"POST","path":"/upload","body":"` + base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff}) + `","isBase64Encoded":true}`,
		want: func(t *testing.T, got seen) {
			if got.body != "\x00\x01\x02\xff" || got.contentLength != 4 {
				t.Errorf("body %q length %d", got.body, got.contentLength)
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got seen
			resp := invoke(t, recorder(&got), []byte(tc.payload))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d body %q", resp.StatusCode, resp.Body)
			}
			tc.want(t, got)
		})
	}
}

func TestLambdaResponses(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	tests := []struct {
		name    string
		method  string
		handler http.HandlerFunc
		want    events.APIGatewayProxyResponse
	}{{
		name: "several Set-Cookie headers",
		handler: func(w http.ResponseWriter, r *http.Request) {
			http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
			http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"ok":true}`)
		},
		want: events.APIGatewayProxyResponse{StatusCode: 201, Body: `{"ok":true}`, MultiValueHeaders: map[string][]string{
			"Content-Type": {"application/json"}, "Set-Cookie": {"a=1", "b=2"}}},
	}, {
		name: "binary body goes base64",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			w.Write(png)
		},
		want: events.APIGatewayProxyResponse{StatusCode: 200, Body: base64.StdEncoding.EncodeToString(png), IsBase64Encoded: true,
			MultiValueHeaders: map[string][]string{"Content-Type": {"image/png"}}},
	}, {
		name: "text type with invalid UTF-8 goes base64",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=iso-8859-1")
			w.Write([]byte("caf\xe9"))
		},
		want: events.APIGatewayProxyResponse{StatusCode: 200, Body: base64.StdEncoding.EncodeToString([]byte("caf\xe9")), IsBase64Encoded: true,
			MultiValueHeaders: map[string][]string{"Content-Type": {"text/plain; charset=iso-8859-1"}}},
	}, {
		name: "problem+json is text, escaping survives",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(404)
			io.WriteString(w, "{\"title\":\"<nope> & \\\"q\\\"\"}\n\u2028")
		},
		want: events.APIGatewayProxyResponse{StatusCode: 404, Body: "{\"title\":\"<nope> & \\\"q\\\"\"}\n\u2028",
			MultiValueHeaders: map[string][]string{"Content-Type": {"application/problem+json"}}},
	}, {
		name: "missing Content-Type is sniffed, Content-Length dropped, no body answer",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "5")
			io.WriteString(w, "hello")
		},
		want: events.APIGatewayProxyResponse{StatusCode: 200, Body: "hello",
			MultiValueHeaders: map[string][]string{"Content-Type": {"text/plain; charset=utf-8"}}},
	}, {
		name:    "nothing written is an empty 200",
		handler: func(w http.ResponseWriter, r *http.Request) {},
		want:    events.APIGatewayProxyResponse{StatusCode: 200, MultiValueHeaders: map[string][]string{}},
	}, {
		name: "header changes after WriteHeader are ignored, 204 has no body",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Before", "1")
			w.WriteHeader(http.StatusNoContent)
			w.Header().Set("X-After", "1")
			if _, err := io.WriteString(w, "x"); err != http.ErrBodyNotAllowed {
				panic("write on 204 did not fail")
			}
		},
		want: events.APIGatewayProxyResponse{StatusCode: 204, MultiValueHeaders: map[string][]string{"X-Before": {"1"}}},
	}, {
		name:   "HEAD drops the body",
		method: "HEAD",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "hello")
		},
		want: events.APIGatewayProxyResponse{StatusCode: 200, MultiValueHeaders: map[string][]string{"Content-Type": {"text/plain"}}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "GET"
			}
			payload := event(t, events.APIGatewayProxyRequest{HTTPMethod: method, Path: "/"})
			got := invoke(t, tc.handler, payload)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Invoke response:\n got %+v\nwant %+v", got, tc.want)
			}
			// ServeEvent must give the same response as Invoke.
			ev, err := decodeEvent(payload)
			if err != nil {
				t.Fatal(err)
			}
			direct, err := NewLambdaHandler(tc.handler).ServeEvent(context.Background(), &ev.proxy)
			if err != nil {
				t.Fatal(err)
			}
			if direct.MultiValueHeaders == nil {
				direct.MultiValueHeaders = map[string][]string{}
			}
			if !reflect.DeepEqual(direct, tc.want) {
				t.Errorf("ServeEvent response:\n got %+v\nwant %+v", direct, tc.want)
			}
		})
	}
}

func TestLambdaResponseOver6MB(t *testing.T) {
	var logs strings.Builder
	big := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(make([]byte, 5<<20)) // 5 MiB, 6.7 MB once base64-encoded
	})
	l := NewLambdaHandler(big, WithTransportLogger(textLogger(&logs)))
	out, err := l.Invoke(context.Background(), []byte(`{"httpMethod":"GET","path":"/big"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp := decodeResponse(t, out)
	if resp.StatusCode != 502 || resp.Body != `{"message": "Internal server error"}` {
		t.Errorf("got %d %q, want API Gateway's 502", resp.StatusCode, resp.Body)
	}
	if !strings.Contains(logs.String(), "response too large") || !strings.Contains(logs.String(), "path=/big") {
		t.Errorf("log %q does not explain the 502", logs.String())
	}
	direct, err := l.ServeEvent(context.Background(), &events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/big"})
	if err != nil || direct.StatusCode != 502 {
		t.Errorf("ServeEvent: %d, %v; want 502", direct.StatusCode, err)
	}

	fits := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(make([]byte, 4<<20)) // 5.6 MB once encoded: fits
	})
	out, err = NewLambdaHandler(fits).Invoke(context.Background(), []byte(`{"httpMethod":"GET","path":"/"}`))
	if err != nil {
		t.Fatal(err)
	}
	if resp := decodeResponse(t, out); resp.StatusCode != 200 || !resp.IsBase64Encoded || len(resp.Body) != base64.StdEncoding.EncodedLen(4<<20) {
		t.Errorf("4 MiB answer: status %d, %d body bytes", resp.StatusCode, len(resp.Body))
	}
}

func TestLambdaErrors(t *testing.T) {
	hello := recorder(new(seen))
	for _, tc := range []struct {
		name, payload, want string
		handler             http.Handler
	}{
		{"not JSON", `{"httpMethod":`, "invalid event JSON", hello},
		{"not a proxy event", `{"Records":[]}`, "not an API Gateway REST proxy event", hello},
		{"REQUEST authorizer", string(readEvent(t, "apigw-custom-auth-request-type-request.json")), `"REQUEST" authorizer events are not supported`, hello},
		{"handler panic", `{"httpMethod":"GET","path":"/"}`, "handler panicked serving GET /: boom",
			http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewLambdaHandler(tc.handler, WithTransportLogger(discardLogger())).Invoke(context.Background(), []byte(tc.payload))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// A request API Gateway could not have produced gets a 400 that says what is wrong.
	for _, payload := range []string{
		`{"httpMethod":"POST","path":"/","body":"%%%","isBase64Encoded":true}`,
		`{"httpMethod":"GET","path":"/a%zz"}`,
	} {
		resp := invoke(t, hello, []byte(payload))
		if resp.StatusCode != 400 || resp.Body == "" {
			t.Errorf("%s: got %d %q, want a 400 with a reason", payload, resp.StatusCode, resp.Body)
		}
	}
}

func TestLambdaContextPassesThrough(t *testing.T) {
	var got seen
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	out, err := NewLambdaHandler(recorder(&got)).Invoke(ctx, []byte(`{"httpMethod":"GET","path":"/"}`))
	if err != nil {
		t.Fatal(err)
	}
	decodeResponse(t, out)
	if got.lambdaRequestID != "req-1" {
		t.Errorf("lambdacontext request id = %q, want req-1", got.lambdaRequestID)
	}
}
