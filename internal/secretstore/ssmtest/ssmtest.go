// Package ssmtest is a test double of AWS Systems Manager Parameter Store: an HTTP server on loopback that
// speaks SSM's JSON protocol (awsJson1.1: POST with X-Amz-Target: AmazonSSM.{Operation}) for PutParameter,
// GetParameter, GetParametersByPath and DeleteParameter, and checks every request's SigV4 signature with the
// AWS SDK's own signer. It stands in for AWS, which tests cannot reach; tests using it say so in their names
// (TestSSMFakeServer...).
package ssmtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The credentials and region a Server accepts.
const (
	AccessKeyID     = "AKIDSSMTEST"
	SecretAccessKey = "ssmtest-secret-access-key"
	Region          = "eu-west-1"
	// Account is the account id in the parameters' ARNs.
	Account = "123456789012"
)

// Parameter is one stored parameter.
type Parameter struct {
	Name  string
	Type  string
	Value string
	// KeyID is the KMS key the caller asked for ("" for the account's default, alias/aws/ssm).
	KeyID        string
	Version      int64
	LastModified time.Time
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the endpoint, for AWS_ENDPOINT_URL.
	URL string
	srv *httptest.Server

	mu       sync.Mutex
	params   map[string]Parameter
	calls    []string
	failures []failure
	denied   []string
	now      func() time.Time
}

// failure is an error answer queued by Fail.
type failure struct {
	status int
	typ    string
}

// New starts a Server; Close stops it.
func New() *Server {
	s := &Server{params: map[string]Parameter{}, now: time.Now}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Env returns the variables that point an AWS SDK or the coworks/secrets loader at the server, as
// NAME=value pairs: endpoint, region, credentials, and no shared config or credentials files.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.URL,
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_CONFIG_FILE=/nonexistent/ssmtest/config",
		"AWS_SHARED_CREDENTIALS_FILE=/nonexistent/ssmtest/credentials",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PROFILE=",
		"AWS_SESSION_TOKEN=",
	}
}

