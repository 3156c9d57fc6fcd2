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

// subscriberBuffer is how many requests a slow page may lag behind before it misses some (it is told).
const subscriberBuffer = 256

// requestFeed keeps the last requests and hands new ones to the pages watching. add never blocks: a page
// that does not keep up misses requests rather than slowing the gateway.
type requestFeed struct {
	mu   sync.Mutex
	ring []gateway.Request
	next int // where the next request goes in ring once it is full
	subs map[chan gateway.Request]*subscriber
}

type subscriber struct{ dropped int }

func newRequestFeed(n int) *requestFeed {
	return &requestFeed{ring: make([]gateway.Request, 0, n), subs: map[chan gateway.Request]*subscriber{}}
}

func (f *requestFeed) add(r gateway.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.ring) < cap(f.ring) {
		f.ring = append(f.ring, r)
	} else {
		f.ring[f.next] = r
		f.next = (f.next + 1) % len(f.ring)
	}
	for ch, s := range f.subs {
		select {
		case ch <- r:
		default:
			s.dropped++
		}
	}
}

// subscribe returns the recent requests, oldest first, and a channel of the next ones; cancel ends it.
func (f *requestFeed) subscribe() (recent []gateway.Request, ch chan gateway.Request, dropped func() int, cancel func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	recent = make([]gateway.Request, 0, len(f.ring))
	recent = append(recent, f.ring[f.next:]...)
	recent = append(recent, f.ring[:f.next]...)
	ch = make(chan gateway.Request, subscriberBuffer)
	s := &subscriber{}
	f.subs[ch] = s
	dropped = func() int {
		f.mu.Lock()
		defer f.mu.Unlock()
		n := s.dropped
		s.dropped = 0
		return n
	}
	cancel = func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
	}
	return recent, ch, dropped, cancel
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

// serveRequestEvents streams the gateway's requests: the recent ones, then each new one as it is answered
// (event "request"); "dropped" says how many a slow page missed.
func (c *Console) serveRequestEvents(w http.ResponseWriter, r *http.Request) {
	recent, ch, dropped, cancel := c.requests.subscribe()
	defer cancel()
	es, ok := startEvents(w)
	if !ok {
		return
	}
	defer es.close()
	for _, req := range recent {
		if es.send("request", req) != nil {
			return
		}
	}
	if es.send("ready", map[string]int{"recent": len(recent)}) != nil {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case req := <-ch:
			if n := dropped(); n > 0 && es.send("dropped", map[string]int{"count": n}) != nil {
				return
			}
			if es.send("request", req) != nil {
				return
			}
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
