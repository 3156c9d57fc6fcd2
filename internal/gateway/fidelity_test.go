package gateway

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestRequestDuringPostResponseWorkIsAnswered: a request arriving while the only environment works on
// after answering the previous one gets a new environment, as in Lambda, instead of waiting behind that
// work until the integration timeout (it used to get a 504 after 29 s).
func TestRequestDuringPostResponseWorkIsAnswered(t *testing.T) {
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{stage(t, "postwork", "dev", "")}}},
		func(o *Options) { o.IntegrationTimeout = 10 * time.Second }) // shorter than the work: a queued request gets a 504
	first := s.get(t, "/dev/after/60000")
	if first.status != 200 {
		t.Fatalf("first request: %d %s", first.status, first.body)
	}
	second := s.get(t, "/dev/")
	if second.status != 200 || !strings.HasPrefix(second.body, "answered ") {
		t.Fatalf("a request during the first one's post-response work: %d %q, want an answer from a new environment", second.status, second.body)
	}
	if st := s.function(t, "abc1234567", "dev").pool.Stats(); st.ColdStarts != 2 {
		t.Errorf("%d cold starts, want 2: the working environment gets no event", st.ColdStarts)
	}
}

// TestThrottledDuringPostResponseWorkIs500: at the reserved concurrency an environment working after its
// response is busy, so Lambda throttles the next request and API Gateway answers 500 Internal server error.
func TestThrottledDuringPostResponseWorkIs500(t *testing.T) {
	st := stage(t, "postwork", "dev", "")
	st.Function.ReservedConcurrency = 1
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{st}}}, func(o *Options) { o.IntegrationTimeout = 10 * time.Second })
	if r := s.get(t, "/dev/after/60000"); r.status != 200 {
		t.Fatalf("first request: %d %s", r.status, r.body)
	}
	r := s.get(t, "/dev/")
	r.want(t, 500, internalError)
	if r.header.Get("X-Amzn-Errortype") != "InternalServerErrorException" {
		t.Errorf("x-amzn-ErrorType %q", r.header.Get("X-Amzn-Errortype"))
	}
}

// TestLambdaRequestIDAndTraceHeader: each invocation has its own Lambda request id, not API Gateway's
// requestContext.requestId; the function's trace header continues API Gateway's Root with Lambda's Parent
// and a Sampled decision.
func TestLambdaRequestIDAndTraceHeader(t *testing.T) {
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{stage(t, "probe", "dev", "")}}}, nil)
	seen := map[string]bool{}
	for range 2 {
		r := s.get(t, "/dev/lambda")
		var got struct{ RequestID, Trace string }
		if err := json.Unmarshal([]byte(r.body), &got); err != nil {
			t.Fatalf("%s: %v", r.body, err)
		}
		apigwID, apigwTrace := r.header.Get("X-Amzn-Requestid"), r.header.Get("X-Amzn-Trace-Id")
		if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(got.RequestID) ||
			got.RequestID == apigwID || seen[got.RequestID] {
			t.Errorf("Lambda request id %q (API Gateway's %q), want a fresh UUID of its own", got.RequestID, apigwID)
		}
		seen[got.RequestID] = true
		if !strings.HasPrefix(got.Trace, apigwTrace+";") || !regexp.MustCompile(`;Parent=[0-9a-f]{16};Sampled=0$`).MatchString(got.Trace) {
			t.Errorf("trace header %q, want API Gateway's %q with Parent and Sampled", got.Trace, apigwTrace)
		}
		if !strings.Contains(s.funcLog.String(), "START RequestId: "+got.RequestID+" ") {
			t.Errorf("the function log has no START line for %s", got.RequestID)
		}
	}
}

// TestHeadersOverTheLimit: request headers over API Gateway's 10,240 bytes get its answer without reaching
// the function.
func TestHeadersOverTheLimit(t *testing.T) {
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{stage(t, "probe", "dev", "")}}}, nil)
	r := s.do(t, "GET", "/dev/hello", "", nil, map[string]string{"Cookie": strings.Repeat("c", 10240)})
	r.want(t, 431, "HTTP header is larger than 10240 bytes.")
	if st := s.function(t, "abc1234567", "dev").pool.Stats(); st.Invocations != 0 {
		t.Errorf("%d invocations, want none", st.Invocations)
	}
	s.do(t, "GET", "/dev/hello", "", nil, map[string]string{"Cookie": strings.Repeat("c", 9000)}).want(t, 200, " from dev (dev)")
}

