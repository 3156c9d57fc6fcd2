// Command runtimefloor measures the cost of the local Lambda Runtime API: N sequential invocations of a warm
// aws-lambda-go echo process through the simplest possible Runtime API server (the floor), then through
// runtimeapi.Pool.Invoke, interleaved in rounds so machine load hits both alike; then the cold start of a new
// environment (process start to first response, median of -cold runs). It prints a table and the ratios.
//
// Run from the bench module: `go run ./runtimefloor` (flags: -n, -rounds, -cold).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/coworks-go/coworks/internal/runtimeapi"
)

func main() {
	n := flag.Int("n", 2000, "sequential invocations per round and contender")
	rounds := flag.Int("rounds", 3, "rounds, alternating floor and pool")
	cold := flag.Int("cold", 20, "cold starts measured")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "runtimefloor:", err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(context.Background(), os.Stdout, *n, *rounds, *cold); err != nil {
		fmt.Fprintln(os.Stderr, "runtimefloor:", err)
		os.Exit(1) //nolint:gocritic // the profile of a failed run is not worth keeping
	}
}

func run(ctx context.Context, out io.Writer, n, rounds, colds int) error {
	_, here, _, _ := runtime.Caller(0)
	dir, err := os.MkdirTemp("", "runtimefloor-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	exe := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-o", exe, ".")
	build.Dir = filepath.Join(filepath.Dir(here), "echofn")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the echo function: %w", err)
	}

	floor, err := startFloor(exe)
	if err != nil {
		return err
	}
	defer floor.close()
	pool, err := runtimeapi.NewPool(runtimeapi.FunctionConfig{Name: "bench-dev", Stage: "dev", Executable: exe,
		Timeout: time.Minute}, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer pool.Close(ctx)

	event := []byte(`{"path":"/orders/42","httpMethod":"GET","body":null}`)
	floorCall := func() error {
		got, err := floor.invoke(ctx, event)
		if err == nil && !bytes.Equal(got, event) {
			err = fmt.Errorf("floor answered %s", got)
		}
		return err
	}
	poolCall := func() error {
		res, err := pool.Invoke(ctx, event, runtimeapi.InvokeOptions{})
		if err == nil && !bytes.Equal(res.Payload, event) {
			err = fmt.Errorf("pool answered %s", res.Payload)
		}
		return err
	}
	var floorLat, poolLat []time.Duration
	var floorTime, poolTime time.Duration
	for r := 0; r <= rounds; r++ {
		count := n
		if r == 0 {
			count = 200 // warm-up round, not recorded
		}
		fl, ft, err := measure(count, floorCall)
		if err != nil {
			return err
		}
		pl, pt, err := measure(count, poolCall)
		if err != nil {
			return err
		}
		if r > 0 {
			floorLat, poolLat = append(floorLat, fl...), append(poolLat, pl...)
			floorTime, poolTime = floorTime+ft, poolTime+pt
		}
	}
	rss := int64(0)
	for _, m := range pool.Memory() {
		rss = m.RSSBytes
	}

	var coldLat, initDur []time.Duration
	for range colds {
		p, err := runtimeapi.NewPool(runtimeapi.FunctionConfig{Name: "bench-dev", Stage: "dev", Executable: exe}, nil)
		if err != nil {
			return err
		}
		start := time.Now()
		res, err := p.Invoke(ctx, event, runtimeapi.InvokeOptions{})
		coldLat = append(coldLat, time.Since(start))
		initDur = append(initDur, res.InitDuration)
		_ = p.Close(ctx)
		if err != nil {
			return err
		}
	}

	fp50, fp99 := pct(floorLat, 50), pct(floorLat, 99)
	pp50, pp99 := pct(poolLat, 50), pct(poolLat, 99)
	fRate := float64(len(floorLat)) / floorTime.Seconds()
	pRate := float64(len(poolLat)) / poolTime.Seconds()
	fmt.Fprintf(out, "Runtime API floor: %d rounds x %d sequential invocations, warm aws-lambda-go echo, %s %s/%s, %d CPUs\n\n",
		rounds, n, runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintf(out, "| contender | calls/s | p50 | p99 |\n|---|---:|---:|---:|\n")
	fmt.Fprintf(out, "| minimal Runtime API server (floor) | %.0f | %s | %s |\n", fRate, us(fp50), us(fp99))
	fmt.Fprintf(out, "| runtimeapi.Pool.Invoke | %.0f | %s | %s |\n", pRate, us(pp50), us(pp99))
	fmt.Fprintf(out, "| pool cost vs floor (floor÷pool for calls/s, pool÷floor for latency) | %.2fx | %.2fx | %.2fx |\n\n", fRate/pRate, float64(pp50)/float64(fp50), float64(pp99)/float64(fp99))
	fmt.Fprintf(out, "| cold start (median of %d) | value |\n|---|---:|\n", colds)
	fmt.Fprintf(out, "| new environment to first response | %s |\n", ms(pct(coldLat, 50)))
	fmt.Fprintf(out, "| init (process start to first /next) | %s |\n", ms(pct(initDur, 50)))
	fmt.Fprintf(out, "| warm environment RSS | %.1f MB |\n", float64(rss)/(1<<20))
	return nil
}

// measure runs call count times sequentially and returns each latency and the total time.
func measure(count int, call func() error) ([]time.Duration, time.Duration, error) {
	lat := make([]time.Duration, 0, count)
	begin := time.Now()
	for range count {
		start := time.Now()
		if err := call(); err != nil {
			return nil, 0, err
		}
		lat = append(lat, time.Since(start))
	}
	return lat, time.Since(begin), nil
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }
func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
