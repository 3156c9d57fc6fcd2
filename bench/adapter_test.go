package bench

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/coworks-go/coworks"
)

// The recorded REST proxy event of aws-lambda-go (POST /hello/world, 3.7 KB), as stored in the root testdata.
const eventFile = "../testdata/events/apigw-request.json"

// hello is the route of the benchmarks: the event's path, answering "Hello".
func hello() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hello/world", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Hello")
	})
	return mux
}

func loadEvent(tb testing.TB) ([]byte, events.APIGatewayProxyRequest) {
	tb.Helper()
	payload, err := os.ReadFile(eventFile)
	if err != nil {
		tb.Fatal(err)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		tb.Fatal(err)
	}
	return payload, ev
}

// peerInvoke is the usual whole path: what lambda.Start does around httpadapter (decode, adapt, encode).
func peerInvoke(ctx context.Context, adapter *httpadapter.HandlerAdapter, payload []byte) ([]byte, error) {
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	resp, err := adapter.ProxyWithContext(ctx, ev)
	if err != nil {
		return nil, err
	}
	return json.Marshal(resp)
}

// BenchmarkAdapter compares the adapters alone, on an already decoded event.
func BenchmarkAdapter(b *testing.B) {
	_, ev := loadEvent(b)
	ctx := context.Background()
	b.Run("coworks", func(b *testing.B) {
		l := coworks.NewLambdaHandler(hello())
		b.ReportAllocs()
		for b.Loop() {
			resp, err := l.ServeEvent(ctx, &ev)
			if err != nil || resp.StatusCode != 200 {
				b.Fatal(resp.StatusCode, err)
			}
		}
	})
	b.Run("httpadapter", func(b *testing.B) {
		adapter := httpadapter.New(hello())
		b.ReportAllocs()
		for b.Loop() {
			resp, err := adapter.ProxyWithContext(ctx, ev)
			if err != nil || resp.StatusCode != 200 {
				b.Fatal(resp.StatusCode, err)
			}
		}
	})
}

// BenchmarkInvocation compares the whole path from the invocation payload bytes to the response bytes.
func BenchmarkInvocation(b *testing.B) {
	payload, _ := loadEvent(b)
	ctx := context.Background()
	b.Run("coworks", func(b *testing.B) {
		l := coworks.NewLambdaHandler(hello())
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, err := l.Invoke(ctx, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("peer", func(b *testing.B) {
		adapter := httpadapter.New(hello())
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, err := peerInvoke(ctx, adapter, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestEquivalentResponses checks the benchmarks compare like with like: both paths answer the event with
// the same status, body and Content-Type.
func TestEquivalentResponses(t *testing.T) {
	payload, ev := loadEvent(t)
	ctx := context.Background()
	l := coworks.NewLambdaHandler(hello())
	adapter := httpadapter.New(hello())

	ours, err := l.ServeEvent(ctx, &ev)
	if err != nil {
		t.Fatal(err)
	}
	peer, err := adapter.ProxyWithContext(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	compare := func(what string, ours, peer events.APIGatewayProxyResponse) {
		t.Helper()
		if ours.StatusCode != 200 || ours.Body != "Hello" {
			t.Errorf("%s: coworks answered %d %q, want 200 \"Hello\"", what, ours.StatusCode, ours.Body)
		}
		if ours.StatusCode != peer.StatusCode || ours.Body != peer.Body || ours.IsBase64Encoded != peer.IsBase64Encoded {
			t.Errorf("%s: coworks %d %q, httpadapter %d %q", what, ours.StatusCode, ours.Body, peer.StatusCode, peer.Body)
		}
		if got, want := ours.MultiValueHeaders["Content-Type"], peer.MultiValueHeaders["Content-Type"]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Content-Type coworks %q, httpadapter %q", what, got, want)
		}
	}
	compare("decoded event", ours, peer)

	oursBytes, err := l.Invoke(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	peerBytes, err := peerInvoke(ctx, adapter, payload)
	if err != nil {
		t.Fatal(err)
	}
	var oursResp, peerResp events.APIGatewayProxyResponse
	if err := json.Unmarshal(oursBytes, &oursResp); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(peerBytes, &peerResp); err != nil {
		t.Fatal(err)
	}
	compare("payload bytes", oursResp, peerResp)
}
