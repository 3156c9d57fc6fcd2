package logs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// DefaultMaxFileBytes is the size past which a stage's log file is rotated: the file becomes {stage}.log.1
// (replacing the previous one) and a new {stage}.log starts, so a stage's logs take at most twice this on disk.
const DefaultMaxFileBytes = 8 << 20

// flushDelay is how long written lines wait in memory before they reach the file, so that a busy gateway
// writes its log lines in a few large writes rather than a system call per line; flushBytes of pending lines
// are written at once.
const (
	flushDelay = 20 * time.Millisecond
	flushBytes = 256 << 10
)

// recordTime is the layout of a record's time in the files: UTC, fixed width, to the microsecond.
const recordTime = "2006-01-02T15:04:05.000000Z"

// StoreOptions configure a Store. The zero value is usable.
type StoreOptions struct {
	// MaxFileBytes is the rotation size of a stage's file; 0 means DefaultMaxFileBytes.
	MaxFileBytes int64
	// Now is the clock that stamps lines; nil means time.Now.
	Now func() time.Time
	// Logger receives write failures (a full disk, a removed directory); nil discards them. Writes never fail
	// towards the function: its output must not block on the log.
	Logger *slog.Logger
}

// Store keeps the logs of a project's local stages in a directory, one file per stage:
//
//	{dir}/{stage}.log     the current file
//	{dir}/{stage}.log.1   the previous one, after a rotation
//
// Each line of a file is one entry: `time TAB request-id TAB message` (time as recordTime; the request id
// may be empty). Files are only appended to, with whole lines, so any process can read them while another
// writes; rotation is a rename under an exclusive flock, so several writers rotate a file once. A Store is
// safe for concurrent use.
type Store struct {
	dir  string
	opts StoreOptions

	mu     sync.Mutex
	stages map[string]*stageFile
}

// NewStore returns the store of dir; the directory is created (0700) on the first write.
func NewStore(dir string, opts StoreOptions) *Store {
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Store{dir: dir, opts: opts, stages: map[string]*stageFile{}}
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Path returns the current file of stage.
func (s *Store) Path(stage string) string { return filepath.Join(s.dir, stage+".log") }

// stage returns the state of stage's file, created on first use.
func (s *Store) stage(name string) *stageFile {
	s.mu.Lock()
	defer s.mu.Unlock()
	sf := s.stages[name]
	if sf == nil {
		sf = &stageFile{store: s, stage: name, path: s.Path(name), changed: make(chan struct{})}
		s.stages[name] = sf
	}
	return sf
}

// Writer returns the writer that persists stage's log lines: it takes lines as the local runtime writes
// them (`[stage] request-id text`, see internal/runtimeapi), stamps each with the time it arrives, and never
// fails. Lines reach the file within flushDelay.
func (s *Store) Writer(stage string) io.Writer { return s.stage(stage) }

// Close writes every pending line and closes the files. Writers stay usable: a later write reopens its file.
func (s *Store) Close() error {
	s.mu.Lock()
	stages := make([]*stageFile, 0, len(s.stages))
	for _, sf := range s.stages {
		stages = append(stages, sf)
	}
	s.mu.Unlock()
	var errs []error
	for _, sf := range stages {
		errs = append(errs, sf.close())
	}
	return errors.Join(errs...)
}

// stageFile is the writing side of one stage's file.
type stageFile struct {
	store *Store
	stage string
	path  string

	mu      sync.Mutex
	pending []byte      // records not yet written
	timer   *time.Timer // armed while pending is not empty
	f       *os.File
	size    int64
	failing bool          // the last write failed (reported once until one succeeds)
	changed chan struct{} // closed and replaced after each write, for followers in this process
}

// Write turns each line of p into a record and queues it. It always reports success.
func (sf *stageFile) Write(p []byte) (int, error) {
	now := sf.store.opts.Now().UTC()
	sf.mu.Lock()
	defer sf.mu.Unlock()
	for rest := p; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		id, msg := parseRuntimeLine(string(line))
		sf.pending = now.AppendFormat(sf.pending, recordTime)
		sf.pending = append(sf.pending, '\t')
		sf.pending = append(sf.pending, id...)
		sf.pending = append(sf.pending, '\t')
		sf.pending = append(sf.pending, msg...)
		sf.pending = append(sf.pending, '\n')
	}
	switch {
	case len(sf.pending) >= flushBytes:
		sf.flushLocked()
	case sf.timer == nil && len(sf.pending) > 0:
		sf.timer = time.AfterFunc(flushDelay, sf.flush)
	}
	return len(p), nil
}

// flush writes the pending records (the timer's function).
func (sf *stageFile) flush() {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	sf.flushLocked()
}

// flushLocked writes the pending records to the file, rotating it past the size limit, and wakes the
// followers. The caller holds sf.mu.
func (sf *stageFile) flushLocked() {
	if sf.timer != nil {
		sf.timer.Stop()
		sf.timer = nil
	}
	if len(sf.pending) == 0 {
		return
	}
	err := sf.writeLocked(sf.pending)
	sf.pending = sf.pending[:0]
	if cap(sf.pending) > 4*flushBytes {
		sf.pending = nil
	}
	switch {
	case err != nil && !sf.failing:
		sf.failing = true
		sf.store.opts.Logger.Warn("writing the stage's log", "stage", sf.stage, "error", err.Error())
	case err == nil:
		sf.failing = false
	}
	close(sf.changed)
	sf.changed = make(chan struct{})
}

// writeLocked appends b to the current file, reopening it when another process rotated it, then rotates it
// when it passed the limit.
func (sf *stageFile) writeLocked(b []byte) error {
	if sf.f != nil && !sameFile(sf.f, sf.path) {
		sf.f.Close() // rotated by another writer: go on in the new file
		sf.f = nil
	}
	if sf.f == nil {
		if err := sf.openLocked(); err != nil {
			return err
		}
	}
	n, err := sf.f.Write(b)
	sf.size += int64(n)
	if err != nil {
		return err
	}
	if sf.size >= sf.store.opts.MaxFileBytes {
		return sf.rotateLocked()
	}
	return nil
}

func (sf *stageFile) openLocked() error {
	if err := os.MkdirAll(sf.store.dir, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(sf.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	sf.f, sf.size = f, info.Size()
	return nil
}

// rotateLocked renames the full file to {path}.1 and starts a new one. The exclusive flock on the full file
// makes concurrent writers (other processes) rotate it once: the one that gets the lock second sees that the
// path names another file already and only reopens.
func (sf *stageFile) rotateLocked() error {
	old := sf.f
	sf.f = nil
	defer old.Close() // also releases the lock
	if err := syscall.Flock(int(old.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock %s for rotation: %w", sf.path, err)
	}
	if sameFile(old, sf.path) {
		if err := os.Rename(sf.path, sf.path+".1"); err != nil {
			return err
		}
	}
	return sf.openLocked()
}

// close writes what is pending and closes the file.
func (sf *stageFile) close() error {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	sf.flushLocked()
	if sf.f == nil {
		return nil
	}
	err := sf.f.Close()
	sf.f = nil
	return err
}

// changes returns the channel closed at the next write of this process to the stage's file.
func (sf *stageFile) changes() <-chan struct{} {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	return sf.changed
}

// sameFile reports whether path names the file f has open.
func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}
