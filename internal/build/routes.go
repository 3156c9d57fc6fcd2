package build

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/coworks-go/coworks"
)

// maxRoutesOutput bounds what is read from the route table run.
const maxRoutesOutput = 4 << 20

// readRoutes runs the host binary with CWS_ROUTES=1 (and without the Lambda runtime variables) in dir and
// reads the JSON array of coworks.Route it prints on stdout before exiting 0. A binary that does something
// else (a plain lambda.Start exits 1 without AWS_LAMBDA_RUNTIME_API; a server keeps running until the
// timeout kills it) gets the catch-all table, with catchAll true. Output that starts like a JSON array but
// is not a valid route table is an error: the function claims routes we cannot deploy. Unknown fields are
// ignored, so a function built with a newer framework still deploys.
func readRoutes(ctx context.Context, bin, dir string, env []string, timeout time.Duration) (routes []coworks.Route, catchAll bool, err error) {
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, bin)
	cmd.Dir = dir
	env = withEnv(env, "CWS_ROUTES=1", "PORT=0", "AWS_LAMBDA_RUNTIME_API=", "_LAMBDA_SERVER_PORT=")
	cmd.Env = withoutEmpty(env, "AWS_LAMBDA_RUNTIME_API", "_LAMBDA_SERVER_PORT")
	var stdout bytes.Buffer
	cmd.Stdout = &limitedWriter{w: &stdout, n: maxRoutesOutput}
	cmd.Stderr = io.Discard
	cmd.WaitDelay = time.Second // a child holding stdout open must not hang the build
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, false, fmt.Errorf("build: reading the route table: %w", ctx.Err())
	}
	out := bytes.TrimSpace(stdout.Bytes())
	if runErr != nil || !bytes.HasPrefix(out, []byte("[")) {
		return coworks.CatchAllRoutes(), true, nil
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	if err := dec.Decode(&routes); err != nil {
		return nil, false, fmt.Errorf("build: %s printed an invalid route table with CWS_ROUTES=1: %w", bin, err)
	}
	if dec.More() {
		return nil, false, fmt.Errorf("build: %s printed more than one JSON value with CWS_ROUTES=1: print only the route table on stdout", bin)
	}
	for i, r := range routes {
		if r.Method == "" || r.Method != strings.ToUpper(r.Method) || !strings.HasPrefix(r.Path, "/") {
			return nil, false, fmt.Errorf("build: route table entry %d (%s %q): want an upper-case method and a path starting with /", i, r.Method, r.Path)
		}
	}
	if routes == nil {
		routes = []coworks.Route{}
	}
	return routes, false, nil
}

// withoutEmpty drops keys set to the empty string, so the child sees them unset.
func withoutEmpty(env []string, keys ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if v == "" && slicesContainsKey(keys, k) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// limitedWriter keeps the first n bytes and swallows the rest, so a chatty binary cannot exhaust memory.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
