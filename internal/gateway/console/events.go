package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coworks-go/coworks/internal/gateway"
	"github.com/coworks-go/coworks/internal/logs"
)

// heartbeat is how often an idle event stream gets a comment line, so that proxies and the browser keep it.
const heartbeat = 15 * time.Second

// recentLogLines is how many lines of a stage's log a new page gets before the live ones.
const recentLogLines = 200

// feedSize is how many requests the feed keeps: a page that falls further behind (more requests than this
// between two of its reads, every flushEvery) misses some and is told.
const feedSize = 4096

// requestFeed keeps the last requests in a ring, numbered in order. add never blocks and wakes nobody: each
// page's stream reads what is new every flushEvery, so a busy gateway pays one copy per request whether or
// not pages watch.
type requestFeed struct {
	mu   sync.Mutex
	ring []gateway.Request
	next uint64 // the number of the next request; request n is at ring[n%len(ring)]
}

func newRequestFeed() *requestFeed { return &requestFeed{ring: make([]gateway.Request, feedSize)} }

func (f *requestFeed) add(r gateway.Request) {
	f.mu.Lock()
	f.ring[f.next%uint64(len(f.ring))] = r
	f.next++
	f.mu.Unlock()
}

// since appends the requests numbered from n on to dst and returns it, the number to read from next, and how
// many of those requests had already been overwritten.
func (f *requestFeed) since(dst []gateway.Request, n uint64) ([]gateway.Request, uint64, uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var missed uint64
	if oldest := f.next - min(f.next, uint64(len(f.ring))); n < oldest {
		missed, n = oldest-n, oldest
	}
	for ; n < f.next; n++ {
		dst = append(dst, f.ring[n%uint64(len(f.ring))])
	}
	return dst, n, missed
}

// last returns the number of the request recent requests before the next one.
func (f *requestFeed) last(recent int) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.next - min(f.next, uint64(recent))
}

// flushEvery is how often an event stream's pending events are flushed to the page: events are written
// as they come but sent in batches, so that a busy gateway does not pay a system call per event.
const flushEvery = 50 * time.Millisecond

// eventStream writes Server-Sent Events; a goroutine flushes them every flushEvery and writes a heartbeat
// comment when the stream is idle. It is safe for concurrent use until close.
type eventStream struct {
	mu    sync.Mutex
	w     http.ResponseWriter
	f     http.Flusher
	dirty bool
	err   error
	stop  chan struct{}
	done  chan struct{}
}

func startEvents(w http.ResponseWriter) (*eventStream, bool) {
	f, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming unsupported")
		return nil, false
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	f.Flush()
	s := &eventStream{w: w, f: f, stop: make(chan struct{}), done: make(chan struct{})}
	go s.flusher()
	return s, true
}

// send queues one event of the given type with v as JSON data. It fails once the page has gone.
func (s *eventStream) send(event string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		_, s.err = fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", event, data)
		s.dirty = true
	}
	return s.err
}

func (s *eventStream) flusher() {
	defer close(s.done)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	idle := 0
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		s.mu.Lock()
		if !s.dirty {
			if idle++; idle*int(flushEvery) >= int(heartbeat) && s.err == nil {
				_, s.err = fmt.Fprint(s.w, ": keep-alive\n\n")
				s.dirty, idle = true, 0
			}
		}
		if s.dirty {
			s.f.Flush()
			s.dirty, idle = false, 0
		}
		s.mu.Unlock()
	}
}

// close stops the flusher, flushing what is pending; nothing is written after it.
func (s *eventStream) close() {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	if s.dirty && s.err == nil {
		s.f.Flush()
	}
	s.err = http.ErrHandlerTimeout // refuse later writes
	s.mu.Unlock()
}

// serveRequestEvents streams the gateway's requests: the recent ones, then the new ones as they are answered
// (event "request"), read from the feed every flushEvery; "dropped" says how many a slow page missed.
func (c *Console) serveRequestEvents(w http.ResponseWriter, r *http.Request) {
	es, ok := startEvents(w)
	if !ok {
		return
	}
	defer es.close()
	next := c.requests.last(c.opts.RecentRequests)
	var batch []gateway.Request
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for first := true; ; first = false {
		var missed uint64
		batch, next, missed = c.requests.since(batch[:0], next)
		if missed > 0 && es.send("dropped", map[string]uint64{"count": missed}) != nil {
			return
		}
		for _, req := range batch {
			if es.send("request", req) != nil {
				return
			}
		}
		if first && es.send("ready", map[string]int{"recent": len(batch)}) != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

// serveLogEvents streams a stage's function log (event "log", one entry each): the last lines, then the new
// ones as they are written, from the same store `cws logs --follow` reads (or CloudWatch for AWS stages).
func (c *Console) serveLogEvents(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("stage")
	st, err := c.knownStage(r.Context(), name)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if st == nil {
		writeError(w, http.StatusNotFound, "no stage "+name)
		return
	}
	reader, err := c.opts.Project.Logs(r.Context(), name)
	if err != nil {
		writeError(w, http.StatusBadGateway, err.Error())
		return
	}
	es, ok := startEvents(w)
	if !ok {
		return
	}
	defer es.close()
	ctx := r.Context()
	err = reader.Read(ctx, logs.Query{Last: recentLogLines, Follow: true}, func(e logs.Entry) error { return es.send("log", e) })
	if err != nil && ctx.Err() == nil {
		es.send("failure", map[string]string{"error": err.Error()})
	}
}
