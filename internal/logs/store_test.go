package logs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	id1 = "8f2c0d6e-1111-4a4a-8b8b-0123456789ab"
	id2 = "8f2c0d6e-2222-4a4a-8b8b-0123456789ab"
)

// clock is a settable clock for stamping lines.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func readAll(t *testing.T, r Reader, q Query) []Entry {
	t.Helper()
	var got []Entry
	if err := r.Read(context.Background(), q, func(e Entry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}

func texts(entries []Entry) string {
	var b []byte
	for _, e := range entries {
		b = e.AppendText(b)
	}
	return string(b)
}

// The lines the local runtime writes come back as entries with their request id split off, in the human
// format the terminal shows plus a timestamp.
func TestStoreKeepsRuntimeLinesWithTimeAndRequestID(t *testing.T) {
	c := &clock{t: time.Date(2025, 1, 2, 15, 4, 5, 123e6, time.UTC)}
	s := NewStore(t.TempDir(), StoreOptions{Now: c.now})
	w := s.Writer("dev")
	fmt.Fprintf(w, "[dev] init line\n")
	c.add(time.Millisecond)
	// The reporter writes several lines in one Write.
	fmt.Fprintf(w, "[dev] START RequestId: %s Version: $LATEST\n", id1)
	fmt.Fprintf(w, "[dev] %s hello\tfrom the handler\n", id1)
	fmt.Fprintf(w, "[dev] END RequestId: %s\n[dev] REPORT RequestId: %s\tDuration: 1.23 ms\tBilled Duration: 2 ms\n", id1, id1)
	got := readAll(t, s.Reader("dev"), Query{})
	want := "2025-01-02T15:04:05.123Z [dev] init line\n" +
		"2025-01-02T15:04:05.124Z [dev] START RequestId: " + id1 + " Version: $LATEST\n" +
		"2025-01-02T15:04:05.124Z [dev] " + id1 + " hello\tfrom the handler\n" +
		"2025-01-02T15:04:05.124Z [dev] END RequestId: " + id1 + "\n" +
		"2025-01-02T15:04:05.124Z [dev] REPORT RequestId: " + id1 + "\tDuration: 1.23 ms\tBilled Duration: 2 ms\n"
	if texts(got) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", texts(got), want)
	}
	for i, e := range got[1:] {
		if e.RequestID != id1 {
			t.Errorf("entry %d: request id %q, want %q", i+1, e.RequestID, id1)
		}
	}
	if got[0].RequestID != "" {
		t.Errorf("init line has request id %q", got[0].RequestID)
	}
	if j := string(got[2].AppendJSON(nil)); j != `{"time":"2025-01-02T15:04:05.124Z","stage":"dev","request_id":"`+id1+`","message":"hello\tfrom the handler"}`+"\n" {
		t.Errorf("JSON: %s", j)
	}
}

// Logs survive the writer (a gateway restart): another Store on the same directory reads them.
func TestStoreSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir, StoreOptions{})
	fmt.Fprintf(s.Writer("dev"), "[dev] %s before the restart\n", id1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, NewStore(dir, StoreOptions{}).Reader("dev"), Query{})
	if len(got) != 1 || got[0].Message != "before the restart" || got[0].RequestID != id1 {
		t.Fatalf("got %+v", got)
	}
	info, err := os.Stat(filepath.Join(dir, "dev.log"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", info.Mode().Perm())
	}
}

func TestStoreQuery(t *testing.T) {
	c := &clock{t: time.Date(2025, 1, 2, 15, 0, 0, 0, time.UTC)}
	s := NewStore(t.TempDir(), StoreOptions{Now: c.now})
	w := s.Writer("dev")
	for i := range 10 {
		fmt.Fprintf(w, "[dev] %s line %d\n", id1, i)
		c.add(time.Minute)
	}
	r := s.Reader("dev")
	if got := readAll(t, r, Query{Since: time.Date(2025, 1, 2, 15, 7, 0, 0, time.UTC)}); len(got) != 3 || got[0].Message != "line 7" {
		t.Errorf("since: %q", texts(got))
	}
	if got := readAll(t, r, Query{Filter: "line 4"}); len(got) != 1 || got[0].Message != "line 4" {
		t.Errorf("filter: %q", texts(got))
	}
	if got := readAll(t, r, Query{Last: 2}); len(got) != 2 || got[0].Message != "line 8" || got[1].Message != "line 9" {
		t.Errorf("last: %q", texts(got))
	}
	if got := readAll(t, s.Reader("prod"), Query{}); len(got) != 0 {
		t.Errorf("a stage that never logged: %q", texts(got))
	}
}

