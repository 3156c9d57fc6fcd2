package apigw

import (
	"slices"
	"strings"
)

// queryParam is one decoded key=value pair of a query string.
type queryParam struct {
	key, value string
}

// parseQuery splits a raw query string on '&' and decodes keys and values the way API Gateway does for
// queryStringParameters (spec §1.2): '+' is a space, %XX a byte, a malformed escape stays literal, a key
// without '=' has the value "". Empty pieces ("a=1&&b=2") are skipped. Pairs come back stably sorted by key,
// so repeated keys are adjacent with their values in the order sent.
func parseQuery(raw string, out []queryParam) []queryParam {
	for raw != "" {
		piece := raw
		if i := strings.IndexByte(raw, '&'); i >= 0 {
			piece, raw = raw[:i], raw[i+1:]
		} else {
			raw = ""
		}
		if piece == "" {
			continue
		}
		key, value, _ := strings.Cut(piece, "=")
		out = append(out, queryParam{key: queryUnescape(key), value: queryUnescape(value)})
	}
	slices.SortStableFunc(out, func(a, b queryParam) int { return strings.Compare(a.key, b.key) })
	return out
}

// queryUnescape decodes one query component; it allocates only when there is something to decode.
func queryUnescape(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// appendQuery writes the query parameters as queryStringParameters (last value wins) or, with multi, as
// multiValueQueryStringParameters; null when there are none.
func appendQuery(dst []byte, params []queryParam, multi bool) []byte {
	if len(params) == 0 {
		return append(dst, "null"...)
	}
	dst = append(dst, '{')
	for i := 0; i < len(params); {
		j := i + 1
		for j < len(params) && params[j].key == params[i].key {
			j++
		}
		dst = appendKey(dst, i == 0, params[i].key)
		if multi {
			dst = append(dst, '[')
			for k := i; k < j; k++ {
				if k > i {
					dst = append(dst, ',')
				}
				dst = appendJSONString(dst, params[k].value)
			}
			dst = append(dst, ']')
		} else {
			dst = appendJSONString(dst, params[j-1].value)
		}
		i = j
	}
	return append(dst, '}')
}
