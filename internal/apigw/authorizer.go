package apigw

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// MethodARN returns the ARN a Lambda authorizer is asked about and its policy is evaluated against
// (spec §5.1): arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}, where path is the
// actual request path without the stage and without its leading slash ("" for the root, giving ".../GET/").
func MethodARN(stage *Stage, method, path string) string {
	path = strings.TrimLeft(path, "/")
	return "arn:aws:execute-api:" + stage.Region + ":" + stage.AccountID + ":" + stage.APIID + "/" +
		stage.Name + "/" + method + "/" + path
}

// TokenEvent returns the TOKEN authorizer event: {"type":"TOKEN","authorizationToken":…,"methodArn":…}.
func TokenEvent(token, methodARN string) []byte {
	b := make([]byte, 0, 64+len(token)+len(methodARN))
	b = append(b, `{"type":"TOKEN","authorizationToken":`...)
	b = appendJSONString(b, token)
	b = append(b, `,"methodArn":`...)
	b = appendJSONString(b, methodARN)
	return append(b, '}')
}

// AuthorizerResult is a validated authorizer output: who the caller is, what it may call, and the
// context passed to the function. It is what the TokenAuthorizer cache holds.
type AuthorizerResult struct {
	// PrincipalID identifies the caller.
	PrincipalID string
	// Policy decides which method ARNs the caller may invoke.
	Policy Policy
	// Context holds the context values, stringified, in the order the authorizer wrote them.
	Context []ContextValue
	// UsageIdentifierKey is the API key chosen by the authorizer, when apiKeySource is AUTHORIZER.
	UsageIdentifierKey string
}

// ContextValue is one authorizer context entry as the function receives it: numbers and booleans as
// their JSON text ("123", "true"), strings as they are, and null as Null.
type ContextValue struct {
	Key   string
	Value string
	Null  bool
}

// Policy is the IAM policy document of an authorizer output.
type Policy struct {
	Statements []Statement
}

// Statement is one statement of a Policy.
type Statement struct {
	// Effect is "Allow" or "Deny".
	Effect string
	// Actions are action patterns ("execute-api:Invoke", "execute-api:*", "*").
	Actions []string
	// Resources are method ARN patterns, with '*' matching any run of characters and '?' one character.
	Resources []string
}

// Decision is the outcome of evaluating a Policy against a method ARN.
type Decision int

// Policy decisions, IAM style: an explicit Deny wins over any Allow; no matching Allow denies.
const (
	Allowed Decision = iota + 1
	Denied
	ExplicitlyDenied
)

// ErrorKind returns the gateway response for a refused decision (ErrAccessDenied, ErrExplicitDeny), or
// 0 for Allowed.
func (d Decision) ErrorKind() ErrorKind {
	switch d {
	case Denied:
		return ErrAccessDenied
	case ExplicitlyDenied:
		return ErrExplicitDeny
	}
	return 0
}

// Evaluate decides whether the policy lets the caller invoke methodARN (action execute-api:Invoke).
func (p Policy) Evaluate(methodARN string) Decision {
	allowed := false
	for _, st := range p.Statements {
		if !st.matches(methodARN) {
			continue
		}
		if st.Effect == "Deny" {
			return ExplicitlyDenied
		}
		allowed = true
	}
	if allowed {
		return Allowed
	}
	return Denied
}

func (st Statement) matches(methodARN string) bool {
	actionOK := false
	for _, a := range st.Actions {
		if globMatch(strings.ToLower(a), "execute-api:invoke") {
			actionOK = true
			break
		}
	}
	if !actionOK {
		return false
	}
	for _, r := range st.Resources {
		if globMatch(r, methodARN) {
			return true
		}
	}
	return false
}

// globMatch matches s against pattern, where '*' matches any run of characters (slashes included) and
// '?' exactly one. It runs in O(len(pattern)·len(s)) at worst.
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// ParseAuthorizerOutput validates what an authorizer function returned (spec §5.2): a JSON object with a
// string principalId, a policyDocument whose Statement (an object or an array) has Effect Allow or Deny
// and Action and Resource as a string or an array of strings, and an optional context whose values are
// strings, numbers, booleans or null. Any violation (an object in context, a missing policy, an
// HTTP-style {statusCode, body}) is an error; the client then gets GatewayError(ErrAuthorizerConfiguration).
func ParseAuthorizerOutput(payload []byte) (AuthorizerResult, error) {
	var out struct {
		PrincipalID        *string         `json:"principalId"`
		PolicyDocument     json.RawMessage `json:"policyDocument"`
		Context            json.RawMessage `json:"context"`
		UsageIdentifierKey string          `json:"usageIdentifierKey"`
	}
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return AuthorizerResult{}, errors.New("authorizer output is not a JSON object with principalId and policyDocument")
	}
	if err := json.Unmarshal(trimmed, &out); err != nil {
		return AuthorizerResult{}, fmt.Errorf("authorizer output: %v", err)
	}
	if out.PrincipalID == nil {
		return AuthorizerResult{}, errors.New("authorizer output has no principalId")
	}
	if len(out.PolicyDocument) == 0 || string(out.PolicyDocument) == "null" {
		return AuthorizerResult{}, errors.New("authorizer output has no policyDocument")
	}
	policy, err := parsePolicy(out.PolicyDocument)
	if err != nil {
		return AuthorizerResult{}, fmt.Errorf("authorizer policyDocument: %v", err)
	}
	ctx, err := parseAuthorizerContext(out.Context)
	if err != nil {
		return AuthorizerResult{}, fmt.Errorf("authorizer context: %v", err)
	}
	return AuthorizerResult{PrincipalID: *out.PrincipalID, Policy: policy, Context: ctx, UsageIdentifierKey: out.UsageIdentifierKey}, nil
}

