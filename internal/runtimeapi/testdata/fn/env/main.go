// Command env is a test function: it answers with its environment, working directory and what the
// Runtime API told it about the invocation.
package main

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type answer struct {
	Env             map[string]string             `json:"env"`
	Cwd             string                        `json:"cwd"`
	RequestID       string                        `json:"requestId"`
	FunctionARN     string                        `json:"functionArn"`
	DeadlineMS      int64                         `json:"deadlineMs"`
	TraceID         string                        `json:"traceId"`
	ClientContext   lambdacontext.ClientContext   `json:"clientContext"`
	CognitoIdentity lambdacontext.CognitoIdentity `json:"cognitoIdentity"`
}

func main() {
	lambda.Start(func(ctx context.Context) (answer, error) {
		a := answer{Env: map[string]string{}}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			a.Env[k] = v
		}
		a.Cwd, _ = os.Getwd()
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			a.RequestID = lc.AwsRequestID
			a.FunctionARN = lc.InvokedFunctionArn
			a.ClientContext = lc.ClientContext
			a.CognitoIdentity = lc.Identity
		}
		if d, ok := ctx.Deadline(); ok {
			a.DeadlineMS = d.Truncate(time.Millisecond).UnixMilli()
		}
		a.TraceID = os.Getenv("_X_AMZN_TRACE_ID")
		return a, nil
	})
}
