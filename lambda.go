package coworks

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/textproto"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// LambdaHandler runs an http.Handler for API Gateway REST API (v1) Lambda proxy events, and answers API
// Gateway TOKEN authorizer events when the handler implements Authorizer. It is what Start runs inside Lambda;
// use it directly to start the Lambda runtime yourself (lambda.Start(coworks.NewLambdaHandler(h))).
//
// Requests: the URL path is the event's path (without the stage prefix, percent-encoding kept in URL.RawPath),
// the query and headers come from the multi-value maps (the single-value maps fill in when the multi-value
// ones are missing), Host from the Host header or requestContext.domainName, RemoteAddr from
// requestContext.identity.sourceIp, and the handler's context carries Stage, StageVariables, ProxyRequest and
// the invocation's lambdacontext.
//
// Responses: headers only in multiValueHeaders (so several Set-Cookie headers work), the body as text, or
// base64 with isBase64Encoded for binary content types and bodies that are not UTF-8. A response whose JSON
// would exceed Lambda's 6 MB payload limit is logged and replaced by a 502 answer.
//
// A LambdaHandler is safe for concurrent use.
type LambdaHandler struct {
	handler http.Handler
	auth    Authorizer // nil when the handler does not implement Authorizer
	log     *slog.Logger
	buffers sync.Pool // *bytes.Buffer for response bodies and response JSON
	names   headerNames
}

var _ lambda.Handler = (*LambdaHandler)(nil)

// NewLambdaHandler returns the Lambda adapter of h. Of the StartOptions, it uses WithTransportLogger.
func NewLambdaHandler(h http.Handler, opts ...StartOption) *LambdaHandler {
	cfg := newStartConfig(opts)
	l := &LambdaHandler{handler: h, log: cfg.logger}
	l.auth, _ = h.(Authorizer)
	l.buffers.New = func() any { return new(bytes.Buffer) }
	return l
}

// Invoke handles one raw invocation payload, the lambda.Handler contract: a REST proxy event yields the
// proxy response JSON; a TOKEN authorizer event yields a policy document (or the error "Unauthorized").
// Any other payload is an error. The returned slice belongs to the caller.
func (l *LambdaHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	ev, err := decodeEvent(payload)
	if err != nil {
		return nil, err
	}
	switch ev.kind {
	case "":
	case "TOKEN":
		return l.authorize(ctx, ev)
	default:
		return nil, fmt.Errorf("coworks: %q authorizer events are not supported; configure the authorizer with type TOKEN", ev.kind)
	}
	x, err := l.serve(ctx, &ev.proxy)
	if err != nil {
		return nil, err
	}
	defer l.release(x)
	out := l.buffers.Get().(*bytes.Buffer)
	defer l.putBuffer(out)
	x.w.appendJSON(out)
	if out.Len() > maxResponseBytes {
		l.log.ErrorContext(ctx, "response too large for Lambda, answering 502",
			"path", ev.proxy.Path, "status", x.w.status, "response_bytes", out.Len(), "limit_bytes", maxResponseBytes)
		return []byte(badGatewayJSON), nil
	}
	return bytes.Clone(out.Bytes()), nil
}

// ServeEvent runs the handler for an already decoded proxy event and returns the proxy response, with the
// same rules as Invoke; aws-lambda-go's reflection-based lambda.Start(l.ServeEvent) works too.
func (l *LambdaHandler) ServeEvent(ctx context.Context, event *events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	x, err := l.serve(ctx, event)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	defer l.release(x)
	resp := x.w.proxyResponse()
	if x.w.body.Len() > maxResponseBytes/6 { // below this, even escaping every byte cannot exceed the limit
		out := l.buffers.Get().(*bytes.Buffer)
		x.w.appendJSON(out)
		n := out.Len()
		l.putBuffer(out)
		if n > maxResponseBytes {
			l.log.ErrorContext(ctx, "response too large for Lambda, answering 502",
				"path", event.Path, "status", x.w.status, "response_bytes", n, "limit_bytes", maxResponseBytes)
			return badGatewayResponse(), nil
		}
	}
	return resp, nil
}

