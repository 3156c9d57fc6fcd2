package apigw

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// ResponseOptions is what turning a function's proxy response into an HTTP response depends on.
type ResponseOptions struct {
	// IDs are the request's identifiers, sent back as x-amzn-RequestId, x-amz-apigw-id, X-Amzn-Trace-Id.
	IDs RequestIDs
	// Accept is the request's Accept header; only its first media type counts for binary responses.
	Accept string
	// BinaryMediaTypes is the API's binaryMediaTypes list.
	BinaryMediaTypes []string
}

// ErrMalformedResponse is wrapped by the error ProxyResponse returns for a payload that is not a valid
// proxy response.
var ErrMalformedResponse = errors.New("malformed Lambda proxy response")

// remappedResponseHeaders are function headers API Gateway renames to x-amzn-Remapped-<name> (spec §2.1).
var remappedResponseHeaders = []string{"Connection", "Content-Length", "Date", "Server"}

// ProxyResponse turns the payload a function returned into the client's response (spec §2.1).
//
// The payload must be a JSON object with only the keys statusCode (integer, or a string of digits; 200 when
// absent or null), headers (object of header values), multiValueHeaders (object of arrays of header values),
// body (string) and isBase64Encoded (boolean); null stands for absent. A header value is a string, or a
// boolean or number sent as its JSON text; a null value sends no header. Otherwise
// ProxyResponse returns GatewayError(ErrIntegrationFailure) — 502 {"message": "Internal server error"} —
// and an error wrapping ErrMalformedResponse that says what was wrong, for the gateway's log.
//
// Headers from both maps are merged (multi-value first, a single value equal to one already there is not
// repeated, the multiValueHeaders spelling of a name wins); Connection, Content-Length, Date and Server
// become x-amzn-Remapped-<name>, Transfer-Encoding is dropped, Content-Type defaults to application/json,
// and API Gateway's x-amzn-RequestId, x-amz-apigw-id and X-Amzn-Trace-Id are added. A base64 body is
// decoded only when isBase64Encoded is true and the first Accept media type matches binaryMediaTypes;
// otherwise the base64 text is sent as is. Invalid base64 that must be decoded gives
// GatewayError(ErrAPIConfiguration), a 500.
func ProxyResponse(payload []byte, opts ResponseOptions) (Response, error) {
	pr, err := parseProxyResponse(payload)
	if err != nil {
		return GatewayError(ErrIntegrationFailure, opts.IDs), fmt.Errorf("%w: %v", ErrMalformedResponse, err)
	}
	body := []byte(pr.body)
	if pr.isBase64 && binaryMediaTypeMatches(opts.BinaryMediaTypes, firstMediaType(opts.Accept)) {
		body, err = base64.StdEncoding.DecodeString(pr.body)
		if err != nil {
			return GatewayError(ErrAPIConfiguration, opts.IDs), fmt.Errorf("decoding the base64 body of the proxy response: %w", err)
		}
	}
	h := pr.header
	for _, name := range remappedResponseHeaders {
		if k, ok := findHeader(h, name); ok {
			h["x-amzn-Remapped-"+k] = append(h["x-amzn-Remapped-"+k], h[k]...)
			delete(h, k)
		}
	}
	deleteHeader(h, "Transfer-Encoding")
	if _, ok := findHeader(h, "Content-Type"); !ok {
		h["Content-Type"] = []string{"application/json"}
	}
	deleteHeader(h, "x-amzn-RequestId")
	deleteHeader(h, "x-amz-apigw-id")
	deleteHeader(h, "X-Amzn-Trace-Id")
	addRequestIDs(h, opts.IDs, true)
	return Response{Status: pr.status, Header: h, Body: body}, nil
}

// proxyResponse is a validated function response.
type proxyResponse struct {
	status   int
	header   http.Header
	body     string
	isBase64 bool
}

func parseProxyResponse(payload []byte) (proxyResponse, error) {
	if pr, ok := parseProxyResponseFast(payload); ok {
		return pr, nil
	}
	return parseProxyResponseJSON(payload)
}

