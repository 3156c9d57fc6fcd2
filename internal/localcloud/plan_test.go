package localcloud

import (
	"os"
	"strings"
	"testing"

	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/target/targettest"
)

// TestPlanOnlyWritesNothing: a PlanOnly deploy describes the change (new stage, then new artifact) and
// leaves no state, record or artifact behind.
func TestPlanOnlyWritesNothing(t *testing.T) {
	c, dir := newCloud(t)
	req := targettest.Request("dev", "dev", targettest.FakeArtifact(t, 1))
	req.PlanOnly = true
	res, err := c.Deploy(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Plan, "+ create Rest API (new id)") || !strings.Contains(res.Plan, "+ create lambda function") {
		t.Errorf("plan of a new stage:\n%s", res.Plan)
	}
	if _, err := os.Stat(StatePath(dir)); err == nil {
		t.Error("a PlanOnly deploy wrote the local cloud state")
	}
	if _, err := os.Stat(deployed.Path(dir, "dev")); err == nil {
		t.Error("a PlanOnly deploy wrote the record")
	}

	req.PlanOnly = false
	if _, err := c.Deploy(ctx, req); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(StatePath(dir))
	next := targettest.Request("dev", "dev", targettest.FakeArtifact(t, 2))
	next.PlanOnly = true
	res, err = c.Deploy(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if res.Unchanged || !strings.Contains(res.Plan, "~ update lambda function") || !strings.Contains(res.Plan, " -> "+next.Artifact.BinarySHA256) {
		t.Errorf("plan of a new artifact (unchanged %v):\n%s", res.Unchanged, res.Plan)
	}
	if after, _ := os.ReadFile(StatePath(dir)); string(after) != string(before) {
		t.Error("a PlanOnly deploy changed the local cloud state")
	}
}
