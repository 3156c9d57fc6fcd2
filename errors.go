package coworks

import (
	"fmt"
	"net/http"
)

// Error is an error a handler returns to choose the response: its Status (an HTTP status code, 4xx or 5xx)
// and a Message sent to the client as the JSON body {"message": Message}. Any other error a handler returns
// is answered 500 with a generic message, its text only logged.
type Error struct {
	// Status is the HTTP status code of the response; 0 means 500.
	Status int
	// Message is sent to the client in the body {"message": Message}.
	Message string
}

// Error returns the message, so that *Error satisfies the error interface.
func (e *Error) Error() string { return e.Message }

// status returns the HTTP status of e, 500 when unset or out of range.
func (e *Error) status() int {
	if e.Status < 100 || e.Status > 999 {
		return http.StatusInternalServerError
	}
	return e.Status
}

// NewError returns an *Error with the given status and message.
func NewError(status int, message string) *Error { return &Error{Status: status, Message: message} }

// Errorf returns an *Error with the given status and a message formatted as by fmt.Sprintf.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// BadRequest returns a 400 *Error with a message formatted as by fmt.Sprintf.
func BadRequest(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, format, args...)
}

// NotFound returns a 404 *Error with a message formatted as by fmt.Sprintf.
func NotFound(format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, format, args...)
}

// Messages of the responses App writes itself. The 401 and 403 ones are API Gateway's own answers, so that a
// client sees the same body locally and behind a Lambda authorizer.
const (
	msgInternal     = "Internal server error"
	msgUnauthorized = "Unauthorized"
	msgForbidden    = "User is not authorized to access this resource"
	msgNotFound     = "Not found"
	msgNotAllowed   = "Method not allowed"
)
