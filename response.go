package coworks

import (
	"encoding/json"
	"io"
	"net/http"
)

// Response gives a handler full control of its answer: a handler returning *Response (or Response) has its
// Status, Header and Body written as they are.
type Response struct {
	// Status is the HTTP status code; 0 means 200.
	Status int
	// Header is added to the response headers. Without a Content-Type, net/http sniffs one from Body.
	Header http.Header
	// Body is the response body, written verbatim.
	Body []byte
}

// Content types are shared, never-modified header values: assigning them avoids allocating a slice per response.
var (
	contentTypeText   = []string{"text/plain; charset=utf-8"}
	contentTypeBinary = []string{"application/octet-stream"}
	contentTypeJSON   = []string{"application/json"}
)

// write sends resp and returns the status written.
func (resp *Response) write(w http.ResponseWriter) int {
	h := w.Header()
	for k, vs := range resp.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	if len(resp.Body) > 0 {
		_, _ = w.Write(resp.Body)
	}
	return status
}

// writeText sends s as text/plain.
func writeText(w http.ResponseWriter, status int, s string) int {
	h := w.Header()
	h["Content-Type"] = contentTypeText
	w.WriteHeader(status)
	_, _ = io.WriteString(w, s)
	return status
}

// writeBytes sends b as application/octet-stream.
func writeBytes(w http.ResponseWriter, status int, b []byte) int {
	w.Header()["Content-Type"] = contentTypeBinary
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return status
}

// writeJSONBytes sends already encoded JSON.
func writeJSONBytes(w http.ResponseWriter, status int, b []byte) int {
	w.Header()["Content-Type"] = contentTypeJSON
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return status
}

// messageBody is the JSON body of every error response: {"message": "..."}.
type messageBody struct {
	Message string `json:"message"`
}

// writeMessage sends {"message": msg} with the given status.
func writeMessage(w http.ResponseWriter, status int, msg string) int {
	b, err := json.Marshal(messageBody{Message: msg})
	if err != nil { // cannot happen for a string field; keep the response well-formed anyway
		b = []byte(`{"message":"Internal server error"}`)
	}
	return writeJSONBytes(w, status, b)
}
