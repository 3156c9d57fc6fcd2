package cli

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// statusDelay is how long a step runs without output before the live status line appears.
const statusDelay = time.Second

// spinner is the live status line's animation, one frame per tick.
var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// liveStatus keeps a slow command from leaving a silent terminal. While a step runs (start until stop),
// once nothing has been printed for statusDelay it draws a line under the output with a spinner and the
// time since the last line, which names the step ("Building ./examples/hello for linux/amd64"):
//
//	⠹ 12s
//
// The line is erased before anything else is written to the terminal, through the writers of wrap, so it
// never ends up in the middle of other output. It exists only when stderr is a terminal and NO_COLOR is
// unset, and not with --json: elsewhere the output is the plain progress lines, each step's start and end.
type liveStatus struct {
	term io.Writer // stderr, a terminal: where the line is drawn
	now  func() time.Time

	mu      sync.Mutex
	active  int       // steps started and not stopped
	since   time.Time // the last output
	midLine bool      // the last output did not end a line: drawing would overwrite it
	drawn   bool      // the status line is on screen
	frame   int
}

// newLiveStatus returns the live status of env's terminal, or nil (which does nothing) when stderr is not
// a terminal, NO_COLOR or TERM=dumb is set, or the command prints JSON.
func newLiveStatus(env *Env, json bool) *liveStatus {
	if json || !colorEnabled(env, env.Err) || env.Getenv("TERM") == "dumb" {
		return nil
	}
	return &liveStatus{term: env.Err, now: env.Now}
}

// liveProgress is the live status of a one-shot command: env with its streams wrapped, and the function
// that ends the status (call it when the slow part is over, at the latest when the command returns).
func liveProgress(env *Env, json bool) (*Env, func()) {
	s := newLiveStatus(env, json)
	return s.wrap(env), s.start()
}

// wrap returns a copy of env whose Out and Err erase the status line before writing (env itself when s is
// nil). The copy's writers stay valid after the status stops.
func (s *liveStatus) wrap(env *Env) *Env {
	if s == nil {
		return env
	}
	w := *env
	w.Out, w.Err = statusWriter{s, env.Out}, statusWriter{s, env.Err}
	return &w
}

// start begins a slow step: from now on, a second without output shows the status line, until stop.
func (s *liveStatus) start() (stop func()) {
	if s == nil {
		return func() {}
	}
	s.begin()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				s.tick()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			s.end()
		})
	}
}

// begin and end delimit a step, without the ticks (start runs them).
func (s *liveStatus) begin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active++
	s.since = s.now()
}

func (s *liveStatus) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active--
	s.erase()
}

// tick redraws the status line when a step has been quiet for statusDelay.
func (s *liveStatus) tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	quiet := s.now().Sub(s.since)
	if s.active == 0 || s.midLine || quiet < statusDelay {
		return
	}
	s.frame = (s.frame + 1) % len(spinner)
	fmt.Fprintf(s.term, "\r\x1b[K%s %s", spinner[s.frame], quiet.Truncate(time.Second))
	s.drawn = true
}

// erase removes the status line; the caller holds mu.
func (s *liveStatus) erase() {
	if s.drawn {
		io.WriteString(s.term, "\r\x1b[K")
		s.drawn = false
	}
}

// statusWriter is a stream of the terminal that the status line shares: each write erases the line first
// and restarts the quiet time.
type statusWriter struct {
	s *liveStatus
	w io.Writer
}

func (sw statusWriter) Write(p []byte) (int, error) {
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	sw.s.erase()
	sw.s.since = sw.s.now()
	if len(p) > 0 {
		sw.s.midLine = p[len(p)-1] != '\n'
	}
	return sw.w.Write(p)
}
