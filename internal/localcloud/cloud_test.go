package localcloud

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/target"
	"github.com/coworks-go/coworks/internal/target/targettest"
)

var ctx = context.Background()

func fixedClock() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }

func newCloud(t *testing.T) (*Cloud, string) {
	dir := t.TempDir()
	return New(dir, Options{Now: fixedClock}), dir
}

// localHarness makes local clouds, which name an artifact by its host binary.
var localHarness = targettest.Harness{
	New:      func(t *testing.T) (target.Target, string) { return newCloud(t) },
	Identity: func(a target.Artifact) string { return a.BinarySHA256 },
}

func TestConformance(t *testing.T) { targettest.Run(t, localHarness) }

func TestLifecycleConformance(t *testing.T) { targettest.RunLifecycle(t, localHarness) }

func TestDeployWritesRecordStateAndArtifact(t *testing.T) {
	c, dir := newCloud(t)
	art := targettest.FakeArtifact(t, 1)
	art.ZipPath, art.SHA256 = "", "" // a local deploy builds no Lambda zip
	req := targettest.Request("dev", "dev", art)
	var progress bytes.Buffer
	req.Progress = &progress
	res, err := c.Deploy(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !validID(res.RestAPIID) {
		t.Errorf("REST API id %q is not 10 characters of [a-z0-9]", res.RestAPIID)
	}
	want := `{
  "resources": [
    {
      "name": "api_handler",
      "resource_type": "lambda_function",
      "lambda_arn": "arn:aws:lambda:eu-west-1:000000000000:function:demo-dev"
    },
    {
      "name": "rest_api",
      "resource_type": "rest_api",
      "rest_api_id": "` + res.RestAPIID + `",
      "rest_api_url": "http://127.0.0.1:8000/dev/"
    }
  ],
  "schema_version": "2.0",
  "backend": "api"
}
`
	got, _ := os.ReadFile(deployed.Path(dir, "dev"))
	if string(got) != want {
		t.Errorf("record:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(progress.String(), "Creating Rest API "+res.RestAPIID) {
		t.Errorf("progress %q does not say the API was created", progress.String())
	}
	meta, err := deployed.LoadMeta(dir, "dev")
	if err != nil || meta.Target != "local" || meta.ArtifactSHA256 != art.BinarySHA256 || !meta.DeployedAt.Equal(fixedClock()) || meta.Region != "eu-west-1" {
		t.Errorf("metadata = %+v, %v", meta, err)
	}
	st, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, s := st.FindStage("dev")
	bin, err := os.ReadFile(s.BinaryPath(dir))
	orig, _ := os.ReadFile(art.BinaryPath)
	if err != nil || !bytes.Equal(bin, orig) {
		t.Errorf("stored host binary differs from the build's: %v", err)
	}
	if fi, err := os.Stat(s.BinaryPath(dir)); err != nil || fi.Mode().Perm()&0o100 == 0 {
		t.Errorf("stored host binary is not executable: %v", err)
	}
	sum := sha256.Sum256(orig)
	if want := "artifacts/" + hex.EncodeToString(sum[:]); s.Artifact != want || s.ArtifactSHA256 != art.BinarySHA256 {
		t.Errorf("stage's artifact = %s (%s), want %s named by the host binary's SHA-256 %s", s.Artifact, s.ArtifactSHA256, want, art.BinarySHA256)
	}
	if entries, _ := os.ReadDir(s.ArtifactDir(dir)); len(entries) != 2 {
		t.Errorf("artifact directory holds %d files, want the host binary and its route table (for a rollback) alone", len(entries))
	}
	if s.Settings.Environment["STAGE_NAME"] != "dev" || s.Settings.Timeout != 60 || len(s.Routes) != 2 {
		t.Errorf("stage snapshot = %+v", s)
	}
	// The state holds the environment values: private file in a private folder.
	for path, want := range map[string]os.FileMode{Dir(dir): 0o700, StatePath(dir): 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode().Perm(), err, want)
		}
	}
}

