// Package cloudwatchfake is a local stand-in for CloudWatch Logs, for tests: an HTTP server speaking the
// service's JSON 1.1 protocol for FilterLogEvents, the one operation cws reads logs with. CloudWatch itself
// cannot run here; the real AWS SDK client talks to this server through its endpoint setting
// (AWS_ENDPOINT_URL). Only tests use it.
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

	mu     sync.Mutex
	groups map[string][]stored
	seq    int
	calls  int
}

type stored struct {
	Event
	id string
}

// New starts a server with no log group.
func New() *Server {
	s := &Server{PageSize: 100, groups: map[string][]stored{}}
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
	}
	if _, ok := s.groups[group]; !ok {
		s.groups[group] = nil
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
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "Logs_20140328.FilterLogEvents" {
		fail(w, http.StatusBadRequest, "UnknownOperationException", "this fake answers FilterLogEvents only")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		fail(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
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
