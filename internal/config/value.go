package config

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Kind is the JSON type of a Value.
type Kind int

// The JSON kinds.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// String names the kind the way error messages and docs do ("a string", "an object", ...).
func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "a boolean"
	case Number:
		return "a number"
	case String:
		return "a string"
	case Array:
		return "a list"
	case Object:
		return "an object"
	}
	return "unknown"
}

// Value is one JSON value that remembers where it was read (Offset into the file, -1 when built in
// memory) and, for objects, the order of its members. It is the document model of config.json: editing
// a Value and encoding it again keeps unknown keys, key order and number spelling.
type Value struct {
	Kind Kind
	// Bool holds a Bool value.
	Bool bool
	// Text holds a String value, or the literal spelling of a Number (so 2.0 stays 2.0).
	Text string
	// Items holds the elements of an Array.
	Items []*Value
	// Members holds the members of an Object, in file order.
	Members []*Member
	// Offset is the byte offset of the value's first character in its file, or -1.
	Offset int
}

// Member is one "key": value pair of an Object.
type Member struct {
	Key string
	// KeyOffset is the byte offset of the key's opening quote, or -1.
	KeyOffset int
	Value     *Value
}

// NewString returns an in-memory String value.
func NewString(s string) *Value { return &Value{Kind: String, Text: s, Offset: -1} }

// NewObject returns an empty in-memory Object value.
func NewObject() *Value { return &Value{Kind: Object, Offset: -1} }

// Present reports whether v counts as set in Chalice's lookup: it exists and is not JSON null.
// false, 0, "" and [] are present.
func (v *Value) Present() bool { return v != nil && v.Kind != Null }

// Get returns the member key of an Object, or nil when v is not an object or has no such member.
// With duplicate keys the last one wins, as in Python's json module.
func (v *Value) Get(key string) *Value {
	if m := v.member(key); m != nil {
		return m.Value
	}
	return nil
}

func (v *Value) member(key string) *Member {
	if v == nil || v.Kind != Object {
		return nil
	}
	for i := len(v.Members) - 1; i >= 0; i-- {
		if v.Members[i].Key == key {
			return v.Members[i]
		}
	}
	return nil
}

// Set replaces the value of key in an Object, keeping its position, or appends it. It panics when v
// is not an Object (a programming error).
func (v *Value) Set(key string, val *Value) {
	if v.Kind != Object {
		panic("config: Set on " + v.Kind.String())
	}
	if m := v.member(key); m != nil {
		m.Value = val
		return
	}
	v.Members = append(v.Members, &Member{Key: key, KeyOffset: -1, Value: val})
}

// Delete removes every member named key from an Object and reports whether there was one.
func (v *Value) Delete(key string) bool {
	if v == nil || v.Kind != Object {
		return false
	}
	kept := v.Members[:0]
	found := false
	for _, m := range v.Members {
		if m.Key == key {
			found = true
			continue
		}
		kept = append(kept, m)
	}
	v.Members = kept
	return found
}

// Clone returns a deep copy of v that keeps its offsets.
func (v *Value) Clone() *Value {
	if v == nil {
		return nil
	}
	c := *v
	if v.Items != nil {
		c.Items = make([]*Value, len(v.Items))
		for i, it := range v.Items {
			c.Items[i] = it.Clone()
		}
	}
	if v.Members != nil {
		c.Members = make([]*Member, len(v.Members))
		for i, m := range v.Members {
			c.Members[i] = &Member{Key: m.Key, KeyOffset: m.KeyOffset, Value: m.Value.Clone()}
		}
	}
	return &c
}

// Int returns a Number as an int when it is a whole number that fits.
func (v *Value) Int() (int, bool) {
	if v == nil || v.Kind != Number {
		return 0, false
	}
	if n, err := strconv.Atoi(v.Text); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(v.Text, 64)
	if err != nil || f != float64(int(f)) || f > 1<<53 || f < -(1<<53) {
		return 0, false
	}
	return int(f), true
}

// Interface converts v to plain Go values (map[string]any, []any, string, bool, json.Number, nil),
// for JSON output.
func (v *Value) Interface() any {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case Bool:
		return v.Bool
	case Number:
		return json.Number(v.Text)
	case String:
		return v.Text
	case Array:
		out := make([]any, len(v.Items))
		for i, it := range v.Items {
			out[i] = it.Interface()
		}
		return out
	case Object:
		out := make(map[string]any, len(v.Members))
		for _, m := range v.Members {
			out[m.Key] = m.Value.Interface()
		}
		return out
	}
	return nil
}

// Encode writes v as JSON with 2-space indentation and a trailing newline, members in order, the way
// Chalice's own tools write config files.
func (v *Value) Encode() []byte {
	var b bytes.Buffer
	v.encode(&b, 0)
	b.WriteByte('\n')
	return b.Bytes()
}

func (v *Value) encode(b *bytes.Buffer, depth int) {
	switch v.Kind {
	case Null:
		b.WriteString("null")
	case Bool:
		b.WriteString(strconv.FormatBool(v.Bool))
	case Number:
		b.WriteString(v.Text)
	case String:
		writeJSONString(b, v.Text)
	case Array:
		if len(v.Items) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[")
		for i, it := range v.Items {
			if i > 0 {
				b.WriteByte(',')
			}
			newline(b, depth+1)
			it.encode(b, depth+1)
		}
		newline(b, depth)
		b.WriteString("]")
	case Object:
		if len(v.Members) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{")
		for i, m := range v.Members {
			if i > 0 {
				b.WriteByte(',')
			}
			newline(b, depth+1)
			writeJSONString(b, m.Key)
			b.WriteString(": ")
			m.Value.encode(b, depth+1)
		}
		newline(b, depth)
		b.WriteString("}")
	}
}

func newline(b *bytes.Buffer, depth int) {
	b.WriteByte('\n')
	for i := 0; i < depth; i++ {
		b.WriteString("  ")
	}
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // cannot fail for a string
	b.Truncate(b.Len() - 1)
}
