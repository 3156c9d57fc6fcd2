package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coworks-go/coworks/internal/runtimeapi"
)

// InvokePathPrefix starts the path of Lambda's Invoke API, POST /2015-03-31/functions/{name}/invocations,
// which the gateway also answers for every function it serves.
const InvokePathPrefix = "/2015-03-31/functions/"

// maxEventPayload is the largest payload of an asynchronous (Event) invocation: 1 MB.
const maxEventPayload = 1 << 20

// isInvokePath reports whether a request path is Lambda's Invoke API rather than a stage's. The first segment
// of the Invoke path is also a valid API Gateway stage name: a served stage of that name keeps it.
func (s *servedSet) isInvokePath(raw string) bool {
	if !strings.HasPrefix(raw, InvokePathPrefix) {
		return false
	}
	_, stage := s.byStage["2015-03-31"]
	return !stage
}

// serveInvoke answers Lambda's Invoke API for the functions of the served stages, as the Lambda service
// does: RequestResponse (200 with the payload, X-Amz-Function-Error: Unhandled when the function failed),
// Event (202, the invocation runs on in the background) and DryRun (204), X-Amz-Executed-Version, and
// Lambda's error documents (404 ResourceNotFoundException for an unknown function or qualifier, 413, 429,
// 400 for a payload that is not JSON).
func (g *Gateway) serveInvoke(w http.ResponseWriter, r *http.Request, set *servedSet) {
	start := g.opts.Now()
	x := exchanges.Get().(*exchange)
	defer exchanges.Put(x)
	x.lambdaID = ""
	requestID := newUUID()
	w.Header().Set("X-Amzn-Requestid", requestID)
	ref, ok := parseFunctionRef(r.URL.EscapedPath())
	if !ok || r.Method != http.MethodPost {
		g.invokeError(w, r, x, nil, start, requestID, http.StatusNotFound, "UnknownOperationException", "UnknownOperationException", nil)
		return
	}
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		if ref.qualifier != "" && ref.qualifier != q {
			g.invokeError(w, r, x, nil, start, requestID, http.StatusBadRequest, "InvalidParameterValueException",
				"The derived qualifier from the function name does not match the specified qualifier.", nil)
			return
		}
		ref.qualifier = q
	}
	se := set.byFunction[ref.name]
	if se == nil || !ref.matches(se.fn.pool.Config()) {
		g.invokeError(w, r, x, se, start, requestID, http.StatusNotFound, "ResourceNotFoundException",
			"Function not found: "+ref.arn(callerRegion(r.Header.Get("Authorization"))), map[string]string{"Type": "User"})
		return
	}
	se.fn.refs.Add(1)
	if se.fn.retired.Load() { // replaced meanwhile: the caller retries against the new set
		se.fn.refs.Add(-1)
		g.invokeError(w, r, x, se, start, requestID, http.StatusInternalServerError, "ServiceException", "The function is being replaced; retry.", nil)
		return
	}
	held := true
	defer func() {
		if held {
			se.fn.refs.Add(-1)
		}
	}()
	kind := r.Header.Get("X-Amz-Invocation-Type")
	limit := int64(runtimeapi.MaxRequestBytes)
	switch kind {
	case "", "RequestResponse", "DryRun":
	case "Event":
		limit = maxEventPayload
	default:
		g.invokeError(w, r, x, se, start, requestID, http.StatusBadRequest, "ValidationException",
			"1 validation error detected: Value '"+kind+"' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", nil)
		return
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		g.logLine(x, r, se, 0, start, requestID, "reading the payload: "+err.Error())
		return
	}
	if int64(len(payload)) > limit {
		g.invokeError(w, r, x, se, start, requestID, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
			"Request must be smaller than "+strconv.FormatInt(limit, 10)+" bytes for the InvokeFunction operation", map[string]string{"Type": "User"})
		return
	}
	if len(bytes.TrimSpace(payload)) == 0 {
		payload = []byte("{}") // what Lambda hands the function for an empty payload
	} else if !json.Valid(payload) {
		g.invokeError(w, r, x, se, start, requestID, http.StatusBadRequest, "InvalidRequestContentException",
			"Could not parse request body into json: Could not parse payload into json: the payload is not valid JSON", map[string]string{"Type": "User"})
		return
	}
	cfg := se.fn.pool.Config()
	if se.fn.cfg.ReservedConcurrency < 0 {
		g.invokeError(w, r, x, se, start, requestID, http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.",
			map[string]string{"Type": "User", "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"})
		return
	}
	opts := runtimeapi.InvokeOptions{RequestID: requestID, TraceID: r.Header.Get("X-Amzn-Trace-Id")}
	switch kind {
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		g.logLine(x, r, se, http.StatusNoContent, start, requestID, "dry run")
		return
	case "Event":
		held = false // the background invocation keeps the hold
		go func() {
			defer se.fn.refs.Add(-1)
			if _, err := se.fn.pool.Invoke(context.Background(), payload, opts); err != nil {
				g.opts.Logger.Info("asynchronous invocation failed", "function", cfg.Name, "request_id", requestID, "error", err.Error())
			}
		}()
		w.WriteHeader(http.StatusAccepted)
		g.logLine(x, r, se, http.StatusAccepted, start, requestID, "event")
		return
	}
	if cc := r.Header.Get("X-Amz-Client-Context"); cc != "" {
		if dec, err := base64.StdEncoding.DecodeString(cc); err == nil {
			opts.ClientContext = string(dec)
		}
	}
	res, err := se.fn.pool.Invoke(r.Context(), payload, opts)
	var fe *runtimeapi.FunctionError
	switch {
	case err == nil:
	case errors.As(err, &fe):
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		res.Payload = fe.Payload
	case errors.Is(err, runtimeapi.ErrThrottled):
		g.invokeError(w, r, x, se, start, requestID, http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.",
			map[string]string{"Type": "User", "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"})
		return
	case r.Context().Err() != nil:
		g.logLine(x, r, se, 0, start, requestID, "client went away")
		return
	default:
		g.invokeError(w, r, x, se, start, requestID, http.StatusInternalServerError, "ServiceException", err.Error(), nil)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Executed-Version", cfg.Version)
	h.Set("Content-Length", strconv.Itoa(len(res.Payload)))
	w.WriteHeader(http.StatusOK)
	w.Write(res.Payload)
	note := "invoke"
	if fe != nil {
		note = "invoke: " + fe.Error()
	}
	x.lambdaID = res.RequestID
	g.logLine(x, r, se, http.StatusOK, start, requestID, note)
}

