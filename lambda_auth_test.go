package coworks

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// tokenAuth is a test Authorizer: the token names the decision.
type tokenAuth struct {
	http.Handler
	got AuthRequest
}

func (a *tokenAuth) Authorize(_ context.Context, req AuthRequest) (Access, bool) {
	a.got = req
	switch req.Token {
	case "allow":
		return AllowAll(), true
	case "routes":
		acc := AllowRoutes(RoutePattern{Method: "GET", Path: "/value/{_0}"}, RoutePattern{Method: "*", Path: "/"},
			RoutePattern{Method: "PUT", Path: "/files/*"})
		acc.PrincipalID = "alice"
		acc.Context = map[string]any{"tier": "gold", "quota": 10, "admin": false}
		return acc, true
	case "object-context":
		acc := AllowAll()
		acc.Context = map[string]any{"nested": map[string]any{}}
		return acc, true
	case "no-auth":
		return Access{}, false
	}
	return DenyAll(), true
}

type policyJSON struct {
	PrincipalID    string `json:"principalId"`
	PolicyDocument struct {
		Version   string
		Statement []struct {
			Action   string
			Effect   string
			Resource []string
		}
	} `json:"policyDocument"`
	Context map[string]any `json:"context"`
}

func tokenEvent(token, arn string) []byte {
	b, _ := json.Marshal(map[string]string{"type": "TOKEN", "authorizationToken": token, "methodArn": arn})
	return b
}

func TestTokenAuthorizer(t *testing.T) {
	const arn = "arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/GET/value/42"
	const base = "arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/"
	tests := []struct {
		token, effect string
		resources     []string
		principal     string
		context       map[string]any
	}{
		{"allow", "Allow", []string{base + "*/*"}, "user", nil},
		{"deny", "Deny", []string{base + "*/*"}, "user", nil},
		{"routes", "Allow", []string{base + "GET/value/*", base + "*/", base + "PUT/files/*"}, "alice",
			map[string]any{"tier": "gold", "quota": float64(10), "admin": false}},
	}
	for _, tc := range tests {
		t.Run(tc.token, func(t *testing.T) {
			auth := &tokenAuth{Handler: http.NotFoundHandler()}
			out, err := NewLambdaHandler(auth).Invoke(context.Background(), tokenEvent(tc.token, arn))
			if err != nil {
				t.Fatal(err)
			}
			if auth.got != (AuthRequest{Token: tc.token, MethodArn: arn}) {
				t.Errorf("Authorize got %+v", auth.got)
			}
			var p policyJSON
			if err := json.Unmarshal(out, &p); err != nil {
				t.Fatal(err)
			}
			if p.PrincipalID != tc.principal || p.PolicyDocument.Version != "2012-10-17" || len(p.PolicyDocument.Statement) != 1 {
				t.Fatalf("policy %s", out)
			}
			st := p.PolicyDocument.Statement[0]
			if st.Action != "execute-api:Invoke" || st.Effect != tc.effect || !reflect.DeepEqual(st.Resource, tc.resources) {
				t.Errorf("statement %+v, want %s on %v", st, tc.effect, tc.resources)
			}
			if !reflect.DeepEqual(p.Context, tc.context) {
				t.Errorf("context %v, want %v", p.Context, tc.context)
			}
		})
	}
}

func TestTokenAuthorizerRecordedEvent(t *testing.T) {
	auth := &tokenAuth{Handler: http.NotFoundHandler()}
	out, err := NewLambdaHandler(auth).Invoke(context.Background(), readEvent(t, "apigw-custom-auth-request.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"principalId":"user","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":["arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/*/*"]}]}}`
	if string(out) != want {
		t.Errorf("policy\n got %s\nwant %s", out, want)
	}
}

func TestTokenAuthorizerErrors(t *testing.T) {
	const arn = "arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/GET/"
	auth := &tokenAuth{Handler: http.NotFoundHandler()}
	for _, tc := range []struct {
		name    string
		handler http.Handler
		payload []byte
		want    string
	}{
		{"empty token", auth, tokenEvent("", arn), "Unauthorized"},
		{"missing token", auth, []byte(`{"type":"TOKEN","methodArn":"` + arn + `"}`), "Unauthorized"},
		{"handler without Authorize", http.NotFoundHandler(), tokenEvent("allow", arn), "the handler has no Authorize method"},
		{"service without Auth", auth, tokenEvent("no-auth", arn), "the service defines no Auth method"},
		{"malformed methodArn", auth, tokenEvent("allow", "GET/"), `authorizer event has methodArn "GET/"`},
		{"object in context", auth, tokenEvent("object-context", arn), `Access.Context["nested"] is a map[string]interface {}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := NewLambdaHandler(tc.handler).Invoke(context.Background(), tc.payload)
			if err == nil {
				t.Fatalf("got %s, want error %q", out, tc.want)
			}
			if tc.want == "Unauthorized" && err.Error() != "Unauthorized" {
				t.Errorf("error %q, want exactly \"Unauthorized\" (API Gateway's 401 signal)", err)
			} else if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}
