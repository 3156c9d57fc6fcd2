package coworks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-lambda-go/lambda"

	// In Lambda, the stage's secrets are loaded while the program initialises: before main, so before the
	// service's constructor runs (see the package's documentation).
	_ "github.com/coworks-go/coworks/secrets"
)

// StartOption configures Start (and NewLambdaHandler).
type StartOption func(*startConfig)

type startConfig struct {
	logger *slog.Logger
}

// WithTransportLogger sets the logger for transport events: the server's address and shutdown, handler panics,
// oversized Lambda responses. The default writes JSON lines to standard error (CloudWatch Logs in Lambda).
func WithTransportLogger(logger *slog.Logger) StartOption {
	return func(c *startConfig) {
		if logger != nil {
			c.logger = logger
		}
	}
}

func newStartConfig(opts []StartOption) startConfig {
	var cfg startConfig
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return cfg
}

// Start runs h and does not return. It picks the transport from the environment:
//
//   - CWS_ROUTES=1: prints h's route table as JSON to standard output and exits 0 (how cws learns the
//     routes of a built function). h's Routes() when it implements RouteTable, else CatchAllRoutes().
//   - AWS_LAMBDA_RUNTIME_API set (inside Lambda): serves API Gateway REST proxy events and TOKEN authorizer
//     events through aws-lambda-go, with the adapter NewLambdaHandler documents.
//   - anywhere else: an HTTP server on :$PORT (default 8000) until SIGINT or SIGTERM, then a graceful
//     shutdown; request bodies over 10 MB get 413 as from API Gateway; Stage(ctx) is $CWS_STAGE.
//
// Start exits the process with status 1 when the server cannot run (the port is taken, for example).
func Start(h http.Handler, opts ...StartOption) {
	cfg := newStartConfig(opts)
	if os.Getenv("CWS_ROUTES") == "1" {
		if err := writeRoutes(os.Stdout, h); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		lambda.Start(NewLambdaHandler(h, opts...)) // never returns
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runServer(ctx, h, os.Getenv, cfg.logger); err != nil {
		cfg.logger.Error("server failed", "error", err.Error())
		stop()
		os.Exit(1)
	}
}

// writeRoutes writes the route table of h as an indented JSON array followed by a newline.
func writeRoutes(w io.Writer, h http.Handler) error {
	routes := CatchAllRoutes()
	if table, ok := h.(RouteTable); ok {
		routes = table.Routes()
	}
	if routes == nil {
		routes = []Route{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(routes); err != nil {
		return fmt.Errorf("coworks: writing the route table: %w", err)
	}
	return nil
}
