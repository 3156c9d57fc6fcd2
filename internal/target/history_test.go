package target

import (
	"errors"
	"slices"
	"testing"
)

// stored is a history as targets store it, oldest first: a deploy of a, a failed deploy of b, a deploy of b,
// a rollback to 1, a deploy of c, a delete, a deploy of c.
func stored() []Entry {
	var entries []Entry
	for _, e := range []Entry{
		{Action: ActionDeploy, Result: ResultOK, ArtifactSHA256: "aaaa1111"},
		{Action: ActionDeploy, Result: ResultFailed, ArtifactSHA256: "bbbb2222"},
		{Action: ActionDeploy, Result: ResultOK, ArtifactSHA256: "bbbb2222"},
		{Action: ActionRollback, Result: ResultOK, ArtifactSHA256: "aaaa1111", RolledBackTo: 1},
		{Action: ActionDeploy, Result: ResultOK, ArtifactSHA256: "cccc3333"},
	} {
		entries, _ = Append(entries, e)
	}
	return entries
}

func TestRunningKeptAndAppend(t *testing.T) {
	entries := stored()
	if Running(entries) != 5 {
		t.Errorf("running = %d, want 5", Running(entries))
	}
	if got := Kept(entries, 2); !slices.Equal(got, []string{"cccc3333", "aaaa1111"}) {
		t.Errorf("kept 2 = %v", got)
	}
	deleted, e := Append(entries, Entry{Action: ActionDelete, Result: ResultOK})
	if e.N != 6 || Running(deleted) != 0 {
		t.Errorf("after a delete: entry %d, running %d; want 6, nothing", e.N, Running(deleted))
	}
	failed, _ := Append(entries, Entry{Action: ActionDeploy, Result: ResultFailed, ArtifactSHA256: "dddd"})
	if Running(failed) != 5 {
		t.Errorf("a failed deploy changes what runs: %d", Running(failed))
	}
	many := entries
	for range MaxEntries {
		many, _ = Append(many, Entry{Action: ActionDeploy, Result: ResultOK, ArtifactSHA256: "eeee"})
	}
	if len(many) != MaxEntries || many[len(many)-1].N != MaxEntries+5 {
		t.Errorf("%d entries, last %d; want %d, numbers going on", len(many), many[len(many)-1].N, MaxEntries)
	}
}

func TestChoose(t *testing.T) {
	h := &History{Stage: "dev", Entries: Newest(stored()), Current: 5}
	for _, tt := range []struct {
		to   string
		want int
		err  error
	}{
		{"", 4, nil},            // the previous artifact (a, as the rollback of entry 4 served it)
		{"1", 1, nil},           // by number
		{"#3", 3, nil},          // by number, as history prints it
		{"bbbb", 3, nil},        // by hash: the newest entry with it
		{"aaaa", 1, nil},        // a rollback's artifact is named by the entry it returned to
		{"2", 0, ErrNoEntry},    // a failed deploy has nothing to return to
		{"9", 0, ErrNoEntry},    // no such entry
		{"zzzz", 0, ErrNoEntry}, // no such artifact
		{"aa", 0, ErrNoEntry},   // too short to be a hash
	} {
		e, err := h.Choose(tt.to)
		if !errors.Is(err, tt.err) || (err == nil && e.N != tt.want) {
			t.Errorf("Choose(%q) = %+v, %v; want entry %d, %v", tt.to, e, err, tt.want, tt.err)
		}
	}
	// Rollbacks in a row walk back in time: from the rollback to entry 4, b (3), skipping the failed deploy;
	// from the rollback to 1, nothing is earlier.
	walked, _ := Append(stored(), Entry{Action: ActionRollback, Result: ResultOK, ArtifactSHA256: "aaaa1111", RolledBackTo: 4})
	if e, err := (&History{Stage: "dev", Entries: Newest(walked), Current: 6}).Choose(""); err != nil || e.N != 3 {
		t.Errorf("after a rollback to 4: %+v, %v; want entry 3", e, err)
	}
	back := &History{Stage: "dev", Entries: Newest(stored()[:4]), Current: 4}
	if _, err := back.Choose(""); !errors.Is(err, ErrNoEntry) {
		t.Errorf("before the first artifact: %v, want ErrNoEntry", err)
	}
	ambiguous := &History{Stage: "dev", Entries: Newest(append(stored(), Entry{N: 6, Action: ActionDeploy, Result: ResultOK, ArtifactSHA256: "cccc4444"})), Current: 6}
	if _, err := ambiguous.Choose("cccc"); !errors.Is(err, ErrNoEntry) {
		t.Errorf("a prefix of two artifacts: %v, want ErrNoEntry", err)
	}
	if _, err := (&History{Stage: "dev"}).Choose(""); !errors.Is(err, ErrNotDeployed) {
		t.Errorf("nothing running: %v, want ErrNotDeployed", err)
	}
}
