package deployed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/coworks-go/coworks/internal/config"
)

// SyntaxError is a record that is not valid JSON or not shaped like a record, at Path:Line:Col.
type SyntaxError struct {
	Path      string
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Col, e.Msg)
}

// SchemaVersionError is Chalice's refusal of a record whose schema_version is not "2.0" (absent counts
// as "1.0").
type SchemaVersionError struct {
	Path    string
	Version string
}

func (e *SchemaVersionError) Error() string {
	return fmt.Sprintf("Unsupported schema version (%s) in file: %s", e.Version, e.Path)
}

// Parse decodes the record in data, read from path (used in errors). It applies Chalice's checks in
// Chalice's order: valid JSON, then schema_version, then the shape of resources (each an object with
// string "name" and "resource_type"). Unknown fields and top-level keys are kept.
func Parse(path string, data []byte) (*Record, error) {
	var probe any
	if err := json.Unmarshal(data, &probe); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off := int(se.Offset)
			if off > 0 && off < len(data) {
				off-- // Offset counts the bytes read, the offending one included
			}
			return nil, syntaxErr(path, data, off, se.Error())
		}
	}
	fields, err := objectFields(path, data, 0)
	if err != nil {
		return nil, err
	}
	rec := &Record{SchemaVersion: "1.0"}
	schemaIsString := true
	var resources *fieldAt
	for i := range fields {
		f := &fields[i]
		switch f.Key {
		case "resources":
			resources = f
		case "schema_version":
			var s string
			if json.Unmarshal(f.Value, &s) == nil {
				rec.SchemaVersion = s
			} else {
				// Python compares the decoded value with "2.0" and prints it with %s.
				rec.SchemaVersion = string(f.Value)
				schemaIsString = false
			}
		case "backend":
			var s string
			if err := json.Unmarshal(f.Value, &s); err != nil {
				return nil, syntaxErr(path, data, f.Off, `"backend" must be a string`)
			}
			rec.Backend = s
		default:
			rec.Extra = append(rec.Extra, Field{Key: f.Key, Value: f.Value})
		}
	}
	if rec.SchemaVersion != SchemaVersion || !schemaIsString {
		return nil, &SchemaVersionError{Path: path, Version: rec.SchemaVersion}
	}
	if resources == nil {
		return nil, syntaxErr(path, data, 0, `missing "resources"`)
	}
	elems, err := arrayElems(path, data, resources.Value, resources.Off)
	if err != nil {
		return nil, err
	}
	rec.Resources = make([]Resource, 0, len(elems))
	for i, el := range elems {
		res, err := parseResource(path, data, el)
		if err != nil {
			return nil, fmt.Errorf("%w (resources[%d])", err, i)
		}
		rec.Resources = append(rec.Resources, res)
	}
	return rec, nil
}

func parseResource(path string, data []byte, el fieldAt) (Resource, error) {
	fields, err := objectFields(path, data[:el.Off+len(el.Value)], el.Off)
	if err != nil {
		return Resource{}, err
	}
	var res Resource
	var hasName, hasType bool
	for _, f := range fields {
		switch f.Key {
		case "name":
			if json.Unmarshal(f.Value, &res.Name) != nil {
				return res, syntaxErr(path, data, f.Off, `resource "name" must be a string`)
			}
			hasName = true
		case "resource_type":
			if json.Unmarshal(f.Value, &res.Type) != nil {
				return res, syntaxErr(path, data, f.Off, `"resource_type" must be a string`)
			}
			hasType = true
		default:
			res.Fields = append(res.Fields, Field{Key: f.Key, Value: f.Value})
		}
	}
	if !hasName || !hasType {
		return res, syntaxErr(path, data, el.Off, `resource needs "name" and "resource_type"`)
	}
	return res, nil
}

// fieldAt is an object key (or array element, Key empty) with its raw value and the value's offset in
// the whole file.
type fieldAt struct {
	Key   string
	Value json.RawMessage
	Off   int
}

// objectFields decodes the JSON object starting at data[off:] into its fields in order.
func objectFields(path string, data []byte, off int) ([]fieldAt, error) {
	dec := json.NewDecoder(bytes.NewReader(data[off:]))
	tok, err := dec.Token()
	if err != nil {
		return nil, decodeErr(path, data, off, dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, syntaxErr(path, data, off, "expected a JSON object")
	}
	var out []fieldAt
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, decodeErr(path, data, off, dec, err)
		}
		key, _ := tok.(string)
		valueOff := skipSeparators(data, off+int(dec.InputOffset()))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, decodeErr(path, data, off, dec, err)
		}
		out = append(out, fieldAt{Key: key, Value: v, Off: valueOff})
	}
	if _, err := dec.Token(); err != nil {
		return nil, decodeErr(path, data, off, dec, err)
	}
	if off == 0 {
		if _, err := dec.Token(); err == nil {
			return nil, syntaxErr(path, data, off+int(dec.InputOffset()), "unexpected data after the JSON object")
		}
	}
	return out, nil
}

// arrayElems splits the JSON array raw (found at offset off of data) into its elements.
func arrayElems(path string, data []byte, raw json.RawMessage, off int) ([]fieldAt, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, decodeErr(path, data, off, dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, syntaxErr(path, data, off, `"resources" must be a JSON array`)
	}
	var out []fieldAt
	for dec.More() {
		elOff := skipSeparators(data, off+int(dec.InputOffset()))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, decodeErr(path, data, off, dec, err)
		}
		out = append(out, fieldAt{Value: v, Off: elOff})
	}
	return out, nil
}

func skipSeparators(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

func decodeErr(path string, data []byte, base int, dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return syntaxErr(path, data, base+int(se.Offset), se.Error())
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return syntaxErr(path, data, len(data), "unexpected end of JSON input")
	}
	return syntaxErr(path, data, base+int(dec.InputOffset()), err.Error())
}

// syntaxErr positions msg at byte offset off of data as 1-based line and column (in bytes).
func syntaxErr(path string, data []byte, off int, msg string) *SyntaxError {
	pos := config.PosAt(path, data, off)
	return &SyntaxError{Path: path, Line: pos.Line, Col: pos.Col, Msg: msg}
}
