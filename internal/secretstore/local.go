package secretstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/coworks-go/coworks/internal/safefile"
)

// filePerm is the mode of the local store's files: only the user may read them (its directory is 0700,
// safefile.PrivateDir).
const filePerm os.FileMode = 0o600

// Dir returns the local store's directory of a project: .chalice/local/secrets.
func Dir(projectDir string) string { return filepath.Join(projectDir, ".chalice", "local", "secrets") }

// Local is the local store of one stage: .chalice/local/secrets/{stage}.json, readable by its owner only,
// replaced atomically under the lock .chalice/local/secrets/lock.
type Local struct {
	project, stage string
	now            func() time.Time
}

var _ Store = (*Local)(nil)

// NewLocal returns the local store of stage (a valid stage name) in the project at projectDir. now is the
// clock of Updated times; nil means time.Now. Nothing is created until the first Set.
func NewLocal(projectDir, stage string, now func() time.Time) *Local {
	if now == nil {
		now = time.Now
	}
	return &Local{project: projectDir, stage: stage, now: now}
}

// localFile is the content of a stage's file.
type localFile struct {
	Version int                    `json:"version"`
	Secrets map[string]localSecret `json:"secrets"`
}

type localSecret struct {
	Value     string    `json:"value"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Kind returns "local".
func (l *Local) Kind() string { return "local" }

// Where returns the stage's file, relative to the project.
func (l *Local) Where() string {
	return filepath.ToSlash(filepath.Join(".chalice", "local", "secrets", l.stage+".json"))
}

func (l *Local) path() string { return filepath.Join(Dir(l.project), l.stage+".json") }

// List reads the stage's file; a missing file is no secrets.
func (l *Local) List(ctx context.Context) ([]Secret, error) {
	f, err := l.read()
	if err != nil {
		return nil, err
	}
	out := make([]Secret, 0, len(f.Secrets))
	for _, name := range slices.Sorted(maps.Keys(f.Secrets)) {
		s := f.Secrets[name]
		out = append(out, Secret{Name: name, Value: s.Value, Updated: s.UpdatedAt, Source: l.Where()})
	}
	return out, nil
}

// Set creates or replaces name under the store's lock.
func (l *Local) Set(ctx context.Context, name, value string) (Secret, error) {
	if err := check(name, value); err != nil {
		return Secret{}, err
	}
	s := Secret{Name: name, Value: value, Updated: l.now().UTC(), Source: l.Where()}
	err := l.update(ctx, func(f *localFile) error {
		f.Secrets[name] = localSecret{Value: value, UpdatedAt: s.Updated}
		return nil
	})
	return s, err
}

// Remove deletes name under the store's lock; the file goes when its last secret does.
func (l *Local) Remove(ctx context.Context, name string) error {
	return l.update(ctx, func(f *localFile) error {
		if _, ok := f.Secrets[name]; !ok {
			return fmt.Errorf("stage %s has no local secret %s: %w", l.stage, name, ErrNotFound)
		}
		delete(f.Secrets, name)
		return nil
	})
}

// update applies change to the stage's file under the lock and writes it back atomically (0600, in a 0700
// directory). Nothing is written when change fails.
func (l *Local) update(ctx context.Context, change func(*localFile) error) error {
	if err := ensureDir(l.project); err != nil {
		return err
	}
	unlock, err := safefile.Lock(ctx, filepath.Join(Dir(l.project), "lock"))
	if err != nil {
		return fmt.Errorf("lock the local secret store: %w", err)
	}
	defer unlock()
	f, err := l.read()
	if err != nil {
		return err
	}
	if err := change(f); err != nil {
		return err
	}
	if len(f.Secrets) == 0 {
		if err := os.Remove(l.path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := safefile.Write(l.path(), append(data, '\n'), filePerm); err != nil {
		return fmt.Errorf("write %s: %w", l.Where(), err)
	}
	return nil
}

// read loads the stage's file; a missing one is empty. A file others may read is refused, as ssh refuses
// such a private key: the secrets in it are no longer private.
func (l *Local) read() (*localFile, error) {
	f := &localFile{Version: 1, Secrets: map[string]localSecret{}}
	file, err := os.Open(l.path())
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	defer file.Close()
	if fi, err := file.Stat(); err != nil {
		return nil, err
	} else if fi.Mode().Perm()&0o077 != 0 {
		return nil, &PermissionError{Path: l.path(), Mode: fi.Mode().Perm()}
	}
	if err := json.NewDecoder(file).Decode(f); err != nil {
		// The decoder's message may quote the file's text, hence a message of our own.
		return nil, fmt.Errorf("%s is not a valid secret store (%s); fix it or remove it and set the secrets again", l.Where(), syntaxWhere(err))
	}
	if f.Secrets == nil {
		f.Secrets = map[string]localSecret{}
	}
	return f, nil
}

// syntaxWhere describes a JSON decoding error without the text it read.
func syntaxWhere(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("JSON syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("unexpected %s at byte %d", te.Value, te.Offset)
	}
	return "unexpected content"
}

// PermissionError is a store file that group or others may read or write.
type PermissionError struct {
	Path string
	Mode os.FileMode
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("%s is readable or writable by others (mode %04o); secrets must be private to you", e.Path, e.Mode)
}

// Hint is the next step: make the file private again.
func (e *PermissionError) Hint() string { return "chmod 600 " + e.Path }

// ensureDir creates .chalice/local/secrets with mode 0700, and brings an existing one back to 0700.
func ensureDir(project string) error { return safefile.PrivateDir(Dir(project)) }

// Stamp identifies the content of every stage's local store file, for cheap change checks: a write replaces
// a file by a rename, so it changes the file's identity, size or modification time.
func Stamp(projectDir string) (string, error) {
	entries, err := os.ReadDir(Dir(projectDir))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile: the next stamp says so
		}
		var ino uint64
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			ino = st.Ino
		}
		fmt.Fprintf(&b, "%s %d %d %d\n", e.Name(), ino, fi.Size(), fi.ModTime().UnixNano())
	}
	return b.String(), nil
}
