package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/coworks-go/coworks/internal/safefile"
	"github.com/coworks-go/coworks/internal/target"
)

// historyFile is the content of .chalice/local/history/{stage}.json: the stage's entries, oldest first,
// and how many of its artifacts the store keeps.
type historyFile struct {
	KeepArtifacts int            `json:"keep_artifacts"`
	Entries       []target.Entry `json:"entries"`
}

// historyPath returns the history file of stage.
func historyPath(projectDir, stage string) string {
	return filepath.Join(Dir(projectDir), "history", stage+".json")
}

// loadHistory reads the stored history of stage; a stage without one has an empty history.
func loadHistory(projectDir, stage string) (*historyFile, error) {
	data, err := os.ReadFile(historyPath(projectDir, stage))
	if errors.Is(err, fs.ErrNotExist) {
		return &historyFile{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the history of stage %q: %w", stage, err)
	}
	var h historyFile
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("%s: %w (delete the file to start the stage's history anew)", historyPath(projectDir, stage), err)
	}
	return &h, nil
}

// record appends e to the history of stage (under the cloud's lock) and returns it numbered. The file is
// private to the user (0600 in a 0700 directory): it names who deployed what.
func (c *Cloud) record(stage string, keep int, e target.Entry) (target.Entry, error) {
	h, err := loadHistory(c.project, stage)
	if err != nil {
		return e, err
	}
	if keep > 0 {
		h.KeepArtifacts = keep
	}
	e.At = c.opts.Now().UTC()
	h.Entries, e = target.Append(h.Entries, e)
	data, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return e, err
	}
	dir := filepath.Dir(historyPath(c.project, stage))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return e, fmt.Errorf("write the history of stage %q: %w", stage, err)
	}
	if err := safefile.Write(historyPath(c.project, stage), append(data, '\n'), 0o600); err != nil {
		return e, fmt.Errorf("write the history of stage %q: %w", stage, err)
	}
	return e, nil
}

// History returns the stage's history as the local cloud keeps it, newest first. It reads without locking
// (files are replaced atomically).
func (c *Cloud) History(ctx context.Context, req *target.HistoryRequest) (*target.History, error) {
	if !validName(req.Stage) {
		return nil, fmt.Errorf("history: invalid stage name %q", req.Stage)
	}
	h, err := loadHistory(c.project, req.Stage)
	if err != nil {
		return nil, err
	}
	st, err := Load(c.project)
	if err != nil {
		return nil, err
	}
	out := &target.History{Stage: req.Stage, Entries: target.Newest(h.Entries), Available: map[int]bool{}}
	if _, s := st.FindStage(req.Stage); s != nil {
		out.Current = target.Running(h.Entries)
	}
	for _, e := range h.Entries {
		if e.OK() && e.Action != target.ActionDelete {
			if rel, err := artifactRel(e.ArtifactSHA256); err == nil && artifactPresent(Dir(c.project), rel) {
				out.Available[e.N] = true
			}
		}
	}
	return out, nil
}

// keptArtifacts returns the store directories (artifacts/{hex}) that the histories of the stages of st keep
// for rollbacks.
func keptArtifacts(projectDir string, st *State) map[string]bool {
	kept := map[string]bool{}
	for _, api := range st.RestAPIs {
		for _, s := range api.Stages {
			h, err := loadHistory(projectDir, s.ChaliceStage)
			if err != nil {
				continue // an unreadable history keeps nothing; the running artifact is kept anyway
			}
			for _, sha := range target.Kept(h.Entries, h.KeepArtifacts) {
				if rel, err := artifactRel(sha); err == nil {
					kept[filepath.Base(rel)] = true
				}
			}
		}
	}
	return kept
}
