package apigw

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

var authStage = &Stage{Name: "prod", APIID: "abcdef1234", AccountID: "123456789012", Region: "us-east-1"}

func TestMethodARNAndTokenEvent(t *testing.T) {
	if got := MethodARN(authStage, "GET", "/items/42"); got != "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/items/42" {
		t.Errorf("MethodARN = %s", got)
	}
	if got := MethodARN(authStage, "GET", "/"); got != "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/" {
		t.Errorf("root MethodARN = %s", got)
	}
	// The event decodes into aws-lambda-go's type with the shape of events/testdata/apigw-custom-auth-request.json.
	ev := TokenEvent(`Bearer "x"`, "arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/")
	var got events.APIGatewayCustomAuthorizerRequest
	if err := json.Unmarshal(ev, &got); err != nil {
		t.Fatal(err)
	}
	var gotMap, wantMap map[string]any
	_ = json.Unmarshal(ev, &gotMap)
	_ = json.Unmarshal(lambdaTestdata(t, "apigw-custom-auth-request.json"), &wantMap)
	if !reflect.DeepEqual(keysOf(gotMap), keysOf(wantMap)) || got.Type != "TOKEN" || got.AuthorizationToken != `Bearer "x"` || got.MethodArn != wantMap["methodArn"] {
		t.Errorf("TOKEN event %s, recorded keys %v", ev, keysOf(wantMap))
	}
}

func TestParseAuthorizerOutput(t *testing.T) {
	// The recorded response of aws-lambda-go's testdata, with a concrete Effect and Resource.
	recorded := strings.NewReplacer("Allow|Deny", "Allow",
		"arn:aws:execute-api:{regionId}:{accountId}:{appId}/{stage}/{httpVerb}/[{resource}/[child-resources]]", "arn:aws:execute-api:*:*:*/prod/GET/*",
	).Replace(string(lambdaTestdata(t, "apigw-custom-auth-response.json")))
	res, err := ParseAuthorizerOutput([]byte(recorded))
	if err != nil {
		t.Fatal(err)
	}
	want := AuthorizerResult{
		PrincipalID:        "yyyyyyyy",
		Policy:             Policy{Statements: []Statement{{Effect: "Allow", Actions: []string{"execute-api:Invoke"}, Resources: []string{"arn:aws:execute-api:*:*:*/prod/GET/*"}}}},
		Context:            []ContextValue{{Key: "stringKey", Value: "value"}, {Key: "numberKey", Value: "1"}, {Key: "booleanKey", Value: "true"}},
		UsageIdentifierKey: "{api-key}",
	}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("parsed\n got %+v\nwant %+v", res, want)
	}

	valid := []string{
		`{"principalId":"u","policyDocument":{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"execute-api:*","Resource":"*"}}}`,
		`{"principalId":"u","policyDocument":{"Statement":[{"Sid":"1","Effect":"Allow","Action":["*"],"Resource":["a","b"]}]},"context":{"n":1.5,"f":false,"z":null}}`,
	}
	for _, s := range valid {
		if _, err := ParseAuthorizerOutput([]byte(s)); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	invalid := map[string]string{
		`{"statusCode":200,"body":"ok"}`: "no principalId",
		`{"principalId":"u"}`:            "no policyDocument",
		`{"principalId":"u","policyDocument":{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}}`: "Effect",
		`{"principalId":"u","policyDocument":{"Statement":[{"Effect":"Allow","Resource":"*"}]}}`:              "Action: missing",
		`{"principalId":"u","policyDocument":{"Statement":[{"Effect":"Allow","Action":"*","Resource":1}]}}`:   "Resource",
		`{"principalId":"u","policyDocument":{}}`:                                                             "no Statement",
		`{"principalId":"u","policyDocument":{"Statement":[]},"context":{"obj":{"a":1}}}`:                     `value of "obj" is an object or array`,
		`{"principalId":"u","policyDocument":{"Statement":[]},"context":{"arr":[1]}}`:                         `value of "arr"`,
		`{"principalId":1,"policyDocument":{"Statement":[]}}`:                                                 "authorizer output",
		`"Allow"`: "not a JSON object",
		``:        "not a JSON object",
	}
	for s, want := range invalid {
		_, err := ParseAuthorizerOutput([]byte(s))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want it to mention %q", s, err, want)
		}
	}
}

