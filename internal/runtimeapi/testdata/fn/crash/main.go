// Command crash is a test function: event {"mode":"panic"} panics, {"mode":"exit"} exits with status 3,
// anything else answers "alive".
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Mode string `json:"mode"`
}

func main() {
	lambda.Start(func(ctx context.Context, e event) (string, error) {
		switch e.Mode {
		case "panic":
			panic("crash test panic")
		case "exit":
			os.Exit(3)
		}
		return "alive", nil
	})
}
