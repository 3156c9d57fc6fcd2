// Package safefile writes files so that readers see the old content or the new one, never a mix, and
// serialises read-modify-write cycles between processes with advisory locks.
package safefile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Write replaces path with data atomically: it writes a temporary file in the same directory, syncs it,
// renames it over path and syncs the directory. On error path is left as it was. Missing parent
// directories are created.
func Write(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// ErrLocked is returned by Lock when another process held the lock for the whole wait.
var ErrLocked = errors.New("locked by another process")

// Lock takes an exclusive advisory lock on the file lockPath (created if missing), waiting until ctx is done.
// The returned function releases it. Locks are released by the kernel when the process exits, so a crashed
// cws never leaves a stale lock behind.
func Lock(ctx context.Context, lockPath string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o644)
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
