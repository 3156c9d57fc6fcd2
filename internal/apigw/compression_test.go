package apigw

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestCompress(t *testing.T) {
	body := []byte(strings.Repeat("compress me ", 100)) // 1200 bytes
	api := &Stage{CompressionEnabled: true, MinimumCompressionSize: 1000}
	resp := func(h http.Header) Response { return Response{Status: 200, Header: h, Body: body} }
	for _, c := range []struct {
		name     string
		accept   string
		stage    *Stage
		header   http.Header
		encoding string // "" means sent uncompressed
	}{
		{"gzip accepted", "gzip", api, http.Header{}, "gzip"},
		{"browser list: the first of equals", "gzip, deflate, br, zstd", api, http.Header{}, "gzip"},
		{"curl --compressed lists deflate first", "deflate, gzip, br, zstd", api, http.Header{}, "deflate"},
		{"highest q wins", "deflate;q=0.5,gzip;q=1.0", api, http.Header{}, "gzip"},
		{"any coding", "*", api, http.Header{}, "gzip"},
		{"gzip over identity", "gzip;q=1.0,identity;q=0.5,*;q=0", api, http.Header{}, "gzip"},
		{"only identity", "identity", api, http.Header{}, ""},
		{"highest priority unsupported", "br;q=1.0, gzip;q=0.8", api, http.Header{}, ""},
		{"gzip refused", "gzip;q=0", api, http.Header{}, ""},
		{"empty header", "", api, http.Header{}, ""},
		{"below the minimum size", "gzip", &Stage{CompressionEnabled: true, MinimumCompressionSize: 1201}, http.Header{}, ""},
		{"at the minimum size", "gzip", &Stage{CompressionEnabled: true, MinimumCompressionSize: 1200}, http.Header{}, "gzip"},
		{"compression not enabled", "gzip", &Stage{}, http.Header{}, ""},
		{"function encoded it already", "gzip", api, http.Header{"content-encoding": {"br"}}, "br"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Compress(resp(c.header), c.accept, true, c.stage)
			enc := got.Header.Get("Content-Encoding")
			if k, ok := findHeader(got.Header, "Content-Encoding"); ok {
				enc = got.Header[k][0]
			}
			if enc != c.encoding {
				t.Fatalf("Content-Encoding %q, want %q", enc, c.encoding)
			}
			var r io.Reader
			switch enc {
			case "gzip":
				r, _ = gzip.NewReader(bytes.NewReader(got.Body))
			case "deflate":
				r, _ = zlib.NewReader(bytes.NewReader(got.Body))
			default:
				r = bytes.NewReader(got.Body)
			}
			if plain, err := io.ReadAll(r); err != nil || !bytes.Equal(plain, body) {
				t.Errorf("body does not decode back to the original (%v)", err)
			}
		})
	}
	if got := Compress(resp(http.Header{}), "", false, api); got.Header.Get("Content-Encoding") != "" {
		t.Errorf("a client that sent no Accept-Encoding got %q", got.Header.Get("Content-Encoding"))
	}
}

func TestHeadersTooLarge(t *testing.T) {
	h := http.Header{"X-Big": {strings.Repeat("a", MaxHeaderBytes-len("X-Big: \r\n")-len("Host: h\r\n"))}}
	if n := HeaderBytes("h", h); n != MaxHeaderBytes {
		t.Fatalf("HeaderBytes = %d, want exactly %d", n, MaxHeaderBytes)
	}
	resp := GatewayError(ErrHeadersTooLarge, testIDs)
	if resp.Status != 431 || string(resp.Body) != "HTTP header is larger than 10240 bytes." || resp.Header["x-amzn-RequestId"] != nil {
		t.Errorf("ErrHeadersTooLarge: %d %q %v", resp.Status, resp.Body, resp.Header)
	}
}
