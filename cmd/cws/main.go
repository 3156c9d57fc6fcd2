// Command cws builds, runs and deploys CoWorks services, stage by stage.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/coworks-go/coworks/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.SystemStreams())
	stop()
	os.Exit(code)
}
