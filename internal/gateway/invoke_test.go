package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// lambdaClient is the real AWS SDK Lambda client pointed at the gateway, with static credentials (the
// gateway does not check signatures, but the SDK signs, as against AWS).
func lambdaClient(url, region string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       region,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		// One attempt: the tests assert Lambda's answer, not the SDK's retries.
		RetryMaxAttempts: 1,
	})
}

// invokeStages serves probe as the functions probe-dev and probe-master of one REST API, recording what
// Observe receives.
func invokeStages(t *testing.T) (*served, func() []Request) {
	var mu sync.Mutex
	var seen []Request
	s := serve(t, []API{{ID: "abc123", Stages: []Stage{stage(t, "probe", "dev", "Hi"), stage(t, "probe", "master", "Yo")}}},
		func(o *Options) {
			o.Observe = func(r Request) { mu.Lock(); seen = append(seen, r); mu.Unlock() }
		})
	return s, func() []Request { mu.Lock(); defer mu.Unlock(); return append([]Request(nil), seen...) }
}

func TestInvokeRequestResponseWithTheSDK(t *testing.T) {
	s, observed := invokeStages(t)
	c := lambdaClient(s.url, "us-east-1")
	ctx := context.Background()
	for _, tc := range []struct{ name, want string }{
		{"probe-dev", "Hi from  ()"}, // a raw event: no stage, no stage variables
		{"probe-master", "Yo from  ()"},
		{"arn:aws:lambda:us-east-1:000000000000:function:probe-master", "Yo from  ()"},
		{"000000000000:function:probe-dev:$LATEST", "Hi from  ()"},
	} {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(tc.name), Payload: []byte(`{"path":"/hello"}`)})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var resp struct {
			StatusCode int
			Body       string
		}
		if err := json.Unmarshal(out.Payload, &resp); err != nil {
			t.Fatalf("%s: payload %s: %v", tc.name, out.Payload, err)
		}
		if out.StatusCode != 200 || resp.Body != tc.want || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
			t.Errorf("%s: status %d, body %q, function error %v, version %q", tc.name, out.StatusCode, resp.Body, out.FunctionError, aws.ToString(out.ExecutedVersion))
		}
	}
	// The qualifier as a parameter.
	if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe-dev"), Qualifier: aws.String("$LATEST"), Payload: []byte(`{"path":"/hello"}`)}); err != nil {
		t.Fatal(err)
	}
	// Observed (the console's live log): the Invoke calls, with the stage and the invocation's request id.
	var invokes int
	for _, r := range observed() {
		if strings.HasPrefix(r.Path, InvokePathPrefix) {
			invokes++
			if r.Status != 200 || (r.Stage != "dev" && r.Stage != "master") || r.LambdaRequestID == "" || r.RequestID != r.LambdaRequestID {
				t.Errorf("observed %+v", r)
			}
		}
	}
	if invokes != 5 {
		t.Errorf("observed %d invoke calls, want 5", invokes)
	}
}

