// Command sleep is a test function: it sleeps for the event's "ms" milliseconds, then answers "slept". With
// SLOW_INIT_MS set, its init first sleeps that long (a function whose cold starts are slow).
package main

import (
	"context"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	MS int `json:"ms"`
}

func main() {
	ms, _ := strconv.Atoi(os.Getenv("SLOW_INIT_MS"))
	time.Sleep(time.Duration(ms) * time.Millisecond)
	lambda.Start(func(ctx context.Context, e event) (string, error) {
		time.Sleep(time.Duration(e.MS) * time.Millisecond)
		return "slept", nil
	})
}
