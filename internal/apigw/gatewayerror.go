package apigw

import (
	"net/http"
	"strconv"
)

// Response is an HTTP response as API Gateway sends it to the client.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers with their names exactly as API Gateway writes them
	// ("x-amzn-RequestId", a function's "my-header"): do not canonicalise them, copy the map entries as
	// WriteTo does.
	Header http.Header
	// Body is the response body.
	Body []byte
}

// WriteTo writes r to w keeping header names as they are, with a Content-Length (except on 1xx, 204 and
// 304 responses without a body, which must not carry one). It also stops net/http
// from sniffing a second Content-Type when the function spelled its own in another case ("content-type").
func (r Response) WriteTo(w http.ResponseWriter) {
	h := w.Header()
	hasType := false
	for k, v := range r.Header {
		h[k] = v
		if len(k) == len("Content-Type") && http.CanonicalHeaderKey(k) == "Content-Type" {
			hasType = true
		}
	}
	if _, ok := h["Content-Type"]; hasType && !ok {
		h["Content-Type"] = nil // present but empty: net/http neither sniffs nor writes it
	}
	if len(r.Body) > 0 || (r.Status >= 200 && r.Status != http.StatusNoContent && r.Status != http.StatusNotModified) {
		h["Content-Length"] = []string{strconv.Itoa(len(r.Body))}
	}
	w.WriteHeader(r.Status)
	_, _ = w.Write(r.Body) // a client gone away is not the gateway's error to report
}

// ErrorKind names one of API Gateway's own error responses ("gateway responses", spec §2.2).
type ErrorKind int

// The gateway responses, each with API Gateway's status, body and x-amzn-ErrorType.
const (
	// ErrMissingAuthenticationToken: no resource has the path and method. 403.
	ErrMissingAuthenticationToken ErrorKind = iota + 1
	// ErrForbidden: the first path segment names no deployed stage (or there is none). 403.
	ErrForbidden
	// ErrInvalidAPIKey: the method requires an API key and none or a wrong one was sent. 403.
	ErrInvalidAPIKey
	// ErrIntegrationFailure: the function failed (error, crash, Lambda timeout, response too large) or
	// returned a malformed proxy response. 502.
	ErrIntegrationFailure
	// ErrInvocationRejected: Lambda refused the Invoke (throttled, function or alias not found). 500.
	ErrInvocationRejected
	// ErrIntegrationTimeout: the integration timeout passed before the function answered. 504.
	ErrIntegrationTimeout
	// ErrAPIConfiguration: API Gateway could not process the response (invalid base64 body). 500.
	ErrAPIConfiguration
	// ErrRequestTooLong: the proxy event exceeds Lambda's 6 MB request payload limit. 413.
	ErrRequestTooLong
	// ErrBodyTooLarge: the request body exceeds 10 MB. 413, plain text, no request id.
	ErrBodyTooLarge
	// ErrHeadersTooLarge: the request's headers exceed MaxHeaderBytes. 431, plain text, no request id.
	ErrHeadersTooLarge
	// ErrThrottled: the stage or method throttle is exceeded. 429.
	ErrThrottled
	// ErrQuotaExceeded: a usage plan quota is exhausted. 429.
	ErrQuotaExceeded
	// ErrUnauthorized: the authorizer's identity source is missing or invalid, or the authorizer said
	// "Unauthorized". 401.
	ErrUnauthorized
	// ErrAccessDenied: the authorizer's policy allows nothing matching the method ARN. 403.
	ErrAccessDenied
	// ErrExplicitDeny: the authorizer's policy explicitly denies the method ARN. 403.
	ErrExplicitDeny
	// ErrAuthorizerConfiguration: the authorizer failed or returned an invalid output. 500.
	ErrAuthorizerConfiguration
)

type gatewayResponse struct {
	status    int
	body      string
	errorType string
	// traced responses come after the integration was called and carry X-Amzn-Trace-Id.
	traced bool
}

