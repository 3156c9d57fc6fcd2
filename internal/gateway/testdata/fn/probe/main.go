// Command probe is a test function that speaks the REST proxy event directly (no framework), so that it can
// misbehave in every way API Gateway cares about. Its behaviour is chosen by the event's path:
//
//	/hello           200, body "{GREETING} from {stage} ({cws_stage variable})"
//	/event           200, body the event it received
//	/echo            200, the request body as is (base64 when it arrived base64), its Content-Type
//	/panic           panics (the runtime reports the error, the process exits)
//	/sleep/{ms}      sleeps, then 200 "slept"
//	/malformed       a proxy response whose body is an object (502 on AWS)
package main

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(_ context.Context, raw json.RawMessage) (any, error) {
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
		case p == "/malformed":
			return map[string]any{"statusCode": 200, "body": map[string]int{"x": 1}}, nil
		}
		return events.APIGatewayProxyResponse{StatusCode: 404, Body: "probe: no such path " + ev.Path}, nil
	})
}

func text(s string) events.APIGatewayProxyResponse {
	return events.APIGatewayProxyResponse{StatusCode: 200, Body: s, Headers: map[string]string{"Content-Type": "text/plain"}}
}
