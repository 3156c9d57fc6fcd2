package runtimeapi

import (
	"slices"
	"testing"
	"time"
)

func TestGOMAXPROCSFollowsLambdaCPUShare(t *testing.T) {
	for _, c := range []struct{ memoryMB, host, want int }{
		{128, 8, 1}, {1769, 8, 1}, {1770, 8, 2}, {3008, 8, 2}, {10240, 8, 6}, {10240, 2, 2}, {128, 1, 1},
	} {
		if got := lambdaCPUs(c.memoryMB, c.host); got != c.want {
			t.Errorf("lambdaCPUs(%d MB, %d host CPUs) = %d, want %d", c.memoryMB, c.host, got, c.want)
		}
	}
	cfg, err := FunctionConfig{Name: "f", Executable: "/bin/true", Env: map[string]string{"GOMAXPROCS": "4"}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if env := cfg.processEnv("127.0.0.1:1", "/task", "", time.Now()); !slices.Contains(env, "GOMAXPROCS=4") {
		t.Errorf("a stage's GOMAXPROCS must win over the default; environment: %v", env)
	}
}
