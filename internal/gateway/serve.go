package gateway

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coworks-go/coworks/internal/apigw"
	"github.com/coworks-go/coworks/internal/runtimeapi"
)

// exchange holds the reusable buffers of one request.
type exchange struct {
	body  []byte
	event []byte
	line  []byte
	// lambdaID is the request id of the invocation the request made, "" before one.
	lambdaID string
}

var exchanges = sync.Pool{New: func() any { return &exchange{body: make([]byte, 0, 4096), event: make([]byte, 0, 8192)} }}

// maxPooledBuffer is the largest buffer returned to the pool; bigger ones (large bodies) are dropped.
const maxPooledBuffer = 256 << 10

// ServeHTTP runs API Gateway's request pipeline (spec checklist 8.2): find the API and stage (403
// Forbidden), enforce the 10 MB body limit (413), route (403 Missing Authentication Token), run the TOKEN
// authorizer with its cache (401/403/500), build the proxy event (413 past 6 MB), invoke the stage's
// function racing the integration timeout (504), map failures (502/500), validate the proxy response (502)
// and write it. Every request is logged to Options.AccessLog. Lambda's Invoke API is answered too (see
// serveInvoke).
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw := apigw.RawPath(r)
	if set := g.current.Load(); set.isInvokePath(raw) {
		g.serveInvoke(w, r, set)
		return
	}
	start := g.opts.Now()
	x := exchanges.Get().(*exchange)
	defer func() {
		if cap(x.body) <= maxPooledBuffer && cap(x.event) <= maxPooledBuffer && x.event != nil {
			exchanges.Put(x)
		}
	}()
	x.lambdaID = ""
	ids := apigw.NewRequestIDs(newUUID(), start)
	if apigw.HeaderBytes(r.Host, r.Header) > apigw.MaxHeaderBytes {
		g.finish(w, r, x, nil, ids, start, apigw.GatewayError(apigw.ErrHeadersTooLarge, ids), "headers over 10240 bytes")
		return
	}

	// The stage, with a hold on its function so that a reload closes it only after this request.
	var se *stageEntry
	var sp apigw.StagePath
	for {
		var ok bool
		se, sp, ok = g.current.Load().find(r.Host, raw)
		if !ok {
			g.finish(w, r, x, nil, ids, start, apigw.GatewayError(apigw.ErrForbidden, ids), "unknown stage")
			return
		}
		se.fn.refs.Add(1)
		if !se.fn.retired.Load() {
			break
		}
		se.fn.refs.Add(-1) // replaced meanwhile: the new set has its successor
	}
	defer se.fn.refs.Add(-1)

	if r.ContentLength > apigw.MaxRequestBody {
		g.finish(w, r, x, se, ids, start, apigw.GatewayError(apigw.ErrBodyTooLarge, ids), "")
		return
	}
	body, tooLarge, err := readBody(r, x.body[:0])
	x.body = body
	if tooLarge {
		g.finish(w, r, x, se, ids, start, apigw.GatewayError(apigw.ErrBodyTooLarge, ids), "")
		return
	}
	if err != nil {
		// The client stopped sending its body (the server's read timeout) or went away mid-body.
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusRequestTimeout)
		g.logLine(x, r, se, http.StatusRequestTimeout, start, ids.RequestID, "reading the body: "+err.Error())
		return
	}
	// The server's read timeout bounds the request and its body, not the invocation: once the body is in,
	// a connection whose read deadline passes would cancel the request while the function runs.
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	match, ok := se.router.Match(r.Method, sp.Path)
	if !ok {
		g.finish(w, r, x, se, ids, start, apigw.GatewayError(apigw.ErrMissingAuthenticationToken, ids), "no route")
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), g.opts.IntegrationTimeout)
	defer cancel()
	in := apigw.EventInput{
		Method: r.Method, Path: sp, RawQuery: r.URL.RawQuery, Host: r.Host, Protocol: r.Proto, Header: r.Header, Body: body,
		SourceIP: sourceIP(r.RemoteAddr), EdgeIP: localIP(r), Match: match, Stage: &se.stage, IDs: ids, Time: start,
	}
	in.ForwardedProto, in.ForwardedPort = forwarded(r)
	if auth := se.fn.auth; auth != nil {
		authz, resp, note := g.authorize(ctx, se, auth, r, sp.Path, ids)
		if authz == nil {
			g.finish(w, r, x, se, ids, start, resp, note)
			return
		}
		in.Authorizer = authz
	}
	x.event = apigw.AppendEvent(x.event[:0], &in)
	if len(x.event) > apigw.MaxEventSize {
		g.finish(w, r, x, se, ids, start, apigw.GatewayError(apigw.ErrRequestTooLong, ids), "")
		return
	}
	if se.fn.cfg.ReservedConcurrency < 0 {
		g.finish(w, r, x, se, ids, start, apigw.FailureResponse(apigw.FailureThrottled, ids), "reserved concurrency is 0")
		return
	}
	// Lambda gives the invocation its own request id, not API Gateway's; the trace continues API Gateway's.
	res, err := se.fn.pool.Invoke(ctx, x.event, runtimeapi.InvokeOptions{TraceID: ids.TraceID})
	x.lambdaID = res.RequestID
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			x.event = nil // the invocation still runs and may still read the event: do not reuse it
		}
		f, ok := failureOf(err)
		if !ok || r.Context().Err() != nil {
			g.logLine(x, r, se, 0, start, ids.RequestID, "client went away")
			return
		}
		g.finish(w, r, x, se, ids, start, apigw.FailureResponse(f, ids), err.Error())
		return
	}
	resp, err := apigw.ProxyResponse(res.Payload, apigw.ResponseOptions{
		IDs: ids, Accept: r.Header.Get("Accept"), BinaryMediaTypes: se.stage.BinaryMediaTypes,
	})
	note := ""
	if err != nil {
		note = err.Error()
	} else {
		ae, hasAE := r.Header["Accept-Encoding"]
		resp = apigw.Compress(resp, strings.Join(ae, ","), hasAE, &se.stage)
	}
	g.finish(w, r, x, se, ids, start, resp, note)
}

