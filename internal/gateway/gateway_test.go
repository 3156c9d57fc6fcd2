package gateway

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	internalError = `{"message": "Internal server error"}`
	forbidden     = `{"message":"Forbidden"}`
	missingToken  = `{"message":"Missing Authentication Token"}`
)

func TestServesTheStageAtTheRootAndUnderItsName(t *testing.T) {
	st := stage(t, "hello", "dev", "Hi dev")
	st.Function.MaxEnvironments = 1 // one environment holds the value for both URLs
	s := serve(t, []API{{ID: "abc1234567", RootStage: "dev", Stages: []Stage{st}}}, nil)
	s.get(t, "/").want(t, 200, "Hi dev")
	s.get(t, "/dev/").want(t, 200, "Hi dev")
	s.get(t, "/dev").want(t, 200, "Hi dev")
	s.get(t, "/env").want(t, 200, `{"greeting":"Hi dev","stage":"dev"}`)
	s.do(t, "PUT", "/dev/value/3", "", []byte(`{"value": 42}`), nil).want(t, 200, "42")
	s.get(t, "/value/3").want(t, 200, "42") // the same warm environment served both URLs
	if got := s.access.String(); !strings.Contains(got, "[dev] GET /env 200 ") || !strings.Contains(got, "[dev] PUT /dev/value/3 200 ") {
		t.Errorf("access log lacks request lines:\n%s", got)
	}
	if got := s.funcLog.String(); !strings.Contains(got, "[dev] START RequestId: ") || !strings.Contains(got, "[dev] REPORT RequestId: ") {
		t.Errorf("function log lacks Lambda's lines:\n%s", got)
	}
}

func TestEventPathsAtTheRootAndUnderTheStage(t *testing.T) {
	s := serve(t, []API{{ID: "abc1234567", RootStage: "dev", Stages: []Stage{stage(t, "probe", "dev", "")}}}, nil)
	for _, path := range []string{"/event?a=1", "/dev/event?a=1"} {
		r := s.get(t, path)
		var ev struct {
			Path           string
			RequestContext struct {
				Path, Stage, RequestID string
			}
			Headers        map[string]string
			StageVariables map[string]string
		}
		if err := json.Unmarshal([]byte(r.body), &ev); err != nil {
			t.Fatalf("%s: %v: %s", path, err, r.body)
		}
		if ev.Path != "/event" || ev.RequestContext.Path != "/dev/event" || ev.RequestContext.Stage != "dev" {
			t.Errorf("%s: path %q, requestContext.path %q, stage %q", path, ev.Path, ev.RequestContext.Path, ev.RequestContext.Stage)
		}
		if ev.RequestContext.RequestID == "" || ev.RequestContext.RequestID != r.header.Get("x-amzn-RequestId") {
			t.Errorf("%s: request id %q in the event, %q in the response", path, ev.RequestContext.RequestID, r.header.Get("x-amzn-RequestId"))
		}
		if ev.Headers["X-Forwarded-Proto"] != "http" || ev.Headers["X-Forwarded-Port"] != s.url[strings.LastIndex(s.url, ":")+1:] {
			t.Errorf("%s: forwarded headers %q %q, want the real scheme and port", path, ev.Headers["X-Forwarded-Proto"], ev.Headers["X-Forwarded-Port"])
		}
		if ev.StageVariables["cws_stage"] != "dev" {
			t.Errorf("%s: stage variables %v", path, ev.StageVariables)
		}
	}
}

func TestGatewayErrors(t *testing.T) {
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{stage(t, "hello", "dev", "")}}}, nil)
	r := s.get(t, "/dev/nope")
	r.want(t, 403, missingToken)
	if r.header.Get("x-amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Errorf("x-amzn-ErrorType %q", r.header.Get("x-amzn-ErrorType"))
	}
	s.do(t, "DELETE", "/dev/", "", nil, nil).want(t, 403, missingToken)
	s.get(t, "/prod/").want(t, 403, forbidden)
	s.get(t, "/Dev/").want(t, 403, forbidden) // stage names are case-sensitive
	s.get(t, "/").want(t, 403, forbidden)     // no root stage: the stage is required
	s.get(t, "/dev/").want(t, 200, "Hello, world!")
}

func TestFunctionFailures(t *testing.T) {
	st := stage(t, "probe", "dev", "")
	st.Function.Timeout = time.Second
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{st}}}, nil)
	s.get(t, "/dev/panic").want(t, 502, internalError)
	s.get(t, "/dev/hello").want(t, 200, " from dev (dev)") // a panic leaves the stage working
	s.get(t, "/dev/sleep/3000").want(t, 502, internalError)
	s.get(t, "/dev/malformed").want(t, 502, internalError)
	s.get(t, "/dev/hello").want(t, 200, " from dev (dev)")
	if log := s.access.String(); !strings.Contains(log, "Sandbox.Timedout") || !strings.Contains(log, "malformed Lambda proxy response") {
		t.Errorf("the access log does not say why requests failed:\n%s", log)
	}
}

