package coworks

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// lambdaEvent is what an invocation payload decodes to: a REST proxy event, or a TOKEN authorizer event
// (type, authorizationToken and methodArn), told apart by the type key.
type lambdaEvent struct {
	proxy     events.APIGatewayProxyRequest
	kind      string // "type": "TOKEN" or "REQUEST" for authorizer events, "" for proxy events
	token     string
	methodArn string
}

// decodeEvent decodes an invocation payload without reflection. It accepts what encoding/json accepts for
// events.APIGatewayProxyRequest and gives the same values (null leaves a string alone and clears a map,
// keys match case-insensitively when no key matches exactly, invalid UTF-8 becomes U+FFFD), which the
// fuzz target checks. Strings without escapes share one copy of the payload, so a typical event costs one
// allocation per map and slice, not one per string.
func decodeEvent(payload []byte) (*lambdaEvent, error) {
	d := eventDecoder{s: string(payload)}
	ev := &lambdaEvent{}
	d.ws()
	if d.literal("null") {
		// encoding/json accepts a top-level null and leaves the value alone.
	} else if err := d.object(func(key string) error { return d.topField(ev, key) }); err != nil {
		return nil, err
	}
	d.ws()
	if d.i != len(d.s) {
		return nil, d.syntax("data after the event object")
	}
	return ev, nil
}

// eventDecoder is a cursor over the payload text.
type eventDecoder struct {
	s    string
	i    int
	vals []string // backing store shared by the value lists of multi-value maps
}

var errEventTooDeep = errors.New("coworks: event nests JSON deeper than 10000 levels")

func (d *eventDecoder) syntax(what string) error {
	return fmt.Errorf("coworks: invalid event JSON at byte %d: %s", d.i, what)
}

func (d *eventDecoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// literal consumes word (null, true, false) if it comes next.
func (d *eventDecoder) literal(word string) bool {
	if strings.HasPrefix(d.s[d.i:], word) {
		d.i += len(word)
		return true
	}
	return false
}

// object walks a JSON object, calling field for each key with the cursor on its value; field must consume it.
func (d *eventDecoder) object(field func(key string) error) error {
	d.ws()
	if d.i >= len(d.s) || d.s[d.i] != '{' {
		return d.syntax("expected an object")
	}
	d.i++
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return nil
	}
	for {
		d.ws()
		key, err := d.str()
		if err != nil {
			return err
		}
		d.ws()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return d.syntax("expected ':' after an object key")
		}
		d.i++
		d.ws()
		if err := field(key); err != nil {
			return err
		}
		d.ws()
		if d.i >= len(d.s) {
			return d.syntax("unterminated object")
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return nil
		default:
			return d.syntax("expected ',' or '}' in an object")
		}
	}
}

// array walks a JSON array, calling elem with the cursor on each element; elem must consume it.
func (d *eventDecoder) array(elem func() error) error {
	if d.i >= len(d.s) || d.s[d.i] != '[' {
		return d.syntax("expected an array")
	}
	d.i++
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return nil
	}
	for {
		d.ws()
		if err := elem(); err != nil {
			return err
		}
		d.ws()
		if d.i >= len(d.s) {
			return d.syntax("unterminated array")
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return nil
		default:
			return d.syntax("expected ',' or ']' in an array")
		}
	}
}

