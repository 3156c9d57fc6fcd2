// Command localbench holds the Go helpers of bench/local.sh:
//
//	localbench nethttp ADDR
//	    serves the plain net/http peer: GET / answers "Hello" (text/plain), on ADDR until killed;
//	localbench wait URL [TIMEOUT]
//	    waits until GET URL answers 200 (default timeout 120s);
//	localbench freeport
//	    prints a TCP port free on 127.0.0.1 right now;
//	localbench first URL
//	    times one GET URL, which must answer 200, and prints it in ms (the first request to a fresh server);
//	localbench swap URL FILE OLD RUNS
//	    RUNS times: replaces the line of FILE holding OLD with a new greeting, then times from the write to the
//	    first GET URL (polled every 10 ms) whose body is that greeting; prints each time and the median in ms.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "localbench:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: localbench nethttp ADDR | freeport | first URL | wait URL [TIMEOUT] | swap URL FILE OLD RUNS")
	}
	switch cmd, args := args[0], args[1:]; {
	case cmd == "nethttp" && len(args) == 1:
		return serveHello(args[0])
	case cmd == "freeport" && len(args) == 0:
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		_, err = fmt.Fprintln(out, ln.Addr().(*net.TCPAddr).Port)
		return err
	case cmd == "first" && len(args) == 1:
		start := time.Now()
		status, body, err := get(context.Background(), args[0])
		d := time.Since(start)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("GET %s answered %d %q", args[0], status, body)
		}
		_, err = fmt.Fprintf(out, "%.2f\n", ms(d))
		return err
	case cmd == "wait" && (len(args) == 1 || len(args) == 2):
		timeout := 120 * time.Second
		if len(args) == 2 {
			d, err := time.ParseDuration(args[1])
			if err != nil {
				return fmt.Errorf("wait: timeout %q: %w", args[1], err)
			}
			timeout = d
		}
		_, err := waitFor(args[0], "", timeout)
		return err
	case cmd == "swap" && len(args) == 4:
		runs, err := strconv.Atoi(args[3])
		if err != nil || runs < 1 {
			return fmt.Errorf("swap: RUNS must be a positive integer, got %q", args[3])
		}
		return swap(out, args[0], args[1], args[2], runs)
	default:
		return fmt.Errorf("unknown command or wrong arguments: %q", strings.Join(append([]string{cmd}, args...), " "))
	}
}

// serveHello is the plain net/http peer: the least any Go HTTP server costs.
func serveHello(addr string) error {
	body := []byte("Hello")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	})
	return http.ListenAndServe(addr, mux)
}

var client = &http.Client{Timeout: 5 * time.Second}

// get returns the status and body of GET url.
func get(ctx context.Context, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// waitFor polls GET url every 10 ms until it answers 200 (with body want, when want is set) and returns
// how long that took.
func waitFor(url, want string, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	last := "no answer"
	for {
		status, body, err := get(ctx, url)
		switch {
		case err != nil:
			last = err.Error()
		case status == http.StatusOK && (want == "" || strings.TrimSpace(body) == want):
			return time.Since(start), nil
		default:
			last = fmt.Sprintf("%d %q", status, body)
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("GET %s: not the expected answer after %s (last: %s)", url, timeout, last)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// swap edits the greeting line of file runs times and measures each rebuild-and-swap.
func swap(out io.Writer, url, file, old string, runs int) error {
	orig, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	defer os.WriteFile(file, orig, 0o644)
	lines := strings.Split(string(orig), "\n")
	at := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, old) })
	if at < 0 {
		return fmt.Errorf("swap: no line of %s holds %q", file, old)
	}
	var took []time.Duration
	stamp := time.Now().UnixNano() // a greeting never built before: each run compiles
	for i := range runs {
		greeting := fmt.Sprintf("Swapped %d-%d", stamp, i)
		edited := slices.Clone(lines)
		edited[at] = strings.Replace(lines[at], old, greeting, 1)
		start := time.Now()
		if err := os.WriteFile(file, []byte(strings.Join(edited, "\n")), 0o644); err != nil {
			return err
		}
		if _, err := waitFor(url, greeting, 60*time.Second); err != nil {
			return fmt.Errorf("swap %d: %w", i+1, err)
		}
		d := time.Since(start)
		took = append(took, d)
		fmt.Fprintf(out, "swap %d: %.0f ms\n", i+1, ms(d))
		time.Sleep(500 * time.Millisecond) // let the old function stop before the next edit
	}
	slices.Sort(took)
	fmt.Fprintf(out, "median %.0f ms\n", ms(took[len(took)/2]))
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