func TestIntegrationTimeout(t *testing.T) {
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{stage(t, "probe", "dev", "")}}},
		func(o *Options) { o.IntegrationTimeout = time.Second })
	r := s.get(t, "/dev/sleep/2500")
	r.want(t, 504, `{"message": "Endpoint request timed out"}`)
	// The function runs on to its own end, as in Lambda: its environment is still busy.
	if st := s.function(t, "abc1234567", "dev").pool.Stats(); st.Busy != 1 {
		t.Errorf("after the 504 the pool has %d busy environments, want 1 (still running)", st.Busy)
	}
	s.get(t, "/dev/hello").want(t, 200, " from dev (dev)")
}

// TestConcurrentRequestsBeyondTheConcurrencyLimitWait: past the gateway's concurrency limit requests wait
// for an environment instead of failing (AWS would throttle them).
func TestConcurrentRequestsBeyondTheConcurrencyLimitWait(t *testing.T) {
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{stage(t, "probe", "dev", "")}}}, func(o *Options) { o.ConcurrencyLimit = 10 })
	var wg sync.WaitGroup
	replies := make([]reply, 40)
	for i := range replies {
		wg.Go(func() { replies[i] = s.get(t, "/dev/sleep/200") })
	}
	wg.Wait()
	for i, r := range replies {
		if r.status != 200 || r.body != "slept" {
			t.Errorf("request %d: %d %q", i, r.status, r.body)
		}
	}
	if st := s.function(t, "abc1234567", "dev").pool.Stats(); st.ColdStarts > 10 {
		t.Errorf("%d environments started, want at most the concurrency limit of 10", st.ColdStarts)
	}
}

func TestReservedConcurrencyThrottles(t *testing.T) {
	st := stage(t, "probe", "dev", "")
	st.Function.ReservedConcurrency = 1
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{st}}}, nil)
	done := make(chan reply)
	go func() { done <- s.get(t, "/dev/sleep/1500") }()
	fn := s.function(t, "abc1234567", "dev")
	eventually(t, "the first invocation to run", func() bool { return fn.pool.Stats().Busy == 1 })
	s.get(t, "/dev/hello").want(t, 500, internalError) // Lambda refused the Invoke: 500, not 502
	(<-done).want(t, 200, "slept")
	if fn.pool.Stats().Throttles != 1 {
		t.Errorf("throttles %d, want 1", fn.pool.Stats().Throttles)
	}
}

func TestStagesOfSeveralAPIs(t *testing.T) {
	s := serve(t, []API{
		{ID: "abc1234567", Stages: []Stage{stage(t, "probe", "dev", "Hello"), stage(t, "probe", "prod", "Good day")}},
		{ID: "xyz7654321", Stages: []Stage{stage(t, "probe", "dev", "Yo")}},
	}, nil)
	s.get(t, "/prod/hello").want(t, 200, "Good day from prod (prod)")
	s.get(t, "/dev/hello").want(t, 403, forbidden) // two APIs have a dev stage: the Host header must choose
	s.do(t, "GET", "/dev/hello", "abc1234567.execute-api.localhost:8000", nil, nil).want(t, 200, "Hello from dev (dev)")
	s.do(t, "GET", "/prod/hello", "abc1234567.execute-api.localhost", nil, nil).want(t, 200, "Good day from prod (prod)")
	s.do(t, "GET", "/dev/hello", "xyz7654321.execute-api.localhost:8000", nil, nil).want(t, 200, "Yo from dev (dev)")
	s.do(t, "GET", "/prod/hello", "xyz7654321.execute-api.localhost:8000", nil, nil).want(t, 403, forbidden)
	s.do(t, "GET", "/dev/hello", "nope000000.execute-api.localhost:8000", nil, nil).want(t, 403, forbidden)
}

func TestBinaryBodiesRoundTrip(t *testing.T) {
	s := serve(t, []API{{ID: "abc1234567", BinaryMediaTypes: []string{"application/octet-stream"},
		Stages: []Stage{stage(t, "probe", "dev", "")}}}, nil)
	body := make([]byte, 256*3)
	for i := range body {
		body[i] = byte(i)
	}
	r := s.do(t, "POST", "/dev/echo", "", body, map[string]string{"Content-Type": "application/octet-stream", "Accept": "application/octet-stream"})
	if r.status != 200 || r.body != string(body) {
		t.Fatalf("got %d, %d bytes, want the %d bytes sent", r.status, len(r.body), len(body))
	}
	// Without a matching Accept the client gets the base64 text, as from API Gateway.
	r = s.do(t, "POST", "/dev/echo", "", body, map[string]string{"Content-Type": "application/octet-stream"})
	if r.status != 200 || r.body == string(body) || strings.ContainsAny(r.body, "\x00\x01") {
		t.Fatalf("without Accept: got %d %.40q, want base64 text", r.status, r.body)
	}
}

