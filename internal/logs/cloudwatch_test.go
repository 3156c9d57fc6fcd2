package logs

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/coworks-go/coworks/internal/logs/cloudwatchfake"
)

// fakeAWSEnv gives the SDK static credentials and no shared config, so that it signs requests and never
// looks for credentials elsewhere (instance metadata included).
func fakeAWSEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// The real SDK client against a local server speaking CloudWatch Logs' JSON protocol: every page is read,
// Lambda's lines give the function's lines of the same log stream their request id (two environments
// interleaved), the output is the local store's format, and following picks up new events once.
func TestCloudWatchFakeServerReadAndFollow(t *testing.T) {
	fakeAWSEnv(t)
	srv := cloudwatchfake.New()
	defer srv.Close()
	srv.PageSize = 2
	t0 := time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	const a, b = "2025/01/02/[$LATEST]aaaa", "2025/01/02/[$LATEST]bbbb"
	srv.Put("/aws/lambda/svc-prod",
		cloudwatchfake.Event{Stream: a, Time: at(0), Message: "INIT_START Runtime Version: provided:al2023.v100\n"},
		cloudwatchfake.Event{Stream: a, Time: at(1), Message: "START RequestId: " + id1 + " Version: $LATEST\n"},
		cloudwatchfake.Event{Stream: b, Time: at(2), Message: "START RequestId: " + id2 + " Version: $LATEST\n"},
		cloudwatchfake.Event{Stream: a, Time: at(3), Message: "hello from one\n"},
		cloudwatchfake.Event{Stream: b, Time: at(3), Message: "hello from two\n"},
		cloudwatchfake.Event{Stream: a, Time: at(4), Message: "END RequestId: " + id1 + "\n"},
		cloudwatchfake.Event{Stream: a, Time: at(4), Message: "REPORT RequestId: " + id1 + "\tDuration: 1.00 ms\n"},
	)
	cw, err := NewCloudWatch(context.Background(), CloudWatchConfig{Region: "eu-west-1", Endpoint: srv.URL, Function: "svc-prod", Stage: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, cw, Query{})
	want := "2025-01-02T15:04:05.000Z [prod] INIT_START Runtime Version: provided:al2023.v100\n" +
		"2025-01-02T15:04:05.001Z [prod] START RequestId: " + id1 + " Version: $LATEST\n" +
		"2025-01-02T15:04:05.002Z [prod] START RequestId: " + id2 + " Version: $LATEST\n" +
		"2025-01-02T15:04:05.003Z [prod] " + id1 + " hello from one\n" +
		"2025-01-02T15:04:05.003Z [prod] " + id2 + " hello from two\n" +
		"2025-01-02T15:04:05.004Z [prod] END RequestId: " + id1 + "\n" +
		"2025-01-02T15:04:05.004Z [prod] REPORT RequestId: " + id1 + "\tDuration: 1.00 ms\n"
	if texts(got) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", texts(got), want)
	}
	if got := readAll(t, cw, Query{Filter: "two"}); len(got) != 1 || got[0].RequestID != id2 {
		t.Errorf("filter: %q", texts(got))
	}
	if got := readAll(t, cw, Query{Since: at(4)}); len(got) != 2 {
		t.Errorf("since: %q", texts(got))
	}

	cw.Poll = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	entries := make(chan Entry, 100)
	done := make(chan error, 1)
	go func() {
		done <- cw.Read(ctx, Query{Follow: true, Last: 1}, func(e Entry) error { entries <- e; return nil })
	}()
	next := func() Entry {
		t.Helper()
		select {
		case e := <-entries:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no entry")
			return Entry{}
		}
	}
	if e := next(); e.Message != "REPORT RequestId: "+id1+"\tDuration: 1.00 ms" {
		t.Fatalf("last: %+v", e)
	}
	srv.Put("/aws/lambda/svc-prod", cloudwatchfake.Event{Stream: b, Time: at(4), Message: "late line at the same millisecond\n"},
		cloudwatchfake.Event{Stream: b, Time: at(9), Message: "END RequestId: " + id2 + "\n"})
	if e := next(); e.Message != "late line at the same millisecond" || e.RequestID != id2 {
		t.Fatalf("followed: %+v", e)
	}
	if e := next(); e.Message != "END RequestId: "+id2 {
		t.Fatalf("followed: %+v", e)
	}
	calls := srv.Calls()
	for srv.Calls() < calls+3 { // a few more polls: nothing is emitted twice
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("entries emitted twice: %+v", <-entries)
	}
}

func TestCloudWatchFakeServerMissingGroup(t *testing.T) {
	fakeAWSEnv(t)
	srv := cloudwatchfake.New()
	defer srv.Close()
	cw, err := NewCloudWatch(context.Background(), CloudWatchConfig{Region: "eu-west-1", Endpoint: srv.URL, Function: "svc-none", Stage: "none"})
	if err != nil {
		t.Fatal(err)
	}
	err = cw.Read(context.Background(), Query{}, func(Entry) error { return nil })
	if !errors.Is(err, ErrNoLogGroup) {
		t.Fatalf("got %v, want ErrNoLogGroup", err)
	}
}

