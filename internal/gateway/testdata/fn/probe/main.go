// Command probe is a test function that speaks the REST proxy event directly (no framework), so that it can
// misbehave in every way API Gateway cares about. Its behaviour is chosen by the event's path:
//
//	/hello           200, body "{GREETING} from {stage} ({cws_stage variable})"
//	/event           200, body the event it received
//	/echo            200, the request body as is (base64 when it arrived base64), its Content-Type
//	/panic           panics (the runtime reports the error, the process exits)
//	/sleep/{ms}      sleeps, then 200 "slept"
//	/malformed       a proxy response whose body is an object (502 on AWS)
//	/big/{n}         200 with a body of n bytes
//	/bigerror        a handler error whose message is 7 MB (over Lambda's 6 MB payload limit)
//	/longline        prints 1 MB to stdout without a newline and 20 MB of short lines to stderr, then 200 "printed"
//	/lambda          200, JSON with what Lambda told the function: its request id and trace header
//	/loose           200 with header values that are a number and null, as JavaScript functions send
//	/text/{n}        200 with a text body of n bytes
//
// When PROBE_HANG_FILE names a file that exists, init removes it and then hangs forever (the next environment
// starts normally).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func main() {
	if f := os.Getenv("PROBE_HANG_FILE"); f != "" && os.Remove(f) == nil {
		for { // not select {}: a static binary's runtime would report a deadlock and exit, as it would in Lambda
			time.Sleep(time.Hour)
		}
	}
	lambda.Start(func(ctx context.Context, raw json.RawMessage) (any, error) {
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		switch p := ev.Path; {
		case p == "/hello":
			return text(os.Getenv("GREETING") + " from " + ev.RequestContext.Stage + " (" + ev.StageVariables["cws_stage"] + ")"), nil
		case p == "/event":
			return text(string(raw)), nil
		case p == "/echo":
			return events.APIGatewayProxyResponse{StatusCode: 200, Body: ev.Body, IsBase64Encoded: ev.IsBase64Encoded,
				Headers: map[string]string{"Content-Type": ev.Headers["Content-Type"]}}, nil
		case p == "/panic":
			panic("probe panics on purpose")
		case strings.HasPrefix(p, "/sleep/"):
			ms, _ := strconv.Atoi(strings.TrimPrefix(p, "/sleep/"))
			time.Sleep(time.Duration(ms) * time.Millisecond) // ignores its deadline, like a stuck handler
			return text("slept"), nil
		case strings.HasPrefix(p, "/big/"):
			n, _ := strconv.Atoi(strings.TrimPrefix(p, "/big/"))
			return text(strings.Repeat("x", n)), nil
		case p == "/bigerror":
			return nil, errors.New(strings.Repeat("e", 7<<20))
		case p == "/longline":
			os.Stdout.WriteString(strings.Repeat("o", 1<<20))
			os.Stderr.WriteString(strings.Repeat(strings.Repeat("e", 99)+"\n", (20<<20)/100))
			return text("printed"), nil
		case p == "/lambda":
			lc, _ := lambdacontext.FromContext(ctx)
			b, _ := json.Marshal(map[string]string{"requestId": lc.AwsRequestID, "trace": os.Getenv("_X_AMZN_TRACE_ID")})
			return text(string(b)), nil
		case p == "/loose":
			return map[string]any{"statusCode": 200, "body": "loose", "headers": map[string]any{"X-Count": 5, "X-Ratio": 0.50, "X-Null": nil}}, nil
		case strings.HasPrefix(p, "/text/"):
			n, _ := strconv.Atoi(strings.TrimPrefix(p, "/text/"))
			return text(strings.Repeat("compressible text ", n/18+1)[:n]), nil
		case p == "/malformed":
			return map[string]any{"statusCode": 200, "body": map[string]int{"x": 1}}, nil
		}
		return events.APIGatewayProxyResponse{StatusCode: 404, Body: "probe: no such path " + ev.Path}, nil
	})
}

func text(s string) events.APIGatewayProxyResponse {
	return events.APIGatewayProxyResponse{StatusCode: 200, Body: s, Headers: map[string]string{"Content-Type": "text/plain"}}
}
