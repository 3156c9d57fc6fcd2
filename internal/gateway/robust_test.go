package gateway

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestInitHangIsRetriedWithinTheInvocation: an init past the 10 s limit (here 300 ms) is retried in a new
// environment as part of the invocation, as Lambda does, and the request is answered.
func TestInitHangIsRetriedWithinTheInvocation(t *testing.T) {
	hang := filepath.Join(t.TempDir(), "hang")
	if err := os.WriteFile(hang, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	st := stage(t, "probe", "dev", "Hi")
	st.Function.Env["PROBE_HANG_FILE"] = hang
	st.Function.InitTimeout = 300 * time.Millisecond
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{st}}}, nil)
	s.get(t, "/dev/hello").want(t, 200, "Hi from dev (dev)")
	if log := s.funcLog.String(); !strings.Contains(log, "[dev] INIT_REPORT Init Duration: 300.00 ms\tPhase: init\tStatus: timeout\n") {
		t.Errorf("the function log does not say the first init timed out:\n%s", log)
	}
	if st := s.function(t, "abc1234567", "dev").pool.Stats(); st.ColdStarts != 2 {
		t.Errorf("%d cold starts, want 2 (the hung environment was reset)", st.ColdStarts)
	}
}

func TestOversizedResponsesAre502(t *testing.T) {
	st := stage(t, "probe", "dev", "Hi")
	st.Function.Timeout = time.Minute // posting 7 MB took over 5 s on a loaded machine: the size limit must be what fails
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{st}}}, nil)
	r := s.get(t, "/dev/big/6000000") // the proxy response document stays under 6 MB + 100 bytes
	if r.status != 200 || len(r.body) != 6000000 {
		t.Fatalf("a response under the limit: %d, %d bytes", r.status, len(r.body))
	}
	s.get(t, "/dev/big/7000000").want(t, 502, internalError)
	s.get(t, "/dev/bigerror").want(t, 502, internalError)
	s.get(t, "/dev/hello").want(t, 200, "Hi from dev (dev)")
	if n := strings.Count(s.access.String(), "Function.ResponseSizeTooLarge"); n != 2 {
		t.Errorf("the access log names Function.ResponseSizeTooLarge %d times, want 2:\n%s", n, s.access.String())
	}
}

func TestLongLinesAndFloodsAreLoggedInPieces(t *testing.T) {
	st := stage(t, "probe", "dev", "Hi")
	st.Function.Timeout = time.Minute // 21 MB of output through the log takes seconds under -race on a busy machine
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{st}}}, nil)
	r := s.get(t, "/dev/longline")
	r.want(t, 200, "printed")
	// Output lines carry Lambda's request id, which is not API Gateway's.
	m := regexp.MustCompile(`START RequestId: (\S+)`).FindStringSubmatch(s.funcLog.String())
	if m == nil || m[1] == r.header.Get("x-amzn-RequestId") {
		t.Fatalf("function log without its own START RequestId:\n%.1000s", s.funcLog.String())
	}
	rid := m[1]
	eventually(t, "the flood to be logged", func() bool {
		return strings.Count(s.funcLog.String(), "] "+rid+" "+strings.Repeat("e", 99)+"\n") == (20<<20)/100
	})
	s.get(t, "/dev/hello").want(t, 200, "Hi from dev (dev)")
	// The 1 MB without a newline is cut into lines of at most 256 KB, every one prefixed.
	var out int
	for _, line := range strings.Split(s.funcLog.String(), "\n") {
		if i := strings.Index(line, "] "+rid+" o"); i >= 0 {
			piece := line[i+len("] "+rid+" "):]
			if len(piece) > 256<<10 || strings.Trim(piece, "o") != "" {
				t.Fatalf("a stdout piece of %d bytes, want only o's and at most 256 KB", len(piece))
			}
			out += len(piece)
		}
	}
	if out != 1<<20 {
		t.Errorf("the log holds %d bytes of the 1 MB stdout line", out)
	}
}

func TestClientsDisconnectingUnderLoad(t *testing.T) {
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{stage(t, "probe", "dev", "Hi")}}}, func(o *Options) { o.ConcurrencyLimit = 10 })
	fn := s.function(t, "abc1234567", "dev")
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, "GET", s.url+"/dev/sleep/300", nil)
			go func() {
				// Hang up once the invocation runs (or after the bound, for requests still queued).
				for end := time.Now().Add(2 * time.Second); time.Now().Before(end) && fn.pool.Stats().Invocations == 0; {
					time.Sleep(5 * time.Millisecond)
				}
				cancel()
			}()
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	eventually(t, "every environment to become idle", func() bool { st := fn.pool.Stats(); return st.Busy == 0 && st.Idle == st.Environments })
	if st := fn.pool.Stats(); st.Environments > 10 {
		t.Errorf("stats %+v, want at most the concurrency limit of 10 environments", st)
	}
	s.get(t, "/dev/hello").want(t, 200, "Hi from dev (dev)")
	eventually(t, "the access log to record hang-ups", func() bool { return strings.Contains(s.access.String(), "(client went away)") })
}

func TestBodyLimitsAtTheEdge(t *testing.T) {
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{stage(t, "probe", "dev", "")}}}, nil)
	// Exactly 10 MB passes the body limit; its event is over Lambda's 6 MB, as on AWS.
	s.do(t, "POST", "/dev/echo", "", bytes.Repeat([]byte("x"), 10<<20), nil).want(t, 413, `{"message": "Request Too Long"}`)
	s.do(t, "POST", "/dev/echo", "", bytes.Repeat([]byte("x"), 10<<20+1), nil).want(t, 413, "HTTP content length exceeded 10485760 bytes.")
	// A chunked body (no Content-Length) over the limit is refused as well.
	req, err := http.NewRequest("POST", s.url+"/dev/echo", io.MultiReader(bytes.NewReader(make([]byte, 10<<20)), strings.NewReader("!")))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 || string(body) != "HTTP content length exceeded 10485760 bytes." || req.ContentLength != 0 {
		t.Errorf("chunked 10 MB + 1: %d %q (content length %d)", resp.StatusCode, body, req.ContentLength)
	}
	if st := s.function(t, "abc1234567", "dev").pool.Stats(); st.Invocations != 0 {
		t.Errorf("the function was invoked %d times for refused bodies", st.Invocations)
	}
	s.do(t, "POST", "/dev/echo", "", []byte("ok"), nil).want(t, 200, "ok")
}

func TestIntegrationTimeoutCoversTheColdStart(t *testing.T) {
	hang := filepath.Join(t.TempDir(), "hang")
	if err := os.WriteFile(hang, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	st := stage(t, "probe", "dev", "Hi")
	st.Function.Env["PROBE_HANG_FILE"] = hang
	st.Function.InitTimeout = 3 * time.Second
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{st}}}, func(o *Options) { o.IntegrationTimeout = 300 * time.Millisecond })
	// API Gateway's timeout runs from the request, init included: 504, not the init failure's 502.
	s.get(t, "/dev/hello").want(t, 504, `{"message": "Endpoint request timed out"}`)
}