// A failing function: 200 with X-Amz-Function-Error: Unhandled and Lambda's error document as the payload.
func TestInvokeFunctionErrorWithTheSDK(t *testing.T) {
	s, _ := invokeStages(t)
	out, err := lambdaClient(s.url, "us-east-1").Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String("probe-dev"), Payload: []byte(`{"path":"/panic"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ ErrorMessage, ErrorType string }
	json.Unmarshal(out.Payload, &doc)
	if out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(doc.ErrorMessage, "probe panics on purpose") {
		t.Fatalf("status %d, function error %q, payload %s", out.StatusCode, aws.ToString(out.FunctionError), out.Payload)
	}
}

// An unknown function or qualifier is Lambda's 404 ResourceNotFoundException, whose message names the ARN
// in the caller's region.
func TestInvokeUnknownFunctionWithTheSDK(t *testing.T) {
	s, _ := invokeStages(t)
	for _, tc := range []struct{ region, name, qualifier, want string }{
		{"us-east-1", "probe-prod", "", "Function not found: arn:aws:lambda:us-east-1:000000000000:function:probe-prod"},
		{"eu-west-1", "probe-prod", "", "Function not found: arn:aws:lambda:eu-west-1:000000000000:function:probe-prod"},
		{"us-east-1", "probe-dev", "v7", "Function not found: arn:aws:lambda:us-east-1:000000000000:function:probe-dev:v7"},
		{"us-east-1", "arn:aws:lambda:eu-west-1:000000000000:function:probe-dev", "", "Function not found: arn:aws:lambda:eu-west-1:000000000000:function:probe-dev"},
	} {
		in := &lambda.InvokeInput{FunctionName: aws.String(tc.name), Payload: []byte(`{}`)}
		if tc.qualifier != "" {
			in.Qualifier = aws.String(tc.qualifier)
		}
		_, err := lambdaClient(s.url, tc.region).Invoke(context.Background(), in)
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) || nf.ErrorMessage() != tc.want || aws.ToString(nf.Type) != "User" {
			t.Errorf("%s %s: got %v, want ResourceNotFoundException %q", tc.name, tc.qualifier, err, tc.want)
		}
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() != 404 {
			t.Errorf("%s: status %d, want 404", tc.name, re.HTTPStatusCode())
		}
	}
}

func TestInvokeDryRunEventAndBadPayloadWithTheSDK(t *testing.T) {
	s, _ := invokeStages(t)
	c := lambdaClient(s.url, "us-east-1")
	ctx := context.Background()
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe-dev"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || out.StatusCode != http.StatusNoContent {
		t.Fatalf("DryRun: %v, %+v", err, out)
	}
	if strings.Contains(s.funcLog.String(), "START") {
		t.Fatal("DryRun ran the function")
	}

	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe-dev"), InvocationType: types.InvocationTypeEvent,
		Payload: []byte(`{"path":"/hello"}`)})
	if err != nil || out.StatusCode != http.StatusAccepted || len(out.Payload) != 0 {
		t.Fatalf("Event: %v, %+v", err, out)
	}
	id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	// The invocation runs after the answer: its REPORT line (with the request id the caller got) shows it ran.
	for end := time.Now().Add(10 * time.Second); !strings.Contains(s.funcLog.String(), "REPORT RequestId: "+id); {
		if time.Now().After(end) {
			t.Fatalf("the Event invocation %s never ran; function log:\n%s", id, s.funcLog.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe-dev"), Payload: []byte(`{not json`)})
	var bad *types.InvalidRequestContentException
	if !errors.As(err, &bad) || !strings.HasPrefix(bad.ErrorMessage(), "Could not parse request body into json") {
		t.Fatalf("bad payload: %v", err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("probe-dev"), Payload: []byte(`"` + strings.Repeat("x", 6<<20) + `"`)})
	var big *types.RequestTooLargeException
	if !errors.As(err, &big) && !strings.Contains(err.Error(), "RequestEntityTooLargeException") {
		t.Fatalf("6 MB payload: %v", err)
	}
}

// Reserved concurrency 0 throttles Invoke calls as it throttles API requests: Lambda's 429.
func TestInvokeThrottledWithTheSDK(t *testing.T) {
	st := stage(t, "probe", "dev", "Hi")
	st.Function.ReservedConcurrency = -1
	s := serve(t, []API{{ID: "abc123", Stages: []Stage{st}}}, nil)
	_, err := lambdaClient(s.url, "us-east-1").Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("probe-dev")})
	var tm *types.TooManyRequestsException
	if !errors.As(err, &tm) || tm.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
		t.Fatalf("got %v", err)
	}
}

// The stage's function log also goes to Options.StageLog, whole lines, under the cws stage's name.
func TestStageLogGetsTheFunctionLines(t *testing.T) {
	logs := map[string]*syncBuffer{"dev": {}, "master": {}}
	st := stage(t, "probe", "dev", "Hi")
	st.Function.Executable = filepath.Join(binDir, "probe")
	s := serve(t, []API{{ID: "abc123", Stages: []Stage{st, stage(t, "probe", "master", "Yo")}}}, func(o *Options) {
		o.StageLog = func(stage string) io.Writer { return logs[stage] }
	})
	s.do(t, "GET", "/dev/hello", "", nil, nil)
	// The invocation has Lambda's own request id, not API Gateway's: take it from the stage log's REPORT line.
	report := regexp.MustCompile(`REPORT RequestId: ([0-9a-f-]{36})`)
	var id string
	for end := time.Now().Add(10 * time.Second); id == ""; {
		if m := report.FindStringSubmatch(logs["dev"].String()); m != nil {
			id = m[1]
			break
		}
		if time.Now().After(end) {
			t.Fatalf("no REPORT line in the stage log:\n%s", logs["dev"].String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(s.funcLog.String(), "REPORT RequestId: "+id) {
		t.Error("the terminal's function log lost the line")
	}
	if logs["master"].String() != "" {
		t.Errorf("master's log got dev's lines:\n%s", logs["master"].String())
	}
}
