package coworks

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
)

var (
	typeError    = reflect.TypeFor[error]()
	typeHeader   = reflect.TypeFor[http.Header]()
	typeResponse = reflect.TypeFor[Response]()
	typeRespPtr  = reflect.TypeFor[*Response]()
	typeBytes    = reflect.TypeFor[[]byte]()
)

// bodyKind is how the first result of a handler becomes the response body.
type bodyKind uint8

const (
	bodyNone     bodyKind = iota // no result: 204, or the status of (int)
	bodyText                     // string (or a named string type): text/plain
	bodyBytes                    // []byte: application/octet-stream
	bodyJSON                     // anything else: JSON
	bodyResponse                 // *Response or Response: written as is
	bodyDynamic                  // an interface: decided per value
)

// results is the precomputed plan turning a handler's results into a response.
type results struct {
	body      bodyKind
	hasBody   bool
	statusAt  int // index of the status result, -1 if none
	headerAt  int // index of the http.Header result, -1 if none
	hasError  bool
	errorAt   int
	respIsPtr bool
}

// newResults plans the results of a handler of type ft; an unsupported shape panics naming the handler.
func newResults(name string, ft reflect.Type) *results {
	res := &results{statusAt: -1, headerAt: -1, errorAt: -1}
	n := ft.NumOut()
	if n > 0 && ft.Out(n-1) == typeError {
		res.hasError, res.errorAt = true, n-1
		n--
	}
	bad := func(why string) {
		panic(fmt.Sprintf("coworks: %s: unsupported results %s: %s "+
			"(want T, (T, int), (T, int, http.Header), each optionally followed by error)", name, ft, why))
	}
	if n == 0 {
		return res
	}
	if n > 3 {
		bad("too many results")
	}
	t := ft.Out(0)
	res.hasBody = true
	switch {
	case t == typeError:
		bad("error must be the last result")
	case t == typeRespPtr || t == typeResponse:
		res.body, res.respIsPtr = bodyResponse, t == typeRespPtr
		if n > 1 {
			bad("a Response carries its own status and headers")
		}
	case t.Kind() == reflect.String:
		res.body = bodyText
	case t == typeBytes || t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		res.body = bodyBytes
	case t.Kind() == reflect.Interface:
		res.body = bodyDynamic
	case t.Kind() == reflect.Func || t.Kind() == reflect.Chan || t.Kind() == reflect.Complex64 ||
		t.Kind() == reflect.Complex128 || t.Kind() == reflect.UnsafePointer:
		bad(fmt.Sprintf("%s cannot be encoded as JSON", t))
	default:
		res.body = bodyJSON
	}
	if n >= 2 {
		if ft.Out(1).Kind() != reflect.Int {
			bad("the second result must be the int status")
		}
		res.statusAt = 1
	}
	if n == 3 {
		if ft.Out(2) != typeHeader {
			bad("the third result must be an http.Header")
		}
		res.headerAt = 2
	}
	return res
}

// write sends the response the results out describe and returns the status written, or returns the
// handler's error (with status 0) for the caller to answer.
func (res *results) write(w http.ResponseWriter, out []reflect.Value) (int, error) {
	if res.hasError {
		if err, _ := out[res.errorAt].Interface().(error); err != nil {
			return 0, err
		}
	}
	if !res.hasBody {
		w.WriteHeader(http.StatusNoContent)
		return http.StatusNoContent, nil
	}
	status := http.StatusOK
	if res.statusAt >= 0 {
		status = int(out[res.statusAt].Int())
		if status < 100 || status > 999 {
			return 0, fmt.Errorf("handler returned invalid HTTP status %d", status)
		}
	}
	if res.headerAt >= 0 {
		h := w.Header()
		for k, vs := range out[res.headerAt].Interface().(http.Header) {
			for _, v := range vs {
				h.Add(k, v)
			}
		}
	}
	v := out[0]
	switch res.body {
	case bodyText:
		return writeText(w, status, v.String()), nil
	case bodyBytes:
		return writeBytes(w, status, v.Bytes()), nil
	case bodyResponse:
		if !res.respIsPtr {
			r := v.Interface().(Response)
			return r.write(w), nil
		}
		r := v.Interface().(*Response)
		if r == nil {
			return 0, errors.New("handler returned a nil *Response")
		}
		return r.write(w), nil
	case bodyDynamic:
		return writeValue(w, status, v.Interface())
	}
	return writeJSON(w, status, v.Interface())
}

// writeValue sends a value whose type is known only now, by the rules of the static result types.
func writeValue(w http.ResponseWriter, status int, x any) (int, error) {
	switch x := x.(type) {
	case string:
		return writeText(w, status, x), nil
	case []byte:
		return writeBytes(w, status, x), nil
	case *Response:
		if x == nil {
			return 0, errors.New("handler returned a nil *Response")
		}
		return x.write(w), nil
	case Response:
		return x.write(w), nil
	}
	return writeJSON(w, status, x)
}

// writeJSON encodes x, then sends it; an encoding failure is returned before anything is written.
func writeJSON(w http.ResponseWriter, status int, x any) (int, error) {
	b, err := json.Marshal(x)
	if err != nil {
		return 0, fmt.Errorf("encoding the result as JSON: %w", err)
	}
	return writeJSONBytes(w, status, b), nil
}
