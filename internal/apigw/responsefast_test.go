package apigw

import (
	"reflect"
	"testing"
)

// FuzzProxyResponseFast checks that the fast parser accepts only payloads encoding/json accepts, with the
// same result.
func FuzzProxyResponseFast(f *testing.F) {
	for _, s := range []string{
		`{"statusCode":200,"headers":{"Content-Type":"application/json"},"multiValueHeaders":{"Set-Cookie":["a=1","b=2"]},"body":"{\"name\":\"widget\",\"count\":3}"}`,
		`{"statusCode":201,"multiValueHeaders":{"Content-Type":["text/plain; charset=utf-8"],"X-A":[true,"x"],"X-B":[],"X-C":null},"body":"Hello, world!","isBase64Encoded":false}`,
		` {"body":"\u00e9\ud83d\ude00\n\t\\\/","isBase64Encoded":true,"headers":null,"statusCode":null} `,
		`{"headers":{"a":"1","A":"2"}}`, `{"headers":{"a":"1"},"multiValueHeaders":{"a":["2"]}}`, `{}`, `{"body":1}`,
		`{"statusCode":200.0}`, `{"statusCode":"200"}`, `{"statusCode":2000}`, `{"body":"a","body":"b"}`, "{\"body\":\"\xff\"}",
		`{"statusCode":200}x`, `[]`, `{"other":1}`, `{"statusCode":099}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		fast, ok := parseProxyResponseFast(payload)
		if !ok {
			return
		}
		ref, err := parseProxyResponseJSON(payload)
		if err != nil {
			t.Fatalf("fast parser accepted %q, encoding/json refuses it: %v", payload, err)
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Fatalf("%q: fast %#v, encoding/json %#v", payload, fast, ref)
		}
	})
}

// TestProxyResponseFastTakesCoWorksResponses: the responses CoWorks functions send take the fast path.
func TestProxyResponseFastTakesCoWorksResponses(t *testing.T) {
	for _, s := range []string{
		`{"statusCode":200,"multiValueHeaders":{"Content-Type":["text/plain; charset=utf-8"]},"body":"Hello, world!"}`,
		`{"statusCode":200,"multiValueHeaders":{"Content-Type":["application/json"],"Set-Cookie":["a=1","b=2"]},"body":"{\"greeting\":\"Hi \u003cdev\u003e\"}","isBase64Encoded":false}`,
	} {
		if _, ok := parseProxyResponseFast([]byte(s)); !ok {
			t.Errorf("the fast parser declined %s", s)
		}
	}
}
