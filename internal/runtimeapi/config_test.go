package runtimeapi

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestProcessEnvHasOnlyWhatLambdaSets: no variable Lambda does not set, GOMAXPROCS included (a stage may
// still set one itself).
func TestProcessEnvHasOnlyWhatLambdaSets(t *testing.T) {
	cfg, err := FunctionConfig{Name: "f", Executable: "/bin/true", MemoryMB: 256}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range cfg.processEnv("127.0.0.1:1", "/task", "", time.Now()) {
		if strings.HasPrefix(kv, "GOMAXPROCS=") || strings.HasPrefix(kv, "GOMEMLIMIT=") {
			t.Errorf("the function's environment has %s, which Lambda does not set", kv)
		}
	}
}

func TestLambdaTraceHeader(t *testing.T) {
	parent := regexp.MustCompile(`;Parent=[0-9a-f]{16};`)
	for _, c := range []struct{ in, root, sampled string }{
		{"Root=1-5ebe3025-deef4878791011e68f1425af", "Root=1-5ebe3025-deef4878791011e68f1425af;", "Sampled=0"},
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", "Root=1-5759e988-bd862e3fe1be46a994272793;", "Sampled=1"},
		{"", "Root=1-00000064-", "Sampled=0"},
		{"garbage", "Root=1-00000064-", "Sampled=0"},
	} {
		got := lambdaTraceHeader(c.in, time.Unix(100, 0))
		if !strings.HasPrefix(got, c.root) || !parent.MatchString(got) || !strings.HasSuffix(got, c.sampled) || strings.Contains(got, "53995c3f42cd8ad8") {
			t.Errorf("lambdaTraceHeader(%q) = %q, want %s..., a new Parent, %s", c.in, got, c.root, c.sampled)
		}
	}
}
