package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// floorServer is the simplest Runtime API server that can drive one aws-lambda-go process: one event channel
// for /next, one answer channel for /response. It is the baseline the pool is measured against.
type floorServer struct {
	events  chan []byte
	answers chan []byte
	addr    string
	srv     *http.Server
	cmd     *exec.Cmd
}

func startFloor(executable string) (*floorServer, error) {
	f := &floorServer{events: make(chan []byte), answers: make(chan []byte)}
	mux := http.NewServeMux()
	seq := 0
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case ev := <-f.events:
			seq++
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", strconv.Itoa(seq))
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:floor")
			w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
			_, _ = w.Write(ev)
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		f.answers <- body
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f.addr = ln.Addr().String()
	f.srv = &http.Server{Handler: mux}
	go func() { _ = f.srv.Serve(ln) }()
	f.cmd = exec.Command(executable)
	f.cmd.Dir = filepath.Dir(executable)
	// No GOMAXPROCS, as the pool sets none (Lambda sets none): like for like.
	f.cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + f.addr, "AWS_LAMBDA_FUNCTION_NAME=floor", "PATH=/usr/bin:/bin"}
	f.cmd.Stderr = os.Stderr
	if err := f.cmd.Start(); err != nil {
		_ = f.srv.Close()
		return nil, fmt.Errorf("starting the floor's echo process: %w", err)
	}
	return f, nil
}

func (f *floorServer) invoke(ctx context.Context, event []byte) ([]byte, error) {
	select {
	case f.events <- event:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case a := <-f.answers:
		return a, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *floorServer) close() {
	_ = f.cmd.Process.Kill()
	_ = f.cmd.Wait()
	_ = f.srv.Close()
}