// exchange holds what one request needs besides the http.Request, in one allocation.
type exchange struct {
	req  http.Request // without its context: WithContext copies it
	info requestInfo
	url  url.URL
	body eventBody
	w    responseWriter
}

// eventBody is the request body read from the event.
type eventBody struct{ strings.Reader }

// Close implements io.Closer; there is nothing to release.
func (*eventBody) Close() error { return nil }

func (l *LambdaHandler) release(x *exchange) {
	l.putBuffer(x.w.body)
	x.w.body = nil
}

func (l *LambdaHandler) putBuffer(b *bytes.Buffer) {
	if b.Cap() > 1<<20 { // do not keep huge buffers alive between invocations
		return
	}
	b.Reset()
	l.buffers.Put(b)
}

// serve builds the http.Request of event, runs the handler and returns the recorded response. A handler
// panic is logged and returned as an error, which API Gateway turns into a 502.
func (l *LambdaHandler) serve(ctx context.Context, event *events.APIGatewayProxyRequest) (x *exchange, err error) {
	if event.HTTPMethod == "" {
		return nil, errors.New("coworks: the event is not an API Gateway REST proxy event (no httpMethod); " +
			"check the integration type is AWS_PROXY")
	}
	x = &exchange{}
	x.w.body = l.buffers.Get().(*bytes.Buffer)
	x.w.head = event.HTTPMethod == http.MethodHead
	x.info = requestInfo{stage: event.RequestContext.Stage, stageVariables: event.StageVariables, proxyRequest: event}
	req, problem := x.request(event, &l.names)
	if problem != "" {
		x.w.reject(http.StatusBadRequest, problem)
		return x, nil
	}
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				l.log.ErrorContext(ctx, "handler panicked", "path", event.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			}
			l.release(x)
			x, err = nil, fmt.Errorf("coworks: handler panicked serving %s %s: %v", event.HTTPMethod, event.Path, p)
		}
	}()
	l.handler.ServeHTTP(&x.w, req.WithContext(withRequestInfo(ctx, &x.info)))
	x.w.finish()
	return x, nil
}

// request fills x's URL and body from event and returns the http.Request (without its context), or a
// problem a client should be told about with a 400.
func (x *exchange) request(event *events.APIGatewayProxyRequest, names *headerNames) (*http.Request, string) {
	path := event.Path
	if path == "" {
		path = "/"
	}
	x.url.Path = path
	if strings.IndexByte(path, '%') >= 0 {
		unescaped, err := url.PathUnescape(path)
		if err != nil {
			return nil, "malformed percent-encoding in path " + path
		}
		x.url.Path = unescaped
		if x.url.EscapedPath() != path {
			x.url.RawPath = path
		}
	}
	x.url.RawQuery = rawQuery(event.MultiValueQueryStringParameters, event.QueryStringParameters)
	requestURI := path
	if x.url.RawQuery != "" {
		requestURI = path + "?" + x.url.RawQuery
	}

	header, host := names.requestHeader(event.MultiValueHeaders, event.Headers)
	if host == "" {
		host = event.RequestContext.DomainName
	}

	var body []byte
	if event.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(event.Body)
		if err != nil {
			return nil, "the event body is marked isBase64Encoded but is not base64: " + err.Error()
		}
		body = decoded
	}
	x.req = http.Request{
		Method:     event.HTTPMethod,
		URL:        &x.url,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     header,
		Body:       http.NoBody,
		Host:       host,
		RemoteAddr: event.RequestContext.Identity.SourceIP,
		RequestURI: requestURI,
	}
	r := &x.req
	switch {
	case len(body) > 0:
		// The decoded bytes are never written again, so they can back the reader's string.
		x.body.Reset(unsafe.String(&body[0], len(body)))
		r.Body, r.ContentLength = &x.body, int64(len(body))
	case !event.IsBase64Encoded && event.Body != "":
		x.body.Reset(event.Body)
		r.Body, r.ContentLength = &x.body, int64(len(event.Body))
	}
	return r, ""
}

