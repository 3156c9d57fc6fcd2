// Package safefile writes files so that readers see the old content or the new one, never a mix, and
// serialises read-modify-write cycles between processes with advisory locks.
package safefile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Write replaces path with data atomically: it writes a temporary file in the same directory, syncs it,
// renames it over path and syncs the directory. On error path is left as it was. Missing parent
// directories are created with perm plus the search bits where it can be read: 0700 for a 0600 file, so
// a private file gets a private directory. Temporary files that killed writes of path left behind are
// removed first; one that a write in progress holds is left alone.
func Write(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, perm|(perm&0o444)>>2); err != nil {
		return err
	}
	prefix := "." + filepath.Base(path) + ".tmp-"
	RemoveStale(dir, prefix)
	tmp, err := createLocked(dir, prefix+"*")
	if err != nil {
		return err
	}
	defer tmp.Close()
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	// Renamed while still open, so still locked: RemoveStale cannot take it between close and rename.
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// PrivateDir makes dir (and its missing parents) and gives it mode 0700, also when it existed with a
// wider one: the folder of files holding secrets.
func PrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

// createLocked is os.CreateTemp(dir, pattern) holding an advisory lock on the new file until it is
// closed, which tells RemoveStale that it is in use.
func createLocked(dir, pattern string) (*os.File, error) {
	for {
		f, err := os.CreateTemp(dir, pattern)
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if linked(f) {
			return f, nil
		}
		f.Close() // a RemoveStale took it between its creation and the lock: make another
	}
}

// TempDir is os.MkdirTemp(parent, pattern+"*") with mode perm, holding an advisory lock on the new
// directory until release is called (or the process ends), which tells RemoveStale that it is in use.
// Renaming the directory keeps the lock.
func TempDir(parent, pattern string, perm os.FileMode) (dir string, release func(), err error) {
	for {
		dir, err := os.MkdirTemp(parent, pattern+"*")
		if err != nil {
			return "", nil, err
		}
		d, err := os.Open(dir)
		if err == nil {
			err = syscall.Flock(int(d.Fd()), syscall.LOCK_EX)
		}
		if err == nil {
			err = os.Chmod(dir, perm)
		}
		if err != nil {
			if d != nil {
				d.Close()
			}
			os.RemoveAll(dir)
			return "", nil, err
		}
		if linked(d) {
			return dir, func() { d.Close() }, nil
		}
		d.Close()
	}
}

// linked reports whether f's file still has a name: RemoveStale unlinks what it removes.
func linked(f *os.File) bool {
	var st syscall.Stat_t
	return syscall.Fstat(int(f.Fd()), &st) == nil && st.Nlink > 0
}

// RemoveStale removes the entries of dir whose names start with prefix and that no process holds (see
// createLocked and TempDir): the temporary files and directories of writes and builds that were killed.
// It is best effort: what cannot be removed now is tried again next time.
func RemoveStale(dir, prefix string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			os.RemoveAll(path) // under the lock: a creator that locks it next finds it unlinked
		}
		f.Close()
	}
}

// ErrLocked is returned by Lock when another process held the lock for the whole wait.
var ErrLocked = errors.New("locked by another process")

// Lock takes an exclusive advisory lock on the file lockPath (created if missing, 0600 in a directory
// created 0700: locks live in cws's private state), waiting until ctx is done.
// The returned function releases it. Locks are released by the kernel when the process exits, so a crashed
// cws never leaves a stale lock behind.
func Lock(ctx context.Context, lockPath string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return lock(ctx, f)
}

// LockDir is Lock on the directory dir itself (which must exist): it serialises the changes to the
// files in dir without leaving a lock file behind.
func LockDir(ctx context.Context, dir string) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	return lock(ctx, f)
}

// lock takes an exclusive flock on f, retrying until ctx is done; f is closed when the lock is released
// or not taken.
func lock(ctx context.Context, f *os.File) (unlock func(), err error) {
	delay := time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("%s: %w", f.Name(), ErrLocked)
		case <-time.After(delay):
		}
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}