func parsePolicy(raw json.RawMessage) (Policy, error) {
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return Policy{}, err
	}
	var stmts []json.RawMessage
	switch {
	case len(doc.Statement) == 0 || string(doc.Statement) == "null":
		return Policy{}, errors.New("no Statement")
	case doc.Statement[0] == '[':
		if err := json.Unmarshal(doc.Statement, &stmts); err != nil {
			return Policy{}, err
		}
	default:
		stmts = []json.RawMessage{doc.Statement}
	}
	var p Policy
	for i, raw := range stmts {
		var st struct {
			Effect   string
			Action   json.RawMessage
			Resource json.RawMessage
		}
		if err := json.Unmarshal(raw, &st); err != nil {
			return Policy{}, fmt.Errorf("Statement[%d]: %v", i, err)
		}
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return Policy{}, fmt.Errorf("Statement[%d].Effect is %q: want Allow or Deny", i, st.Effect)
		}
		actions, err := stringOrList(st.Action)
		if err != nil {
			return Policy{}, fmt.Errorf("Statement[%d].Action: %v", i, err)
		}
		resources, err := stringOrList(st.Resource)
		if err != nil {
			return Policy{}, fmt.Errorf("Statement[%d].Resource: %v", i, err)
		}
		p.Statements = append(p.Statements, Statement{Effect: st.Effect, Actions: actions, Resources: resources})
	}
	return p, nil
}

func stringOrList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.New("missing")
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return []string{s}, err
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("want a string or an array of strings")
	}
	return list, nil
}

// parseAuthorizerContext reads the context object keeping its key order; values are stringified.
func parseAuthorizerContext(raw json.RawMessage) ([]ContextValue, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, errors.New("want an object")
	}
	var out []ContextValue
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := kt.(string)
		vt, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch v := vt.(type) {
		case string:
			out = append(out, ContextValue{Key: key, Value: v})
		case json.Number:
			out = append(out, ContextValue{Key: key, Value: v.String()})
		case bool:
			if v {
				out = append(out, ContextValue{Key: key, Value: "true"})
			} else {
				out = append(out, ContextValue{Key: key, Value: "false"})
			}
		case nil:
			out = append(out, ContextValue{Key: key, Null: true})
		default:
			return nil, fmt.Errorf("value of %q is an object or array: only strings, numbers and booleans are allowed", key)
		}
	}
	return out, nil
}

// AuthorizerFailureKind maps a failed authorizer invocation to the client's response (spec §5.2): the
// function's error payload with errorMessage exactly "Unauthorized" gives ErrUnauthorized (401); any other
// error, crash or timeout (pass a nil payload) gives ErrAuthorizerConfiguration (500).
func AuthorizerFailureKind(errorPayload []byte) ErrorKind {
	var e struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(errorPayload, &e) == nil && e.ErrorMessage == "Unauthorized" {
		return ErrUnauthorized
	}
	return ErrAuthorizerConfiguration
}

// AuthorizerContext is requestContext.authorizer of the proxy event (spec §5.3): the context values
// stringified, then principalId, then integrationLatency in milliseconds.
type AuthorizerContext struct {
	PrincipalID        string
	Values             []ContextValue
	IntegrationLatency int64
}

// EventContext returns the requestContext.authorizer for a request authorized by r; latencyMs is how long
// the authorizer took (0 when served from the cache).
func (r AuthorizerResult) EventContext(latencyMs int64) *AuthorizerContext {
	return &AuthorizerContext{PrincipalID: r.PrincipalID, Values: r.Context, IntegrationLatency: latencyMs}
}

func (a *AuthorizerContext) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	for _, v := range a.Values {
		if v.Key == "principalId" || v.Key == "integrationLatency" {
			continue // API Gateway's own keys win
		}
		dst = appendJSONString(dst, v.Key)
		dst = append(dst, ':')
		if v.Null {
			dst = append(dst, "null"...)
		} else {
			dst = appendJSONString(dst, v.Value)
		}
		dst = append(dst, ',')
	}
	dst = append(dst, `"principalId":`...)
	dst = appendJSONString(dst, a.PrincipalID)
	dst = append(dst, `,"integrationLatency":`...)
	dst = appendInt(dst, a.IntegrationLatency)
	return append(dst, '}')
}
