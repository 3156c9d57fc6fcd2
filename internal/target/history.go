package target

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coworks-go/coworks"
	"github.com/coworks-go/coworks/internal/config"
)

// Action is what changed a stage, as its history records it.
type Action string

// The actions of a stage's history.
const (
	ActionDeploy   Action = "deploy"
	ActionPromote  Action = "promote"
	ActionRollback Action = "rollback"
	ActionDelete   Action = "delete"
)

// The results of an entry.
const (
	ResultOK     = "ok"
	ResultFailed = "failed"
)

// DefaultKeepArtifacts is how many of a stage's most recent distinct artifacts are kept so that a rollback
// can deploy them again, when the stage's keep_artifacts is unset.
const DefaultKeepArtifacts = 10

// MaxEntries is how many entries a stage's history keeps; older ones are dropped.
const MaxEntries = 100

// Origin says who asks for a change and from what, for the stage's history.
type Origin struct {
	// Actor is who: $USER, or the CI's actor (GITHUB_ACTOR).
	Actor string
	// ConfigSHA256 is the hash of the stage's effective configuration (config.Stage.Hash).
	ConfigSHA256 string
	// Branch is the git branch the stage was named after (--stage @branch), "" otherwise. `cws stage prune`
	// deletes the stages whose branch is gone.
	Branch string
	// KeepArtifacts is how many distinct artifacts of the stage are kept for rollbacks; 0 means
	// DefaultKeepArtifacts.
	KeepArtifacts int
}

// Entry is one change of a stage: a deploy, promote, rollback or delete, successful or not.
type Entry struct {
	// N numbers the stage's entries from 1, in order; numbers are never reused.
	N  int       `json:"n"`
	At time.Time `json:"at"`
	// Actor is who made the change.
	Actor  string `json:"actor"`
	Action Action `json:"action"`
	// Result is ResultOK or ResultFailed; Error says why a change failed.
	Result string `json:"result"`
	Error  string `json:"error,omitempty"`
	// ArtifactSHA256 names the code the stage runs after the change (see Description.ArtifactSHA256);
	// empty for a delete.
	ArtifactSHA256 string `json:"artifact_sha256,omitempty"`
	// Commit is the git commit the artifact was built from, Dirty whether the working tree had changes.
	Commit string `json:"commit,omitempty"`
	Dirty  bool   `json:"dirty,omitempty"`
	// ConfigSHA256 is the hash of the stage's effective configuration.
	ConfigSHA256 string `json:"config_sha256,omitempty"`
	// RoutesSHA256 is the hash of the artifact's route table.
	RoutesSHA256 string `json:"routes_sha256,omitempty"`
	// PromotedFrom is the stage a promote took the artifact from.
	PromotedFrom string `json:"promoted_from,omitempty"`
	// RolledBackTo is the entry a rollback returned to.
	RolledBackTo int `json:"rolled_back_to,omitempty"`
	// FunctionVersion is the published function version the stage serves after the change (terraform).
	FunctionVersion string `json:"function_version,omitempty"`
	// Branch is the git branch the stage was named after, when it was deployed with --stage @branch.
	Branch string `json:"branch,omitempty"`
}

// OK reports whether the change succeeded.
func (e *Entry) OK() bool { return e.Result == ResultOK }

// History is a stage's history, newest entry first.
type History struct {
	Stage   string
	Entries []Entry
	// Current is the number of the entry whose artifact runs now; 0 when nothing runs.
	Current int
	// Available lists, by entry number, the entries whose artifact is kept and can be deployed again.
	Available map[int]bool
}

// HistoryRequest asks for a stage's history.
type HistoryRequest struct {
	AppName string
	Stage   string
	// Config is the resolved stage, for targets that need its settings to find the history when nothing about
	// the stage is on this machine (Terraform: a remote backend); nil when the caller has none.
	Config *config.Stage
	// Progress receives human progress lines; nil discards them.
	Progress io.Writer
}

// PromoteRequest asks for the artifact running on From to be deployed on Request.Stage, with Request's
// settings (the promoted stage's own). Request.Artifact is left empty: the target fills it in.
type PromoteRequest struct {
	Request
	From string
	// FromConfig is the resolved configuration of From, for targets that need it to read what runs there
	// when nothing about it is on this machine (Terraform: a remote backend); nil when the caller has none.
	FromConfig *config.Stage
}

// RollbackRequest asks for a stage to go back to an earlier artifact of its history.
type RollbackRequest struct {
	AppName string
	Stage   string
	// To chooses the entry (see History.Choose): "" for the previous artifact, "N" for entry N, else a
	// prefix of an artifact hash.
	To       string
	PlanOnly bool
	Origin   Origin
	// Config is the resolved stage, for targets that regenerate what they apply (Terraform: the API
	// definition of an entry whose routes differ), with BinaryMediaTypes, the API's binary media types.
	Config           *config.Stage
	BinaryMediaTypes []string
	Progress         io.Writer
}

// ErrNotDeployed is returned (wrapped) when a promote's source, or the stage rolled back, runs nothing.
var ErrNotDeployed = errors.New("stage has nothing deployed")

// ErrSameStage is returned (wrapped) when a promote names one stage as source and destination.
var ErrSameStage = errors.New("a stage cannot be promoted onto itself")

// ErrArtifactsDiffer is returned (wrapped) when a promote's stages are on targets that run different
// artifacts (the local cloud runs a host binary, AWS a Lambda zip).
var ErrArtifactsDiffer = errors.New("the stages' targets run different artifacts")

// ErrNoEntry is returned (wrapped) when a rollback's --to matches no entry of the history, or several.
var ErrNoEntry = errors.New("no such entry in the stage's history")

