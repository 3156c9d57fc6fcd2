package gateway

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMissingOrNonExecutableFunctionIs502(t *testing.T) {
	notExec := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing, plain := stage(t, "probe", "dev", ""), stage(t, "probe", "prod", "")
	missing.Function.Executable = filepath.Join(t.TempDir(), "gone")
	plain.Function.Executable = notExec
	s := serve(t, []API{{ID: "abc1234567", Stages: []Stage{missing, plain}}}, nil)
	s.get(t, "/dev/hello").want(t, 502, internalError)
	s.get(t, "/prod/hello").want(t, 502, internalError)
	for _, want := range []string{"[dev] ", "[prod] "} {
		if !strings.Contains(s.funcLog.String(), want+"INIT_REPORT") || !strings.Contains(s.funcLog.String(), "Runtime.InvalidEntrypoint") {
			t.Errorf("the function log does not say why %sfailed to start:\n%s", want, s.funcLog.String())
		}
	}
	if !strings.Contains(s.access.String(), "host build") {
		t.Errorf("the access log does not say what to do:\n%s", s.access.String())
	}
}