func TestPolicyEvaluate(t *testing.T) {
	arn := MethodARN(authStage, "GET", "/items/42")
	allow := func(res ...string) Statement {
		return Statement{Effect: "Allow", Actions: []string{"execute-api:Invoke"}, Resources: res}
	}
	deny := func(res ...string) Statement {
		return Statement{Effect: "Deny", Actions: []string{"execute-api:Invoke"}, Resources: res}
	}
	tests := []struct {
		name  string
		stmts []Statement
		want  Decision
	}{
		{"exact allow", []Statement{allow(arn)}, Allowed},
		{"star allow", []Statement{allow("*")}, Allowed},
		{"stage wildcard", []Statement{allow("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*/GET/*")}, Allowed},
		{"question mark", []Statement{allow("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/items/4?")}, Allowed},
		{"question mark needs one char", []Statement{allow("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/items/42?")}, Denied},
		{"other path", []Statement{allow("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/users/*")}, Denied},
		{"other method", []Statement{allow("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/POST/*")}, Denied},
		{"case-sensitive resource", []Statement{allow("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/Items/42")}, Denied},
		{"no statements", nil, Denied},
		{"explicit deny wins", []Statement{allow("*"), deny(arn)}, ExplicitlyDenied},
		{"deny elsewhere", []Statement{allow("*"), deny("arn:aws:execute-api:*:*:*/prod/DELETE/*")}, Allowed},
		{"action wildcard", []Statement{{Effect: "Allow", Actions: []string{"execute-api:*"}, Resources: []string{"*"}}}, Allowed},
		{"action case-insensitive", []Statement{{Effect: "Allow", Actions: []string{"Execute-API:invoke"}, Resources: []string{"*"}}}, Allowed},
		{"other action", []Statement{{Effect: "Allow", Actions: []string{"execute-api:ManageConnections"}, Resources: []string{"*"}}}, Denied},
		{"deny with other action does not count", []Statement{allow("*"), {Effect: "Deny", Actions: []string{"s3:*"}, Resources: []string{"*"}}}, Allowed},
	}
	for _, tt := range tests {
		if got := (Policy{Statements: tt.stmts}).Evaluate(arn); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	if Denied.ErrorKind() != ErrAccessDenied || ExplicitlyDenied.ErrorKind() != ErrExplicitDeny || Allowed.ErrorKind() != 0 {
		t.Error("decision error kinds")
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tt := range []struct {
		p, s string
		want bool
	}{
		{"", "", true}, {"*", "", true}, {"a*", "a", true}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false},
		{"?", "", false}, {"a?c", "abc", true}, {"*/GET/*", "x/prod/GET/a/b", true}, {"**", "abc", true}, {"a*", "b", false},
	} {
		if got := globMatch(tt.p, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v", tt.p, tt.s, got)
		}
	}
}

func TestAuthorizerFailureKind(t *testing.T) {
	if k := AuthorizerFailureKind([]byte(`{"errorMessage":"Unauthorized","errorType":"errorString"}`)); k != ErrUnauthorized {
		t.Errorf("Unauthorized error → %d", k)
	}
	for _, p := range []string{`{"errorMessage":"unauthorized"}`, `{"errorMessage":"boom"}`, ``, `garbage`} {
		if k := AuthorizerFailureKind([]byte(p)); k != ErrAuthorizerConfiguration {
			t.Errorf("%q → %d, want ErrAuthorizerConfiguration", p, k)
		}
	}
}

func TestTokenAuthorizer(t *testing.T) {
	a, err := NewTokenAuthorizer(TokenAuthorizerConfig{ValidationExpression: `Bearer [a-z]+`, TTL: DefaultAuthorizerTTL})
	if err != nil {
		t.Fatal(err)
	}
	for h, want := range map[string]bool{"Bearer abc": true, "": false, "Bearer ABC": false, "xBearer abc": false, "Bearer abc ": false} {
		hdr := http.Header{}
		if h != "" {
			hdr.Set("authorization", h)
		}
		if tok, ok := a.Token(hdr); ok != want || (ok && tok != h) {
			t.Errorf("Token(%q) = %q %v, want %v", h, tok, ok, want)
		}
	}
	custom, _ := NewTokenAuthorizer(TokenAuthorizerConfig{Header: "X-Token"})
	if tok, ok := custom.Token(http.Header{"X-Token": {"anything"}}); !ok || tok != "anything" {
		t.Errorf("custom header: %q %v", tok, ok)
	}
	if _, ok := custom.Token(http.Header{"Authorization": {"x"}}); ok {
		t.Error("custom header: Authorization must not count")
	}

	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	res := AuthorizerResult{PrincipalID: "u"}
	if _, ok := a.Lookup("tok", t0); ok {
		t.Fatal("empty cache hit")
	}
	a.Store("tok", res, t0)
	if got, ok := a.Lookup("tok", t0.Add(299*time.Second)); !ok || got.PrincipalID != "u" {
		t.Error("cached result missing before the TTL")
	}
	if _, ok := a.Lookup("other", t0); ok {
		t.Error("cache is keyed by token")
	}
	if _, ok := a.Lookup("tok", t0.Add(300*time.Second)); ok {
		t.Error("cached result served at the TTL")
	}

	off, _ := NewTokenAuthorizer(TokenAuthorizerConfig{TTL: 0})
	off.Store("tok", res, t0)
	if _, ok := off.Lookup("tok", t0); ok {
		t.Error("TTL 0 must disable the cache")
	}
	for _, cfg := range []TokenAuthorizerConfig{{TTL: -time.Second}, {TTL: 3601 * time.Second}, {ValidationExpression: "("}} {
		if _, err := NewTokenAuthorizer(cfg); err == nil {
			t.Errorf("NewTokenAuthorizer(%+v) accepted", cfg)
		}
	}
}

func TestTokenAuthorizerCacheBound(t *testing.T) {
	a, _ := NewTokenAuthorizer(TokenAuthorizerConfig{TTL: time.Minute})
	t0 := time.Unix(0, 0)
	for i := 0; i < maxCachedTokens+5; i++ {
		a.Store(string(rune(i+1))+"k", AuthorizerResult{}, t0)
	}
	if n := len(a.cache); n > maxCachedTokens {
		t.Errorf("cache holds %d entries, bound is %d", n, maxCachedTokens)
	}
}
