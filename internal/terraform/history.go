package terraform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/coworks-go/coworks/internal/safefile"
	"github.com/coworks-go/coworks/internal/target"
	"github.com/coworks-go/coworks/internal/tfgen"
)

// stageHistory is the history of one stage as its history root's state holds it, with the runner that
// appends to it.
type stageHistory struct {
	entries []target.Entry
	r       *Runner
	file    string
}

// historyFile returns the history.json of the history root dir (relative to RootsDir).
func (t *Target) historyFile(root string) string {
	return filepath.Join(RootsDir(t.opts.ProjectDir), root, tfgen.HistoryName)
}

// localHistory returns the content of the stage's history.json on this machine, nil when there is none: what
// a deploy regenerates the history root with (the state is read, and wins, right after).
func (t *Target) localHistory(stage string) []byte {
	data, err := os.ReadFile(t.historyFile(tfgen.HistoryRootDir(stage)))
	if err != nil {
		return nil
	}
	return data
}

// openHistory initialises the history root dir (tfgen.HistoryRootDir, or a temporary copy of it) and reads
// the history its state holds. For a writer (who holds the stage's lock), history.json is rewritten from the
// state when they differ, so that applying the root changes nothing until an entry is appended. A reader
// (cws history, the console: no lock) changes nothing in the root, since a writer may be between writing
// history.json and applying it: it leaves history.json alone, does not initialise a root already
// initialised, and gets a history it cannot append to. Its terraform output goes nowhere: it is bookkeeping,
// and failures still carry terraform's diagnostics.
func (t *Target) openHistory(ctx context.Context, bin, root string, write bool) (*stageHistory, error) {
	r, err := t.runner(bin, root, io.Discard)
	if err != nil {
		return nil, err
	}
	if write || !isDir(filepath.Join(RootsDir(t.opts.ProjectDir), root, ".terraform")) {
		if err := asProviderInstall(r.Init(ctx), envLookup(t.opts.Env)); err != nil {
			return nil, err
		}
	}
	outs, err := r.Output(ctx)
	if err != nil {
		return nil, err
	}
	h := &stageHistory{r: r, file: t.historyFile(root)}
	state := []byte("[]\n")
	if v, ok := outs["history"].(string); ok && v != "" {
		state = []byte(v)
	}
	if err := json.Unmarshal(state, &h.entries); err != nil {
		return nil, fmt.Errorf("the history in the state of %s is not a list of entries: %w", relRoot(root), err)
	}
	if !write {
		h.r, h.file = nil, "" // appending to a reader's history is a bug
		return h, nil
	}
	if current, _ := os.ReadFile(h.file); !bytes.Equal(current, state) {
		if err := safefile.Write(h.file, state, 0o644); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// append adds e to the history, writes history.json and applies the history root; it returns e numbered.
func (h *stageHistory) append(ctx context.Context, e target.Entry) (target.Entry, error) {
	entries, e := target.Append(h.entries, e)
	data, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return e, err
	}
	if err := safefile.Write(h.file, append(data, '\n'), 0o644); err != nil {
		return e, err
	}
	if err := h.r.Apply(ctx, nil); err != nil {
		return e, fmt.Errorf("recording the change in the stage's history: %w", err)
	}
	h.entries = entries
	return e, nil
}

// record appends e to h, stamped now; a nil h (a stage whose history root is not here) records nothing.
func (t *Target) record(ctx context.Context, h *stageHistory, e target.Entry) (*target.Entry, error) {
	if h == nil {
		return nil, nil
	}
	e.At = t.opts.Now().UTC()
	e, err := h.append(ctx, e)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// History reads the stage's history from the state of its history root: the root on this machine, or, when
// it is not here and req.Config names a remote backend, a copy of it holding only its settings, written to
// a temporary directory. A stage never deployed (or deployed by an earlier cws) has an empty history. Every
// successful entry since the stage was last deleted is available again: Lambda keeps published versions.
func (t *Target) History(ctx context.Context, req *target.HistoryRequest) (*target.History, error) {
	h, err := t.loadHistory(ctx, req.AppName, req.Stage, req)
	if err != nil {
		return nil, err
	}
	out := &target.History{Stage: req.Stage, Available: map[int]bool{}}
	if h == nil {
		return out, nil
	}
	out.Entries = target.Newest(h.entries)
	out.Current = target.Running(h.entries)
	for _, e := range h.entries {
		switch {
		case e.Action == target.ActionDelete && e.OK():
			clear(out.Available) // the function and its versions went with the stage
		case e.OK() && e.FunctionVersion != "":
			out.Available[e.N] = true
		}
	}
	return out, nil
}

// loadHistory opens the history of stage (see History); nil when there is none to read.
func (t *Target) loadHistory(ctx context.Context, appName, stage string, req *target.HistoryRequest) (*stageHistory, error) {
	root := tfgen.HistoryRootDir(stage)
	here := isDir(filepath.Join(RootsDir(t.opts.ProjectDir), root))
	if !here && (req == nil || req.Config == nil || req.Config.TerraformBackend == nil) {
		return nil, nil
	}
	bin, err := FindBinary(t.opts.Getenv)
	if err != nil {
		return nil, err
	}
	if here {
		return t.openHistory(ctx, bin, root, false)
	}
	cfg := *req.Config
	cfg.AppName, cfg.StageName = appName, stage
	region, err := Region(&cfg, t.opts.Getenv)
	if err != nil {
		return nil, err
	}
	in, err := InputFor(Source{Stage: &cfg, ProjectDir: t.opts.ProjectDir, Region: region})
	if err != nil {
		return nil, err
	}
	files, err := tfgen.StateRoots(in)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(RootsDir(t.opts.ProjectDir), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(RootsDir(t.opts.ProjectDir), ".history-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	copyRoot := map[string][]byte{}
	for name, data := range files {
		if dir, file := filepath.Split(name); filepath.Clean(dir) == root {
			copyRoot[filepath.Base(tmp)+"/"+file] = data
		}
	}
	if err := WriteRoots(RootsDir(t.opts.ProjectDir), copyRoot, nil); err != nil {
		return nil, err
	}
	return t.openHistory(ctx, bin, filepath.Base(tmp), false)
}

// rollbackVars is the file of a stage root that holds the alias_version a rollback set, so that a plain
// terraform apply of the root keeps serving it; a deploy removes it (the alias follows the deploy).
const rollbackVars = "cws-rollback.auto.tfvars.json"

// removeRollbackVars removes the stage root's rollbackVars, if any.
func (t *Target) removeRollbackVars(stage string) error {
	err := os.Remove(filepath.Join(RootsDir(t.opts.ProjectDir), tfgen.StageRootDir(stage), rollbackVars))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// asideRollbackVars moves the stage root's rollbackVars aside until restore is called (a plan of what a
// deploy would do changes nothing on disk).
func (t *Target) asideRollbackVars(stage string) (restore func(), err error) {
	path := filepath.Join(RootsDir(t.opts.ProjectDir), tfgen.StageRootDir(stage), rollbackVars)
	if _, err := os.Stat(path); err != nil {
		return func() {}, nil
	}
	if err := os.Rename(path, path+".aside"); err != nil {
		return nil, err
	}
	return func() { os.Rename(path+".aside", path) }, nil
}
