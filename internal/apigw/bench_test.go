package apigw

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// benchRouter is a CoWorks-sized API: a few dozen resources with literals, variables and a greedy root.
func benchRouter(b *testing.B) *Router {
	var routes []Route
	for _, p := range []string{"/", "/{_0}", "/value/{_0}", "/value/{_0}/{_1}", "/users", "/users/{id}", "/users/{id}/orders",
		"/users/{id}/orders/{order}", "/admin/stats", "/admin/config", "/files/{proxy+}", "/health", "/v1/items", "/v1/items/{item}"} {
		routes = append(routes, Route{Method: "GET", Path: p}, Route{Method: "PUT", Path: p})
	}
	return mustRouter(b, routes...)
}

func BenchmarkRouterMatch(b *testing.B) {
	r := benchRouter(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := r.Match("GET", "/users/42/orders/7"); !ok {
			b.Fatal("no match")
		}
	}
}

func BenchmarkRouterMatchLiteral(b *testing.B) {
	r := benchRouter(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := r.Match("GET", "/admin/stats"); !ok {
			b.Fatal("no match")
		}
	}
}

func benchEventInput(b *testing.B) *EventInput {
	r := benchRouter(b)
	sp, _ := SplitStage("/dev/users/42/orders/7")
	m, _ := r.Match("GET", sp.Path)
	return &EventInput{
		Method: "GET", Path: sp, RawQuery: "expand=items&expand=owner&limit=10", Host: "abc1234567.execute-api.localhost:8080",
		Header: http.Header{
			"Accept": {"application/json"}, "Accept-Encoding": {"gzip, deflate"}, "User-Agent": {"curl/8.5.0"},
			"Authorization": {"Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc"}, "Content-Type": {"application/json"}, "X-Request-Id": {"r-1"},
		},
		Body:     []byte(`{"name":"widget","count":3}`),
		SourceIP: "127.0.0.1", Match: m,
		Stage: &Stage{Name: "dev", APIID: "abc1234567", AccountID: "000000000000", Region: "us-east-1", DeploymentID: "d1",
			Variables: map[string]string{"lambda": "simple-dev"}},
		IDs:  NewRequestIDs("deef4878-7910-11e6-8f14-25afc3e9ae33", time.Unix(1589522469, 0)),
		Time: time.Unix(1589522469, 0),
	}
}

// BenchmarkAppendEvent is the gateway's hot path: the event written into a reused buffer.
func BenchmarkAppendEvent(b *testing.B) {
	in := benchEventInput(b)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendEvent(buf[:0], in)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkEncodingJSONEvent is the peer: the same event as an events.APIGatewayProxyRequest marshalled
// with encoding/json (which cannot write API Gateway's nulls and key order, and needs the maps built).
func BenchmarkEncodingJSONEvent(b *testing.B) {
	in := benchEventInput(b)
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(AppendEvent(nil, in), &ev); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		out, err := json.Marshal(&ev)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.SetBytes(int64(n))
}

func BenchmarkProxyResponse(b *testing.B) {
	payload := []byte(`{"statusCode":200,"headers":{"Content-Type":"application/json"},"multiValueHeaders":{"Set-Cookie":["a=1","b=2"]},"body":"{\"name\":\"widget\",\"count\":3}"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ProxyResponse(payload, ResponseOptions{IDs: testIDs}); err != nil {
			b.Fatal(err)
		}
	}
}
