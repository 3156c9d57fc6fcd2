// Command plain is a test function without the framework: lambda.Start with a handler that calls
// secrets.Load itself (the import already loaded them; Load returns at once).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/coworks-go/coworks/secrets"
)

func main() {
	lambda.Start(func(ctx context.Context) (string, error) {
		if err := secrets.Load(ctx); err != nil {
			return "", err
		}
		return "API_KEY=" + os.Getenv("API_KEY"), nil
	})
}
