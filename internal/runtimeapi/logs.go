package runtimeapi

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
)

// maxLogLine is where a line without a newline is cut, so a function printing without newlines cannot grow
// the buffer without bound (Lambda cuts log events at 256 KB).
const maxLogLine = 256 * 1024

// logSink serialises lines from every environment of a pool onto the configured writer, one Write per line.
type logSink struct {
	mu sync.Mutex
	w  io.Writer
}

// line writes `[stage] requestID text` (or `[stage] text` without a request id); multi-line text gets the
// prefix on every line.
func (s *logSink) line(stage, requestID, text string) {
	s.write(appendLine(make([]byte, 0, 64+len(text)), stage, requestID, text))
}

// write writes lines formatted by appendLine in one Write.
func (s *logSink) write(b []byte) {
	s.mu.Lock()
	_, _ = s.w.Write(b)
	s.mu.Unlock()
}

// appendLine appends what line writes to b.
func appendLine(b []byte, stage, requestID, text string) []byte {
	for {
		head, rest, more := strings.Cut(text, "\n")
		b = append(b, '[')
		b = append(b, stage...)
		b = append(b, "] "...)
		if requestID != "" {
			b = append(b, requestID...)
			b = append(b, ' ')
		}
		b = append(b, head...)
		b = append(b, '\n')
		if !more {
			return b
		}
		text = rest
	}
}

// lineWriter receives one stream (stdout or stderr) of an environment's process and forwards complete lines,
// prefixed with the stage and the request id of the environment's latest invocation (none during init).
type lineWriter struct {
	env *environment
	mu  sync.Mutex
	buf []byte
}

// Write buffers p and emits every complete line. It never fails, so the process's output never blocks.
func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			if len(w.buf) >= maxLogLine {
				w.emit(w.buf)
				w.buf = w.buf[:0]
			}
			return len(p), nil
		}
		w.emit(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
}

// flush emits a last line without a newline.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(w.buf)
		w.buf = nil
	}
}

func (w *lineWriter) emit(line []byte) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	id := ""
	if p := w.env.logID.Load(); p != nil {
		id = *p
	}
	w.env.pool.logs.line(w.env.pool.cfg.Stage, id, string(line))
}

// procStatusKB reads a kB field (VmRSS:, VmHWM:) of /proc/{pid}/status; 0 when unavailable.
func procStatusKB(pid int, field string) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	i := bytes.Index(data, []byte(field))
	if i < 0 {
		return 0
	}
	rest := data[i+len(field):]
	if j := bytes.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	rest = bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte("kB")))
	kb, err := strconv.ParseInt(string(rest), 10, 64)
	if err != nil {
		return 0
	}
	return kb
}
