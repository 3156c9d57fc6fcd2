package runtimeapi

import (
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// outputPipe carries one output stream (stdout or stderr) of a function process to its lineWriter through a
// pipe the pool reads itself, so that it can tell when everything the process wrote so far has been logged:
// a line belongs to the invocation (or the init) during which the process wrote it, not to whichever one is
// current when a busy machine gets round to reading it.
type outputPipe struct {
	r    *os.File
	raw  syscall.RawConn
	w    *lineWriter
	done chan struct{} // closed once the stream ended (every writer closed it) and was flushed

	// read counts the bytes read from the pipe, emitted the bytes handed to w: equal when nothing is in flight.
	read, emitted atomic.Int64
}

// newOutputPipe returns the pipe and its write end, which the process gets as its stream; the caller closes
// the write end once the process started.
func newOutputPipe(w *lineWriter) (*outputPipe, *os.File, error) {
	r, wr, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	raw, err := r.SyscallConn()
	if err != nil {
		r.Close()
		wr.Close()
		return nil, nil, err
	}
	return &outputPipe{r: r, raw: raw, w: w, done: make(chan struct{})}, wr, nil
}

// copy forwards the stream to w until every writer closed it, then flushes a last unterminated line.
func (p *outputPipe) copy() {
	defer close(p.done)
	buf := make([]byte, 32<<10)
	for {
		n, err := p.r.Read(buf)
		if n > 0 {
			p.read.Add(int64(n))
			p.w.Write(buf[:n])
			p.emitted.Add(int64(n))
		}
		if err != nil {
			p.w.flush()
			p.r.Close()
			return
		}
	}
}

// caughtUp reports whether every byte written to the pipe so far has been logged.
func (p *outputPipe) caughtUp() bool {
	if p.read.Load() != p.emitted.Load() {
		return false
	}
	unread := int32(0)
	// TIOCINQ is FIONREAD: the bytes waiting in the pipe. Control (not Fd) keeps the file non-blocking.
	p.raw.Control(func(fd uintptr) {
		syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&unread)))
	})
	return unread == 0
}

// catchUpOutput waits until the process's output written so far is logged, for at most about 10 ms (a
// process flooding its output must not stall the invocations).
func (e *environment) catchUpOutput() {
	for range 200 {
		if e.stdout.caughtUp() && e.stderr.caughtUp() {
			return
		}
		time.Sleep(50 * time.Microsecond)
	}
}