// authorize runs the TOKEN authorizer for a request (spec §5): its requestContext.authorizer, or nil and the
// refusal to send.
func (g *Gateway) authorize(ctx context.Context, se *stageEntry, auth *apigw.TokenAuthorizer, r *http.Request, path string,
	ids apigw.RequestIDs) (*apigw.AuthorizerContext, apigw.Response, string) {
	token, ok := auth.Token(r.Header)
	if !ok {
		return nil, apigw.GatewayError(apigw.ErrUnauthorized, ids), "no token"
	}
	arn := apigw.MethodARN(&se.stage, r.Method, path)
	now := g.opts.Now()
	result, cached := auth.Lookup(token, now)
	var latency int64
	if !cached {
		res, err := se.fn.pool.Invoke(ctx, apigw.TokenEvent(token, arn), runtimeapi.InvokeOptions{})
		latency = g.opts.Now().Sub(now).Milliseconds()
		var fe *runtimeapi.FunctionError
		switch {
		case errors.As(err, &fe) && fe.Kind == runtimeapi.FailureFunction:
			return nil, apigw.GatewayError(apigw.AuthorizerFailureKind(fe.Payload), ids), "authorizer: " + err.Error()
		case err != nil:
			return nil, apigw.GatewayError(apigw.ErrAuthorizerConfiguration, ids), "authorizer: " + err.Error()
		}
		result, err = apigw.ParseAuthorizerOutput(res.Payload)
		if err != nil {
			return nil, apigw.GatewayError(apigw.ErrAuthorizerConfiguration, ids), "authorizer: " + err.Error()
		}
		auth.Store(token, result, now)
	}
	if d := result.Policy.Evaluate(arn); d != apigw.Allowed {
		return nil, apigw.GatewayError(d.ErrorKind(), ids), "denied by the authorizer"
	}
	return result.EventContext(latency), apigw.Response{}, ""
}

// finish writes resp and logs the request.
func (g *Gateway) finish(w http.ResponseWriter, r *http.Request, x *exchange, se *stageEntry, ids apigw.RequestIDs,
	start time.Time, resp apigw.Response, note string) {
	resp.WriteTo(w)
	g.logLine(x, r, se, resp.Status, start, ids.RequestID, note)
}

// find picks the stage serving a request: by the execute-api Host header's API id and the first path segment,
// else by the first path segment when one API has that stage, else the root stage (cws run).
func (s *servedSet) find(host, raw string) (*stageEntry, apigw.StagePath, bool) {
	if id, ok := apigw.APIIDFromHost(host); ok {
		a := s.apis[id]
		if a == nil {
			return nil, apigw.StagePath{}, false
		}
		sp, ok := apigw.SplitStage(raw)
		if !ok {
			return nil, sp, false
		}
		se := a.stages[sp.Stage]
		return se, sp, se != nil
	}
	sp, ok := apigw.SplitStage(raw)
	if ok {
		if se, known := s.byStage[sp.Stage]; known {
			return se, sp, se != nil // nil: several APIs have the stage, the Host header must choose
		}
	}
	if s.root == nil {
		return nil, sp, false
	}
	p := raw
	for len(p) > 1 && p[1] == '/' {
		p = p[1:]
	}
	if p == "" {
		p = "/"
	}
	return s.root, apigw.StagePath{Stage: s.root.name, Path: p, ContextPath: s.root.rootPrefix + p}, true
}

// readBody reads the request body into buf, stopping past apigw.MaxRequestBody (tooLarge).
func readBody(r *http.Request, buf []byte) (body []byte, tooLarge bool, err error) {
	if r.Body == nil || r.Body == http.NoBody {
		return buf, false, nil
	}
	if n := int(r.ContentLength); n > 0 && cap(buf) < n {
		buf = make([]byte, 0, n)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > apigw.MaxRequestBody {
			return buf, true, nil
		}
		if err == io.EOF {
			return buf, false, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
}

// localIP returns the address the request came in on: the edge's address in an edge-optimized API's
// X-Forwarded-For.
func localIP(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return sourceIP(a.String())
	}
	return ""
}

// sourceIP returns the host part of a "host:port" remote address.
func sourceIP(remote string) string {
	if i := strings.LastIndexByte(remote, ':'); i >= 0 {
		remote = remote[:i]
	}
	return strings.Trim(remote, "[]")
}

// forwarded returns the scheme and port the client used, for X-Forwarded-Proto and X-Forwarded-Port.
func forwarded(r *http.Request) (proto, port string) {
	proto, port = "http", "80"
	if r.TLS != nil {
		proto, port = "https", "443"
	}
	h := r.Host
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") && i+1 < len(h) {
		port = h[i+1:]
	}
	return proto, port
}

// newUUID returns a random version 4 UUID. Request ids need uniqueness, not secrecy: the fast generator is
// enough.
func newUUID() string {
	const hexDigits = "0123456789abcdef"
	var b [16]byte
	hi, lo := rand.Uint64(), rand.Uint64()
	for i := range 8 {
		b[i], b[8+i] = byte(hi>>(8*i)), byte(lo>>(8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	j := 0
	for i, v := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s[j] = '-'
			j++
		}
		s[j], s[j+1] = hexDigits[v>>4], hexDigits[v&0x0f]
		j += 2
	}
	return string(s[:])
}
