package apigw

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Endpoint types of a REST API (endpointConfiguration.types). Chalice deploys EDGE unless the stage sets
// api_gateway_endpoint_type.
const (
	EndpointEdge     = "EDGE"
	EndpointRegional = "REGIONAL"
	EndpointPrivate  = "PRIVATE"
)

// An edge-optimized API is reached through CloudFront, which adds its own request headers before API
// Gateway sees the request (spec §1.2): Via and X-Amz-Cf-Id, the CloudFront-* viewer headers, and its
// address as a second hop of X-Forwarded-For. Locally the gateway plays the edge. The viewer headers hold
// what CloudFront cannot know of a loopback client as fixed values: country US, the ASN of Amazon's own
// network (16509, what calls from AWS show); the device headers follow the User-Agent roughly as CloudFront
// does.

// cloudFrontHeaders are the names the edge sets; a client's own headers of these names are replaced.
var cloudFrontHeaders = []string{
	"CloudFront-Forwarded-Proto", "CloudFront-Is-Desktop-Viewer", "CloudFront-Is-Mobile-Viewer",
	"CloudFront-Is-SmartTV-Viewer", "CloudFront-Is-Tablet-Viewer", "CloudFront-Viewer-ASN",
	"CloudFront-Viewer-Country", "Via", "X-Amz-Cf-Id",
}

// isCloudFrontHeader reports whether the edge sets the header name itself.
func isCloudFrontHeader(name string) bool {
	for _, h := range cloudFrontHeaders {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return false
}

// appendEdgeHeaders appends the headers the edge of an edge-optimized API adds to a request from
// userAgent, made with protocol (r.Proto: "HTTP/1.1", "HTTP/2.0").
func appendEdgeHeaders(out []headerField, in *EventInput, userAgent, protocol string) []headerField {
	mobile, tablet, tv := deviceOf(userAgent)
	proto := in.ForwardedProto
	if proto == "" {
		proto = "https"
	}
	version := strings.TrimPrefix(protocol, "HTTP/")
	if version == "" || version == protocol {
		version = "1.1"
	}
	return append(out,
		headerField{name: "CloudFront-Forwarded-Proto", one: proto},
		headerField{name: "CloudFront-Is-Desktop-Viewer", one: boolText(!mobile && !tablet && !tv)},
		headerField{name: "CloudFront-Is-Mobile-Viewer", one: boolText(mobile)},
		headerField{name: "CloudFront-Is-SmartTV-Viewer", one: boolText(tv)},
		headerField{name: "CloudFront-Is-Tablet-Viewer", one: boolText(tablet)},
		headerField{name: "CloudFront-Viewer-ASN", one: "16509"},
		headerField{name: "CloudFront-Viewer-Country", one: "US"},
		headerField{name: "Via", one: version + " " + edgeHost(in.Stage.APIID) + ".cloudfront.net (CloudFront)"},
		headerField{name: "X-Amz-Cf-Id", one: in.IDs.CloudFrontID},
	)
}

// deviceOf classifies a User-Agent as CloudFront's device headers do, roughly.
func deviceOf(ua string) (mobile, tablet, tv bool) {
	l := strings.ToLower(ua)
	tv = strings.Contains(l, "smart-tv") || strings.Contains(l, "smarttv") || strings.Contains(l, "googletv") || strings.Contains(l, "appletv")
	tablet = strings.Contains(l, "ipad") || strings.Contains(l, "tablet") || strings.Contains(l, "android") && !strings.Contains(l, "mobile")
	mobile = !tablet && (strings.Contains(l, "mobile") || strings.Contains(l, "iphone") || strings.Contains(l, "android"))
	return mobile, tablet, tv
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// edgeHost is the CloudFront distribution host label of an API: 32 hex digits, stable per API.
func edgeHost(apiID string) string {
	sum := sha256.Sum256([]byte("edge:" + apiID))
	return hex.EncodeToString(sum[:16])
}

// cloudFrontID derives an X-Amz-Cf-Id from a request id: 56 URL-safe base64 characters, as CloudFront's.
func cloudFrontID(requestID string) string {
	a := sha256.Sum256([]byte("cf:" + requestID))
	b := sha256.Sum256([]byte("cf2:" + requestID))
	return base64.URLEncoding.EncodeToString(append(a[:], b[:8]...))
}

// hostWithoutPort returns host without a ":port" suffix (IPv6 literals keep their brackets).
func hostWithoutPort(host string) string {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		return host[:i]
	}
	return host
}
