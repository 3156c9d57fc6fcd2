package coworks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// errUnauthorized is the error API Gateway turns into a 401 when a TOKEN authorizer returns it.
var errUnauthorized = errors.New("Unauthorized")

// policyResponse is a Lambda authorizer's answer (API Gateway's documented output shape).
type policyResponse struct {
	PrincipalID    string         `json:"principalId"`
	PolicyDocument policyDocument `json:"policyDocument"`
	Context        map[string]any `json:"context,omitempty"`
}

type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Action   string   `json:"Action"`
	Effect   string   `json:"Effect"`
	Resource []string `json:"Resource"`
}

// authorize answers a TOKEN authorizer event with the handler's Authorize decision. API Gateway caches the
// policy per token for every route of the API, so the policy names every allowed route, not just methodArn.
func (l *LambdaHandler) authorize(ctx context.Context, ev *lambdaEvent) ([]byte, error) {
	if ev.token == "" {
		return nil, errUnauthorized
	}
	if l.auth == nil {
		return nil, errors.New("coworks: received a TOKEN authorizer event but the handler has no Authorize method; " +
			"point the authorizer at a function whose service defines Auth")
	}
	access, ok := l.auth.Authorize(ctx, AuthRequest{Token: ev.token, MethodArn: ev.methodArn})
	if !ok {
		return nil, errors.New("coworks: received a TOKEN authorizer event but the service defines no Auth method; " +
			"add one or remove the authorizer from the routes")
	}
	policy, err := accessPolicy(access, ev.methodArn)
	if err != nil {
		return nil, err
	}
	return json.Marshal(policy)
}

// accessPolicy turns a decision into API Gateway's policy response for methodArn
// (arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}).
func accessPolicy(access Access, methodArn string) (policyResponse, error) {
	parts := strings.SplitN(methodArn, "/", 3)
	if len(parts) < 3 || !strings.HasPrefix(parts[0], "arn:") || parts[1] == "" {
		return policyResponse{}, fmt.Errorf("coworks: authorizer event has methodArn %q, want "+
			"arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}", methodArn)
	}
	base := parts[0] + "/" + parts[1] + "/" // the API and stage
	for k, v := range access.Context {
		switch v.(type) {
		case nil, string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, json.Number:
		default:
			return policyResponse{}, fmt.Errorf("coworks: Access.Context[%q] is a %T; API Gateway accepts only "+
				"string, number and boolean values", k, v)
		}
	}
	principal := access.PrincipalID
	if principal == "" {
		principal = "user"
	}
	statement := policyStatement{Action: "execute-api:Invoke", Effect: "Allow"}
	switch routes := access.Routes(); {
	case access.AllowsAll():
		statement.Resource = []string{base + "*/*"}
	case len(routes) == 0:
		statement.Effect = "Deny"
		statement.Resource = []string{base + "*/*"}
	default:
		for _, r := range routes {
			statement.Resource = append(statement.Resource, base+routeResource(r))
		}
	}
	return policyResponse{
		PrincipalID: principal,
		PolicyDocument: policyDocument{
			Version:   "2012-10-17",
			Statement: []policyStatement{statement},
		},
		Context: access.Context,
	}, nil
}

// routeResource is the {METHOD}/{path} part of a resource ARN for a route pattern: the path without its
// leading slash, every {variable} segment turned into the wildcard "*".
func routeResource(r RoutePattern) string {
	method := strings.ToUpper(r.Method)
	if method == "" || method == "ANY" {
		method = "*"
	}
	segments := strings.Split(strings.TrimPrefix(r.Path, "/"), "/")
	for i, s := range segments {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			segments[i] = "*"
		}
	}
	return method + "/" + strings.Join(segments, "/")
}
