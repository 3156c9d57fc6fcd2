// Command postwork is a test function that plays a runtime doing work after it has answered (a slow
// defer, flushing telemetry): it speaks the Runtime API with plain HTTP, posts each response, then sleeps
// for the event's "after_ms" milliseconds (or N for a proxy event whose path is /after/N) before it asks for
// the next event.
package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		resp, err := http.Get(base + "next")
		if err != nil {
			os.Exit(1)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		var e struct {
			AfterMS int    `json:"after_ms"`
			Path    string `json:"path"`
		}
		json.Unmarshal(body, &e)
		if ms, ok := strings.CutPrefix(e.Path, "/after/"); ok {
			e.AfterMS, _ = strconv.Atoi(ms)
		}
		answer, _ := json.Marshal(map[string]any{"statusCode": 200, "body": "answered " + id})
		resp, err = http.Post(base+id+"/response", "application/json", bytes.NewReader(answer))
		if err != nil {
			os.Exit(1)
		}
		resp.Body.Close()
		time.Sleep(time.Duration(e.AfterMS) * time.Millisecond)
	}
}
