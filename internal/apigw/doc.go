// Package apigw holds the semantics of an API Gateway REST API (v1) in front of Lambda proxy integrations,
// as a pure library: route matching, the REST proxy event, the validation of the function's proxy response,
// API Gateway's own error responses, and TOKEN Lambda authorizers (event, policy evaluation, result cache).
//
// It does no I/O, starts no goroutines and never reads the clock: the local gateway (internal/gateway) hands
// it requests, identifiers and the current time, and writes the Response values it returns. Behaviour follows
// the project's specs/apigw-lambda.md (sections 1–5); comments cite the section a rule comes from.
//
// The request pipeline, in the order the gateway calls it:
//
//	stagePath, ok := apigw.SplitStage(apigw.RawPath(r))          // !ok or unknown stage: GatewayError(ErrForbidden, ids)
//	match, ok := router.Match(r.Method, stagePath.Path)          // !ok: GatewayError(ErrMissingAuthenticationToken, ids)
//	// optional TOKEN authorizer: TokenAuthorizer.Token, Lookup/Store, TokenEvent, ParseAuthorizerOutput, Policy.Evaluate
//	event := apigw.AppendEvent(buf[:0], &apigw.EventInput{...}) // len(event) > MaxEventSize: GatewayError(ErrRequestTooLong, ids)
//	// invoke the function with event
//	resp, err := apigw.ProxyResponse(payload, opts)            // or FailureResponse(failure, ids)
//	resp.WriteTo(w)
package apigw