// parseProxyResponseJSON is the reference parser, with encoding/json: it decides every payload the fast
// parser declines, and says what is wrong with the invalid ones.
func parseProxyResponseJSON(payload []byte) (proxyResponse, error) {
	pr := proxyResponse{status: http.StatusOK, header: http.Header{}}
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return pr, errors.New("the function returned no JSON object: return statusCode, headers, multiValueHeaders, body, isBase64Encoded")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return pr, fmt.Errorf("the function's output is not valid JSON: %v", err)
	}
	var single map[string]json.RawMessage
	var multi map[string]json.RawMessage
	for key, raw := range fields {
		null := string(raw) == "null"
		var err error
		switch key {
		case "statusCode":
			if !null {
				pr.status, err = parseStatusCode(raw)
			}
		case "headers":
			err = json.Unmarshal(raw, &single)
		case "multiValueHeaders":
			err = json.Unmarshal(raw, &multi)
		case "body":
			if !null {
				err = unmarshalString(raw, &pr.body)
			}
		case "isBase64Encoded":
			if !null {
				err = json.Unmarshal(raw, &pr.isBase64)
			}
		default:
			return pr, fmt.Errorf("unknown key %q: a proxy response has only statusCode, headers, multiValueHeaders, body, isBase64Encoded", key)
		}
		if err != nil {
			return pr, fmt.Errorf("%s: %v", key, err)
		}
	}
	for name, raw := range multi {
		if string(raw) == "null" {
			continue
		}
		var values []json.RawMessage
		if err := json.Unmarshal(raw, &values); err != nil {
			return pr, fmt.Errorf("multiValueHeaders.%s: want an array of strings", name)
		}
		for _, v := range values {
			s, ok, err := headerValue(v)
			if err != nil {
				return pr, fmt.Errorf("multiValueHeaders.%s: %v", name, err)
			}
			if ok {
				pr.header[name] = append(pr.header[name], s)
			}
		}
	}
	for name, raw := range single {
		s, ok, err := headerValue(raw)
		if err != nil {
			return pr, fmt.Errorf("headers.%s: %v", name, err)
		}
		if !ok {
			continue
		}
		if k, ok := findHeader(pr.header, name); ok && multi[k] != nil {
			if !contains(pr.header[k], s) {
				pr.header[k] = append(pr.header[k], s)
			}
			continue
		}
		pr.header[name] = append(pr.header[name], s)
	}
	return pr, nil
}

// parseStatusCode accepts an integral JSON number or a string of digits, from 100 to 599.
func parseStatusCode(raw json.RawMessage) (int, error) {
	var code int
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", s)
		}
		code = n
	} else {
		var f float64
		if err := json.Unmarshal(raw, &f); err != nil {
			return 0, fmt.Errorf("want an integer, got %s", raw)
		}
		if f != math.Trunc(f) || f < 0 || f > 1000 {
			return 0, fmt.Errorf("want an integer, got %s", raw)
		}
		code = int(f)
	}
	if code < 100 || code > 599 {
		return 0, fmt.Errorf("%d is not an HTTP status code", code)
	}
	return code, nil
}

func unmarshalString(raw json.RawMessage, s *string) error {
	if raw[0] != '"' {
		return fmt.Errorf("want a string, got %s", raw)
	}
	return json.Unmarshal(raw, s)
}

// headerValue reads one header value of a proxy response. API Gateway reads each value as text, as a JSON
// library does for a string field: a string as is, a boolean or a number as its JSON text (true, 5, 1.50,
// exactly as written), null as no value (ok false: the header is left out). An object or an array is a
// malformed response. (Functions behind API Gateway return numeric values such as a Content-Length that an
// Application Load Balancer, stricter, refuses.)
func headerValue(raw json.RawMessage) (value string, ok bool, err error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return "", false, errors.New("want a string, got nothing")
	case string(raw) == "null":
		return "", false, nil
	case string(raw) == "true" || string(raw) == "false":
		return string(raw), true, nil
	case raw[0] == '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err == nil, err
	case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", false, err
		}
		return string(raw), true, nil
	}
	return "", false, fmt.Errorf("want a string, got %s", raw)
}

// findHeader finds name in h ignoring case and returns the key as spelled in h.
func findHeader(h http.Header, name string) (string, bool) {
	if _, ok := h[name]; ok {
		return name, true
	}
	for k := range h {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return "", false
}

func deleteHeader(h http.Header, name string) {
	for k := range h {
		if strings.EqualFold(k, name) {
			delete(h, k)
		}
	}
}

func contains(values []string, s string) bool {
	for _, v := range values {
		if v == s {
			return true
		}
	}
	return false
}
