package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/coworks-go/coworks/internal/safefile"
)

// RelPath is where config.json lives inside a project, and the name used in positions.
const RelPath = ".chalice/config.json"

// lockConfig takes the advisory lock that serialises edits of config.json: a lock on the .chalice
// directory itself (created if missing), so no lock file is left behind.
func lockConfig(ctx context.Context, dir string) (func(), error) {
	chalice := filepath.Dir(Path(dir))
	if err := os.MkdirAll(chalice, 0o755); err != nil {
		return nil, err
	}
	unlock, err := safefile.LockDir(ctx, chalice)
	if err != nil {
		return nil, fmt.Errorf("lock config: %w", err)
	}
	return unlock, nil
}

// ErrNotFound is returned (wrapped) by Load and Edit when the project has no .chalice/config.json.
var ErrNotFound = errors.New("no .chalice/config.json")

// Path returns the config file of the project in dir.
func Path(dir string) string { return filepath.Join(dir, filepath.FromSlash(RelPath)) }

// Load reads and parses dir/.chalice/config.json. Positions name the file ".chalice/config.json".
// It does not validate. A missing file gives an error wrapping ErrNotFound; bad JSON a *SyntaxError.
func Load(dir string) (*Project, error) {
	data, err := os.ReadFile(Path(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(RelPath, data)
}

// Document is the editable form of config.json handed to Edit's callback. Its Root keeps unknown keys
// and key order; edit it with the Value methods or the helpers below.
type Document struct {
	// Root is the top-level object.
	Root *Value
}

// Stage returns stages.<name>, or nil when absent.
func (d *Document) Stage(name string) *Value { return d.Root.Get("stages").Get(name) }

// SetStage adds or replaces stages.<name>, creating "stages" when missing. A replaced stage keeps its
// place; a new one is appended.
func (d *Document) SetStage(name string, stage *Value) error {
	stages := d.Root.Get("stages")
	if stages == nil {
		stages = NewObject()
		d.Root.Set("stages", stages)
	}
	if stages.Kind != Object {
		return fmt.Errorf("stages is %s, not an object; fix it by hand first", stages.Kind)
	}
	stages.Set(name, stage)
	return nil
}

// RemoveStage deletes stages.<name> and reports whether it existed.
func (d *Document) RemoveStage(name string) bool { return d.Root.Get("stages").Delete(name) }

// RefusedError is an edit that would have added validation errors; the file was left untouched.
type RefusedError struct {
	Diagnostics Diagnostics
}

func (e *RefusedError) Error() string {
	if len(e.Diagnostics) == 1 {
		return "change refused, config.json left unchanged: " + e.Diagnostics[0].String()
	}
	return fmt.Sprintf("change refused, config.json left unchanged: %d problems, first: %s", len(e.Diagnostics), e.Diagnostics[0])
}

// Edit runs one read-modify-write cycle on dir/.chalice/config.json: it takes the project's advisory
// lock (waiting until ctx is done), reads and parses the file, calls change, validates the result and,
// unless change failed or the result has errors the original did not have, writes it atomically (temp
// file, fsync, rename) with 2-space indentation and a trailing newline. Concurrent Edits from any
// number of processes never lose one another's changes. When change returns an error or the result is
// refused (*RefusedError), the file is left byte-for-byte as it was. It returns the new Project.
func Edit(ctx context.Context, dir string, change func(*Document) error) (*Project, error) {
	if _, err := os.Stat(Path(dir)); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNotFound) // and no .chalice/ made just to lock it
	}
	unlock, err := lockConfig(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	before, err := Load(dir)
	if err != nil {
		return nil, err
	}
	oldProblems := map[string]bool{}
	for _, d := range before.Validate().Errors() {
		oldProblems[d.Path+"\x00"+d.Message] = true
	}
	if before.Root.Kind != Object {
		return nil, fmt.Errorf("%s holds %s, not an object; fix it by hand first", RelPath, before.Root.Kind)
	}
	doc := &Document{Root: before.Root.Clone()}
	if err := change(doc); err != nil {
		return nil, err
	}
	data := doc.Root.Encode()
	after, err := Parse(RelPath, data)
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err) // cannot happen: Encode writes valid JSON
	}
	var added Diagnostics
	for _, d := range after.Validate().Errors() {
		if !oldProblems[d.Path+"\x00"+d.Message] {
			added = append(added, d)
		}
	}
	if len(added) > 0 {
		return nil, &RefusedError{Diagnostics: added}
	}
	if bytes.Equal(data, before.data) {
		return after, nil
	}
	perm := os.FileMode(0o644)
	if fi, err := os.Stat(Path(dir)); err == nil {
		perm = fi.Mode().Perm()
	}
	if err := safefile.Write(Path(dir), data, perm); err != nil {
		return nil, fmt.Errorf("write config: %w", err)
	}
	return after, nil
}

// Create writes a new config.json for app with one stage, dev, as `cws init` does:
// {"version": "2.0", "app_name": app, "stages": {"dev": {"api_gateway_stage": "dev"}}}. Unless force,
// it fails with fs.ErrExist when the file exists, leaving it untouched.
func Create(dir, app string, force bool) error {
	if !ValidAppName(app) {
		return fmt.Errorf("app name %q must be letters, digits, '-' or '_' only", app)
	}
	unlock, err := lockConfig(context.Background(), dir)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Stat(Path(dir)); err == nil && !force {
		return fmt.Errorf("%s: %w", RelPath, fs.ErrExist)
	}
	return safefile.Write(Path(dir), InitialConfig(app), 0o644)
}

// InitialConfig returns the bytes `cws init` and `cws new` write for app.
func InitialConfig(app string) []byte {
	root := NewObject()
	root.Set("version", NewString("2.0"))
	root.Set("app_name", NewString(app))
	dev := NewObject()
	dev.Set("api_gateway_stage", NewString(DefaultStage))
	stages := NewObject()
	stages.Set(DefaultStage, dev)
	root.Set("stages", stages)
	return root.Encode()
}
