package apigw

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"strconv"
	"strings"
)

// Compress applies an API's payload compression to a proxy response (API Gateway's "Content Encoding"
// setting): when the API sets a minimumCompressionSize, the body has at least that many bytes, the function
// set no Content-Encoding of its own, and the client's highest-priority Accept-Encoding coding is one API
// Gateway supports, the body is compressed with it and Content-Encoding says so. API Gateway supports gzip
// and deflate (and identity, which means none); when the highest priority goes to another coding (br,
// zstd) nothing is compressed, as documented. Equal priorities go to the coding listed first; "*" stands
// for gzip. The body is replaced, never modified in place.
func Compress(resp Response, acceptEncoding string, hasAcceptEncoding bool, stage *Stage) Response {
	if stage == nil || !stage.CompressionEnabled || !hasAcceptEncoding || len(resp.Body) < stage.MinimumCompressionSize {
		return resp
	}
	if _, set := findHeader(resp.Header, "Content-Encoding"); set {
		return resp
	}
	coding := preferredCoding(acceptEncoding)
	var buf bytes.Buffer
	switch coding {
	case "gzip":
		zw := gzip.NewWriter(&buf)
		zw.Write(resp.Body)
		zw.Close()
	case "deflate":
		zw := zlib.NewWriter(&buf) // HTTP's deflate is the zlib format (RFC 9110 §8.4.1.2)
		zw.Write(resp.Body)
		zw.Close()
	default:
		return resp
	}
	resp.Body = buf.Bytes()
	resp.Header["Content-Encoding"] = []string{coding}
	return resp
}

// preferredCoding returns the coding of an Accept-Encoding value with the highest q, the first listed
// among equals, with "*" read as gzip; "" when every coding has q=0 or the value lists none.
func preferredCoding(accept string) string {
	best, bestQ := "", 0.0
	for item := range strings.SplitSeq(accept, ",") {
		coding, params, _ := strings.Cut(item, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		if coding == "" || q <= bestQ {
			continue
		}
		if coding == "*" {
			coding = "gzip"
		}
		best, bestQ = coding, q
	}
	return best
}
