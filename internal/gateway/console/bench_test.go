package console

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coworks-go/coworks/internal/apigw"
	"github.com/coworks-go/coworks/internal/functiontest"
	"github.com/coworks-go/coworks/internal/gateway"
	"github.com/coworks-go/coworks/internal/logs"
	"github.com/coworks-go/coworks/internal/runtimeapi"
)

// binDir holds the hello example, built once by TestMain.
var binDir string

func TestMain(m *testing.M) {
	functiontest.Main(m, []string{"../../../examples/hello"}, func(dir string) { binDir = dir })
}

// benchProject is the console's view of the one stage the benchmark serves.
type benchProject struct{ store *logs.Store }

func (p benchProject) Name() string { return "hello" }
func (p benchProject) Stages(context.Context) ([]Stage, error) {
	return []Stage{{Name: "dev", Target: "local", Deployed: true, Served: true, APIStage: "dev"}}, nil
}
func (p benchProject) Diff(context.Context, string, string) (*Diff, error) { return &Diff{}, nil }
func (p benchProject) History(_ context.Context, stage string) (*History, error) {
	return &History{Stage: stage}, nil
}
func (p benchProject) Logs(_ context.Context, stage string) (logs.Reader, error) {
	return p.store.Reader(stage), nil
}

// BenchmarkConsoleStreamingC32 measures the gateway's throughput with 32 concurrent keep-alive clients on
// GET /dev/ of the hello example: "bare" without the log store and the console (the gateway as it was),
// "quiet" with the function logs persisted and the console's request feed on but no page open, "streaming"
// with a page's two event streams open (the live requests and dev's function log, read as fast as they
// come) on the same gateway. bench/console.sh runs it several times and reports the ratios. In req/s, and
// in CPU µs of this process per request (the function processes excluded: they do the same work throughout).
func BenchmarkConsoleStreamingC32(b *testing.B) {
	dir := b.TempDir()
	store := logs.NewStore(filepath.Join(dir, "logs"), logs.StoreOptions{})
	defer store.Close()
	access, err := os.Create(filepath.Join(dir, "access.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer access.Close()
	funcLog, err := os.Create(filepath.Join(dir, "function.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer funcLog.Close()
	c := New(Options{Project: benchProject{store}})
	cmd := exec.Command(filepath.Join(binDir, "hello"))
	cmd.Env = []string{"CWS_ROUTES=1"}
	out, err := cmd.Output()
	if err != nil {
		b.Fatal(err)
	}
	var routes []apigw.Route
	if err := json.Unmarshal(out, &routes); err != nil {
		b.Fatal(err)
	}
	serve := func(opts gateway.Options) string {
		gw, err := gateway.New([]gateway.API{{ID: "abc123", Stages: []gateway.Stage{{
			Name: "dev", Variables: map[string]string{"cws_stage": "dev"}, Routes: routes,
			Function: runtimeapi.FunctionConfig{Name: "hello-dev", Stage: "dev", Executable: filepath.Join(binDir, "hello"), Timeout: 5 * time.Second},
		}}}}, opts)
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(gw)
		b.Cleanup(func() {
			srv.Close()
			gw.Close(context.Background())
		})
		return srv.URL + "/dev/"
	}
	// bare: the gateway as before this console existed (no store, no console), for the cost of persisting.
	bare := serve(gateway.Options{AccessLog: access, FunctionLog: funcLog})
	observed := serve(gateway.Options{AccessLog: access, FunctionLog: funcLog, StageLog: store.Writer, Observe: c.Observe})
	con := httptest.NewServer(c)
	defer con.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	get := func(url string) error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil
	}
	for _, url := range []string{bare, observed} {
		for range 200 { // warm: environments start, connections open
			if err := get(url); err != nil {
				b.Fatal(err)
			}
		}
	}
	load := func(b *testing.B, url string) {
		b.SetParallelism(32 / max(1, runtime.GOMAXPROCS(0)))
		cpu0 := selfCPU()
		start := time.Now()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := get(url); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		b.ReportMetric(float64((selfCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/req")
	}
	b.Run("bare", func(b *testing.B) { load(b, bare) })
	b.Run("quiet", func(b *testing.B) { load(b, observed) })
	b.Run("streaming", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		events := make([]int, 2)
		for i, path := range []string{"/api/events/requests", "/api/events/logs?stage=dev"} {
			req, _ := http.NewRequestWithContext(ctx, "GET", con.URL+path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() && !strings.HasPrefix(sc.Text(), "data: ") { // the stream flows before the load starts
			}
			wg.Add(1)
			go func() { // a page reading its streams as fast as they come
				defer wg.Done()
				defer resp.Body.Close()
				for sc.Scan() {
					if strings.HasPrefix(sc.Text(), "data: ") {
						events[i]++
					}
				}
			}()
		}
		load(b, observed)
		cancel()
		wg.Wait()
		if b.N >= 1000 && (events[0] < b.N/2 || events[1] < b.N/2) {
			b.Fatalf("%d requests, but the streams carried %d request and %d log events", b.N, events[0], events[1])
		}
	})
}

// selfCPU is the CPU time (user and system) this process used so far: the gateway, the console, the load
// generator and the page's stream readers, not the function processes (the same work in every variant).
// Unlike throughput it barely moves with what other processes do on the machine.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
