package gateway

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"path/filepath"

	"github.com/coworks-go/coworks/internal/apigw"
	"github.com/coworks-go/coworks/internal/runtimeapi"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"
)

// BenchmarkServeOneConnection sends sequential GET / requests over one keep-alive loopback connection to a
// gateway serving the hello example at the root of stage dev (as `cws run` does), with the access log and
// the function log going to files. It reports the median latency (p50-µs) besides ns/op.
func BenchmarkServeOneConnection(b *testing.B) {
	dir := b.TempDir()
	access, err := os.Create(dir + "/access.log")
	if err != nil {
		b.Fatal(err)
	}
	defer access.Close()
	funcLog, err := os.Create(dir + "/function.log")
	if err != nil {
		b.Fatal(err)
	}
	defer funcLog.Close()
	cmd := exec.Command(filepath.Join(binDir, "hello"))
	cmd.Env = []string{"CWS_ROUTES=1"}
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("route table of hello: %v", err)
	}
	var table []apigw.Route
	if err := json.Unmarshal(out, &table); err != nil {
		b.Fatal(err)
	}
	st := Stage{
		Name: "dev", Variables: map[string]string{"cws_stage": "dev"}, Routes: table,
		Function: runtimeapi.FunctionConfig{Name: "hello-dev", Executable: filepath.Join(binDir, "hello"), Timeout: 5 * time.Second},
	}
	gw, err := New([]API{{ID: "abc123", Stages: []Stage{st}, RootStage: "dev"}}, Options{AccessLog: access, FunctionLog: funcLog})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer func() {
		srv.Close()
		_ = gw.Close(b.Context())
	}()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	req := []byte("GET / HTTP/1.1\r\nHost: " + srv.Listener.Addr().String() + "\r\n\r\n")
	get := func() {
		if _, err := conn.Write(req); err != nil {
			b.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET /: %d", resp.StatusCode)
		}
	}
	for range 200 { // warm: the environment starts and the connection's buffers settle
		get()
	}
	lat := make([]time.Duration, 0, 1<<16)
	b.ResetTimer()
	for b.Loop() {
		t := time.Now()
		get()
		lat = append(lat, time.Since(t))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1000, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1000, "p99-µs")
}