// TestOpenLocalFolderIsMadePrivate: a .chalice/local/ made readable by others (by an older cws) becomes
// 0700, and its state 0600, at the next deploy.
func TestOpenLocalFolderIsMadePrivate(t *testing.T) {
	c, dir := newCloud(t)
	if err := os.MkdirAll(Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(StatePath(dir), []byte(`{"version": 1, "port": 8000, "rest_apis": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(Dir(dir), 0o755)
	if _, err := c.Deploy(ctx, targettest.Request("dev", "dev", targettest.FakeArtifact(t, 1))); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{Dir(dir): 0o700, StatePath(dir): 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode().Perm(), err, want)
		}
	}
}

// TestStateNamingPathsOutsideTheStoreIsCorrupt: the gateway runs the binary of a stage's artifact, so a
// state naming anything but artifacts/{hex} is refused as corrupt, with the way out.
func TestStateNamingPathsOutsideTheStoreIsCorrupt(t *testing.T) {
	for _, artifact := range []string{"../../../../bin", "/bin", "artifacts/../../x", "artifacts/" + strings.Repeat("A", 64), "artifacts/" + strings.Repeat("0", 63)} {
		dir := t.TempDir()
		state := `{"version": 1, "port": 8000, "rest_apis": [{"id": "abcdefghij", "stages": [{"name": "dev", "chalice_stage": "dev", "artifact": "` + artifact + `"}]}]}`
		if err := os.MkdirAll(Dir(dir), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(StatePath(dir), []byte(state), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(dir)
		var ce *CorruptStateError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "not in .chalice/local/artifacts/") || !strings.HasPrefix(ce.Hint(), "mv .chalice/local ") {
			t.Errorf("artifact %q: Load = %v", artifact, err)
		}
	}
}

func TestURLFormFollowsStageNameUniqueness(t *testing.T) {
	c, dir := newCloud(t)
	art := targettest.FakeArtifact(t, 1)
	dev, err := c.Deploy(ctx, targettest.Request("dev", "api", art))
	if err != nil {
		t.Fatal(err)
	}
	if dev.URL != "http://127.0.0.1:8000/api/" {
		t.Fatalf("unique API Gateway stage: URL %s", dev.URL)
	}
	// prod on its own API with the same API Gateway stage name: both must switch to the Host form,
	// and dev's record must follow.
	prod, err := c.Deploy(ctx, targettest.Request("prod", "api", art))
	if err != nil {
		t.Fatal(err)
	}
	if prod.URL != "http://"+prod.RestAPIID+".execute-api.localhost:8000/api/" {
		t.Errorf("prod URL %s", prod.URL)
	}
	rec, _ := deployed.Load(dir, "dev", "demo")
	if _, url, _ := rec.RestAPI(); url != "http://"+dev.RestAPIID+".execute-api.localhost:8000/api/" {
		t.Errorf("dev's record kept the ambiguous URL %s", url)
	}
	if _, err := c.Delete(ctx, &target.DeleteRequest{AppName: "demo", Stage: "prod"}); err != nil {
		t.Fatal(err)
	}
	rec, _ = deployed.Load(dir, "dev", "demo")
	if _, url, _ := rec.RestAPI(); url != "http://127.0.0.1:8000/api/" {
		t.Errorf("after prod left, dev's URL is %s; want the path form back", url)
	}
}

func TestResolveRestAPI(t *testing.T) {
	c, dir := newCloud(t)
	dev, err := c.Deploy(ctx, targettest.Request("dev", "dev", targettest.FakeArtifact(t, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"dev", dev.RestAPIID} {
		if id, err := ResolveRestAPI(dir, "demo", v); err != nil || id != dev.RestAPIID {
			t.Errorf("ResolveRestAPI(%q) = %q, %v", v, id, err)
		}
	}
	_, err = ResolveRestAPI(dir, "demo", "prod")
	var ue *UnknownRestAPIError
	if !errors.As(err, &ue) || err.Error() != `"prod" is neither a deployed stage nor a REST API of the local cloud (deployed stages: dev; REST API ids: `+dev.RestAPIID+`)` {
		t.Errorf("unknown value: %v", err)
	}
}

func TestRedeployUnchangedTouchesNothing(t *testing.T) {
	c, dir := newCloud(t)
	art := targettest.FakeArtifact(t, 1)
	if _, err := c.Deploy(ctx, targettest.Request("dev", "dev", art)); err != nil {
		t.Fatal(err)
	}
	before, _ := StatStamp(dir)
	recInfo, _ := os.Stat(deployed.Path(dir, "dev"))
	os.Remove(art.BinaryPath) // an unchanged deploy does not even read the artifact
	res, err := c.Deploy(ctx, targettest.Request("dev", "dev", art))
	if err != nil || !res.Unchanged {
		t.Fatalf("redeploy = %+v, %v", res, err)
	}
	after, _ := StatStamp(dir)
	recInfo2, _ := os.Stat(deployed.Path(dir, "dev"))
	if !before.Equal(after) || !os.SameFile(recInfo, recInfo2) {
		t.Error("an unchanged deploy rewrote the state or the record")
	}
	if _, err := c.Deploy(ctx, targettest.Request("dev", "dev", targettest.FakeArtifact(t, 2))); err != nil {
		t.Fatal(err)
	}
	if changed, _ := StatStamp(dir); changed.Equal(after) {
		t.Error("the state stamp did not change after a real deploy; the gateway would miss it")
	}
}

func TestFailedArtifactStoreLeavesConsistentRecord(t *testing.T) {
	c, dir := newCloud(t)
	v1, v2 := targettest.FakeArtifact(t, 1), targettest.FakeArtifact(t, 2)
	dev, err := c.Deploy(ctx, targettest.Request("dev", "dev", v1))
	if err != nil {
		t.Fatal(err)
	}
	recBefore, _ := os.ReadFile(deployed.Path(dir, "dev"))
	stateBefore, _ := os.ReadFile(StatePath(dir))

	// The artifact store cannot take a new artifact: its directory is replaced by a file.
	store := filepath.Join(Dir(dir), "artifacts")
	os.Rename(store, store+".aside")
	os.WriteFile(store, []byte("not a directory"), 0o644)
	if _, err := c.Deploy(ctx, targettest.Request("dev", "dev", v2)); err == nil {
		t.Fatal("deploy with a broken artifact store succeeded")
	}
	recAfter, _ := os.ReadFile(deployed.Path(dir, "dev"))
	stateAfter, _ := os.ReadFile(StatePath(dir))
	if !bytes.Equal(recBefore, recAfter) || !bytes.Equal(stateBefore, stateAfter) {
		t.Error("a failed deploy changed the record or the state, which must still describe v1")
	}
	// A first deploy of another stage failing the same way leaves no record claiming an API.
	if _, err := c.Deploy(ctx, targettest.Request("qa", "qa", v2)); err == nil {
		t.Fatal("deploy of qa with a broken artifact store succeeded")
	}
	if rec, err := deployed.Load(dir, "qa", "demo"); err != nil || rec.IsDeployed() {
		t.Errorf("failed first deploy left record %+v, %v", rec, err)
	}

	os.Remove(store)
	os.Rename(store+".aside", store)
	res, err := c.Deploy(ctx, targettest.Request("dev", "dev", v2))
	if err != nil || res.RestAPIID != dev.RestAPIID {
		t.Fatalf("recovery deploy = %+v, %v", res, err)
	}
	if d, _ := c.Describe(ctx, "dev"); d.ArtifactSHA256 != v2.BinarySHA256 {
		t.Errorf("after recovery the stage runs %s", d.ArtifactSHA256)
	}
	entries, _ := os.ReadDir(store)
	if len(entries) != 2 {
		t.Errorf("artifact store holds %d entries; want v2, and v1 kept for a rollback (no leftovers)", len(entries))
	}
	// The failed deploys are in the histories, between the two that succeeded.
	h, _ := c.History(ctx, &target.HistoryRequest{AppName: "demo", Stage: "dev"})
	if len(h.Entries) != 3 || h.Entries[1].Result != target.ResultFailed || h.Entries[1].ArtifactSHA256 != v2.BinarySHA256 ||
		!strings.Contains(h.Entries[1].Error, "artifact store") || h.Current != 3 {
		t.Errorf("history of dev = %+v; want deploy, failed deploy of v2, deploy of v2 running", h)
	}
	if q, _ := c.History(ctx, &target.HistoryRequest{AppName: "demo", Stage: "qa"}); len(q.Entries) != 1 || q.Entries[0].OK() || q.Current != 0 {
		t.Errorf("history of qa = %+v; want one failed deploy, nothing running", q)
	}
}

func TestCrashBetweenStateAndRecordIsRecoveredByNextDeploy(t *testing.T) {
	c, dir := newCloud(t)
	first, err := c.Deploy(ctx, targettest.Request("dev", "dev", targettest.FakeArtifact(t, 1)))
	if err != nil {
		t.Fatal(err)
	}
	// What a cws killed after writing the state but before writing the record leaves behind: the state
	// has the stage, the record is the one from before (here: none).
	os.Remove(deployed.Path(dir, "dev"))
	d, err := c.Describe(ctx, "dev")
	if err != nil || !d.Deployed {
		t.Fatalf("the state must say what exists: %+v, %v", d, err)
	}
	res, err := c.Deploy(ctx, targettest.Request("dev", "dev", targettest.FakeArtifact(t, 1)))
	if err != nil || res.Unchanged || res.RestAPIID != first.RestAPIID {
		t.Fatalf("next deploy = %+v, %v; want the same API and the record rewritten", res, err)
	}
	rec, _ := deployed.Load(dir, "dev", "demo")
	if id, _, _ := rec.RestAPI(); id != first.RestAPIID {
		t.Errorf("record after recovery names %q, want %q", id, first.RestAPIID)
	}
	// The same crash before a delete: delete still removes the stage and its API.
	os.Remove(deployed.Path(dir, "dev"))
	del, err := c.Delete(ctx, &target.DeleteRequest{AppName: "demo", Stage: "dev"})
	if err != nil || !del.Deleted || !del.APIDeleted {
		t.Errorf("delete without a record = %+v, %v", del, err)
	}
}

func TestLostStateKeepsRecordedAPIID(t *testing.T) {
	c, dir := newCloud(t)
	first, err := c.Deploy(ctx, targettest.Request("dev", "dev", targettest.FakeArtifact(t, 1)))
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(Dir(dir))
	again, err := c.Deploy(ctx, targettest.Request("dev", "dev", targettest.FakeArtifact(t, 1)))
	if err != nil || again.RestAPIID != first.RestAPIID || again.URL != first.URL {
		t.Errorf("redeploy after losing .chalice/local = %+v, %v; want the recorded API %s", again, err, first.RestAPIID)
	}
}

func TestRefusesStageOfAnotherTarget(t *testing.T) {
	c, dir := newCloud(t)
	rec := deployed.Empty()
	rec.Put(deployed.RestAPI("abc123defg", "https://abc123defg.execute-api.eu-west-1.amazonaws.com/dev/"))
	deployed.Save(dir, "dev", rec)
	deployed.SaveMeta(dir, "dev", &deployed.Meta{Target: "terraform"})
	if _, err := c.Deploy(ctx, targettest.Request("dev", "dev", targettest.FakeArtifact(t, 1))); !errors.Is(err, target.ErrDeployedElsewhere) {
		t.Errorf("deploy over a terraform stage: %v", err)
	}
	if _, err := c.Delete(ctx, &target.DeleteRequest{AppName: "demo", Stage: "dev"}); !errors.Is(err, target.ErrDeployedElsewhere) {
		t.Errorf("delete of a terraform stage: %v", err)
	}
}
