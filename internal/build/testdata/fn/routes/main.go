// Command routes prints its route table when CWS_ROUTES=1, as coworks.Start does, and is a plain
// aws-lambda-go function otherwise. It is written by hand so the build tests do not depend on the framework.
package main

import (
	"context"
	"fmt"
	"os"

	"example.com/fn/greet"
	"github.com/aws/aws-lambda-go/lambda"
)

const routeTable = `[{"method":"GET","path":"/","handler":"Get","signature":"func() string"},` +
	`{"method":"PUT","path":"/value/{_0}","handler":"PutValue","signature":"func(index int) error"}]`

func main() {
	if os.Getenv("CWS_ROUTES") == "1" {
		fmt.Println(routeTable)
		os.Exit(0)
	}
	lambda.Start(func(ctx context.Context) (string, error) { return greet.Hello("routes"), nil })
}
