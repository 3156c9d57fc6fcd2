package targettest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/coworks-go/coworks/internal/target"
)

// by returns a deploy request for stage with artifact a, made by actor from configuration config.
func by(stage string, a target.Artifact, actor, config string) *target.Request {
	r := Request(stage, stage, a)
	r.Origin = target.Origin{Actor: actor, ConfigSHA256: config}
	return r
}

// history returns the stage's history or fails the test.
func history(t *testing.T, tg target.Target, stage string) *target.History {
	t.Helper()
	h, err := tg.History(context.Background(), &target.HistoryRequest{AppName: "demo", Stage: stage})
	if err != nil {
		t.Fatalf("history of %s: %v", stage, err)
	}
	return h
}

// summary is a history in one line per entry, newest first: "3 rollback ok sha-of-v1 to=1 *" (* marks what
// runs).
func summary(h *target.History, names map[string]string) []string {
	var out []string
	for _, e := range h.Entries {
		s := fmt.Sprintf("%d %s %s %s", e.N, e.Action, e.Result, names[e.ArtifactSHA256])
		if e.PromotedFrom != "" {
			s += " from=" + e.PromotedFrom
		}
		if e.RolledBackTo != 0 {
			s += fmt.Sprintf(" to=%d", e.RolledBackTo)
		}
		if e.N == h.Current {
			s += " *"
		}
		out = append(out, s)
	}
	return out
}

func wantSummary(t *testing.T, h *target.History, names map[string]string, want ...string) {
	t.Helper()
	got := summary(h, names)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("history of %s:\n got %q\nwant %q", h.Stage, got, want)
	}
}

// runs checks that the stage runs the artifact the target names sha.
func runs(t *testing.T, tg target.Target, stage, sha string) {
	t.Helper()
	d, err := tg.Describe(context.Background(), stage)
	if err != nil || !d.Deployed || d.ArtifactSHA256 != sha {
		t.Errorf("stage %s runs %+v, %v; want artifact %s", stage, d, err, sha)
	}
}