// ErrArtifactGone is returned (wrapped) when the artifact of the chosen entry is no longer kept.
var ErrArtifactGone = errors.New("the artifact is no longer kept")

// RoutesSHA256 is the hash of a route table, hex, as history entries record it.
func RoutesSHA256(routes []coworks.Route) string {
	if routes == nil {
		routes = []coworks.Route{}
	}
	data, _ := json.Marshal(routes)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Newest returns the entries, newest first, of a history stored oldest first.
func Newest(stored []Entry) []Entry {
	out := slices.Clone(stored)
	slices.Reverse(out)
	return out
}

// Append adds e to entries (stored oldest first) as the next entry and keeps the last MaxEntries. It
// returns the new slice and e as numbered.
func Append(entries []Entry, e Entry) ([]Entry, Entry) {
	e.N = 1
	if n := len(entries); n > 0 {
		e.N = entries[n-1].N + 1
	}
	entries = append(entries, e)
	if len(entries) > MaxEntries {
		entries = slices.Clone(entries[len(entries)-MaxEntries:])
	}
	return entries, e
}

// Running returns the number of the newest successful entry of entries (stored oldest first) when it left
// the stage running something, 0 when the stage runs nothing (never deployed, or deleted last).
func Running(entries []Entry) int {
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if !e.OK() {
			continue
		}
		if e.Action == ActionDelete {
			return 0
		}
		return e.N
	}
	return 0
}

// Kept returns the distinct artifacts of the newest keep successful non-delete entries' artifacts of
// entries (stored oldest first), newest first: what a target keeps for rollbacks (keep <= 0 means
// DefaultKeepArtifacts).
func Kept(entries []Entry, keep int) []string {
	if keep <= 0 {
		keep = DefaultKeepArtifacts
	}
	var out []string
	for i := len(entries) - 1; i >= 0 && len(out) < keep; i-- {
		e := entries[i]
		if e.OK() && e.Action != ActionDelete && e.ArtifactSHA256 != "" && !slices.Contains(out, e.ArtifactSHA256) {
			out = append(out, e.ArtifactSHA256)
		}
	}
	return out
}

// Choose returns the entry a rollback goes back to. to is "" for the newest successful entry whose artifact
// differs from the running one, older than the running entry or, when that is a rollback, than the entry it
// returned to (so rollbacks in a row walk back in time); "N" (or "#N") for entry N; otherwise a
// prefix (at least 4 characters) of an artifact hash, base64 as cws shows it, matching the newest entry with
// that artifact. The entry must be successful and not a delete. Errors wrap ErrNotDeployed or ErrNoEntry.
func (h *History) Choose(to string) (*Entry, error) {
	if h.Current == 0 {
		return nil, fmt.Errorf("stage %q runs nothing to roll back from: %w", h.Stage, ErrNotDeployed)
	}
	cur := h.entry(h.Current)
	usable := func(e *Entry) bool { return e.OK() && e.Action != ActionDelete && e.ArtifactSHA256 != "" }
	if to == "" {
		// Older than the entry a running rollback returned to, so that rollbacks in a row walk back in time.
		base := h.Current
		if cur != nil && cur.Action == ActionRollback && cur.RolledBackTo > 0 && cur.RolledBackTo < base {
			base = cur.RolledBackTo
		}
		for i := range h.Entries {
			e := &h.Entries[i]
			if e.N < base && usable(e) && (cur == nil || e.ArtifactSHA256 != cur.ArtifactSHA256) {
				return e, nil
			}
		}
		return nil, fmt.Errorf("stage %q has no earlier artifact in its history: %w", h.Stage, ErrNoEntry)
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(to, "#")); err == nil {
		for i := range h.Entries {
			e := &h.Entries[i]
			if e.N != n {
				continue
			}
			if !usable(e) {
				return nil, fmt.Errorf("entry %d of stage %q is a %s that %s: it has no artifact to return to: %w", n, h.Stage, e.Action, pastResult(e), ErrNoEntry)
			}
			return e, nil
		}
		return nil, fmt.Errorf("stage %q has no entry %d in its history: %w", h.Stage, n, ErrNoEntry)
	}
	if len(to) < 4 {
		return nil, fmt.Errorf("--to %q: give an entry number or at least 4 characters of an artifact hash: %w", to, ErrNoEntry)
	}
	var found *Entry
	var hashes []string
	for i := range h.Entries {
		e := &h.Entries[i]
		if usable(e) && strings.HasPrefix(e.ArtifactSHA256, to) {
			if found == nil {
				found = e
			}
			if !slices.Contains(hashes, e.ArtifactSHA256) {
				hashes = append(hashes, e.ArtifactSHA256)
			}
		}
	}
	switch {
	case len(hashes) > 1:
		return nil, fmt.Errorf("--to %q matches %d artifacts of stage %q (%s): give more characters: %w", to, len(hashes), h.Stage, strings.Join(hashes, ", "), ErrNoEntry)
	case found == nil:
		return nil, fmt.Errorf("no artifact of stage %q starts with %q: %w", h.Stage, to, ErrNoEntry)
	}
	// A rollback's artifact is the one of the entry it returned to: name that one.
	for e := h.entry(found.RolledBackTo); found.Action == ActionRollback && e != nil && e.ArtifactSHA256 == found.ArtifactSHA256; e = h.entry(found.RolledBackTo) {
		found = e
	}
	return found, nil
}

// entry returns entry n, or nil.
func (h *History) entry(n int) *Entry {
	for i := range h.Entries {
		if h.Entries[i].N == n {
			return &h.Entries[i]
		}
	}
	return nil
}

func pastResult(e *Entry) string {
	if e.OK() {
		return "succeeded"
	}
	return "failed"
}
