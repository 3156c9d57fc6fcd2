package coworks

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// maxResponseBytes is the largest response payload Lambda accepts from a synchronous invocation
// (6 MiB + 100 bytes; the Runtime API answers 413 above it and API Gateway then answers 502).
const maxResponseBytes = 6*1024*1024 + 100

// badGatewayJSON is the proxy response standing in for one Lambda would refuse: API Gateway's own 502.
const badGatewayJSON = `{"statusCode":502,"multiValueHeaders":{"Content-Type":["application/json"]},` +
	`"body":"{\"message\": \"Internal server error\"}","isBase64Encoded":false}`

func badGatewayResponse() events.APIGatewayProxyResponse {
	return events.APIGatewayProxyResponse{
		StatusCode:        http.StatusBadGateway,
		MultiValueHeaders: map[string][]string{"Content-Type": {"application/json"}},
		Body:              `{"message": "Internal server error"}`,
	}
}

// responseWriter records a handler's response with net/http's semantics: the header is fixed at
// WriteHeader (or the first Write), a missing Content-Type is sniffed from the body, and statuses that
// allow no body (1xx, 204, 304) or HEAD requests get none.
type responseWriter struct {
	header      http.Header // what Header returns
	sent        http.Header // header as of WriteHeader
	status      int
	wroteHeader bool
	detached    bool // Header returns a copy of sent
	head        bool // HEAD request: the body is discarded
	contentType string
	body        *bytes.Buffer
}

// Header implements http.ResponseWriter. Changes after WriteHeader have no effect, as with net/http: the
// first call after it detaches a copy.
func (w *responseWriter) Header() http.Header {
	if w.wroteHeader && !w.detached {
		w.detached = true
		w.header = w.sent.Clone()
	}
	if w.header == nil {
		w.header = make(http.Header, 4)
	}
	return w.header
}

// WriteHeader implements http.ResponseWriter. An invalid code panics, as with net/http.
func (w *responseWriter) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if w.wroteHeader || (code >= 100 && code < 200 && code != http.StatusSwitchingProtocols) {
		return // superfluous, or an informational answer API Gateway cannot pass on
	}
	w.wroteHeader = true
	w.status = code
	w.sent = w.header
}

// Write implements http.ResponseWriter.
func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.head {
		return len(p), nil
	}
	return w.body.Write(p)
}

// WriteString lets io.WriteString skip a conversion.
func (w *responseWriter) WriteString(s string) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.head {
		return len(s), nil
	}
	return w.body.WriteString(s)
}

// Flush implements http.Flusher; the response is sent whole when the handler returns.
func (w *responseWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
}

func bodyAllowed(status int) bool {
	return !(status >= 100 && status < 200 || status == http.StatusNoContent || status == http.StatusNotModified)
}

// reject records a plain-text error answer in place of the handler's.
func (w *responseWriter) reject(status int, msg string) {
	w.header = http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "X-Content-Type-Options": {"nosniff"}}
	w.WriteHeader(status)
	w.body.WriteString(msg)
	w.finish()
}

// finish completes the response after the handler returned: the implicit 200 and the Content-Type.
func (w *responseWriter) finish() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if ct, ok := w.sent["Content-Type"]; ok {
		if len(ct) > 0 {
			w.contentType = ct[0]
		}
	} else if w.body.Len() > 0 {
		w.contentType = http.DetectContentType(w.body.Bytes())
	}
}

