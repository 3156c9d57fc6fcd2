package config

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// SyntaxError is a config file that is not strict JSON. Its message names file:line:col and what the
// parser expected there.
type SyntaxError struct {
	Pos Pos
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

// parser is a strict RFC 8259 JSON parser that records the offset of every value and key.
type parser struct {
	name  string
	data  []byte
	i     int
	depth int

	// values and members are slabs the parser hands out one element at a time, so a document costs a
	// few large allocations instead of one per value.
	values  []Value
	members []Member
	slab    int
	// stack holds the members and items of the objects and lists being read; each is copied out at its
	// exact size when it closes.
	stack []*Member
	items []*Value
	// keys interns property names: config files repeat the same few keys many times.
	keys map[string]string
}

// newValue returns a zeroed Value from the slab.
func (p *parser) newValue() *Value {
	if len(p.values) == 0 {
		p.values = make([]Value, p.slab)
	}
	v := &p.values[0]
	p.values = p.values[1:]
	return v
}

// newMember returns a Member from the slab.
func (p *parser) newMember(key string, keyAt int, val *Value) *Member {
	if len(p.members) == 0 {
		p.members = make([]Member, p.slab)
	}
	m := &p.members[0]
	p.members = p.members[1:]
	*m = Member{Key: key, KeyOffset: keyAt, Value: val}
	return m
}

// intern returns key as a string shared with every equal key of the document.
func (p *parser) intern(raw []byte) string {
	if s, ok := p.keys[string(raw)]; ok {
		return s
	}
	s := string(raw)
	if p.keys == nil {
		p.keys = make(map[string]string)
	}
	p.keys[s] = s
	return s
}

func (p *parser) fail(at int, format string, args ...any) error {
	return &SyntaxError{Pos: PosAt(p.name, p.data, at), Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// describe names what sits at the current position, for error messages.
func (p *parser) describe() string {
	if p.i >= len(p.data) {
		return "end of file"
	}
	r, _ := utf8.DecodeRune(p.data[p.i:])
	return fmt.Sprintf("%q", r)
}

func parseDocument(name string, data []byte) (*Value, error) {
	p := &parser{name: name, data: data, slab: min(max(len(data)/32, 16), 1024)}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		return nil, p.fail(0, "the file starts with a UTF-8 byte order mark; save it without one")
	}
	p.skipSpace()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i < len(p.data) {
		return nil, p.fail(p.i, "expected end of file after the top-level value, found %s", p.describe())
	}
	return v, nil
}

func (p *parser) value() (*Value, error) {
	if p.i >= len(p.data) {
		return nil, p.fail(p.i, "expected a value, found end of file")
	}
	start := p.i
	switch c := p.data[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, err := p.str(false)
		if err != nil {
			return nil, err
		}
		v := p.newValue()
		*v = Value{Kind: String, Text: s, Offset: start}
		return v, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		for _, lit := range []struct {
			text string
			v    Value
		}{{"true", Value{Kind: Bool, Bool: true}}, {"false", Value{Kind: Bool}}, {"null", Value{Kind: Null}}} {
			if len(p.data)-p.i >= len(lit.text) && string(p.data[p.i:p.i+len(lit.text)]) == lit.text {
				p.i += len(lit.text)
				v := p.newValue()
				*v = lit.v
				v.Offset = start
				return v, nil
			}
		}
		return nil, p.fail(p.i, "expected a value (object, list, string, number, true, false or null), found %s", p.describe())
	}
}

func (p *parser) object() (*Value, error) {
	v := p.newValue()
	*v = Value{Kind: Object, Offset: p.i}
	if p.depth++; p.depth > maxDepth {
		return nil, p.fail(p.i, "nesting deeper than %d levels", maxDepth)
	}
	defer func() { p.depth-- }()
	p.i++ // {
	p.skipSpace()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		return v, nil
	}
	mark := len(p.stack)
	defer func() { p.stack = p.stack[:mark] }()
	for {
		p.skipSpace()
		if p.i >= len(p.data) || p.data[p.i] != '"' {
			return nil, p.fail(p.i, "expected a property name in double quotes, found %s", p.describe())
		}
		keyAt := p.i
		key, err := p.str(true)
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.i >= len(p.data) || p.data[p.i] != ':' {
			return nil, p.fail(p.i, "expected ':' after property name %q, found %s", key, p.describe())
		}
		p.i++
		p.skipSpace()
		val, err := p.value()
		if err != nil {
			return nil, err
		}
		p.stack = append(p.stack, p.newMember(key, keyAt, val))
		p.skipSpace()
		if p.i < len(p.data) && p.data[p.i] == ',' {
			p.i++
			p.skipSpace()
			if p.i < len(p.data) && p.data[p.i] == '}' {
				return nil, p.fail(p.i, "expected a property name after ',', found '}' (trailing commas are not JSON)")
			}
			continue
		}
		if p.i < len(p.data) && p.data[p.i] == '}' {
			p.i++
			v.Members = append([]*Member(nil), p.stack[mark:]...)
			return v, nil
		}
		return nil, p.fail(p.i, "expected ',' or '}' after a property value, found %s", p.describe())
	}
}

func (p *parser) array() (*Value, error) {
	v := p.newValue()
	*v = Value{Kind: Array, Offset: p.i, Items: []*Value{}}
	if p.depth++; p.depth > maxDepth {
		return nil, p.fail(p.i, "nesting deeper than %d levels", maxDepth)
	}
	defer func() { p.depth-- }()
	p.i++ // [
	p.skipSpace()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		return v, nil
	}
	mark := len(p.items)
	defer func() { p.items = p.items[:mark] }()
	for {
		p.skipSpace()
		item, err := p.value()
		if err != nil {
			return nil, err
		}
		p.items = append(p.items, item)
		p.skipSpace()
		if p.i < len(p.data) && p.data[p.i] == ',' {
			p.i++
			p.skipSpace()
			if p.i < len(p.data) && p.data[p.i] == ']' {
				return nil, p.fail(p.i, "expected a value after ',', found ']' (trailing commas are not JSON)")
			}
			continue
		}
		if p.i < len(p.data) && p.data[p.i] == ']' {
			p.i++
			v.Items = append([]*Value(nil), p.items[mark:]...)
			return v, nil
		}
		return nil, p.fail(p.i, "expected ',' or ']' after a list item, found %s", p.describe())
	}
}

