// Package cloudwatchfake is a local stand-in for CloudWatch Logs, for tests: an HTTP server speaking the
// service's JSON 1.1 protocol for the two operations cws reads logs with, FilterLogEvents and (when
// LiveTail is set) StartLiveTail, whose answer is an event stream. CloudWatch itself cannot run here; the
// real AWS SDK client talks to this server through its endpoint setting. Only tests use it.
package cloudwatchfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// Event is one log event.
type Event struct {
	Stream  string
	Time    time.Time
	Message string
}

// Server is the fake service. Its URL is the endpoint to give the client.
type Server struct {
	*httptest.Server
	// PageSize is how many events one FilterLogEvents answer holds at most (the rest is behind nextToken).
	PageSize int
	// LiveTail makes the server answer StartLiveTail: every event Put after a session started is sent to it
	// in a sessionUpdate. Off, StartLiveTail is an unknown operation, as on endpoints without Live Tail.
	LiveTail bool

	mu       sync.Mutex
	groups   map[string][]stored
	seq      int
	calls    int
	sessions map[*session]bool // the open Live Tail sessions
	started  int               // Live Tail sessions ever started
}

// session is one Live Tail session: the log group it tails, its events, and end, closed to end it.
type session struct {
	group  string
	events chan Event
	end    chan struct{}
}

type stored struct {
	Event
	id string
}

// New starts a server with no log group.
func New() *Server {
	s := &Server{PageSize: 100, groups: map[string][]stored{}, sessions: map[*session]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Put adds events to group, creating it.
func (s *Server) Put(group string, events ...Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range events {
		s.seq++
		s.groups[group] = append(s.groups[group], stored{Event: e, id: fmt.Sprintf("%056d", s.seq)})
		for sess := range s.sessions {
			if strings.HasSuffix(sess.group, ":log-group:"+group) {
				select {
				case sess.events <- e:
				default: // a session that does not read loses events, as Live Tail's do
				}
			}
		}
	}
	if _, ok := s.groups[group]; !ok {
		s.groups[group] = nil
	}
}

// Sessions returns the number of Live Tail sessions open.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// SessionsStarted returns the number of Live Tail sessions ever started.
func (s *Server) SessionsStarted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// EndSessions ends every open Live Tail session, as Live Tail does after 3 hours: the stream ends.
func (s *Server) EndSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sess := range s.sessions {
		close(sess.end)
		delete(s.sessions, sess)
	}
}

// Calls returns the number of FilterLogEvents calls answered.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

type filterInput struct {
	LogGroupName string `json:"logGroupName"`
	StartTime    *int64 `json:"startTime"`
	EndTime      *int64 `json:"endTime"`
	NextToken    string `json:"nextToken"`
}

type filteredEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	IngestionTime int64  `json:"ingestionTime"`
	Message       string `json:"message"`
	EventID       string `json:"eventId"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		fail(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	switch op := r.Header.Get("X-Amz-Target"); {
	case r.Method == http.MethodPost && op == "Logs_20140328.FilterLogEvents":
		s.filter(w, r)
	case r.Method == http.MethodPost && op == "Logs_20140328.StartLiveTail" && s.LiveTail:
		s.liveTail(w, r)
	default:
		fail(w, http.StatusBadRequest, "UnknownOperationException", "this fake does not answer "+op)
	}
}

func (s *Server) filter(w http.ResponseWriter, r *http.Request) {
	var in filterInput
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	events, ok := s.groups[in.LogGroupName]
	if !ok {
		fail(w, http.StatusBadRequest, "ResourceNotFoundException", "The specified log group does not exist.")
		return
	}
	var match []stored
	for _, e := range events {
		ms := e.Time.UnixMilli()
		if (in.StartTime == nil || ms >= *in.StartTime) && (in.EndTime == nil || ms <= *in.EndTime) {
			match = append(match, e)
		}
	}
	slices.SortStableFunc(match, func(a, b stored) int { return a.Time.Compare(b.Time) })
	offset, _ := strconv.Atoi(in.NextToken)
	match = match[min(offset, len(match)):]
	out := struct {
		Events    []filteredEvent `json:"events"`
		NextToken string          `json:"nextToken,omitempty"`
	}{Events: []filteredEvent{}}
	if len(match) > s.PageSize {
		match = match[:s.PageSize]
		out.NextToken = strconv.Itoa(offset + s.PageSize)
	}
	for _, e := range match {
		out.Events = append(out.Events, filteredEvent{LogStreamName: e.Stream, Timestamp: e.Time.UnixMilli(),
			IngestionTime: e.Time.UnixMilli(), Message: e.Message, EventID: e.id})
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

func fail(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", typ)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

// liveTail answers StartLiveTail with an event stream: the initial response, sessionStart, then a
// sessionUpdate for each event put into the tailed group, until the client goes.
func (s *Server) liveTail(w http.ResponseWriter, r *http.Request) {
	var in struct {
		LogGroupIdentifiers []string `json:"logGroupIdentifiers"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.LogGroupIdentifiers) != 1 ||
		!strings.HasPrefix(in.LogGroupIdentifiers[0], "arn:aws:logs:") {
		fail(w, http.StatusBadRequest, "InvalidParameterException", "give one log group ARN")
		return
	}
	group := in.LogGroupIdentifiers[0]
	sess := &session{group: group, events: make(chan Event, 100), end: make(chan struct{})}
	s.mu.Lock()
	s.sessions[sess] = true
	s.started++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.sessions, sess)
		s.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.WriteHeader(http.StatusOK)
	enc := eventstream.NewEncoder()
	send := func(event string, payload any) error {
		data, _ := json.Marshal(payload)
		var h eventstream.Headers
		h.Set(":message-type", eventstream.StringValue("event"))
		h.Set(":event-type", eventstream.StringValue(event))
		h.Set(":content-type", eventstream.StringValue("application/json"))
		if err := enc.Encode(w, eventstream.Message{Headers: h, Payload: data}); err != nil {
			return err
		}
		w.(http.Flusher).Flush()
		return nil
	}
	if send("initial-response", map[string]any{}) != nil ||
		send("sessionStart", map[string]any{"sessionId": "fake-session", "logGroupIdentifiers": []string{group}}) != nil {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-sess.end:
			return
		case e := <-sess.events:
			update := map[string]any{
				"sessionMetadata": map[string]bool{"sampled": false},
				"sessionResults": []map[string]any{{
					"logStreamName": e.Stream, "logGroupIdentifier": group, "message": e.Message,
					"timestamp": e.Time.UnixMilli(), "ingestionTime": e.Time.UnixMilli(),
				}},
			}
			if send("sessionUpdate", update) != nil {
				return
			}
		}
	}
}
