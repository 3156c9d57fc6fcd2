package logs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"time"
)

// followPoll is how often a follower checks the file for lines written by another process; lines written
// through the same Store wake it at once.
const followPoll = 100 * time.Millisecond

// Reader returns the reader of stage's log, kept in this store's directory. It reads what any process wrote
// there, the previous file first.
func (s *Store) Reader(stage string) Reader { return &fileReader{sf: s.stage(stage)} }

// fileReader reads one stage's files.
type fileReader struct{ sf *stageFile }

var _ Reader = (*fileReader)(nil)

// Read implements Reader. Lines still pending in a writer of this process are flushed first, so that a read
// right after a write sees it.
func (r *fileReader) Read(ctx context.Context, q Query, fn func(Entry) error) error {
	r.sf.flush()
	// The current file is opened before the previous one is read: a rotation in between leaves the open file
	// as the previous one, which is then read once, not twice.
	cur, err := os.Open(r.sf.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	defer func() {
		if cur != nil {
			cur.Close()
		}
	}()
	emit, flush := backlog(&q, fn)
	if prev, err := os.Open(r.sf.path + ".1"); err == nil {
		same := cur != nil && sameOpenFile(prev, cur)
		if !same {
			_, err = r.readAll(prev, &q, nil, emit) // an incomplete last line of a rotated file is dropped
		}
		prev.Close()
		if err != nil {
			return err
		}
	}
	var partial []byte
	if cur != nil {
		if partial, err = r.readAll(cur, &q, nil, emit); err != nil {
			return err
		}
	}
	if err := flush(); err != nil || !q.Follow {
		return err
	}
	f := cur
	cur = nil // follow closes it
	return r.follow(ctx, f, partial, &q, fn)
}

// follow reads the lines appended to cur as they come, moving to the new file after a rotation, until ctx
// ends. cur may be nil (no file yet); partial is an incomplete last line already read from it.
func (r *fileReader) follow(ctx context.Context, cur *os.File, partial []byte, q *Query, fn func(Entry) error) error {
	tick := time.NewTicker(followPoll)
	defer tick.Stop()
	defer func() {
		if cur != nil {
			cur.Close()
		}
	}()
	for {
		changed := r.sf.changes() // taken before reading: a write in between closes it
		var err error
		if cur == nil {
			if cur, err = os.Open(r.sf.path); errors.Is(err, fs.ErrNotExist) {
				cur = nil
			} else if err != nil {
				return err
			}
		}
		if cur != nil {
			if partial, err = r.readAll(cur, q, partial, fn); err != nil {
				return err
			}
			if !sameFile(cur, r.sf.path) {
				// Rotated: what was written to the old file before the rename was just read; the rest
				// is in the new one.
				cur.Close()
				cur, partial = nil, nil
				continue
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-tick.C:
		}
	}
}

// readAll reads f from its offset to its end, emitting every complete record, and returns the incomplete
// last line (a record being written), to be completed by the next read.
func (r *fileReader) readAll(f *os.File, q *Query, partial []byte, fn func(Entry) error) ([]byte, error) {
	buf := make([]byte, 64<<10)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			partial = append(partial, buf[:n]...)
			i := bytes.LastIndexByte(partial, '\n')
			if i >= 0 {
				if err := r.records(partial[:i+1], q, fn); err != nil {
					return nil, err
				}
				partial = append(partial[:0], partial[i+1:]...)
			}
		}
		if err == io.EOF {
			return partial, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// records parses complete records and emits those matching q; malformed lines are skipped.
func (r *fileReader) records(b []byte, q *Query, fn func(Entry) error) error {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		line := b[:i]
		b = b[i+1:]
		e, ok := parseRecord(line)
		if !ok {
			continue
		}
		e.Stage = r.sf.stage
		if !q.matches(&e) {
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// parseRecord parses `time TAB request-id TAB message`.
func parseRecord(line []byte) (Entry, bool) {
	ts, rest, ok := bytes.Cut(line, []byte{'\t'})
	if !ok {
		return Entry{}, false
	}
	id, msg, ok := bytes.Cut(rest, []byte{'\t'})
	if !ok {
		return Entry{}, false
	}
	t, err := time.Parse(recordTime, string(ts))
	if err != nil {
		return Entry{}, false
	}
	return Entry{Time: t, RequestID: string(id), Message: string(msg)}, true
}

// sameOpenFile reports whether a and b are the same file.
func sameOpenFile(a, b *os.File) bool {
	ai, err := a.Stat()
	if err != nil {
		return false
	}
	bi, err := b.Stat()
	return err == nil && os.SameFile(ai, bi)
}