func TestBodyOver10MB(t *testing.T) {
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{stage(t, "probe", "dev", "")}}}, nil)
	r := s.do(t, "POST", "/dev/echo", "", bytes.Repeat([]byte("x"), 10<<20+1), nil)
	r.want(t, 413, "HTTP content length exceeded 10485760 bytes.")
	if st := s.function(t, "abc1234567", "dev").pool.Stats(); st.Invocations != 0 {
		t.Errorf("the function was invoked %d times for a refused body", st.Invocations)
	}
}

func TestUpdateKeepsUnchangedStagesWarm(t *testing.T) {
	dev, prod := stage(t, "probe", "dev", "Hello"), stage(t, "probe", "prod", "Good day")
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{dev, prod}}}, nil)
	s.get(t, "/dev/hello").want(t, 200, "Hello from dev (dev)")
	s.get(t, "/prod/hello").want(t, 200, "Good day from prod (prod)")
	devFn, oldProd := s.function(t, "abc1234567", "dev"), s.function(t, "abc1234567", "prod")

	// A slow request on prod is in flight while prod is replaced: it finishes on the old function.
	slow := make(chan reply)
	go func() { slow <- s.get(t, "/prod/sleep/700") }()
	eventually(t, "the slow request to run", func() bool { return oldProd.pool.Stats().Busy == 1 })
	prod.Function.Env = map[string]string{"GREETING": "Good evening"}
	if err := s.gw.Update([]API{{ID: "abc1234567", Stages: []Stage{dev, prod}}}); err != nil {
		t.Fatal(err)
	}
	s.get(t, "/prod/hello").want(t, 200, "Good evening from prod (prod)")
	s.get(t, "/dev/hello").want(t, 200, "Hello from dev (dev)")
	(<-slow).want(t, 200, "slept")
	if s.function(t, "abc1234567", "dev") != devFn || devFn.pool.Stats().ColdStarts != 1 {
		t.Errorf("dev was restarted by a change to prod (cold starts %d)", devFn.pool.Stats().ColdStarts)
	}
	eventually(t, "the replaced prod function to stop", func() bool { return oldProd.pool.Stats().Environments == 0 })

	// Removing a stage stops serving it; an invalid update changes nothing.
	if err := s.gw.Update([]API{{ID: "abc1234567", Stages: []Stage{dev}}}); err != nil {
		t.Fatal(err)
	}
	s.get(t, "/prod/hello").want(t, 403, forbidden)
	bad := dev
	bad.Routes = append(bad.Routes[:0:0], bad.Routes...)
	bad.Routes[0].Path = "/{a}{b}"
	if err := s.gw.Update([]API{{ID: "abc1234567", Stages: []Stage{bad}}}); err == nil {
		t.Fatal("Update accepted an invalid route table")
	}
	s.get(t, "/dev/hello").want(t, 200, "Hello from dev (dev)")
}

func TestTokenAuthorizer(t *testing.T) {
	st := stage(t, "authsvc", "dev", "")
	st.Authorizer = AuthorizerToken
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{st}}}, nil)
	s.get(t, "/dev/").want(t, 401, `{"message":"Unauthorized"}`)
	bearer := func(token string) map[string]string { return map[string]string{"Authorization": token} }
	s.do(t, "GET", "/dev/", "", nil, bearer("deny")).want(t, 403, `{"Message":"User is not authorized to access this resource with an explicit deny"}`)
	s.do(t, "GET", "/dev/", "", nil, bearer("allow")).want(t, 200, "hello alice")
	fn := s.function(t, "abc1234567", "dev")
	before := fn.pool.Stats().Invocations
	s.do(t, "GET", "/dev/", "", nil, bearer("allow")).want(t, 200, "hello alice")
	if got := fn.pool.Stats().Invocations - before; got != 1 {
		t.Errorf("a cached token cost %d invocations, want 1 (the route only)", got)
	}
	s.do(t, "GET", "/dev/public", "", nil, bearer("reader")).want(t, 200, "public")
	r := s.do(t, "GET", "/dev/", "", nil, bearer("reader")) // the cached policy names /public only
	if r.status != 403 || r.header.Get("x-amzn-ErrorType") != "AccessDeniedException" {
		t.Errorf("reader on /: %d %q %q", r.status, r.body, r.header.Get("x-amzn-ErrorType"))
	}
}

func TestNoAuthorizerSendsRequestsStraightToTheFunction(t *testing.T) {
	st := stage(t, "authsvc", "dev", "")
	st.Authorizer = AuthorizerNone
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{st}}}, nil)
	// Without an API Gateway authorizer the service's own Auth, enforced by the framework, still decides,
	// but no authorizer context reaches the function.
	s.do(t, "GET", "/dev/", "", nil, map[string]string{"Authorization": "allow"}).want(t, 200, "hello nobody")
	if r := s.do(t, "GET", "/dev/", "", nil, map[string]string{"Authorization": "deny"}); r.status != 403 {
		t.Errorf("deny token: %d %q, want the framework's 403", r.status, r.body)
	}
	if fn := s.function(t, "abc1234567", "dev"); fn.auth != nil || fn.pool.Stats().Invocations != 2 {
		t.Errorf("authorizer %v after %d invocations, want none after 2", fn.auth, fn.pool.Stats().Invocations)
	}
}
