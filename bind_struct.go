package coworks

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
)

// structFields is the precomputed plan binding a struct parameter from the query string and the body.
type structFields struct {
	typ    reflect.Type
	byName map[string]*field // by JSON name, as encoding/json would name the field
}

// field is one bindable field: where it is, and how a query value converts to it.
type field struct {
	name  string
	index []int
	conv  converter // nil: the field is set only from a JSON body
	slice bool      // a slice of scalars: each repeated query value is appended
	typ   reflect.Type
}

// newStructFields plans the binding of struct type t; name is the handler's, for panic messages.
func newStructFields(name string, t reflect.Type) *structFields {
	sf := &structFields{typ: t, byName: map[string]*field{}}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous && f.Type.Kind() == reflect.Struct {
			continue
		}
		if throughPointer(t, f.Index) {
			continue // promoted through an embedded pointer: left to the JSON body
		}
		jsonName := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			tagName, _, _ := strings.Cut(tag, ",")
			if tagName == "-" {
				continue
			}
			if tagName != "" {
				jsonName = tagName
			}
		}
		fd := &field{name: jsonName, index: f.Index, typ: f.Type}
		if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() != reflect.Uint8 {
			fd.conv, fd.slice = converterFor(f.Type.Elem()), true
		} else {
			fd.conv = converterFor(f.Type)
		}
		if fd.conv == nil {
			fd.slice = false
		}
		if _, dup := sf.byName[jsonName]; dup {
			panic(fmt.Sprintf("coworks: %s: struct %s has two fields named %q", name, t, jsonName))
		}
		sf.byName[jsonName] = fd
	}
	return sf
}

// throughPointer reports whether the field at index is reached through an embedded pointer.
func throughPointer(t reflect.Type, index []int) bool {
	for _, i := range index[:len(index)-1] {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Pointer {
			return true
		}
		t = f.Type
	}
	return false
}

// bind fills the struct ptr points to: from the JSON body (or form) first, then from the query string,
// whose values win. Unknown keys and values that do not convert are 400s naming the key.
func (sf *structFields) bind(r *http.Request, ptr reflect.Value) *Error {
	body, e := readBody(r)
	if e != nil {
		return e
	}
	v := ptr.Elem()
	if body != nil {
		if isForm(r, body) {
			if e := sf.bindQuery(v, string(body)); e != nil {
				return e
			}
		} else if e := decodeJSON(body, ptr.Interface(), true); e != nil {
			return e
		}
	}
	return sf.bindQuery(v, r.URL.RawQuery)
}

// bindQuery sets the fields of struct v from a URL-encoded query, without building a url.Values map.
// A slice field set from the query replaces what the body gave, then takes every repeated value.
func (sf *structFields) bindQuery(v reflect.Value, query string) *Error {
	var fromQuery []*field // slice fields already reset by this query; tiny, so a slice beats a map
	for query != "" {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		if pair == "" {
			continue
		}
		rawKey, rawVal, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return BadRequest("query string: %q is not a valid key", rawKey)
		}
		val, err := url.QueryUnescape(rawVal)
		if err != nil {
			return BadRequest("query string: %q is not a valid value of parameter %q", rawVal, key)
		}
		fd := sf.byName[key]
		if fd == nil {
			return BadRequest("unexpected parameter %q", key)
		}
		if fd.conv == nil {
			return BadRequest("parameter %q cannot be given in the query string (type %s): send it in a JSON body", key, fd.typ)
		}
		x, ok := fd.conv(val)
		if !ok {
			want := fd.typ
			if fd.slice {
				want = fd.typ.Elem()
			}
			return BadRequest("parameter %q: %q is not a valid %s", key, val, want)
		}
		f := v.FieldByIndex(fd.index)
		if !fd.slice {
			f.Set(x)
			continue
		}
		if !containsField(fromQuery, fd) {
			fromQuery = append(fromQuery, fd)
			f.SetLen(0)
		}
		f.Set(reflect.Append(f, x))
	}
	return nil
}

func containsField(fs []*field, f *field) bool {
	for _, g := range fs {
		if g == f {
			return true
		}
	}
	return false
}
