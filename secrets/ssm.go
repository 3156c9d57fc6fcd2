package secrets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/smithy-go/aws-http-auth/credentials"
	"github.com/aws/smithy-go/aws-http-auth/sigv4"
)

// The functions' SSM client is this file rather than the AWS SDK's: the one call a cold start needs,
// GetParametersByPath, is a signed JSON POST, and the SDK's ssm package would add about 2.7 MB to every
// function binary (measured in docs/configuration.md). Requests are signed by AWS's own standalone SigV4
// module (smithy-go/aws-http-auth); cws itself uses the SDK.

// ssmClient calls SSM's JSON protocol (awsJson1.1) at one endpoint with fixed credentials.
type ssmClient struct {
	endpoint string
	region   string
	creds    credentials.Credentials
	http     *http.Client
	signer   *sigv4.Signer
}

// parameter is one SSM parameter as GetParametersByPath returns it.
type parameter struct {
	Name  string
	Value string
}

// maxAttempts bounds the attempts of one call when SSM throttles or fails on its side.
const maxAttempts = 3

// clientFromEnv builds the client from the variables Lambda sets (see Load).
func clientFromEnv(getenv func(string) string) (*ssmClient, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return nil, errors.New("no region: AWS_REGION is not set")
	}
	creds := credentials.Credentials{
		AccessKeyID:     getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    getenv("AWS_SESSION_TOKEN"),
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return nil, errors.New("no credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them from the function's role)")
	}
	endpoint := getenv("AWS_ENDPOINT_URL_SSM")
	if endpoint == "" {
		endpoint = getenv("AWS_ENDPOINT_URL")
	}
	if endpoint == "" {
		endpoint = "https://ssm." + region + "." + dnsSuffix(region)
	}
	return &ssmClient{
		endpoint: strings.TrimSuffix(endpoint, "/") + "/",
		region:   region,
		creds:    creds,
		http:     &http.Client{Timeout: initTimeout},
		signer:   sigv4.New(),
	}, nil
}

// dnsSuffix is the domain of the AWS partition of region.
func dnsSuffix(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "amazonaws.com.cn"
	case strings.HasPrefix(region, "us-isob-"):
		return "sc2s.sgov.gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "c2s.ic.gov"
	}
	return "amazonaws.com"
}

// parametersByPath returns every parameter directly under path (no trailing slash), decrypted, following
// the pages.
func (c *ssmClient) parametersByPath(ctx context.Context, path string) ([]parameter, error) {
	type input struct {
		Path           string
		Recursive      bool
		WithDecryption bool
		MaxResults     int
		NextToken      string `json:",omitempty"`
	}
	var out struct {
		Parameters []parameter
		NextToken  string
	}
	in := input{Path: path, WithDecryption: true, MaxResults: 10}
	var all []parameter
	for {
		out.Parameters, out.NextToken = nil, ""
		if err := c.call(ctx, "GetParametersByPath", in, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Parameters...)
		if out.NextToken == "" {
			return all, nil
		}
		in.NextToken = out.NextToken
	}
}

// ssmError is an error answer of SSM: its type (AccessDeniedException, ThrottlingException...) and message.
type ssmError struct {
	status  int
	typ     string
	message string
}

func (e *ssmError) Error() string {
	if e.message == "" {
		return fmt.Sprintf("SSM answered %d %s", e.status, e.typ)
	}
	return fmt.Sprintf("SSM answered %d %s: %s", e.status, e.typ, e.message)
}

// retryable reports whether the same call may succeed later: throttling and SSM's own failures.
func (e *ssmError) retryable() bool {
	return e.status >= 500 || e.status == http.StatusTooManyRequests || strings.Contains(e.typ, "Throttling")
}

// call sends operation with in as its JSON body and decodes the answer into out, retrying throttling,
// SSM's own failures and broken connections with a short backoff.
func (c *ssmClient) call(ctx context.Context, operation string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := c.send(ctx, operation, body, out)
		var se *ssmError
		retry := err != nil && ctx.Err() == nil && (!errors.As(err, &se) || se.retryable())
		if !retry || attempt == maxAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// send makes one signed request.
func (c *ssmClient) send(ctx context.Context, operation string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("SSM endpoint %s: %w", c.endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonSSM."+operation)
	hash := sha256.Sum256(body)
	if err := c.signer.SignRequest(&sigv4.SignRequestInput{
		Request: req, PayloadHash: hash[:], Credentials: c.creds, Service: "ssm", Region: c.region,
	}); err != nil {
		return fmt.Errorf("sign the SSM request: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return decodeError(resp, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("SSM %s: unreadable answer: %w", operation, err)
	}
	return nil
}

// decodeError reads an awsJson1.1 error: the type from X-Amzn-ErrorType or __type (without its namespace
// and details), the message from message or Message.
func decodeError(resp *http.Response, data []byte) error {
	var body struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
		Upper   string `json:"Message"`
	}
	json.Unmarshal(data, &body)
	typ := resp.Header.Get("X-Amzn-ErrorType")
	if typ == "" {
		typ = body.Type
	}
	typ, _, _ = strings.Cut(typ, ":")
	if i := strings.LastIndexByte(typ, '#'); i >= 0 {
		typ = typ[i+1:]
	}
	if typ == "" {
		typ = http.StatusText(resp.StatusCode)
	}
	msg := body.Message
	if msg == "" {
		msg = body.Upper
	}
	return &ssmError{status: resp.StatusCode, typ: typ, message: msg}
}
