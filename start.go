package coworks

import "net/http"

// StartOption configures Start.
type StartOption func(*startConfig)

type startConfig struct{}

// Start runs h: inside Lambda when AWS_LAMBDA_RUNTIME_API is set, else as an HTTP server on $PORT.
// (Skeleton: the transports are implemented in lambda.go and serve.go.)
func Start(h http.Handler, opts ...StartOption) {
	panic("coworks: Start is not implemented yet")
}
