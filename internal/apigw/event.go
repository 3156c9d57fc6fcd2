package apigw

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Stage is what the proxy event needs to know about the stage serving a request and its REST API.
type Stage struct {
	// Name is the stage name (requestContext.stage).
	Name string
	// Variables are the stage variables; none gives "stageVariables": null.
	Variables map[string]string
	// APIID is the REST API id (requestContext.apiId).
	APIID string
	// AccountID is the 12-digit account owning the API (requestContext.accountId).
	AccountID string
	// Region is the API's region, used in authorizer method ARNs.
	Region string
	// DeploymentID is the id of the deployment the stage points to (requestContext.deploymentId).
	DeploymentID string
	// BinaryMediaTypes is the API's binaryMediaTypes list ("image/png", "image/*", "*/*").
	BinaryMediaTypes []string
	// EndpointType is the API's endpoint type: EndpointEdge adds the headers of the CloudFront edge in front
	// of an edge-optimized API; "" or any other type adds none.
	EndpointType string
	// MinimumCompressionSize, when CompressionEnabled, is the API's minimumCompressionSize: responses whose
	// body has at least that many bytes are compressed for clients that accept it (see Compress).
	MinimumCompressionSize int
	// CompressionEnabled reports that the API sets minimumCompressionSize (0 is a valid size).
	CompressionEnabled bool
}

// EventInput is everything a REST proxy event is built from: the request as API Gateway received it, the
// route it matched, the stage, the request's identifiers, its arrival time and the authorizer's context.
type EventInput struct {
	// Method is the request method as sent (httpMethod; never "ANY").
	Method string
	// Path is the request path split by SplitStage.
	Path StagePath
	// RawQuery is the query string as sent, without '?'.
	RawQuery string
	// Host is the Host header (r.Host): headers.Host as sent, and requestContext.domainName without its
	// port (AWS hosts never have one; a local one has it only because the gateway listens on a port).
	Host string
	// Protocol is the request's protocol as net/http says it (r.Proto, "HTTP/1.1"), for the edge's Via header.
	Protocol string
	// Header holds the request headers (r.Header). Names are written as they appear in the map, so what
	// net/http canonicalised arrives canonicalised.
	Header http.Header
	// Body is the request body; empty gives "body": null.
	Body []byte
	// SourceIP is the client's IP address (identity.sourceIp, appended to X-Forwarded-For).
	SourceIP string
	// EdgeIP is the address of the edge that forwarded the request of an edge-optimized API, the second hop
	// of X-Forwarded-For: the local gateway's own address.
	EdgeIP string
	// ForwardedProto and ForwardedPort become X-Forwarded-Proto and X-Forwarded-Port. API Gateway always
	// says "https" and "443", which is what empty values give; a local gateway should pass its real scheme
	// and port so that URLs the function builds from these headers work.
	ForwardedProto, ForwardedPort string
	// Match is the route the request matched.
	Match Match
	// Stage is the stage serving the request.
	Stage *Stage
	// IDs are the request's identifiers (NewRequestIDs).
	IDs RequestIDs
	// Time is when the request arrived (requestTime, requestTimeEpoch).
	Time time.Time
	// Authorizer is the authorizer's output for requestContext.authorizer; nil leaves the key out, as API
	// Gateway does for methods without an authorizer.
	Authorizer *AuthorizerContext
}

// RequestTimeLayout is the layout of requestContext.requestTime (CLF, always UTC).
const RequestTimeLayout = "02/Jan/2006:15:04:05 -0700"

// BuildEvent returns the REST proxy event JSON for in (spec §1). See AppendEvent.
func BuildEvent(in *EventInput) []byte {
	return AppendEvent(make([]byte, 0, 1536+len(in.Body)*4/3), in)
}

