package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveReal starts a gateway for apis behind the server NewServer makes, with timeouts t, on loopback.
func serveReal(t testing.TB, apis []API, timeouts ServerTimeouts) (addr string) {
	t.Helper()
	gw, err := New(apis, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(gw, timeouts)
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		gw.Close(ctx)
	})
	return ln.Addr().String()
}

// closedByServer reports whether the server closed conn (after answering, perhaps), reading what it sends
// for at most 10 s: the bound only keeps a broken server from hanging the test.
func closedByServer(conn net.Conn) (string, bool) {
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	data, err := io.ReadAll(conn)
	return string(data), err == nil
}

func TestServerTimeouts(t *testing.T) {
	timeouts := ServerTimeouts{ReadHeader: 200 * time.Millisecond, Read: 400 * time.Millisecond, Idle: 200 * time.Millisecond}
	addr := serveReal(t, []API{{ID: "abc1234567", Stages: []Stage{stage(t, "probe", "dev", "Hi")}}}, timeouts)
	dial := func() net.Conn {
		t.Helper()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}

	t.Run("headers never finished", func(t *testing.T) {
		conn := dial()
		fmt.Fprint(conn, "GET /dev/hello HTTP/1.1\r\nHost: x\r\n")
		if _, closed := closedByServer(conn); !closed {
			t.Error("the server kept a connection whose headers never ended")
		}
	})
	t.Run("body held open", func(t *testing.T) {
		conn := dial()
		fmt.Fprint(conn, "POST /dev/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b")
		reply, closed := closedByServer(conn)
		if !closed || !strings.HasPrefix(reply, "HTTP/1.1 408 ") {
			t.Errorf("a body held open: closed %v, reply %q; want 408 and the connection closed", closed, reply)
		}
	})
	t.Run("idle keep-alive connection", func(t *testing.T) {
		conn := dial()
		fmt.Fprint(conn, "GET /dev/hello HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("first request: %v %v", resp, err)
		}
		io.Copy(io.Discard, resp.Body)
		if _, closed := closedByServer(conn); !closed {
			t.Error("the server kept an idle keep-alive connection")
		}
	})
	t.Run("an invocation longer than the read timeout is answered", func(t *testing.T) {
		resp, err := http.Get("http://" + addr + "/dev/sleep/800")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "slept" {
			t.Errorf("got %d %q, want 200 slept", resp.StatusCode, body)
		}
	})
}

// TestSlowClientsDoNotHoldNormalRequests: 500 connections sending a request byte by byte or holding a body
// open do not keep normal requests from being answered.
func TestSlowClientsDoNotHoldNormalRequests(t *testing.T) {
	addr := serveReal(t, []API{{ID: "abc1234567", Stages: []Stage{stage(t, "probe", "dev", "Hi")}}}, DefaultServerTimeouts)
	stop := startSlowClients(t, addr, 500)
	defer stop()
	client := &http.Client{Timeout: 20 * time.Second} // only keeps a broken server from hanging the test
	for i := range 20 {
		resp, err := client.Get("http://" + addr + "/dev/hello")
		if err != nil {
			t.Fatalf("request %d with 500 slow clients connected: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "Hi from dev (dev)" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
	}
}

// startSlowClients opens n connections to addr: half send a request one byte a second, half send their
// headers and hold the body open, trickling a byte a second, as slowloris attacks do. stop closes them all.
func startSlowClients(t testing.TB, addr string, n int) (stop func()) {
	t.Helper()
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("slow client %d: %v", i, err)
		}
		wg.Go(func() {
			defer conn.Close()
			msg := "GET /dev/hello HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("s", 64) + "\r\n\r\n"
			if i%2 == 1 {
				fmt.Fprint(conn, "POST /dev/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
				msg = strings.Repeat("b", 100000)
			}
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for j := 0; j < len(msg); j++ {
				select {
				case <-done:
					return
				case <-tick.C:
				}
				if _, err := conn.Write([]byte{msg[j]}); err != nil {
					return // the server gave up on this client, as it should in the end
				}
			}
		})
	}
	return func() {
		close(done)
		wg.Wait()
	}
}

// BenchmarkSlowClients measures the median latency of sequential normal requests (GET /dev/hello over one
// keep-alive connection) alone, then with 500 slow clients connected (half sending a request a byte a
// second, half holding a body open), in the same run: five rounds of each, interleaved so that the load of
// the rest of the machine hits both alike, at least 1,000 requests each in all. It reports p50-alone-µs,
// p50-slow-µs and their ratio.
func BenchmarkSlowClients(b *testing.B) {
	addr := serveReal(b, []API{{ID: "abc1234567", Stages: []Stage{stage(b, "probe", "dev", "Hi")}}}, DefaultServerTimeouts)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	get := func() time.Duration {
		start := time.Now()
		resp, err := client.Get("http://" + addr + "/dev/hello")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		return time.Since(start)
	}
	const rounds = 5
	n := max(b.N, 1000) / rounds
	for range 100 { // warm: the environment, the connection
		get()
	}
	b.ResetTimer()
	var alone, slow []time.Duration
	for range rounds {
		for range n {
			alone = append(alone, get())
		}
		stop := startSlowClients(b, addr, 500)
		for range n {
			slow = append(slow, get())
		}
		stop()
	}
	p50 := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
	a, s := p50(alone), p50(slow)
	b.ReportMetric(float64(a.Microseconds()), "p50-alone-µs")
	b.ReportMetric(float64(s.Microseconds()), "p50-slow-µs")
	b.ReportMetric(float64(s)/float64(a), "slow/alone")
}
