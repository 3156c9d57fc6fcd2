// Package logs keeps and reads the function logs of stages, with one reader interface and one output format
// for both deploy targets:
//
//   - Store keeps the local target's logs: every line a stage's function and Lambda's runtime write
//     (START/END/REPORT included), with a timestamp and the request id, in a bounded, rotated file per stage
//     that survives a gateway restart and that other processes read (and follow) while the gateway writes it;
//   - CloudWatch reads a stage's CloudWatch Logs group on AWS (FilterLogEvents, polled to follow).
package logs

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Entry is one log line of a stage's function.
type Entry struct {
	// Time is when the line was written (local target) or ingested with (CloudWatch's event timestamp).
	Time time.Time `json:"time"`
	// Stage is the cws stage.
	Stage string `json:"stage"`
	// RequestID is the Lambda request id of the invocation that wrote the line; "" for lines outside one
	// (the init phase).
	RequestID string `json:"request_id"`
	// Message is the line, without the runtime's `[stage] request-id ` prefix.
	Message string `json:"message"`
}

// TimeLayout is how Text writes an entry's time: UTC, to the millisecond.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// AppendText appends the entry's human form and a newline to b:
//
//	2025-01-02T15:04:05.123Z [dev] 8f2c0d6e-... hello from the handler
//	2025-01-02T15:04:05.124Z [dev] END RequestId: 8f2c0d6e-...
//
// which is the local gateway's terminal line with a timestamp in front. The request id is left out when the
// message already names it (Lambda's own START/END/REPORT lines) or when there is none.
func (e Entry) AppendText(b []byte) []byte {
	b = e.Time.UTC().AppendFormat(b, TimeLayout)
	b = append(b, " ["...)
	b = append(b, e.Stage...)
	b = append(b, "] "...)
	if e.RequestID != "" && !strings.Contains(e.Message, "RequestId: "+e.RequestID) {
		b = append(b, e.RequestID...)
		b = append(b, ' ')
	}
	b = append(b, e.Message...)
	return append(b, '\n')
}

// AppendJSON appends the entry as one line of JSON:
// {"time":"2025-01-02T15:04:05.123Z","stage":"dev","request_id":"8f2c...","message":"..."}.
func (e Entry) AppendJSON(b []byte) []byte {
	e.Time = e.Time.UTC()
	data, _ := json.Marshal(e) // an Entry always marshals
	b = append(b, data...)
	return append(b, '\n')
}

// Query selects entries.
type Query struct {
	// Since keeps entries at or after it; zero keeps everything still kept.
	Since time.Time
	// Filter, when set, keeps entries whose message or request id contains it (case-sensitive, as
	// CloudWatch's terms), so that a request id selects all of one invocation's lines.
	Filter string
	// Last, when > 0, keeps only the last Last entries of what is already written (follow mode then goes on
	// with the new ones).
	Last int
	// Follow keeps reading: after the entries already written, Read waits for new ones until its context ends.
	Follow bool
}

// matches reports whether e passes the query's filters.
func (q *Query) matches(e *Entry) bool {
	return !e.Time.Before(q.Since) &&
		(q.Filter == "" || strings.Contains(e.Message, q.Filter) || strings.Contains(e.RequestID, q.Filter))
}

// Reader reads one stage's log.
type Reader interface {
	// Read calls fn with every entry that matches q, oldest first. Without q.Follow it returns once the
	// entries already written are read; with it, it then waits for new entries and returns nil when ctx
	// ends. An error from fn stops the read and is returned.
	Read(ctx context.Context, q Query, fn func(Entry) error) error
}

// backlog returns how a reader passes on the entries already written: emit takes each matching entry,
// flush then hands fn what it kept. With q.Last only the last entries are kept; else emit is fn itself.
func backlog(q *Query, fn func(Entry) error) (emit func(Entry) error, flush func() error) {
	if q.Last <= 0 {
		return fn, func() error { return nil }
	}
	var kept []Entry
	emit = func(e Entry) error {
		if len(kept) == q.Last {
			copy(kept, kept[1:])
			kept = kept[:q.Last-1]
		}
		kept = append(kept, e)
		return nil
	}
	flush = func() error {
		for _, e := range kept {
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	}
	return emit, flush
}

// parseRuntimeLine splits a line as the local runtime writes it (`[stage] request-id text`, or
// `[stage] START RequestId: id ...` for Lambda's own lines, or `[stage] text` during init) into the request id
// and the message. A line without the `[stage] ` prefix is all message.
func parseRuntimeLine(line string) (requestID, message string) {
	if strings.HasPrefix(line, "[") {
		if i := strings.Index(line, "] "); i > 0 {
			line = line[i+2:]
		}
	}
	if id, rest, ok := strings.Cut(line, " "); ok && isRequestID(id) {
		return id, rest
	}
	return lambdaRequestID(line), line
}

// lambdaRequestID returns the id named by `RequestId: id` in one of Lambda's own lines (START, END, REPORT),
// or "".
func lambdaRequestID(message string) string {
	for _, prefix := range []string{"START ", "END ", "REPORT "} {
		if !strings.HasPrefix(message, prefix) {
			continue
		}
		_, rest, ok := strings.Cut(message, "RequestId: ")
		if !ok {
			return ""
		}
		if i := strings.IndexAny(rest, " \t"); i >= 0 {
			rest = rest[:i]
		}
		return rest
	}
	return ""
}

// isRequestID reports whether s has the shape of a Lambda request id: a UUID, 8-4-4-4-12 hex digits.
func isRequestID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
