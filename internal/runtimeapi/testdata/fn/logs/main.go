// Command logs is a test function: it prints one line at init and, per invocation, one line to stdout and
// one to stderr naming the request id.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func main() {
	fmt.Println("init line")
	lambda.Start(func(ctx context.Context) (string, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		fmt.Printf("stdout line for %s\n", lc.AwsRequestID)
		fmt.Fprintf(os.Stderr, "stderr line for %s\n", lc.AwsRequestID)
		return "logged", nil
	})
}