// Setenv sets each variable of Env through t: a *testing.T for this process, a *testscript.TestScript for a
// script's commands.
func (s *Server) Setenv(t interface{ Setenv(key, value string) }) {
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// Put stores a SecureString directly, as if set by another tool.
func (s *Server) Put(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.params[name]
	s.params[name] = Parameter{Name: name, Type: "SecureString", Value: value, Version: p.Version + 1, LastModified: s.now().UTC()}
}

// Get returns the parameter called name.
func (s *Server) Get(name string) (Parameter, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.params[name]
	return p, ok
}

// Calls returns the operations received so far, in order ("GetParametersByPath /cws/app/prod").
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Fail makes the next len(types) signed requests fail with status and the given error types, one each.
func (s *Server) Fail(status int, types ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range types {
		s.failures = append(s.failures, failure{status, t})
	}
}

// Deny answers AccessDeniedException to every request naming a parameter or path under prefix.
func (s *Server) Deny(prefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied = append(s.denied, prefix)
}

// request is the union of the inputs of the operations served.
type request struct {
	Name           string
	Value          string
	Type           string
	KeyID          string `json:"KeyId"`
	Overwrite      bool
	Path           string
	Recursive      bool
	WithDecryption bool
	MaxResults     int
	NextToken      string
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSSM.")
	switch {
	case r.Method != http.MethodPost || !ok:
		writeError(w, 400, "UnknownOperationException", "")
		return
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		writeError(w, 400, "SerializationException", "Content-Type must be application/x-amz-json-1.1")
		return
	}
	if msg := verifySignature(r, body); msg != "" {
		writeError(w, 400, "InvalidSignatureException", msg)
		return
	}
	var in request
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, 400, "SerializationException", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, strings.TrimSpace(op+" "+in.Name+in.Path))
	if len(s.failures) > 0 {
		f := s.failures[0]
		s.failures = s.failures[1:]
		writeError(w, f.status, f.typ, "injected by ssmtest")
		return
	}
	for _, prefix := range s.denied {
		if strings.HasPrefix(in.Name+in.Path, prefix) {
			writeError(w, 400, "AccessDeniedException", fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/test is not authorized to perform: ssm:%s on resource: arn:aws:ssm:%s:%s:parameter%s", Account, op, Region, Account, in.Name+in.Path))
			return
		}
	}
	switch op {
	case "PutParameter":
		s.putParameter(w, in)
	case "GetParameter":
		p, ok := s.params[in.Name]
		if !ok {
			writeError(w, 400, "ParameterNotFound", "")
			return
		}
		writeJSON(w, map[string]any{"Parameter": s.wire(p, in.WithDecryption)})
	case "GetParametersByPath":
		s.parametersByPath(w, in)
	case "DeleteParameter":
		if _, ok := s.params[in.Name]; !ok {
			writeError(w, 400, "ParameterNotFound", "")
			return
		}
		delete(s.params, in.Name)
		writeJSON(w, map[string]any{})
	default:
		writeError(w, 400, "UnknownOperationException", op)
	}
}

func (s *Server) putParameter(w http.ResponseWriter, in request) {
	switch {
	case !strings.HasPrefix(in.Name, "/") || strings.HasSuffix(in.Name, "/"):
		writeError(w, 400, "ValidationException", "parameter name must be a fully qualified path")
		return
	case in.Value == "" || len([]rune(in.Value)) > 4096:
		writeError(w, 400, "ValidationException", "value must be 1 to 4096 characters (standard tier)")
		return
	case in.Type != "SecureString" && in.Type != "String":
		writeError(w, 400, "ValidationException", "unsupported type "+in.Type)
		return
	}
	old, exists := s.params[in.Name]
	if exists && !in.Overwrite {
		writeError(w, 400, "ParameterAlreadyExists", "")
		return
	}
	p := Parameter{Name: in.Name, Type: in.Type, Value: in.Value, KeyID: in.KeyID, Version: old.Version + 1, LastModified: s.now().UTC()}
	s.params[in.Name] = p
	writeJSON(w, map[string]any{"Version": p.Version, "Tier": "Standard"})
}

func (s *Server) parametersByPath(w http.ResponseWriter, in request) {
	if !strings.HasPrefix(in.Path, "/") || (in.Path != "/" && strings.HasSuffix(in.Path, "/")) {
		writeError(w, 400, "ValidationException", "path must start with / and not end with /")
		return
	}
	max := in.MaxResults
	if max == 0 {
		max = 10
	}
	if max < 1 || max > 10 {
		writeError(w, 400, "ValidationException", "MaxResults must be 1 to 10")
		return
	}
	prefix := strings.TrimSuffix(in.Path, "/") + "/"
	var names []string
	for name := range s.params {
		rest, ok := strings.CutPrefix(name, prefix)
		if ok && (in.Recursive || !strings.Contains(rest, "/")) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	start := 0
	if in.NextToken != "" {
		i, ok := slices.BinarySearch(names, in.NextToken)
		if !ok {
			writeError(w, 400, "InvalidNextToken", "")
			return
		}
		start = i
	}
	out := map[string]any{}
	page := []map[string]any{}
	for i := start; i < len(names); i++ {
		if len(page) == max {
			out["NextToken"] = names[i]
			break
		}
		page = append(page, s.wire(s.params[names[i]], in.WithDecryption))
	}
	out["Parameters"] = page
	writeJSON(w, out)
}

// wire is a parameter as SSM answers it; a SecureString read without decryption shows its ciphertext.
func (s *Server) wire(p Parameter, decrypt bool) map[string]any {
	value := p.Value
	if p.Type == "SecureString" && !decrypt {
		sum := sha256.Sum256([]byte("ciphertext:" + p.Name + ":" + p.Value))
		value = base64.StdEncoding.EncodeToString(sum[:])
	}
	return map[string]any{
		"Name": p.Name, "Type": p.Type, "Value": value, "Version": p.Version, "DataType": "text",
		"LastModifiedDate": float64(p.LastModified.UnixMilli()) / 1000,
		"ARN":              fmt.Sprintf("arn:aws:ssm:%s:%s:parameter%s", Region, Account, p.Name),
	}
}

// verifySignature checks the request's SigV4 Authorization header by signing the same request again with
// the AWS SDK's signer, over the headers the client signed; it returns what is wrong, or "".
func verifySignature(r *http.Request, body []byte) string {
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")
	if !ok {
		return "missing or malformed Authorization header"
	}
	fields := map[string]string{}
	for _, f := range strings.Split(auth, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[0] != AccessKeyID || scope[2] != Region || scope[3] != "ssm" || scope[4] != "aws4_request" {
		return fmt.Sprintf("credential scope %q: want %s/DATE/%s/ssm/aws4_request", fields["Credential"], AccessKeyID, Region)
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "missing or malformed X-Amz-Date"
	}
	again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	again.ContentLength = 0 // signed only when the client signed it
	for _, h := range strings.Split(fields["SignedHeaders"], ";") {
		switch h {
		case "host", "x-amz-date", "x-amz-security-token":
			// the signer sets these itself
		case "content-length":
			again.ContentLength = int64(len(body))
		default:
			again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), "ssm", Region, at); err != nil {
		return err.Error()
	}
	want, _ := strings.CutPrefix(again.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")
	if want != auth {
		return "The request signature we calculated does not match the signature you provided"
	}
	return ""
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.ssm#" + typ, "message": msg})
}
