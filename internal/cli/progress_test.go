package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// TestLiveStatusLine drives the status line by hand (its steps, ticks and clock), as a terminal would see it: it
// appears after a quiet second under the step's line with the time since, and is erased before the next
// output, so the lines printed stay intact.
func TestLiveStatusLine(t *testing.T) {
	var term bytes.Buffer
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := &liveStatus{term: &term, now: clock.now}
	env := s.wrap(&Env{Streams: Streams{Out: &term, Err: &term}})
	s.begin()

	env.Err.Write([]byte("Building ./examples/hello for linux/amd64\n"))
	clock.advance(900 * time.Millisecond)
	s.tick()
	if got := term.String(); got != "Building ./examples/hello for linux/amd64\n" {
		t.Fatalf("before a quiet second the terminal shows %q, want the step's line alone", got)
	}
	clock.advance(400 * time.Millisecond)
	s.tick()
	clock.advance(11 * time.Second)
	s.tick()
	want := "Building ./examples/hello for linux/amd64\n\r\x1b[K⠙ 1s\r\x1b[K⠹ 12s"
	if got := term.String(); got != want {
		t.Fatalf("after 12 quiet seconds the terminal shows %q, want %q", got, want)
	}
	env.Out.Write([]byte("Built it\n"))
	want += "\r\x1b[KBuilt it\n"
	if got := term.String(); got != want {
		t.Fatalf("the next line: %q, want %q (the status erased first)", got, want)
	}

	env.Err.Write([]byte("half a line"))
	clock.advance(5 * time.Second)
	s.tick()
	want += "half a line"
	if got := term.String(); got != want {
		t.Errorf("the status was drawn over a line in progress: %q", got)
	}
	env.Err.Write([]byte("\n"))
	clock.advance(2 * time.Second)
	s.tick()
	s.end()
	want += "\n\r\x1b[K⠸ 2s\r\x1b[K"
	if got := term.String(); got != want {
		t.Errorf("stop: %q, want %q (the status erased)", got, want)
	}
	clock.advance(5 * time.Second)
	s.tick()
	if got := term.String(); got != want {
		t.Errorf("a status was drawn after stop: %q", got)
	}
}

// TestLiveStatusOnlyOnATerminal: the status line is for people at a terminal; a pipe, a file, NO_COLOR,
// TERM=dumb and --json get the plain progress lines and nothing else.
func TestLiveStatusOnlyOnATerminal(t *testing.T) {
	tty, _ := openPTY(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	file, err := os.Create(t.TempDir() + "/log")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	envOf := func(stderr *os.File, vars ...string) *Env {
		return &Env{Streams: Streams{Out: &bytes.Buffer{}, Err: stderr}, Now: time.Now, Getenv: func(k string) string {
			for _, kv := range vars {
				if name, v, _ := strings.Cut(kv, "="); name == k {
					return v
				}
			}
			return ""
		}}
	}
	if newLiveStatus(envOf(tty), false) == nil {
		t.Error("no live status on a terminal")
	}
	for name, s := range map[string]*liveStatus{
		"pipe":     newLiveStatus(envOf(w), false),
		"file":     newLiveStatus(envOf(file), false),
		"NO_COLOR": newLiveStatus(envOf(tty, "NO_COLOR=1"), false),
		"dumb":     newLiveStatus(envOf(tty, "TERM=dumb"), false),
		"--json":   newLiveStatus(envOf(tty), true),
	} {
		if s != nil {
			t.Errorf("%s: a live status, want plain lines", name)
		}
	}
	env := envOf(w)
	if got, stop := liveProgress(env, false); got != env {
		t.Error("liveProgress wrapped the streams of a pipe")
	} else {
		stop()
	}
}