// Past the size limit the file rotates: the previous file is kept (and read first), older ones go, and the
// stage never takes more than twice the limit.
func TestStoreRotatesAndStaysBounded(t *testing.T) {
	dir := t.TempDir()
	const limit = 4096
	s := NewStore(dir, StoreOptions{MaxFileBytes: limit})
	w := s.Writer("dev")
	for i := range 500 {
		fmt.Fprintf(w, "[dev] %s line %03d %s\n", id1, i, strings.Repeat("x", 40))
		if i%10 == 0 {
			s.Close() // write now, so rotations happen along the way
		}
	}
	s.Close()
	var total int64
	for _, name := range []string{"dev.log", "dev.log.1"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		total += info.Size()
	}
	if total > 2*limit+flushBytes {
		t.Errorf("the stage takes %d bytes, limit %d per file", total, limit)
	}
	if _, err := os.Stat(filepath.Join(dir, "dev.log.2")); err == nil {
		t.Error("dev.log.2 exists: only one previous file is kept")
	}
	got := readAll(t, s.Reader("dev"), Query{})
	if len(got) == 0 || got[len(got)-1].Message != "line 499 "+strings.Repeat("x", 40) {
		t.Fatalf("last entry: %+v", got[len(got)-1:])
	}
	for i := 1; i < len(got); i++ {
		if got[i].Message <= got[i-1].Message {
			t.Fatalf("entries out of order or repeated at %d: %q then %q", i, got[i-1].Message, got[i].Message)
		}
	}
}

// A follower in another process (here: another Store on the same directory, which shares no memory with the
// writer) sees new lines as they are written, across a rotation, and stops when its context ends.
func TestFollowAcrossProcessesAndRotation(t *testing.T) {
	dir := t.TempDir()
	writer := NewStore(dir, StoreOptions{MaxFileBytes: 2048})
	w := writer.Writer("dev")
	fmt.Fprintf(w, "[dev] %s before\n", id1)
	writer.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan Entry, 1000)
	done := make(chan error, 1)
	go func() {
		done <- NewStore(dir, StoreOptions{}).Reader("dev").Read(ctx, Query{Follow: true}, func(e Entry) error {
			got <- e
			return nil
		})
	}()
	want := func(msg string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case e := <-got:
				if e.Message == msg {
					return
				}
			case <-timeout:
				t.Fatalf("the follower did not see %q", msg)
			}
		}
	}
	want("before")
	for i := range 100 { // several rotations
		fmt.Fprintf(w, "[dev] %s after %03d %s\n", id2, i, strings.Repeat("y", 60))
		if i%5 == 0 {
			writer.Close()
		}
	}
	writer.Close()
	want("after 099 " + strings.Repeat("y", 60))
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A follower in the writer's own process is woken by the write, without waiting for the poll.
func TestFollowInProcessWakesOnWrite(t *testing.T) {
	s := NewStore(t.TempDir(), StoreOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan Entry, 10)
	go s.Reader("dev").Read(ctx, Query{Follow: true}, func(e Entry) error { got <- e; return nil })
	fmt.Fprintf(s.Writer("dev"), "[dev] %s live\n", id1)
	select {
	case e := <-got:
		if e.Message != "live" || e.Stage != "dev" {
			t.Fatalf("got %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no entry")
	}
}

// A line that is half written when the reader reads is read whole later, not as a broken entry.
func TestReaderWaitsForCompleteLines(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dev.log")
	if err := os.WriteFile(path, []byte("2025-01-02T15:04:05.000000Z\t\tfirst\n2025-01-02T15:04:05.000000Z\t\tsec"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 10)
	go NewStore(dir, StoreOptions{}).Reader("dev").Read(ctx, Query{Follow: true}, func(e Entry) error { got <- e.Message; return nil })
	if m := <-got; m != "first" {
		t.Fatalf("got %q", m)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * followPoll) // the follower polls the partial line at least once
	f.WriteString("ond\n")
	f.Close()
	select {
	case m := <-got:
		if m != "second" {
			t.Fatalf("got %q, want second", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the completed line never came")
	}
}

func TestParseRuntimeLine(t *testing.T) {
	for _, tc := range []struct{ line, id, msg string }{
		{"[dev] " + id1 + " hello", id1, "hello"},
		{"[dev] START RequestId: " + id1 + " Version: $LATEST", id1, "START RequestId: " + id1 + " Version: $LATEST"},
		{"[dev] REPORT RequestId: " + id1 + "\tDuration: 1 ms", id1, "REPORT RequestId: " + id1 + "\tDuration: 1 ms"},
		{"[dev] INIT_REPORT Init Duration: 1 ms", "", "INIT_REPORT Init Duration: 1 ms"},
		{"[dev] plain init output", "", "plain init output"},
		{"no prefix at all", "", "no prefix at all"},
		{"[dev] not-a-uuid text", "", "not-a-uuid text"},
	} {
		id, msg := parseRuntimeLine(tc.line)
		if id != tc.id || msg != tc.msg {
			t.Errorf("parseRuntimeLine(%q) = %q, %q; want %q, %q", tc.line, id, msg, tc.id, tc.msg)
		}
	}
}