// AppendEvent appends the REST proxy event JSON for in to dst and returns the extended buffer. The event
// has every top-level key API Gateway sends, in its order, with null where it sends null: headers,
// multiValueHeaders, queryStringParameters, multiValueQueryStringParameters (no query), pathParameters (no
// variables), stageVariables (none) and body (no body). Single-value maps hold the last value; query
// strings are decoded, path parameters are not; API Gateway's own request headers are added and hop-by-hop
// headers dropped (spec §1.2); a body whose Content-Type matches the API's binaryMediaTypes is base64.
func AppendEvent(dst []byte, in *EventInput) []byte {
	var hbuf [24]headerField
	headers := eventHeaders(in, hbuf[:0])
	var qbuf [16]queryParam
	query := parseQuery(in.RawQuery, qbuf[:0])
	stage := in.Stage
	if stage == nil {
		stage = &Stage{}
	}

	dst = append(dst, `{"resource":`...)
	dst = appendJSONString(dst, in.Match.Resource)
	dst = append(dst, `,"path":`...)
	dst = appendJSONString(dst, in.Path.Path)
	dst = append(dst, `,"httpMethod":`...)
	dst = appendJSONString(dst, in.Method)

	dst = append(dst, `,"headers":`...)
	dst = appendHeaders(dst, headers, false)
	dst = append(dst, `,"multiValueHeaders":`...)
	dst = appendHeaders(dst, headers, true)
	dst = append(dst, `,"queryStringParameters":`...)
	dst = appendQuery(dst, query, false)
	dst = append(dst, `,"multiValueQueryStringParameters":`...)
	dst = appendQuery(dst, query, true)

	dst = append(dst, `,"pathParameters":`...)
	if in.Match.Params == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '{')
		for i, p := range in.Match.Params {
			dst = appendKey(dst, i == 0, p.Name)
			dst = appendJSONString(dst, p.Value)
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `,"stageVariables":`...)
	dst = appendStringMap(dst, stage.Variables)

	dst = append(dst, `,"requestContext":`...)
	dst = appendRequestContext(dst, in, stage)

	dst = append(dst, `,"body":`...)
	binary := false
	switch {
	case len(in.Body) == 0:
		dst = append(dst, "null"...)
	case binaryMediaTypeMatches(stage.BinaryMediaTypes, in.Header.Get("Content-Type")):
		binary = true
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, in.Body)
		dst = append(dst, '"')
	default:
		dst = appendJSONBytes(dst, in.Body)
	}
	if binary {
		dst = append(dst, `,"isBase64Encoded":true}`...)
	} else {
		dst = append(dst, `,"isBase64Encoded":false}`...)
	}
	return dst
}

func appendRequestContext(dst []byte, in *EventInput, stage *Stage) []byte {
	dst = append(dst, `{"resourceId":`...)
	dst = appendJSONString(dst, in.Match.ResourceID)
	dst = append(dst, `,"resourcePath":`...)
	dst = appendJSONString(dst, in.Match.Resource)
	if in.Match.OperationName != "" {
		dst = append(dst, `,"operationName":`...)
		dst = appendJSONString(dst, in.Match.OperationName)
	}
	dst = append(dst, `,"httpMethod":`...)
	dst = appendJSONString(dst, in.Method)
	dst = append(dst, `,"extendedRequestId":`...)
	dst = appendJSONString(dst, in.IDs.ExtendedRequestID)
	dst = append(dst, `,"requestTime":"`...)
	t := in.Time.UTC()
	dst = t.AppendFormat(dst, RequestTimeLayout)
	dst = append(dst, `","path":`...)
	dst = appendJSONString(dst, in.Path.ContextPath)
	dst = append(dst, `,"accountId":`...)
	dst = appendJSONString(dst, stage.AccountID)
	dst = append(dst, `,"protocol":"HTTP/1.1","stage":`...)
	dst = appendJSONString(dst, stage.Name)
	dst = append(dst, `,"domainPrefix":`...)
	dst = appendJSONString(dst, domainPrefix(in.Host))
	dst = append(dst, `,"requestTimeEpoch":`...)
	dst = appendInt(dst, t.UnixMilli())
	dst = append(dst, `,"requestId":`...)
	dst = appendJSONString(dst, in.IDs.RequestID)
	dst = append(dst, `,"identity":{"cognitoIdentityPoolId":null,"accountId":null,"cognitoIdentityId":null,"caller":null,"sourceIp":`...)
	dst = appendJSONString(dst, in.SourceIP)
	dst = append(dst, `,"principalOrgId":null,"accessKey":null,"cognitoAuthenticationType":null,"cognitoAuthenticationProvider":null,"userArn":null,"userAgent":`...)
	dst = appendStringOrNull(dst, in.Header.Get("User-Agent"))
	dst = append(dst, `,"user":null},"domainName":`...)
	dst = appendJSONString(dst, hostWithoutPort(in.Host))
	dst = append(dst, `,"deploymentId":`...)
	dst = appendJSONString(dst, stage.DeploymentID)
	dst = append(dst, `,"apiId":`...)
	dst = appendJSONString(dst, stage.APIID)
	if in.Authorizer != nil {
		dst = append(dst, `,"authorizer":`...)
		dst = in.Authorizer.appendJSON(dst)
	}
	return append(dst, '}')
}