// RunLifecycle runs the conformance suite of a stage's lifecycle against the targets h makes: its history,
// promote and rollback. Each subtest is one user story.
func RunLifecycle(t *testing.T, h Harness) {
	art := h.Artifact
	if art == nil {
		art = func(t *testing.T, n int) target.Artifact { return FakeArtifact(t, n) }
	}
	id := h.identity()
	ctx := context.Background()
	names := func(arts ...target.Artifact) map[string]string {
		m := map[string]string{}
		for i, a := range arts {
			m[id(a)] = fmt.Sprintf("v%d", i+1)
		}
		return m
	}

	t.Run("HistoryRecordsChangesNotRedeploys", func(t *testing.T) {
		tg, _ := h.New(t)
		if hist := history(t, tg, "dev"); len(hist.Entries) != 0 || hist.Current != 0 {
			t.Fatalf("history of a never-deployed stage: %+v", hist)
		}
		v1, v2 := art(t, 1), art(t, 2)
		v1.Commit, v1.Dirty = "1111111111111111111111111111111111111111", true
		if _, err := tg.Deploy(ctx, by("dev", v1, "alice", "config-a")); err != nil {
			t.Fatal(err)
		}
		if r, err := tg.Deploy(ctx, by("dev", v1, "bob", "config-a")); err != nil || !r.Unchanged || r.Entry != nil {
			t.Fatalf("unchanged redeploy = %+v, %v; want unchanged, no entry", r, err)
		}
		res, err := tg.Deploy(ctx, by("dev", v2, "bob", "config-b"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Entry == nil || res.Entry.N != 2 || res.Entry.Action != target.ActionDeploy {
			t.Errorf("deploy result entry = %+v, want entry 2, a deploy", res.Entry)
		}
		hist := history(t, tg, "dev")
		wantSummary(t, hist, names(v1, v2), "2 deploy ok v2 *", "1 deploy ok v1")
		if len(hist.Entries) == 2 {
			first, second := hist.Entries[1], hist.Entries[0]
			if first.Actor != "alice" || first.Commit != v1.Commit || !first.Dirty || first.ConfigSHA256 != "config-a" || first.At.IsZero() {
				t.Errorf("entry 1 = %+v; want alice, the commit, dirty, config-a, a time", first)
			}
			if second.Actor != "bob" || second.ConfigSHA256 != "config-b" || second.RoutesSHA256 != target.RoutesSHA256(v2.Routes) {
				t.Errorf("entry 2 = %+v; want bob, config-b, the routes' hash", second)
			}
		}
		if !hist.Available[1] || !hist.Available[2] {
			t.Errorf("available artifacts %v; want entries 1 and 2", hist.Available)
		}
	})

	t.Run("PromoteMovesTheArtifactWithoutRebuild", func(t *testing.T) {
		tg, _ := h.New(t)
		v1, v2 := art(t, 1), art(t, 2)
		v2.Commit = "2222222222222222222222222222222222222222"
		for _, v := range []target.Artifact{v1, v2} {
			if _, err := tg.Deploy(ctx, by("dev", v, "alice", "dev-config")); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tg.Deploy(ctx, by("prod", v1, "alice", "prod-config")); err != nil {
			t.Fatal(err)
		}
		promote := func(from, to string, plan bool) (*target.Result, error) {
			r := by(to, target.Artifact{}, "carol", "prod-config")
			r.Settings.Environment["ONLY_IN"] = to
			r.PlanOnly = plan
			return tg.Promote(ctx, &target.PromoteRequest{Request: *r, From: from})
		}
		plan, err := promote("dev", "prod", true)
		if err != nil || plan.Plan == "" || plan.Entry != nil {
			t.Fatalf("promote --plan = %+v, %v; want a plan and no entry", plan, err)
		}
		runs(t, tg, "prod", id(v1))
		res, err := promote("dev", "prod", false)
		if err != nil {
			t.Fatalf("promote dev to prod: %v", err)
		}
		if res.ArtifactSHA256 != id(v2) || res.Entry == nil || res.Entry.PromotedFrom != "dev" {
			t.Errorf("promote result = %+v; want dev's artifact, an entry promoted from dev", res)
		}
		runs(t, tg, "prod", id(v2))
		runs(t, tg, "dev", id(v2))
		hist := history(t, tg, "prod")
		wantSummary(t, hist, names(v1, v2), "2 promote ok v2 from=dev *", "1 deploy ok v1")
		if e := hist.Entries[0]; e.Commit != v2.Commit || e.Actor != "carol" || e.ConfigSHA256 != "prod-config" {
			t.Errorf("promote entry = %+v; want dev's commit, carol, prod's config", e)
		}
		if again, err := promote("dev", "prod", false); err != nil || !again.Unchanged {
			t.Errorf("promoting what prod already runs = %+v, %v; want unchanged", again, err)
		}
		if _, err := promote("dev", "dev", false); !errors.Is(err, target.ErrSameStage) {
			t.Errorf("promote dev to dev: %v, want ErrSameStage", err)
		}
		if _, err := promote("qa", "prod", false); !errors.Is(err, target.ErrNotDeployed) {
			t.Errorf("promote from a stage never deployed: %v, want ErrNotDeployed", err)
		}
		if hist := history(t, tg, "prod"); len(hist.Entries) != 2 {
			t.Errorf("refused promotes wrote entries: %q", summary(hist, names(v1, v2)))
		}
	})

	t.Run("RollbackWalksBackWithoutRebuild", func(t *testing.T) {
		tg, _ := h.New(t)
		v1, v2, v3 := art(t, 1), art(t, 2), art(t, 3)
		v1.Commit = "1111111111111111111111111111111111111111"
		for _, v := range []target.Artifact{v1, v2, v3} {
			if _, err := tg.Deploy(ctx, by("dev", v, "alice", "c")); err != nil {
				t.Fatal(err)
			}
		}
		rollback := func(to string) (*target.Result, error) {
			return tg.Rollback(ctx, &target.RollbackRequest{AppName: "demo", Stage: "dev", To: to, Origin: target.Origin{Actor: "dave"}})
		}
		res, err := rollback("")
		if err != nil {
			t.Fatalf("rollback: %v", err)
		}
		if res.ArtifactSHA256 != id(v2) || res.Entry == nil || res.Entry.RolledBackTo != 2 {
			t.Errorf("rollback result = %+v; want v2, entry rolled back to 2", res)
		}
		runs(t, tg, "dev", id(v2))
		if _, err := rollback(""); err != nil {
			t.Fatalf("second rollback: %v", err)
		}
		runs(t, tg, "dev", id(v1))
		if _, err := rollback(""); !errors.Is(err, target.ErrNoEntry) {
			t.Errorf("rollback past the first artifact: %v, want ErrNoEntry", err)
		}
		if _, err := rollback("3"); err != nil {
			t.Fatalf("rollback --to 3: %v", err)
		}
		runs(t, tg, "dev", id(v3))
		if _, err := rollback(id(v1)[:8]); err != nil {
			t.Fatalf("rollback --to %s: %v", id(v1)[:8], err)
		}
		runs(t, tg, "dev", id(v1))
		hist := history(t, tg, "dev")
		wantSummary(t, hist, names(v1, v2, v3),
			"7 rollback ok v1 to=1 *", "6 rollback ok v3 to=3", "5 rollback ok v1 to=1", "4 rollback ok v2 to=2",
			"3 deploy ok v3", "2 deploy ok v2", "1 deploy ok v1")
		if e := hist.Entries[0]; e.Commit != v1.Commit || e.Actor != "dave" {
			t.Errorf("rollback entry = %+v; want v1's commit, dave", e)
		}
		if _, err := rollback("99"); !errors.Is(err, target.ErrNoEntry) {
			t.Errorf("rollback --to 99: %v, want ErrNoEntry", err)
		}
		if _, err := tg.Rollback(ctx, &target.RollbackRequest{AppName: "demo", Stage: "qa"}); !errors.Is(err, target.ErrNotDeployed) {
			t.Errorf("rollback of a stage never deployed: %v, want ErrNotDeployed", err)
		}
		plan, err := tg.Rollback(ctx, &target.RollbackRequest{AppName: "demo", Stage: "dev", To: "2", PlanOnly: true})
		if err != nil || plan.Plan == "" || plan.Entry != nil {
			t.Errorf("rollback --plan = %+v, %v; want a plan, no entry", plan, err)
		}
		runs(t, tg, "dev", id(v1))
	})

	t.Run("DeleteIsRecordedAndNumbersGoOn", func(t *testing.T) {
		tg, _ := h.New(t)
		v1 := art(t, 1)
		if _, err := tg.Deploy(ctx, by("dev", v1, "alice", "c")); err != nil {
			t.Fatal(err)
		}
		if _, err := tg.Delete(ctx, &target.DeleteRequest{AppName: "demo", Stage: "dev", Origin: target.Origin{Actor: "erin"}}); err != nil {
			t.Fatal(err)
		}
		hist := history(t, tg, "dev")
		wantSummary(t, hist, names(v1), "2 delete ok ", "1 deploy ok v1")
		if len(hist.Entries) > 0 && hist.Entries[0].Actor != "erin" {
			t.Errorf("delete entry = %+v; want erin", hist.Entries[0])
		}
		if _, err := tg.Rollback(ctx, &target.RollbackRequest{AppName: "demo", Stage: "dev"}); !errors.Is(err, target.ErrNotDeployed) {
			t.Errorf("rollback of a deleted stage: %v, want ErrNotDeployed", err)
		}
		if _, err := tg.Deploy(ctx, by("dev", v1, "alice", "c")); err != nil {
			t.Fatal(err)
		}
		wantSummary(t, history(t, tg, "dev"), names(v1), "3 deploy ok v1 *", "2 delete ok ", "1 deploy ok v1")
	})

	t.Run("KeepsTheLastArtifacts", func(t *testing.T) {
		tg, _ := h.New(t)
		v1, v2, v3 := art(t, 1), art(t, 2), art(t, 3)
		for _, v := range []target.Artifact{v1, v2, v3} {
			r := by("dev", v, "alice", "c")
			r.Origin.KeepArtifacts = 2
			if _, err := tg.Deploy(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		hist := history(t, tg, "dev")
		if h.KeepsEveryVersion {
			// Lambda keeps every published version: all of them can be served again.
			if !hist.Available[1] || !hist.Available[2] || !hist.Available[3] {
				t.Errorf("available: %v; want every entry", hist.Available)
			}
			if _, err := tg.Rollback(ctx, &target.RollbackRequest{AppName: "demo", Stage: "dev", To: "1"}); err != nil {
				t.Errorf("rollback to the first version: %v", err)
			}
			runs(t, tg, "dev", id(v1))
			return
		}
		if hist.Available[1] || !hist.Available[2] || !hist.Available[3] {
			t.Errorf("available with keep_artifacts 2: %v; want entries 2 and 3", hist.Available)
		}
		if _, err := tg.Rollback(ctx, &target.RollbackRequest{AppName: "demo", Stage: "dev", To: "1"}); !errors.Is(err, target.ErrArtifactGone) {
			t.Errorf("rollback to a freed artifact: %v, want ErrArtifactGone", err)
		}
		runs(t, tg, "dev", id(v3))
	})
}