// TestNumericAndNullResponseHeaders: a function's numeric header value is sent as its text and a null one
// sends no header, as API Gateway does.
func TestNumericAndNullResponseHeaders(t *testing.T) {
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{stage(t, "probe", "dev", "")}}}, nil)
	r := s.get(t, "/dev/loose")
	r.want(t, 200, "loose")
	if r.header.Get("X-Count") != "5" || r.header.Get("X-Ratio") != "0.5" || r.header["X-Null"] != nil {
		t.Errorf("headers %v, want X-Count 5, X-Ratio 0.5 and no X-Null", r.header)
	}
}

// TestMinimumCompressionSize: with minimumCompressionSize set, a body of at least that size is gzipped for a
// client that accepts it; smaller bodies, clients that do not accept it and APIs without the setting get it
// as is.
func TestMinimumCompressionSize(t *testing.T) {
	size := 1000
	s := serve(t, []API{
		{ID: "abc1234567", MinimumCompressionSize: &size, Stages: []Stage{stage(t, "probe", "dev", "")}},
		{ID: "xyz7654321", Stages: []Stage{stage(t, "probe", "prod", "")}},
	}, nil)
	get := func(path string, header map[string]string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", s.url+path, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		// A transport that does not ask for gzip itself, so that the test sees the bytes on the wire.
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body := get("/dev/text/2000", map[string]string{"Accept-Encoding": "gzip, deflate, br"})
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(zr); len(plain) != 2000 || len(body) >= 2000 {
		t.Errorf("gzip body of %d bytes decoding to %d, want 2000 bytes compressed", len(body), len(plain))
	}
	for _, c := range []struct {
		path, accept string
		size         int
	}{
		{"/dev/text/999", "gzip", 999},       // under the minimum
		{"/dev/text/2000", "identity", 2000}, // the client wants it as is
		{"/dev/text/2000", "", 2000},         // no Accept-Encoding
		{"/prod/text/2000", "gzip", 2000},    // an API without the setting
	} {
		h := map[string]string{}
		if c.accept != "" {
			h["Accept-Encoding"] = c.accept
		}
		if resp, body := get(c.path, h); resp.Header.Get("Content-Encoding") != "" || len(body) != c.size {
			t.Errorf("%s with Accept-Encoding %q: Content-Encoding %q, %d bytes; want the %d bytes as is",
				c.path, c.accept, resp.Header.Get("Content-Encoding"), len(body), c.size)
		}
	}
}

// TestEdgeEndpointAndDomainName: the function of an EDGE API (Chalice's default) sees the headers
// CloudFront adds, and a requestContext.domainName without the local port.
func TestEdgeEndpointAndDomainName(t *testing.T) {
	s := serve(t, []API{
		{ID: "abc1234567", Stages: []Stage{stage(t, "probe", "dev", "")}},
		{ID: "xyz7654321", EndpointType: "REGIONAL", Stages: []Stage{stage(t, "probe", "prod", "")}},
	}, nil)
	event := func(path string) (headers map[string]string, domainName string) {
		r := s.do(t, "GET", path, "", nil, map[string]string{"User-Agent": "curl/8.5.0"})
		var ev struct {
			Headers        map[string]string
			RequestContext struct{ DomainName string }
		}
		if err := json.Unmarshal([]byte(r.body), &ev); err != nil {
			t.Fatalf("%s: %v", r.body, err)
		}
		return ev.Headers, ev.RequestContext.DomainName
	}
	edge, domain := event("/dev/event")
	if edge["CloudFront-Is-Desktop-Viewer"] != "true" || edge["X-Amz-Cf-Id"] == "" || !strings.HasSuffix(edge["Via"], ".cloudfront.net (CloudFront)") ||
		edge["X-Forwarded-For"] != "127.0.0.1, 127.0.0.1" {
		t.Errorf("EDGE API headers %v", edge)
	}
	if host := edge["Host"]; domain != "127.0.0.1" || !strings.HasPrefix(host, "127.0.0.1:") {
		t.Errorf("domainName %q, Host %q; want the host without the gateway's port, the Host header as sent", domain, host)
	}
	if regional, _ := event("/prod/event"); regional["Via"] != "" || regional["X-Forwarded-For"] != "127.0.0.1" {
		t.Errorf("REGIONAL API headers %v", regional)
	}
}