// str reads a JSON string. Without escapes or invalid UTF-8 it is a substring of the payload copy.
func (d *eventDecoder) str() (string, error) {
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return "", d.syntax("expected a string")
	}
	start := d.i + 1
	ascii := true
	for j := start; j < len(d.s); j++ {
		c := d.s[j]
		switch {
		case c == '"':
			d.i = j + 1
			v := d.s[start:j]
			if !ascii && !utf8.ValidString(v) {
				return d.unescape(start) // replaces each invalid byte, as encoding/json does
			}
			return v, nil
		case c == '\\':
			return d.unescape(start)
		case c < 0x20:
			d.i = j
			return "", d.syntax("control character in a string")
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", d.syntax("unterminated string")
}

// unescape is the slow path of str for strings with escapes, decoding like encoding/json.
func (d *eventDecoder) unescape(start int) (string, error) {
	b := make([]byte, 0, 32)
	j := start
	for j < len(d.s) {
		c := d.s[j]
		switch {
		case c == '"':
			d.i = j + 1
			return string(b), nil
		case c < 0x20:
			d.i = j
			return "", d.syntax("control character in a string")
		case c == '\\':
			if j+1 >= len(d.s) {
				return "", d.syntax("unterminated escape")
			}
			j++
			switch d.s[j] {
			case '"', '\\', '/':
				b = append(b, d.s[j])
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
				r, ok := hex4(d.s, j+1)
				if !ok {
					d.i = j
					return "", d.syntax(`invalid \u escape`)
				}
				j += 4
				if utf16.IsSurrogate(r) {
					if r2, ok := hex4(d.s, j+3); ok && j+2 < len(d.s) && d.s[j+1] == '\\' && d.s[j+2] == 'u' {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							b = utf8.AppendRune(b, dec)
							j += 6
							break
						}
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
			default:
				d.i = j
				return "", d.syntax("invalid escape")
			}
			j++
		case c < utf8.RuneSelf:
			b = append(b, c)
			j++
		default:
			r, size := utf8.DecodeRuneInString(d.s[j:])
			b = utf8.AppendRune(b, r) // an invalid byte decodes to RuneError, as in encoding/json
			j += size
		}
	}
	return "", d.syntax("unterminated string")
}

func hex4(s string, at int) (rune, bool) {
	if at+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[at : at+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number returns the text of a JSON number, checking its grammar.
func (d *eventDecoder) number() (string, error) {
	start := d.i
	j := d.i
	if j < len(d.s) && d.s[j] == '-' {
		j++
	}
	digits := func() int {
		n := 0
		for j < len(d.s) && d.s[j] >= '0' && d.s[j] <= '9' {
			j++
			n++
		}
		return n
	}
	switch {
	case j < len(d.s) && d.s[j] == '0':
		j++
	case digits() == 0:
		return "", d.syntax("invalid number")
	}
	if j < len(d.s) && d.s[j] == '.' {
		j++
		if digits() == 0 {
			return "", d.syntax("invalid number")
		}
	}
	if j < len(d.s) && (d.s[j] == 'e' || d.s[j] == 'E') {
		j++
		if j < len(d.s) && (d.s[j] == '+' || d.s[j] == '-') {
			j++
		}
		if digits() == 0 {
			return "", d.syntax("invalid number")
		}
	}
	d.i = j
	return d.s[start:j], nil
}

// value reads any JSON value the way encoding/json fills an interface{} (numbers are float64).
// It also serves to skip unknown keys, checking their syntax.
func (d *eventDecoder) value(depth int) (any, error) {
	if depth > 10000 {
		return nil, errEventTooDeep
	}
	if d.i >= len(d.s) {
		return nil, d.syntax("unexpected end of JSON")
	}
	switch c := d.s[d.i]; {
	case c == '"':
		return d.str()
	case c == '{':
		m := map[string]any{}
		err := d.object(func(key string) error {
			v, err := d.value(depth + 1)
			m[key] = v
			return err
		})
		return m, err
	case c == '[':
		a := []any{}
		err := d.array(func() error {
			v, err := d.value(depth + 1)
			a = append(a, v)
			return err
		})
		return a, err
	case c == '-' || (c >= '0' && c <= '9'):
		text, err := d.number()
		if err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, fmt.Errorf("coworks: event number %s: %w", text, err)
		}
		return f, nil
	case d.literal("null"):
		return nil, nil
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	}
	return nil, d.syntax("unexpected character")
}

// null consumes a JSON null if it comes next.
func (d *eventDecoder) null() bool { return d.literal("null") }

// setString decodes a string field; null leaves it alone, as encoding/json does.
func (d *eventDecoder) setString(dst *string) error {
	if d.null() {
		return nil
	}
	v, err := d.str()
	*dst = v
	return err
}

func (d *eventDecoder) setBool(dst *bool) error {
	switch {
	case d.null():
	case d.literal("true"):
		*dst = true
	case d.literal("false"):
		*dst = false
	default:
		return d.syntax("expected a boolean")
	}
	return nil
}

func (d *eventDecoder) setInt64(dst *int64) error {
	if d.null() {
		return nil
	}
	text, err := d.number()
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return fmt.Errorf("coworks: event field wants an integer, got %s", text)
	}
	*dst = n
	return nil
}

// setStringMap decodes a {string: string} map into *dst, adding to a map already there; null clears it.
func (d *eventDecoder) setStringMap(dst *map[string]string) error {
	if d.null() {
		*dst = nil
		return nil
	}
	if *dst == nil {
		*dst = make(map[string]string, mapHint(d.s[d.i:]))
	}
	m := *dst
	return d.object(func(key string) error {
		var v string
		err := d.setString(&v)
		m[key] = v
		return err
	})
}

// mapHint guesses the size of the object starting s by counting its first 32 commas that come before a
// closing brace, enough to size a header map in one allocation.
func mapHint(s string) int {
	n := 1
	for i := 0; i < len(s) && i < 4096; i++ {
		switch s[i] {
		case ',':
			n++
			if n == 32 {
				return n
			}
		case '}':
			return n
		}
	}
	return n
}

// setMultiMap decodes a {string: [string]} map into *dst, adding to a map already there; null clears it.
func (d *eventDecoder) setMultiMap(dst *map[string][]string) error {
	if d.null() {
		*dst = nil
		return nil
	}
	if *dst == nil {
		*dst = make(map[string][]string, mapHint(d.s[d.i:]))
	}
	m := *dst
	return d.object(func(key string) error {
		if d.null() {
			m[key] = nil
			return nil
		}
		if d.i >= len(d.s) || d.s[d.i] != '[' {
			return d.syntax("expected an array")
		}
		if d.vals == nil {
			d.vals = make([]string, 0, 32)
		}
		start := len(d.vals)
		err := d.array(func() error {
			var v string
			err := d.setString(&v)
			d.vals = append(d.vals, v)
			return err
		})
		vs := d.vals[start:len(d.vals):len(d.vals)] // capped: appending to one list never touches the next
		if len(vs) == 0 {
			vs = []string{}
		}
		m[key] = vs
		return err
	})
}

func (d *eventDecoder) setAnyMap(dst *map[string]any) error {
	if d.null() {
		*dst = nil
		return nil
	}
	if *dst == nil {
		*dst = map[string]any{}
	}
	m := *dst
	return d.object(func(key string) error {
		v, err := d.value(1)
		m[key] = v
		return err
	})
}