// requestHeader builds the request header from the event's multi-value headers, falling back to the
// single-value ones for names the multi-value map lacks, and returns the Host apart, as net/http does.
func (names *headerNames) requestHeader(multi map[string][]string, single map[string]string) (http.Header, string) {
	// API Gateway fills both maps with the same names. Anything else (a hand-made event) takes the slow path.
	if len(multi) == 0 || (len(single) != 0 && len(single) != len(multi)) {
		return mergedHeader(multi, single)
	}
	h := make(http.Header, len(multi))
	values := make([]string, 0, len(multi)+4) // one backing array for every value, capped per header
	var host string
	inserted := 0
	for k, vs := range multi {
		if len(vs) == 0 {
			continue
		}
		ck := names.canonical(k)
		if ck == "Host" {
			host = vs[len(vs)-1]
			continue
		}
		start := len(values)
		values = append(values, vs...)
		h[ck] = values[start:len(values):len(values)]
		inserted++
	}
	if len(h) != inserted { // "Foo" and "foo" are distinct keys in events: merge them
		return mergedHeader(multi, single)
	}
	return h, host
}

// mergedHeader is requestHeader for events with several spellings of a name or with names in only one of
// the maps: every multi-value header, then the single-value ones the multi-value map lacks, in name order.
func mergedHeader(multi map[string][]string, single map[string]string) (http.Header, string) {
	h := make(http.Header, max(len(multi), len(single)))
	var host string
	for _, k := range slices.Sorted(maps.Keys(multi)) {
		for _, v := range multi[k] {
			h.Add(k, v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(single)) {
		if _, ok := multi[k]; !ok {
			h.Add(k, single[k])
		}
	}
	if vs := h["Host"]; len(vs) > 0 {
		host = vs[len(vs)-1]
	}
	delete(h, "Host")
	return h, host
}

// headerNames caches the canonical form of header names as events spell them. Checking a name is
// canonical costs more than a map lookup, and HTTP/2 clients send lower-case names, each of which would
// cost an allocation. Reads are lock-free; the cache is copied on write and stops growing at 512 names.
type headerNames struct {
	cache atomic.Pointer[map[string]string]
	mu    sync.Mutex
}

func (names *headerNames) canonical(k string) string {
	if m := names.cache.Load(); m != nil {
		if ck, ok := (*m)[k]; ok {
			return ck
		}
	}
	ck := textproto.CanonicalMIMEHeaderKey(k)
	names.mu.Lock()
	defer names.mu.Unlock()
	old := names.cache.Load()
	if old != nil && len(*old) >= 512 {
		return ck
	}
	m := make(map[string]string, 1+len(mapOrNil(old)))
	for k, v := range mapOrNil(old) {
		m[k] = v
	}
	m[strings.Clone(k)] = strings.Clone(ck) // k shares the payload's memory; do not keep it alive
	names.cache.Store(&m)
	return ck
}

func mapOrNil(m *map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	return *m
}

// rawQuery re-encodes the event's decoded query parameters, keys sorted, each key's values in order.
func rawQuery(multi map[string][]string, single map[string]string) string {
	if len(multi) == 0 && len(single) == 0 {
		return ""
	}
	var keyArray [16]string
	keys := keyArray[:0]
	for k := range multi {
		keys = append(keys, k)
	}
	for k := range single {
		if _, ok := multi[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var bufArray [256]byte
	buf := bufArray[:0]
	for _, k := range keys {
		vs, ok := multi[k]
		if !ok {
			vs = []string{single[k]}
		}
		for _, v := range vs {
			if len(buf) > 0 {
				buf = append(buf, '&')
			}
			buf = appendQueryEscape(buf, k)
			buf = append(buf, '=')
			buf = appendQueryEscape(buf, v)
		}
	}
	return string(buf)
}

// appendQueryEscape appends s escaped as url.QueryEscape does.
func appendQueryEscape(b []byte, s string) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return b
}