// gatewayResponses holds the exact bytes of spec §2.2: the compact bodies and the ones with a space after
// the colon are both as observed on AWS, so they are kept apart on purpose.
var gatewayResponses = map[ErrorKind]gatewayResponse{
	ErrMissingAuthenticationToken: {403, `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException", false},
	ErrForbidden:                  {403, `{"message":"Forbidden"}`, "ForbiddenException", false},
	ErrInvalidAPIKey:              {403, `{"message":"Forbidden"}`, "ForbiddenException", false},
	ErrIntegrationFailure:         {502, `{"message": "Internal server error"}`, "InternalServerErrorException", true},
	ErrInvocationRejected:         {500, `{"message": "Internal server error"}`, "InternalServerErrorException", true},
	ErrIntegrationTimeout:         {504, `{"message": "Endpoint request timed out"}`, "InternalServerErrorException", true},
	ErrAPIConfiguration:           {500, `{"message": "Internal server error"}`, "InternalServerErrorException", true},
	ErrRequestTooLong:             {413, `{"message": "Request Too Long"}`, "BadRequestException", false},
	ErrThrottled:                  {429, `{"message":"Too Many Requests"}`, "TooManyRequestsException", false},
	ErrQuotaExceeded:              {429, `{"message":"Limit Exceeded"}`, "LimitExceededException", false},
	ErrUnauthorized:               {401, `{"message":"Unauthorized"}`, "UnauthorizedException", false},
	ErrAccessDenied:               {403, `{"Message":"User is not authorized to access this resource"}`, "AccessDeniedException", false},
	ErrExplicitDeny:               {403, `{"Message":"User is not authorized to access this resource with an explicit deny"}`, "AccessDeniedException", false},
	ErrAuthorizerConfiguration:    {500, `{"message": null}`, "AuthorizerConfigurationException", false},
}

// bodyTooLargeText is the answer to a body over 10 MB: plain text, and it cannot be customised on AWS.
const bodyTooLargeText = "HTTP content length exceeded 10485760 bytes."

// MaxHeaderBytes is API Gateway's limit on a request's headers: the combined size of every header name and
// value with the line terminators and whitespace between them (10,240 bytes; spec §4.3).
const MaxHeaderBytes = 10240

// headersTooLargeText is the answer to headers over MaxHeaderBytes, in the wording users report from AWS.
// AWS documents the limit, not the answer: the status (431, Request Header Fields Too Large) and the
// plain-text form, like the 413's, are inferred.
const headersTooLargeText = "HTTP header is larger than 10240 bytes."

// HeaderBytes returns the size of a request's headers as API Gateway counts it: "Name: value\r\n" for every
// value, the Host header included.
func HeaderBytes(host string, h http.Header) int {
	n := 0
	if host != "" {
		n += len("Host: \r\n") + len(host)
	}
	for name, values := range h {
		for _, v := range values {
			n += len(name) + len(": \r\n") + len(v)
		}
	}
	return n
}

// Status returns the HTTP status of the gateway response k.
func (k ErrorKind) Status() int {
	switch k {
	case ErrBodyTooLarge:
		return http.StatusRequestEntityTooLarge
	case ErrHeadersTooLarge:
		return http.StatusRequestHeaderFieldsTooLarge
	}
	return gatewayResponses[k].status
}

// GatewayError returns API Gateway's response for kind: its status, exact body bytes, Content-Type
// application/json, x-amzn-ErrorType, x-amzn-RequestId and x-amz-apigw-id (plus X-Amzn-Trace-Id once the
// integration was called). ErrBodyTooLarge and ErrHeadersTooLarge are plain text without request ids, as on
// AWS. An unknown kind
// panics: it is a programming error in the caller.
func GatewayError(kind ErrorKind, ids RequestIDs) Response {
	switch kind {
	case ErrBodyTooLarge:
		return Response{
			Status: http.StatusRequestEntityTooLarge,
			Header: http.Header{"Content-Type": {"text; charset=utf-8"}},
			Body:   []byte(bodyTooLargeText),
		}
	case ErrHeadersTooLarge:
		return Response{
			Status: http.StatusRequestHeaderFieldsTooLarge,
			Header: http.Header{"Content-Type": {"text; charset=utf-8"}},
			Body:   []byte(headersTooLargeText),
		}
	}
	gr, ok := gatewayResponses[kind]
	if !ok {
		panic("apigw: unknown gateway error kind " + strconv.Itoa(int(kind)))
	}
	h := http.Header{
		"Content-Type":     {"application/json"},
		"x-amzn-ErrorType": {gr.errorType},
	}
	addRequestIDs(h, ids, gr.traced)
	return Response{Status: gr.status, Header: h, Body: []byte(gr.body)}
}

func addRequestIDs(h http.Header, ids RequestIDs, traced bool) {
	if ids.RequestID != "" {
		h["x-amzn-RequestId"] = []string{ids.RequestID}
	}
	if ids.ExtendedRequestID != "" {
		h["x-amz-apigw-id"] = []string{ids.ExtendedRequestID}
	}
	if traced && ids.TraceID != "" {
		h["X-Amzn-Trace-Id"] = []string{ids.TraceID}
	}
}

// Failure is why an invocation of the integration function produced no usable response.
type Failure int

// The ways an invocation fails, as the Lambda runtime reports them to the gateway.
const (
	// FailureFunctionError: the handler returned an error (POST …/error).
	FailureFunctionError Failure = iota + 1
	// FailureCrash: the runtime process exited or panicked during the invocation (Runtime.ExitError).
	FailureCrash
	// FailureFunctionTimeout: the function ran past its own timeout (Sandbox.Timedout).
	FailureFunctionTimeout
	// FailureResponseTooLarge: the function's response exceeds MaxResponsePayload.
	FailureResponseTooLarge
	// FailureThrottled: no execution environment could take the invocation (concurrency limit).
	FailureThrottled
	// FailureFunctionNotFound: the integration names no deployed function or qualifier.
	FailureFunctionNotFound
	// FailureIntegrationTimeout: the integration timeout passed first; the function keeps running.
	FailureIntegrationTimeout
)

// ErrorKind maps a failure to API Gateway's response (spec §2.2): whatever the function did gives 502,
// Lambda refusing the Invoke (throttling, missing function) gives 500, the integration timeout 504. The
// function's own error payload never reaches the client.
func (f Failure) ErrorKind() ErrorKind {
	switch f {
	case FailureThrottled, FailureFunctionNotFound:
		return ErrInvocationRejected
	case FailureIntegrationTimeout:
		return ErrIntegrationTimeout
	}
	return ErrIntegrationFailure
}

// FailureResponse returns the client's response to a failed invocation: GatewayError(f.ErrorKind(), ids).
func FailureResponse(f Failure, ids RequestIDs) Response {
	return GatewayError(f.ErrorKind(), ids)
}
