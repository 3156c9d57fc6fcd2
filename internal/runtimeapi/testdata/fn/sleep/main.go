// Command sleep is a test function: it sleeps for the event's "ms" milliseconds, then answers "slept".
package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	MS int `json:"ms"`
}

func main() {
	lambda.Start(func(ctx context.Context, e event) (string, error) {
		time.Sleep(time.Duration(e.MS) * time.Millisecond)
		return "slept", nil
	})
}
