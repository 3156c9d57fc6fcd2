package console

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coworks-go/coworks/internal/gateway"
	"github.com/coworks-go/coworks/internal/logs"
)

// stubProject stands in for the CLI's project view: these tests are about the console's own HTTP rules.
type stubProject struct{ store *logs.Store }

func (p stubProject) Name() string { return "svc" }
func (p stubProject) Stages(context.Context) ([]Stage, error) {
	return []Stage{{Name: "dev", Served: true, APIStage: "dev"}, {Name: "prod", Target: "terraform"}}, nil
}
func (p stubProject) Diff(_ context.Context, a, b string) (*Diff, error) {
	return &Diff{A: a, B: b, Rows: []DiffRow{}}, nil
}
func (p stubProject) Logs(_ context.Context, stage string) (logs.Reader, error) {
	return p.store.Reader(stage), nil
}
func (p stubProject) History(_ context.Context, stage string) (*History, error) {
	return &History{Stage: stage, Target: "local", Entries: []HistoryEntry{{N: 1, Action: "deploy", Result: "ok", Current: true}}}, nil
}

func newTestConsole(t *testing.T, gatewayURL string) (*Console, *httptest.Server) {
	c := New(Options{Project: stubProject{logs.NewStore(t.TempDir(), logs.StoreOptions{})}, GatewayURL: gatewayURL})
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return c, srv
}

// A page on another site cannot use the console: not through a rebound DNS name (Host), not by posting a
// request to send (JSON only, same origin).
func TestConsoleRefusesOtherSites(t *testing.T) {
	_, srv := newTestConsole(t, "http://127.0.0.1:1")
	req, _ := http.NewRequest("GET", srv.URL+"/api/stages", nil)
	req.Host = "evil.example:80"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a foreign Host got %d, want 403", resp.StatusCode)
	}
	for _, tc := range []struct {
		contentType, origin string
		want                int
	}{
		{"text/plain", "", http.StatusUnsupportedMediaType},
		{"application/json", "http://evil.example", http.StatusForbidden},
		{"application/json", "", http.StatusBadRequest}, // same origin, but prod is not served here
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/api/send", strings.NewReader(`{"stage":"prod","method":"GET","path":"/"}`))
		req.Header.Set("Content-Type", tc.contentType)
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("send with %s from %q: %d, want %d", tc.contentType, tc.origin, resp.StatusCode, tc.want)
		}
	}
}

// The live request stream replays the recent requests, then pushes new ones; a page that fell more than the
// feed's size behind is told how many it missed.
func TestRequestEventsReplayThenPush(t *testing.T) {
	c, srv := newTestConsole(t, "http://127.0.0.1:1")
	c.Observe(gateway.Request{Method: "GET", Path: "/dev/old", Status: 200, RequestID: "old"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events/requests", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	want := func(sub string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case l := <-lines:
				if strings.Contains(l, sub) {
					return
				}
			case <-timeout:
				t.Fatalf("no %q in the stream", sub)
			}
		}
	}
	want(`"request_id":"old"`)
	want("event: ready")
	c.Observe(gateway.Request{Method: "GET", Path: "/dev/new", Status: 200, RequestID: "new"})
	want(`"request_id":"new"`)
}

// A stage's history is asked for by name; a name that is no stage is a 404, never passed on.
func TestHistoryOfKnownStagesOnly(t *testing.T) {
	_, srv := newTestConsole(t, "http://127.0.0.1:1")
	for path, want := range map[string]int{"dev": http.StatusOK, "prod": http.StatusOK, "nope": http.StatusNotFound, "": http.StatusNotFound} {
		resp, err := http.Get(srv.URL + "/api/history?stage=" + path)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Stage   string         `json:"stage"`
			Entries []HistoryEntry `json:"entries"`
			Error   string         `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("history of %q: %d, want %d", path, resp.StatusCode, want)
		}
		if want == http.StatusOK && (body.Stage != path || len(body.Entries) != 1 || !body.Entries[0].Current) {
			t.Errorf("history of %q: %+v", path, body)
		}
		if want != http.StatusOK && body.Error == "" {
			t.Errorf("history of %q: no error message", path)
		}
	}
}

func TestRequestFeedCountsMissed(t *testing.T) {
	f := newRequestFeed()
	for i := range feedSize + 10 {
		f.add(gateway.Request{Status: i})
	}
	got, next, missed := f.since(nil, 0)
	if missed != 10 || len(got) != feedSize || got[0].Status != 10 || next != feedSize+10 {
		t.Fatalf("missed %d, got %d from status %d, next %d", missed, len(got), got[0].Status, next)
	}
	if got, _, missed := f.since(nil, next); len(got) != 0 || missed != 0 {
		t.Fatalf("nothing new: got %d, missed %d", len(got), missed)
	}
	if n := f.last(3); n != feedSize+7 {
		t.Fatalf("last(3) = %d", n)
	}
}

func TestLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1:8001": true, "localhost:8001": true, "[::1]:8001": true, "127.0.0.1": true,
		"evil.example:8001": false, "192.168.1.2:8001": false, "localhost.evil.example": false,
	} {
		if got := loopbackHost(host); got != want {
			t.Errorf("loopbackHost(%q) = %v", host, got)
		}
	}
}