// With Live Tail, following goes through a session (the poll interval is an hour here, so nothing comes by
// polling): the real SDK client reads the fake's event stream; the session's first catch-up read and its
// live events are not doubled; the function's lines get their stream's request id.
// followLiveTail starts a following Read of the fake's svc-prod group through Live Tail (polling only
// every hour, so that what arrives came through Live Tail) and returns the next entry read, and stop,
// which ends the Read and fails the test if it returned an error.
func followLiveTail(t *testing.T, srv *cloudwatchfake.Server) (next func() Entry, stop func()) {
	t.Helper()
	// StartLiveTail's host is the endpoint's with "stream-" in front, as Live Tail's own endpoint is: dial the
	// fake whatever the host.
	addr := strings.TrimPrefix(srv.URL, "http://")
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}}
	client := cloudwatchlogs.New(cloudwatchlogs.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	cw := &CloudWatch{Client: client, LogGroup: "/aws/lambda/svc-prod", Stage: "prod", Poll: time.Hour,
		LogGroupARN: "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/svc-prod"}
	ctx, cancel := context.WithCancel(context.Background())
	entries := make(chan Entry, 100)
	done := make(chan error, 1)
	go func() { done <- cw.Read(ctx, Query{Follow: true}, func(e Entry) error { entries <- e; return nil }) }()
	next = func() Entry {
		t.Helper()
		select {
		case e := <-entries:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no entry")
			return Entry{}
		}
	}
	stop = func() {
		t.Helper()
		select {
		case e := <-entries:
			t.Fatalf("an entry came twice or from nowhere: %+v", e)
		case <-time.After(200 * time.Millisecond):
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(cancel)
	return next, stop
}

// waitForSessions waits until the fake has started n Live Tail sessions and one is open.
func waitForSessions(t *testing.T, srv *cloudwatchfake.Server, n int) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); srv.SessionsStarted() < n || srv.Sessions() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("Live Tail sessions: %d started, %d open; want %d started and one open", srv.SessionsStarted(), srv.Sessions(), n)
		}
	}
}

func TestCloudWatchFakeServerLiveTail(t *testing.T) {
	fakeAWSEnv(t)
	srv := cloudwatchfake.New()
	defer srv.Close()
	srv.LiveTail = true
	t0 := time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)
	const a = "2025/01/02/[$LATEST]aaaa"
	srv.Put("/aws/lambda/svc-prod", cloudwatchfake.Event{Stream: a, Time: t0, Message: "START RequestId: " + id1 + " Version: $LATEST\n"})
	next, stop := followLiveTail(t, srv)
	if e := next(); !strings.HasPrefix(e.Message, "START") {
		t.Fatalf("backlog: %+v", e)
	}
	waitForSessions(t, srv, 1)
	srv.Put("/aws/lambda/svc-prod", cloudwatchfake.Event{Stream: a, Time: time.Now(), Message: "live line\n"})
	if e := next(); e.Message != "live line" || e.RequestID != id1 || e.Stage != "prod" {
		t.Fatalf("live: %+v", e)
	}
	stop()
}

// TestCloudWatchFakeServerLiveTailStartsAgainWhenTheSessionEnds: Live Tail ends sessions after 3 hours and a
// connection can drop; `cws logs --follow` then starts a new session rather than falling back to polling,
// and a line written in between arrives once.
func TestCloudWatchFakeServerLiveTailStartsAgainWhenTheSessionEnds(t *testing.T) {
	fakeAWSEnv(t)
	srv := cloudwatchfake.New()
	defer srv.Close()
	srv.LiveTail = true
	const a = "2025/01/02/[$LATEST]aaaa"
	srv.Put("/aws/lambda/svc-prod", cloudwatchfake.Event{Stream: a, Time: time.Now(), Message: "START RequestId: " + id1 + " Version: $LATEST\n"})
	next, stop := followLiveTail(t, srv)
	next()
	waitForSessions(t, srv, 1)
	srv.EndSessions()
	srv.Put("/aws/lambda/svc-prod", cloudwatchfake.Event{Stream: a, Time: time.Now(), Message: "between sessions\n"})
	waitForSessions(t, srv, 2)
	if e := next(); e.Message != "between sessions" || e.RequestID != id1 {
		t.Fatalf("the line written between sessions: %+v", e)
	}
	srv.Put("/aws/lambda/svc-prod", cloudwatchfake.Event{Stream: a, Time: time.Now(), Message: "second session\n"})
	if e := next(); e.Message != "second session" {
		t.Fatalf("live in the second session: %+v", e)
	}
	stop()
}
