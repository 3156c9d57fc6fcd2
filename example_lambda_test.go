package coworks_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/coworks-go/coworks"
)

// Start serves any http.Handler: in Lambda through API Gateway proxy events, elsewhere on $PORT.
func ExampleStart() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "Hello from stage %s", coworks.Stage(r.Context()))
	})
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	coworks.Start(mux, coworks.WithTransportLogger(logger))
}

// A LambdaHandler turns a raw API Gateway proxy event into the proxy response, as Lambda invokes it.
func ExampleLambdaHandler_Invoke() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /value/{index}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"index":%q,"stage":%q}`, r.PathValue("index"), coworks.Stage(r.Context()))
	})
	event := `{"httpMethod":"GET","path":"/value/7","requestContext":{"stage":"dev"}}`
	out, err := coworks.NewLambdaHandler(mux).Invoke(context.Background(), []byte(event))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(out))
	// Output:
	// {"statusCode":200,"multiValueHeaders":{"Content-Type":["application/json"]},"body":"{\"index\":\"7\",\"stage\":\"dev\"}","isBase64Encoded":false}
}

// To run the Lambda runtime yourself (with aws-lambda-go options), hand it a LambdaHandler.
func ExampleNewLambdaHandler() {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "Hello") })
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		lambda.StartWithOptions(coworks.NewLambdaHandler(h), lambda.WithEnableSIGTERM())
	}
}