// invokeError writes one of the Lambda API's error documents: `{"Type":"User","Message":"..."}` for
// ResourceNotFoundException, else `{"Type":...,"message":"..."}` as the service spells it for each type,
// with the type in X-Amzn-Errortype. fields holds the document's other keys.
func (g *Gateway) invokeError(w http.ResponseWriter, r *http.Request, x *exchange, se *stageEntry, start time.Time, requestID string,
	status int, errType, msg string, fields map[string]string) {
	doc := map[string]string{}
	for k, v := range fields {
		doc[k] = v
	}
	if errType == "ResourceNotFoundException" {
		doc["Message"] = msg
	} else {
		doc["message"] = msg
	}
	body, _ := json.Marshal(doc)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", errType)
	w.WriteHeader(status)
	w.Write(body)
	g.logLine(x, r, se, status, start, requestID, errType)
}

// functionRef is a function named in an Invoke path: a name, a partial ARN (account:function:name) or an
// ARN, each with an optional :qualifier.
type functionRef struct {
	name, qualifier, region, account string
}

// parseFunctionRef reads the function out of /2015-03-31/functions/{name}/invocations.
func parseFunctionRef(escapedPath string) (functionRef, bool) {
	rest, ok := strings.CutPrefix(escapedPath, InvokePathPrefix)
	if !ok {
		return functionRef{}, false
	}
	rest, ok = strings.CutSuffix(rest, "/invocations")
	if !ok || strings.Contains(rest, "/") {
		return functionRef{}, false
	}
	name, err := url.PathUnescape(rest)
	if err != nil || name == "" {
		return functionRef{}, false
	}
	parts := strings.Split(name, ":")
	var ref functionRef
	switch {
	case len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function":
		ref = functionRef{region: parts[3], account: parts[4], name: parts[6]}
		parts = parts[7:]
	case len(parts) >= 3 && parts[1] == "function":
		ref = functionRef{account: parts[0], name: parts[2]}
		parts = parts[3:]
	default:
		ref = functionRef{name: parts[0]}
		parts = parts[1:]
	}
	switch len(parts) {
	case 0:
	case 1:
		ref.qualifier = parts[0]
	default:
		return functionRef{}, false
	}
	return ref, ref.name != ""
}

// matches reports whether the reference names the function of cfg: same region and account when it says
// them, and a qualifier that is $LATEST or the function's version.
func (ref functionRef) matches(cfg runtimeapi.FunctionConfig) bool {
	return (ref.region == "" || ref.region == cfg.Region) && (ref.account == "" || ref.account == cfg.AccountID) &&
		(ref.qualifier == "" || ref.qualifier == "$LATEST" || ref.qualifier == cfg.Version)
}

// arn is the reference's full ARN, as Lambda writes it in "Function not found" messages: the region of the
// ARN, else the caller's (from its request signature), else the default.
func (ref functionRef) arn(callerRegion string) string {
	region, account := ref.region, ref.account
	if region == "" {
		region = callerRegion
	}
	if region == "" {
		region = runtimeapi.DefaultRegion
	}
	if account == "" {
		account = runtimeapi.DefaultAccountID
	}
	arn := "arn:aws:lambda:" + region + ":" + account + ":function:" + ref.name
	if ref.qualifier != "" {
		arn += ":" + ref.qualifier
	}
	return arn
}

// callerRegion returns the region of a SigV4 Authorization header's credential scope
// (Credential=AKID/20250102/eu-west-1/lambda/aws4_request), or "".
func callerRegion(auth string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(cred, ", "); i >= 0 {
		cred = cred[:i]
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[2]
}
