package coworks

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

type benchService struct{}

func (benchService) Get() string            { return "Hello, world!" }
func (benchService) GetValue(index int) int { return index }

// discardWriter is a reusable http.ResponseWriter, so that measurements count the App's allocations only.
type discardWriter struct {
	h      http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(s int)           { d.status = s }

func TestAllocationsPerRequest(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector adds allocations; run without -race to check them")
	}
	app := New("bench", benchService{})
	tests := []struct {
		target string
		max    float64
	}{
		{"/", 2},         // Call's result slice and the string it returns
		{"/value/42", 4}, // plus the converted int and the JSON encoding
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", tt.target, nil)
		w := &discardWriter{h: http.Header{}}
		allocs := testing.AllocsPerRun(100, func() { app.ServeHTTP(w, req) })
		if w.status != 200 {
			t.Fatalf("GET %s = %d", tt.target, w.status)
		}
		if allocs > tt.max {
			t.Errorf("GET %s allocates %.0f times per request, want at most %.0f", tt.target, allocs, tt.max)
		}
		t.Logf("GET %s: %.0f allocations per request", tt.target, allocs)
	}
}

func BenchmarkHelloRoute(b *testing.B) {
	app := New("bench", benchService{})
	req := httptest.NewRequest("GET", "/", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		app.ServeHTTP(w, req)
	}
}

func BenchmarkValueRoute(b *testing.B) {
	app := New("bench", benchService{})
	req := httptest.NewRequest("GET", "/value/42", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		app.ServeHTTP(w, req)
	}
}

// BenchmarkServeMuxPeer is the same hello route through net/http's ServeMux, the baseline to compare with.
func BenchmarkServeMuxPeer(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("Hello, world!"))
	})
	req := httptest.NewRequest("GET", "/", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		mux.ServeHTTP(w, req)
	}
}

func (d *discardWriter) WriteString(s string) (int, error) { return len(s), nil }
