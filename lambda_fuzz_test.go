package coworks

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// FuzzProxyEvent feeds arbitrary payloads to the adapter. It must never panic, must answer every event
// encoding/json accepts with the same decoded event, and must always produce an allowed proxy response.
func FuzzProxyEvent(f *testing.F) {
	for _, name := range []string{"apigw-request.json", "apigw-restapi-openapi-request.json",
		"apigw-custom-auth-request.json", "apigw-custom-auth-request-type-request.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "events", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"httpMethod":"GET","path":"/a%2Fb","multiValueHeaders":{"Set-Cookie":["a","b"],"set-cookie":null},"headers":{"X":"\ud83d\ude00\ud800"}}`))
	f.Add([]byte(`{"httpMethod":"POST","path":"/","body":"AAE=","isBase64Encoded":true,"requestContext":{"authorizer":{"n":1.5e3,"l":[true,null,{}]},"requestTimeEpoch":12}}`))
	f.Add([]byte(`null`))

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		for k, vs := range r.Header {
			for _, v := range vs {
				w.Header().Add("X-Echo-"+k, v)
			}
		}
		w.Write(body)
		io.WriteString(w, r.URL.String())
	})
	l := NewLambdaHandler(handler, WithTransportLogger(discardLogger()))
	f.Fuzz(func(t *testing.T, payload []byte) {
		var want events.APIGatewayProxyRequest
		jsonErr := json.Unmarshal(payload, &want)
		ev, err := decodeEvent(payload)
		if jsonErr == nil {
			if err != nil {
				t.Fatalf("encoding/json accepts the event, decodeEvent says %v", err)
			}
			if !reflect.DeepEqual(ev.proxy, want) {
				t.Fatalf("decodeEvent differs from encoding/json:\n got %#v\nwant %#v", ev.proxy, want)
			}
		}
		out, err := l.Invoke(context.Background(), payload)
		if err != nil {
			return
		}
		var resp map[string]json.RawMessage
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("response is not JSON: %v\n%s", err, out)
		}
		if ev != nil && ev.kind == "" {
			for k := range resp {
				switch k {
				case "statusCode", "multiValueHeaders", "body", "isBase64Encoded":
				default:
					t.Fatalf("response key %q is not allowed by API Gateway", k)
				}
			}
		}
	})
}
