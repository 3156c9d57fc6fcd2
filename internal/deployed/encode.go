package deployed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Marshal returns the record as Chalice writes it: Python's json.dumps(indent=2, separators=(',', ': '))
// (ensure_ascii on) plus a trailing newline. Top-level keys come in Chalice's order (resources,
// schema_version, backend) followed by Extra; each resource starts with name and resource_type.
// An empty SchemaVersion or Backend is written as Chalice's value.
func (r *Record) Marshal() ([]byte, error) {
	schema, backend := r.SchemaVersion, r.Backend
	if schema == "" {
		schema = SchemaVersion
	}
	if backend == "" {
		backend = Backend
	}
	var b bytes.Buffer
	b.WriteString("{\n  \"resources\": ")
	if len(r.Resources) == 0 {
		b.WriteString("[]")
	} else {
		b.WriteString("[")
		for i, res := range r.Resources {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n    {\n      \"name\": ")
			writeString(&b, res.Name)
			b.WriteString(",\n      \"resource_type\": ")
			writeString(&b, res.Type)
			for _, f := range res.Fields {
				b.WriteString(",\n      ")
				writeString(&b, f.Key)
				b.WriteString(": ")
				if err := writeRaw(&b, f.Value, 3); err != nil {
					return nil, fmt.Errorf("resource %q field %q: %w", res.Name, f.Key, err)
				}
			}
			b.WriteString("\n    }")
		}
		b.WriteString("\n  ]")
	}
	b.WriteString(",\n  \"schema_version\": ")
	writeString(&b, schema)
	b.WriteString(",\n  \"backend\": ")
	writeString(&b, backend)
	for _, f := range r.Extra {
		b.WriteString(",\n  ")
		writeString(&b, f.Key)
		b.WriteString(": ")
		if err := writeRaw(&b, f.Value, 1); err != nil {
			return nil, fmt.Errorf("key %q: %w", f.Key, err)
		}
	}
	b.WriteString("\n}\n")
	return b.Bytes(), nil
}

// writeRaw re-formats one raw JSON value the way Python's json.dumps(indent=2) does, at nesting depth
// depth (the value's own line is already indented), keeping object key order and number text.
func writeRaw(b *bytes.Buffer, raw json.RawMessage, depth int) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := writeValue(b, dec, depth); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after JSON value")
	}
	return nil
}

func writeValue(b *bytes.Buffer, dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		closing := "]"
		if t == '{' {
			closing = "}"
		}
		b.WriteByte(byte(t))
		n := 0
		for dec.More() {
			if n > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
			b.WriteString(strings.Repeat("  ", depth+1))
			if t == '{' {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				writeString(b, key.(string))
				b.WriteString(": ")
			}
			if err := writeValue(b, dec, depth+1); err != nil {
				return err
			}
			n++
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return err
		}
		if n > 0 {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat("  ", depth))
		}
		b.WriteString(closing)
	case string:
		writeString(b, t)
	case json.Number:
		b.WriteString(t.String())
	case bool:
		if t {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case nil:
		b.WriteString("null")
	}
	return nil
}

// writeString writes s as Python's json.dumps does with ensure_ascii: printable ASCII as is, the usual
// short escapes, everything else as lower-case \uXXXX (surrogate pairs beyond the BMP).
func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= ' ' && r <= '~':
			b.WriteRune(r)
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
}
