// Command stagesload is the load driver of bench/stages.sh: a burst on each stage of a local cloud in turn,
// as a branch-per-stage workflow does, while it samples the memory of the gateway and of every process
// under it.
//
//	stagesload -base http://127.0.0.1:PORT -pid GATEWAY_PID -stages s01,s02,... [-burst 20] [-parallel 8]
//
// For each stage it sends -burst requests GET /{stage}/, -parallel at a time, and checks that each answers
// 200 "Hello from {stage}". Every 50 ms it sums VmRSS over the gateway and its descendants (/proc). It
// prints one line of key=value pairs: requests, failed, p50_ms, p99_ms, max_ms, peak_rss_mb, peak_procs,
// peak_threads (of the gateway), end_rss_mb and end_procs (just after the last burst).
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	base := flag.String("base", "", "the gateway's base URL, http://127.0.0.1:PORT")
	pid := flag.Int("pid", 0, "the gateway's process id")
	stages := flag.String("stages", "", "comma-separated stage names")
	burst := flag.Int("burst", 20, "requests per stage")
	parallel := flag.Int("parallel", 8, "requests in flight at once")
	flag.Parse()
	if *base == "" || *pid == 0 || *stages == "" {
		fmt.Fprintln(os.Stderr, "usage: stagesload -base URL -pid PID -stages s01,s02,... [-burst 20] [-parallel 8]")
		os.Exit(2)
	}
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *parallel}}

	var peakRSS, peakProcs, peakThreads int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			rss, procs := tree(*pid)
			peakRSS, peakProcs = max(peakRSS, rss), max(peakProcs, int64(procs))
			peakThreads = max(peakThreads, status(*pid, "Threads:"))
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()

	var mu sync.Mutex
	var lat []time.Duration
	failed := 0
	for _, st := range strings.Split(*stages, ",") {
		want := "Hello from " + st
		jobs := make(chan struct{})
		var wg sync.WaitGroup
		for range *parallel {
			wg.Go(func() {
				for range jobs {
					start := time.Now()
					ok := get(client, *base+"/"+st+"/", want)
					d := time.Since(start)
					mu.Lock()
					lat = append(lat, d)
					if !ok {
						failed++
					}
					mu.Unlock()
				}
			})
		}
		for range *burst {
			jobs <- struct{}{}
		}
		close(jobs)
		wg.Wait()
	}
	close(stop)
	<-sampled
	endRSS, endProcs := tree(*pid)
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	fmt.Printf("requests=%d failed=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f peak_rss_mb=%.1f peak_procs=%d peak_threads=%d end_rss_mb=%.1f end_procs=%d\n",
		len(lat), failed, pct(0.5), pct(0.99), pct(1), float64(peakRSS)/1024, peakProcs, peakThreads, float64(endRSS)/1024, endProcs)
	if failed > 0 {
		os.Exit(1)
	}
}

// get sends one request and reports whether it answered 200 with want.
func get(client *http.Client, url, want string) bool {
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stagesload:", err)
		return false
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != want {
		fmt.Fprintf(os.Stderr, "stagesload: GET %s: %d %q\n", url, resp.StatusCode, body)
		return false
	}
	return true
}

// tree returns the summed VmRSS (kB) of pid and its descendants, and how many processes that is.
func tree(pid int) (rssKB int64, procs int) {
	todo := []int{pid}
	for len(todo) > 0 {
		p := todo[0]
		todo = todo[1:]
		procs++
		rssKB += status(p, "VmRSS:")
		tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(p) + "/task")
		for _, task := range tasks {
			data, _ := os.ReadFile("/proc/" + strconv.Itoa(p) + "/task/" + task.Name() + "/children")
			for _, f := range strings.Fields(string(data)) {
				if c, err := strconv.Atoi(f); err == nil {
					todo = append(todo, c)
				}
			}
		}
	}
	return rssKB, procs
}

// status reads a numeric field of /proc/{pid}/status (kB for memory fields); 0 when unavailable.
func status(pid int, field string) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	_, rest, ok := strings.Cut(string(data), "\n"+field)
	if !ok {
		return 0
	}
	line, _, _ := strings.Cut(rest, "\n")
	n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line), "kB")), 10, 64)
	return n
}
