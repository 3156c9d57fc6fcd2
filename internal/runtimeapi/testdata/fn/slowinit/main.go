// Command slowinit is a test function with a slow or failing init: it sleeps SLOW_INIT_MS milliseconds
// before lambda.Start, or exits with status 4 when INIT_EXIT is set, then answers "ready".
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	if os.Getenv("INIT_EXIT") != "" {
		fmt.Fprintln(os.Stderr, "init failed: missing DATABASE_URL")
		os.Exit(4)
	}
	ms, _ := strconv.Atoi(os.Getenv("SLOW_INIT_MS"))
	time.Sleep(time.Duration(ms) * time.Millisecond)
	lambda.Start(func(ctx context.Context) (string, error) { return "ready", nil })
}