// domainPrefix is the first DNS label of the host (the API id on execute-api hosts), port removed; an IP
// address is returned whole.
func domainPrefix(host string) string {
	host = hostWithoutPort(host)
	numeric := true
	for i := 0; i < len(host); i++ {
		if c := host[i]; !(c >= '0' && c <= '9' || c == '.' || c == '[' || c == ']' || c == ':') {
			numeric = false
			break
		}
	}
	if numeric {
		return host
	}
	if i := strings.IndexByte(host, '.'); i >= 0 {
		return host[:i]
	}
	return host
}

// headerField is one header of the event: values, or a single synthesized value in one.
type headerField struct {
	name   string
	values []string
	one    string
}

func (h *headerField) last() string {
	if h.values == nil {
		return h.one
	}
	return h.values[len(h.values)-1]
}

// droppedRequestHeaders never reach the function (spec §1.2); compared case-insensitively.
var droppedRequestHeaders = []string{
	"Connection", "Content-Length", "Content-MD5", "Expect", "Max-Forwards", "Proxy-Authenticate", "Server",
	"TE", "Trailer", "Transfer-Encoding", "Upgrade", "WWW-Authenticate",
	// Replaced by API Gateway's own values below.
	"Host", "X-Forwarded-Port", "X-Forwarded-Proto",
}

// eventHeaders collects the request headers as the function sees them, sorted by name.
func eventHeaders(in *EventInput, out []headerField) []headerField {
	var xffName, xff string
	haveTrace := false
	edge := in.Stage != nil && in.Stage.EndpointType == EndpointEdge
	for name, values := range in.Header {
		if len(values) == 0 || dropRequestHeader(name, values) || edge && isCloudFrontHeader(name) {
			continue
		}
		if strings.EqualFold(name, "X-Forwarded-For") {
			xffName, xff = name, strings.Join(values, ", ")
			continue
		}
		if strings.EqualFold(name, "X-Amzn-Trace-Id") {
			haveTrace = true
		}
		out = append(out, headerField{name: name, values: values})
	}
	if in.Host != "" {
		out = append(out, headerField{name: "Host", one: in.Host})
	}
	if !haveTrace && in.IDs.TraceID != "" {
		out = append(out, headerField{name: "X-Amzn-Trace-Id", one: in.IDs.TraceID})
	}
	if xffName == "" {
		xffName = "X-Forwarded-For"
	}
	hops := joinHop(xff, in.SourceIP)
	if edge {
		hops = joinHop(hops, in.EdgeIP) // the client reached CloudFront, CloudFront reached API Gateway
	}
	if hops != "" {
		out = append(out, headerField{name: xffName, one: hops})
	}
	if edge {
		out = appendEdgeHeaders(out, in, in.Header.Get("User-Agent"), in.Protocol)
	}
	proto, port := in.ForwardedProto, in.ForwardedPort
	if proto == "" {
		proto = "https"
	}
	if port == "" {
		port = "443"
	}
	out = append(out, headerField{name: "X-Forwarded-Port", one: port}, headerField{name: "X-Forwarded-Proto", one: proto})
	slices.SortFunc(out, func(a, b headerField) int { return strings.Compare(a.name, b.name) })
	return out
}

// joinHop appends ip to an X-Forwarded-For list.
func joinHop(hops, ip string) string {
	switch {
	case ip == "":
		return hops
	case hops == "":
		return ip
	}
	return hops + ", " + ip
}

func dropRequestHeader(name string, values []string) bool {
	for _, d := range droppedRequestHeaders {
		if strings.EqualFold(name, d) {
			return true
		}
	}
	// A SigV4 Authorization header is consumed by API Gateway (DOC-NOTES).
	return strings.EqualFold(name, "Authorization") && strings.HasPrefix(values[len(values)-1], "AWS4-HMAC-SHA256")
}

func appendHeaders(dst []byte, headers []headerField, multi bool) []byte {
	if len(headers) == 0 {
		return append(dst, "null"...)
	}
	dst = append(dst, '{')
	for i := range headers {
		h := &headers[i]
		dst = appendKey(dst, i == 0, h.name)
		if !multi {
			dst = appendJSONString(dst, h.last())
			continue
		}
		dst = append(dst, '[')
		if h.values == nil {
			dst = appendJSONString(dst, h.one)
		}
		for j, v := range h.values {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, v)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

func appendStringMap(dst []byte, m map[string]string) []byte {
	if len(m) == 0 {
		return append(dst, "null"...)
	}
	var kbuf [16]string
	keys := kbuf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		dst = appendKey(dst, i == 0, k)
		dst = appendJSONString(dst, m[k])
	}
	return append(dst, '}')
}
