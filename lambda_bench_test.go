package coworks

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// BenchmarkDecodeEvent compares the hand-written decoder with encoding/json on the recorded 3.7 KB event.
func BenchmarkDecodeEvent(b *testing.B) {
	payload := readEvent(b, "apigw-request.json")
	b.Run("decodeEvent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeEvent(payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var ev events.APIGatewayProxyRequest
			if err := json.Unmarshal(payload, &ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkInvoke measures the whole raw-payload path of the adapter with a "Hello" handler.
func BenchmarkInvoke(b *testing.B) {
	payload := readEvent(b, "apigw-request.json")
	l := NewLambdaHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Hello")
	}))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Invoke(context.Background(), payload); err != nil {
			b.Fatal(err)
		}
	}
}
