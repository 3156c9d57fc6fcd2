package coworks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
)

// maxBodyBytes bounds the request body a handler's parameters are bound from: API Gateway's own limit.
const maxBodyBytes = 10 << 20

var (
	typeContext = reflect.TypeFor[context.Context]()
	typeRequest = reflect.TypeFor[*http.Request]()
	typeMapAny  = reflect.TypeFor[map[string]any]()
)

// firstArg is what a handler takes before its path parameters.
type firstArg uint8

const (
	firstNone    firstArg = iota
	firstContext          // context.Context: the request's context
	firstRequest          // *http.Request: the request itself
)

// tailArg is what a handler takes after its path parameters.
type tailArg uint8

const (
	tailNone      tailArg = iota
	tailStruct            // a struct bound from the query string and the body
	tailStructPtr         // a pointer to such a struct
	tailMap               // map[string]any receiving every parameter
)

// converter parses a path or query value into a value of its type; ok is false when s does not convert.
type converter func(s string) (v reflect.Value, ok bool)

// binding is the precomputed plan turning a request into the arguments of a handler.
type binding struct {
	first  firstArg
	path   []pathParam
	tail   tailArg
	fields *structFields // tailStruct, tailStructPtr
	nIn    int
}

// pathParam is one path parameter: how to convert it and what to call its type in error messages.
type pathParam struct {
	conv     converter
	typeName string
}

// newBinding plans the arguments of a handler of type ft (receiver excluded); name is for panic messages.
func newBinding(name string, ft reflect.Type) *binding {
	b := &binding{nIn: ft.NumIn()}
	i := 0
	if i < b.nIn {
		switch {
		case ft.In(i) == typeContext:
			b.first, i = firstContext, i+1
		case ft.In(i) == typeRequest:
			b.first, i = firstRequest, i+1
		}
	}
	for ; i < b.nIn; i++ {
		conv := converterFor(ft.In(i))
		if conv == nil {
			break
		}
		b.path = append(b.path, pathParam{conv: conv, typeName: ft.In(i).String()})
	}
	if i < b.nIn {
		t := ft.In(i)
		switch {
		case t == typeMapAny:
			b.tail = tailMap
		case t.Kind() == reflect.Struct:
			b.tail, b.fields = tailStruct, newStructFields(name, t)
		case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
			b.tail, b.fields = tailStructPtr, newStructFields(name, t.Elem())
		default:
			panic(fmt.Sprintf("coworks: %s: parameter %d has unsupported type %s "+
				"(want context.Context or *http.Request first, then string, bool, int, uint or float path parameters, "+
				"then one struct, pointer to struct or map[string]any)", name, i+1, t))
		}
		i++
	}
	if i < b.nIn {
		panic(fmt.Sprintf("coworks: %s: parameter %d (%s) comes after the body parameter; "+
			"the struct or map[string]any parameter must be last", name, i+1, ft.In(i)))
	}
	return b
}

// args appends to in the arguments of a call from the request r and the raw path parameter values.
// A client mistake is returned as a 400 *Error.
func (b *binding) args(in []reflect.Value, r *http.Request, raw []string) ([]reflect.Value, *Error) {
	switch b.first {
	case firstContext:
		in = append(in, reflect.ValueOf(r.Context()))
	case firstRequest:
		in = append(in, reflect.ValueOf(r))
	}
	for i, p := range b.path {
		s, err := url.PathUnescape(raw[i])
		if err != nil {
			return nil, BadRequest("path parameter _%d: %q is not a valid path segment", i, raw[i])
		}
		v, ok := p.conv(s)
		if !ok {
			return nil, BadRequest("path parameter _%d: %q is not a valid %s", i, s, p.typeName)
		}
		in = append(in, v)
	}
	switch b.tail {
	case tailStruct, tailStructPtr:
		ptr := reflect.New(b.fields.typ)
		if e := b.fields.bind(r, ptr); e != nil {
			return nil, e
		}
		if b.tail == tailStruct {
			in = append(in, ptr.Elem())
		} else {
			in = append(in, ptr)
		}
	case tailMap:
		m, e := bindMap(r)
		if e != nil {
			return nil, e
		}
		in = append(in, reflect.ValueOf(m))
	}
	return in, nil
}

