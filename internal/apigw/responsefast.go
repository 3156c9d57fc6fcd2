package apigw

import (
	"net/http"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// parseProxyResponseFast parses the proxy responses functions usually return without reflection: one
// JSON object with distinct keys among the five allowed, an integral statusCode, string or boolean header
// values, header names that differ from each other even ignoring case, strings that are valid UTF-8
// without surrogate escapes. ok is false for anything else, valid or not; parseProxyResponse (encoding/json)
// then decides, so results and error messages are exactly its own.
func parseProxyResponseFast(payload []byte) (pr proxyResponse, ok bool) {
	p := responseScanner{s: payload}
	p.ws()
	if !p.byte('{') {
		return pr, false
	}
	pr.status = http.StatusOK
	var seen [5]bool
	var names []string // every header name, to refuse case-insensitive duplicates
	first := true
	for {
		p.ws()
		if first && p.byte('}') {
			break
		}
		first = false
		key, ok := p.str()
		if !ok {
			return pr, false
		}
		p.ws()
		if !p.byte(':') {
			return pr, false
		}
		p.ws()
		field := -1
		switch key {
		case "statusCode":
			field = 0
		case "headers":
			field = 1
		case "multiValueHeaders":
			field = 2
		case "body":
			field = 3
		case "isBase64Encoded":
			field = 4
		}
		if field < 0 || seen[field] {
			return pr, false
		}
		seen[field] = true
		if p.literal("null") {
			// null stands for absent
		} else {
			switch field {
			case 0:
				if pr.status, ok = p.status(); !ok {
					return pr, false
				}
			case 1, 2:
				if pr.header == nil {
					pr.header = make(http.Header, 4)
				}
				if names, ok = p.headers(pr.header, field == 2, names); !ok {
					return pr, false
				}
			case 3:
				s, ok := p.str()
				if !ok {
					return pr, false
				}
				pr.body = s
			case 4:
				switch {
				case p.literal("true"):
					pr.isBase64 = true
				case p.literal("false"):
				default:
					return pr, false
				}
			}
		}
		p.ws()
		if p.byte(',') {
			continue
		}
		if p.byte('}') {
			break
		}
		return pr, false
	}
	p.ws()
	if p.i != len(p.s) {
		return pr, false
	}
	if pr.header == nil {
		pr.header = http.Header{}
	}
	return pr, true
}

// responseScanner is a cursor over a proxy response's JSON text.
type responseScanner struct {
	s []byte
	i int
}

func (p *responseScanner) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *responseScanner) byte(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *responseScanner) literal(lit string) bool {
	if len(p.s)-p.i >= len(lit) && string(p.s[p.i:p.i+len(lit)]) == lit {
		p.i += len(lit)
		return true
	}
	return false
}

// status reads an integral status code from 100 to 599 written without sign, fraction or exponent.
func (p *responseScanner) status() (int, bool) {
	code, n := 0, 0
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' && n < 4 {
		code = code*10 + int(p.s[p.i]-'0')
		p.i++
		n++
	}
	if n != 3 || code < 100 || code > 599 {
		return 0, false
	}
	if p.i < len(p.s) {
		switch p.s[p.i] {
		case '.', 'e', 'E', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			return 0, false
		}
	}
	return code, true
}

// headers reads an object of header values (multi: arrays of values, or null) into h; names collects
// every name so far and must stay distinct ignoring case.
func (p *responseScanner) headers(h http.Header, multi bool, names []string) ([]string, bool) {
	if !p.byte('{') {
		return names, false
	}
	first := true
	for {
		p.ws()
		if first && p.byte('}') {
			return names, true
		}
		first = false
		name, ok := p.str()
		if !ok {
			return names, false
		}
		for _, n := range names {
			if strings.EqualFold(n, name) {
				return names, false
			}
		}
		names = append(names, name)
		p.ws()
		if !p.byte(':') {
			return names, false
		}
		p.ws()
		switch {
		case !multi:
			v, ok := p.value()
			if !ok {
				return names, false
			}
			h[name] = []string{v}
		case p.literal("null"):
		default:
			if !p.byte('[') {
				return names, false
			}
			var values []string
			for firstValue := true; ; firstValue = false {
				p.ws()
				if firstValue && p.byte(']') {
					break
				}
				v, ok := p.value()
				if !ok {
					return names, false
				}
				values = append(values, v)
				p.ws()
				if p.byte(',') {
					continue
				}
				if p.byte(']') {
					break
				}
				return names, false
			}
			if len(values) > 0 {
				h[name] = values
			}
		}
		p.ws()
		if p.byte(',') {
			continue
		}
		if p.byte('}') {
			return names, true
		}
		return names, false
	}
}

// value reads a header value: a string, or true/false as text.
func (p *responseScanner) value() (string, bool) {
	switch {
	case p.literal("true"):
		return "true", true
	case p.literal("false"):
		return "false", true
	}
	return p.str()
}

// str reads a JSON string of valid UTF-8 whose \u escapes are not surrogates.
func (p *responseScanner) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			s := p.s[start:p.i]
			p.i++
			if !utf8.Valid(s) {
				return "", false
			}
			return string(s), true
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return "", false
		}
		p.i++
	}
	return "", false
}

// escaped finishes a string started at start whose first escape is at p.i.
func (p *responseScanner) escaped(start int) (string, bool) {
	b := make([]byte, 0, p.i-start+16)
	b = append(b, p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			if !utf8.Valid(b) {
				return "", false
			}
			return string(b), true
		case c < 0x20:
			return "", false
		case c != '\\':
			b = append(b, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			return "", false
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			if p.i+4 > len(p.s) {
				return "", false
			}
			r := rune(0)
			for _, h := range p.s[p.i : p.i+4] {
				switch {
				case h >= '0' && h <= '9':
					h -= '0'
				case h >= 'a' && h <= 'f':
					h -= 'a' - 10
				case h >= 'A' && h <= 'F':
					h -= 'A' - 10
				default:
					return "", false
				}
				r = r<<4 | rune(h)
			}
			if utf16.IsSurrogate(r) {
				return "", false
			}
			p.i += 4
			b = utf8.AppendRune(b, r)
		default:
			return "", false
		}
	}
	return "", false
}
