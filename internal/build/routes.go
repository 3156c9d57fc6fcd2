package build

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/coworks-go/coworks"
)

// maxRoutesOutput bounds what is read from the route table run, on stdout and on stderr each.
const maxRoutesOutput = 4 << 20

// lambdaStartExit is what aws-lambda-go's lambda.Start logs before exiting 1 when it runs outside Lambda.
const lambdaStartExit = "expected AWS Lambda environment variables"

// Why a function gets the catch-all route table (Artifact.CatchAllReason).
const (
	reasonServer = "it kept running under CWS_ROUTES=1 (a plain http.Handler server)"
	reasonLambda = "it exited as a plain lambda.Start function does outside Lambda"
	reasonSilent = "it exited 0 under CWS_ROUTES=1 without printing a route table"
)

// readRoutes runs the host binary with CWS_ROUTES=1 (and without the Lambda runtime variables) in the
// project directory and reads the JSON array of coworks.Route it prints on stdout before exiting 0, as
// coworks.Start does. The contract, from what the binary does:
//
//   - prints a JSON array and exits 0: its route table (invalid entries are an error);
//   - keeps running until the timeout (a plain server), or exits 0 printing something else: catch-all;
//   - exits 1 after aws-lambda-go's "expected AWS Lambda environment variables" (a plain lambda.Start
//     function): catch-all;
//   - anything else (a panic, another exit status, a signal): a *RoutesError. The function fails before
//     serving, as it would in Lambda; a CoWorks service always lands here when coworks.New panics.
//
// why says why the table is the catch-all one ("" when the function listed its routes). Unknown fields of
// a route are ignored, so a function built with a newer framework still deploys.
func readRoutes(ctx context.Context, bin string, proj project, env []string, timeout time.Duration) (routes []coworks.Route, why string, err error) {
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, bin)
	cmd.Dir = proj.dir
	env = withEnv(env, "CWS_ROUTES=1", "PORT=0", "AWS_LAMBDA_RUNTIME_API=", "_LAMBDA_SERVER_PORT=")
	cmd.Env = withoutEmpty(env, "AWS_LAMBDA_RUNTIME_API", "_LAMBDA_SERVER_PORT")
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &limitedWriter{w: &stdout, n: maxRoutesOutput}
	cmd.Stderr = &limitedWriter{w: &stderr, n: maxRoutesOutput}
	cmd.WaitDelay = time.Second // a child holding stdout open must not hang the build
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, "", fmt.Errorf("build: reading the route table: %w", ctx.Err())
	}
	out := bytes.TrimSpace(stdout.Bytes())
	var exit *exec.ExitError
	switch {
	case runCtx.Err() != nil:
		return coworks.CatchAllRoutes(), reasonServer, nil
	case errors.As(runErr, &exit):
		if exit.ExitCode() == 1 && strings.Contains(stderr.String(), lambdaStartExit) {
			return coworks.CatchAllRoutes(), reasonLambda, nil
		}
		return nil, "", routesError(proj, exit, stderr.String())
	case runErr != nil:
		return nil, "", fmt.Errorf("build: running %s with CWS_ROUTES=1: %w", bin, runErr)
	case !bytes.HasPrefix(out, []byte("[")):
		return coworks.CatchAllRoutes(), reasonSilent, nil
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	if err := dec.Decode(&routes); err != nil {
		return nil, "", fmt.Errorf("build: %s printed an invalid route table with CWS_ROUTES=1: %w", bin, err)
	}
	if dec.More() {
		return nil, "", fmt.Errorf("build: %s printed more than one JSON value with CWS_ROUTES=1: print only the route table on stdout", bin)
	}
	for i, r := range routes {
		if r.Method == "" || r.Method != strings.ToUpper(r.Method) || !strings.HasPrefix(r.Path, "/") {
			return nil, "", fmt.Errorf("build: route table entry %d (%s %q): want an upper-case method and a path starting with /", i, r.Method, r.Path)
		}
	}
	if routes == nil {
		routes = []coworks.Route{}
	}
	return routes, "", nil
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