// sentHeaders returns the header names to send, sorted so the payload is deterministic. API Gateway
// computes Content-Length and the connection headers itself (it would rename the function's copies).
func (w *responseWriter) sentHeaders(keys []string) []string {
	for k, vs := range w.sent {
		if len(vs) == 0 {
			continue
		}
		switch k {
		case "Content-Length", "Transfer-Encoding", "Connection", "Content-Type":
			continue // Content-Type is added from w.contentType
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// binaryBody reports whether the body goes base64-encoded.
func (w *responseWriter) binaryBody() bool {
	return w.body.Len() > 0 && !(textContentType(w.contentType) && utf8.Valid(w.body.Bytes()))
}

// textContentType reports whether a Content-Type names text that JSON can carry as a string: text/*,
// JSON, XML, JavaScript, form data, YAML, GraphQL and the like. Anything else is binary.
func textContentType(ct string) bool {
	if ct == "" {
		return true // no type at all (Content-Type explicitly removed): decided on UTF-8 validity alone
	}
	mt := ct
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	mt = strings.ToLower(strings.TrimSpace(mt))
	if strings.HasPrefix(mt, "text/") {
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript", "application/ecmascript",
		"application/x-www-form-urlencoded", "application/x-ndjson", "application/yaml", "application/x-yaml",
		"application/graphql", "application/x-javascript", "application/sql", "application/csv":
		return true
	}
	return strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml") || strings.HasSuffix(mt, "+yaml")
}

// appendJSON writes the proxy response JSON into out: only the five keys API Gateway accepts, headers only
// in multiValueHeaders.
func (w *responseWriter) appendJSON(out *bytes.Buffer) {
	var keyArray [16]string
	keys := w.sentHeaders(keyArray[:0])
	var num [8]byte
	out.WriteString(`{"statusCode":`)
	out.Write(strconv.AppendInt(num[:0], int64(w.status), 10))
	out.WriteString(`,"multiValueHeaders":{`)
	first := true
	if w.contentType != "" {
		out.WriteString(`"Content-Type":[`)
		writeJSONString(out, w.contentType)
		out.WriteByte(']')
		first = false
	}
	for _, k := range keys {
		if !first {
			out.WriteByte(',')
		}
		first = false
		writeJSONString(out, k)
		out.WriteString(`:[`)
		for i, v := range w.sent[k] {
			if i > 0 {
				out.WriteByte(',')
			}
			writeJSONString(out, v)
		}
		out.WriteByte(']')
	}
	out.WriteString(`},"body":`)
	if w.binaryBody() {
		out.WriteByte('"')
		body := w.body.Bytes()
		n := base64.StdEncoding.EncodedLen(len(body))
		out.Grow(n + 32)
		b := out.AvailableBuffer()[:n]
		base64.StdEncoding.Encode(b, body)
		out.Write(b)
		out.WriteString(`","isBase64Encoded":true}`)
		return
	}
	writeJSONString(out, w.body.String())
	out.WriteString(`,"isBase64Encoded":false}`)
}

// proxyResponse returns the response as aws-lambda-go's type, with the same content as appendJSON.
func (w *responseWriter) proxyResponse() events.APIGatewayProxyResponse {
	var keyArray [16]string
	keys := w.sentHeaders(keyArray[:0])
	headers := make(map[string][]string, len(keys)+1)
	if w.contentType != "" {
		headers["Content-Type"] = []string{w.contentType}
	}
	for _, k := range keys {
		headers[k] = w.sent[k]
	}
	resp := events.APIGatewayProxyResponse{StatusCode: w.status, MultiValueHeaders: headers}
	if w.binaryBody() {
		resp.Body = base64.StdEncoding.EncodeToString(w.body.Bytes())
		resp.IsBase64Encoded = true
	} else {
		resp.Body = w.body.String()
	}
	return resp
}

// writeJSONString writes s as a JSON string the way encoding/json does without HTML escaping (as
// aws-lambda-go encodes responses): invalid UTF-8 becomes U+FFFD, U+2028 and U+2029 are escaped.
func writeJSONString(out *bytes.Buffer, s string) {
	const hexDigits = "0123456789abcdef"
	out.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			out.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				out.WriteByte('\\')
				out.WriteByte(c)
			case '\n':
				out.WriteString(`\n`)
			case '\r':
				out.WriteString(`\r`)
			case '\t':
				out.WriteString(`\t`)
			case '\b':
				out.WriteString(`\b`)
			case '\f':
				out.WriteString(`\f`)
			default:
				out.WriteString(`\u00`)
				out.WriteByte(hexDigits[c>>4])
				out.WriteByte(hexDigits[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			out.WriteString(s[start:i])
			out.WriteString(`\ufffd`)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			out.WriteString(s[start:i])
			out.WriteString(`\u202`)
			out.WriteByte(hexDigits[r&15])
			i += size
			start = i
			continue
		}
		i += size
	}
	out.WriteString(s[start:])
	out.WriteByte('"')
}