// converterFor returns the converter of a path or query parameter of type t, nil when t is not a scalar
// kind (string, bool, int*, uint*, float*). Named types (type ID string) convert too.
func converterFor(t reflect.Type) converter {
	switch t.Kind() {
	case reflect.String:
		if t == reflect.TypeFor[string]() {
			return func(s string) (reflect.Value, bool) { return reflect.ValueOf(s), true }
		}
		return func(s string) (reflect.Value, bool) {
			v := reflect.New(t).Elem()
			v.SetString(s)
			return v, true
		}
	case reflect.Bool:
		return func(s string) (reflect.Value, bool) {
			x, err := strconv.ParseBool(s)
			v := reflect.New(t).Elem()
			v.SetBool(x)
			return v, err == nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(s string) (reflect.Value, bool) {
			x, err := strconv.ParseInt(s, 10, t.Bits())
			v := reflect.New(t).Elem()
			v.SetInt(x)
			return v, err == nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return func(s string) (reflect.Value, bool) {
			x, err := strconv.ParseUint(s, 10, t.Bits())
			v := reflect.New(t).Elem()
			v.SetUint(x)
			return v, err == nil
		}
	case reflect.Float32, reflect.Float64:
		return func(s string) (reflect.Value, bool) {
			x, err := strconv.ParseFloat(s, t.Bits())
			v := reflect.New(t).Elem()
			v.SetFloat(x)
			return v, err == nil
		}
	}
	return nil
}

// readBody returns the request body, nil when there is none; a body over maxBodyBytes is a 413.
func readBody(r *http.Request) ([]byte, *Error) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, BadRequest("cannot read the request body: %v", err)
	}
	if len(body) > maxBodyBytes {
		return nil, Errorf(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", maxBodyBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	return body, nil
}

// isForm reports whether the request body is a URL-encoded form rather than JSON. A body declared as a
// form that starts with '{' is JSON: `curl -d '{"value": 1}'` labels every body a form.
func isForm(r *http.Request, body []byte) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return false
	}
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == "application/x-www-form-urlencoded" && !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{"))
}

// jsonError turns an encoding/json decoding error into the 400 a client can act on.
func jsonError(err error) *Error {
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return BadRequest("unexpected parameter %s", field)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field == "" {
			return BadRequest("request body must be a JSON object, got JSON %s", typeErr.Value)
		}
		return BadRequest("parameter %q: expected %s, got JSON %s", typeErr.Field, typeErr.Type, typeErr.Value)
	}
	return BadRequest("request body is not valid JSON: %v", err)
}

// decodeJSON decodes body into ptr, rejecting unknown keys when strict and anything after the JSON value.
func decodeJSON(body []byte, ptr any, strict bool) *Error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(ptr); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return BadRequest("request body is not valid JSON: data after the JSON value")
	}
	return nil
}

// bindMap collects every parameter of r: the JSON object body (or form), then the query string, whose
// values are strings, or []string when a key repeats.
func bindMap(r *http.Request) (map[string]any, *Error) {
	m := map[string]any{}
	body, e := readBody(r)
	if e != nil {
		return nil, e
	}
	if body != nil {
		if isForm(r, body) {
			form, err := url.ParseQuery(string(body))
			if err != nil {
				return nil, BadRequest("request body is not a valid form: %v", err)
			}
			putValues(m, form)
		} else if e := decodeJSON(body, &m, false); e != nil {
			return nil, e
		}
	}
	if r.URL.RawQuery != "" {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, BadRequest("query string is not valid: %v", err)
		}
		putValues(m, q)
	}
	return m, nil
}

// putValues stores form or query values in m: one value as a string, several as []string.
func putValues(m map[string]any, vs url.Values) {
	for k, v := range vs {
		if len(v) == 1 {
			m[k] = v[0]
		} else {
			m[k] = v
		}
	}
}