// str reads a string literal starting at the opening quote; a property name (key) is interned.
func (p *parser) str(key bool) (string, error) {
	start := p.i
	p.i++
	escaped := false
	for p.i < len(p.data) {
		c := p.data[p.i]
		switch {
		case c == '"':
			p.i++
			if !escaped {
				raw := p.data[start+1 : p.i-1]
				if !utf8.Valid(raw) {
					return "", p.fail(start, "string is not valid UTF-8")
				}
				if key {
					return p.intern(raw), nil
				}
				return string(raw), nil
			}
			var s string
			if err := json.Unmarshal(p.data[start:p.i], &s); err != nil {
				return "", p.fail(start, "invalid string: %v", err)
			}
			return s, nil
		case c == '\\':
			escaped = true
			if p.i+1 >= len(p.data) {
				return "", p.fail(p.i, "expected an escape character after '\\', found end of file")
			}
			switch e := p.data[p.i+1]; e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				for k := 2; k < 6; k++ {
					if p.i+k >= len(p.data) || !isHex(p.data[p.i+k]) {
						return "", p.fail(p.i, "expected 4 hex digits after '\\u'")
					}
				}
				p.i += 6
			default:
				return "", p.fail(p.i, "invalid escape '\\%c' in string", e)
			}
		case c < 0x20:
			return "", p.fail(p.i, "expected '\"' to close the string, found a control character (escape it, e.g. \\n)")
		default:
			p.i++
		}
	}
	return "", p.fail(start, "expected '\"' to close the string, found end of file")
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) number() (*Value, error) {
	start := p.i
	if p.data[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.data) && p.data[p.i] == '0':
		p.i++
		if p.i < len(p.data) && isDigit(p.data[p.i]) {
			return nil, p.fail(start, "numbers cannot have leading zeros")
		}
	case p.i < len(p.data) && isDigit(p.data[p.i]):
		for p.i < len(p.data) && isDigit(p.data[p.i]) {
			p.i++
		}
	default:
		return nil, p.fail(p.i, "expected a digit, found %s", p.describe())
	}
	if p.i < len(p.data) && p.data[p.i] == '.' {
		p.i++
		if p.i >= len(p.data) || !isDigit(p.data[p.i]) {
			return nil, p.fail(p.i, "expected a digit after '.', found %s", p.describe())
		}
		for p.i < len(p.data) && isDigit(p.data[p.i]) {
			p.i++
		}
	}
	if p.i < len(p.data) && (p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		p.i++
		if p.i < len(p.data) && (p.data[p.i] == '+' || p.data[p.i] == '-') {
			p.i++
		}
		if p.i >= len(p.data) || !isDigit(p.data[p.i]) {
			return nil, p.fail(p.i, "expected a digit in the exponent, found %s", p.describe())
		}
		for p.i < len(p.data) && isDigit(p.data[p.i]) {
			p.i++
		}
	}
	v := p.newValue()
	*v = Value{Kind: Number, Text: string(p.data[start:p.i]), Offset: start}
	return v, nil
}

// Pos is a place in a config file. Line and Col count from 1 (Col in bytes); a zero Line means unknown.
type Pos struct {
	File      string
	Line, Col int
}

// String formats p as file:line:col, or just the file when the line is unknown.
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// PosAt is the position of byte offset in data, a file called name: 1-based line and column, the column
// counted in bytes. A negative offset gives the file alone; one past the end, the end.
func PosAt(name string, data []byte, offset int) Pos {
	if offset < 0 {
		return Pos{File: name}
	}
	if offset > len(data) {
		offset = len(data)
	}
	line, col := 1, 1
	for _, c := range data[:offset] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return Pos{File: name, Line: line, Col: col}
}
