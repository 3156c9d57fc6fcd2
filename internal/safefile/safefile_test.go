package safefile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestWriteReplacesWholeFileAndLeavesNoTemporaries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "config.json")
	if err := Write(path, []byte("one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("two\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "two\n" {
		t.Fatalf("content = %q, %v; want %q", got, err, "two\n")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only config.json: %v", len(entries), entries)
	}
}

func TestLockSerialisesHolders(t *testing.T) {
	lockPath := filepath.Join(t.TempDir(), "lock")
	var mu sync.Mutex
	inside, maxInside := 0, 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := Lock(context.Background(), lockPath)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			inside++
			maxInside = max(maxInside, inside)
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			inside--
			mu.Unlock()
			unlock()
		}()
	}
	wg.Wait()
	if maxInside != 1 {
		t.Fatalf("%d holders at once, want 1", maxInside)
	}
}

func TestLockGivesUpWhenContextEnds(t *testing.T) {
	lockPath := filepath.Join(t.TempDir(), "lock")
	unlock, err := Lock(context.Background(), lockPath)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := Lock(ctx, lockPath); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock = %v, want ErrLocked", err)
	}
}

// TestStaleTemporariesAreRemovedByTheNextWrite: a write killed between creating its temporary file and
// renaming it leaves .name.tmp-*; the next Write of that file removes it, but never the temporary file of a
// write still in progress (it holds a lock on it).
func TestStaleTemporariesAreRemovedByTheNextWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	stale := filepath.Join(dir, ".config.json.tmp-123")
	if err := os.WriteFile(stale, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	live, err := createLocked(dir, ".config.json.tmp-*")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	other := filepath.Join(dir, ".other.json.tmp-9")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary file kept: %v", err)
	}
	if _, err := os.Stat(live.Name()); err != nil {
		t.Errorf("a temporary file in use was removed: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another file's temporary file was removed: %v", err)
	}
}

func TestTempDirIsKeptWhileInUseAndRemovedOnceAbandoned(t *testing.T) {
	parent := t.TempDir()
	dir, release, err := TempDir(parent, ".tmp-key-", 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	RemoveStale(parent, ".tmp-")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("a directory in use was removed: %v", err)
	}
	release() // as if its process died: the kernel releases the lock
	RemoveStale(parent, ".tmp-")
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("abandoned directory kept: %v", err)
	}
}

func TestPrivateFilesGetPrivateDirectories(t *testing.T) {
	root := t.TempDir()
	secret := filepath.Join(root, "local", "state.json")
	if err := Write(secret, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	public := filepath.Join(root, "deployed", "dev.json")
	if err := Write(public, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	// (Public files keep what the umask allows; private ones are private whatever it is.)
	for path, want := range map[string]os.FileMode{filepath.Dir(secret): 0o700, secret: 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode().Perm(), err, want)
		}
	}
	existing := filepath.Join(root, "open")
	if err := os.Mkdir(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := PrivateDir(existing); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(existing); fi.Mode().Perm() != 0o700 {
		t.Errorf("PrivateDir left mode %v", fi.Mode().Perm())
	}
}
