// Command fn is a plain aws-lambda-go function: it calls lambda.Start directly and knows nothing of route tables.
package main

import (
	"context"

	"example.com/fn/greet"
	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Name string `json:"name"`
}

func handle(ctx context.Context, e event) (string, error) {
	return greet.Hello(e.Name), nil
}

func main() {
	lambda.Start(handle)
}
