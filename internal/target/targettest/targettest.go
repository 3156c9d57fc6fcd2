// Package targettest is the conformance suite every deploy target must pass, and the fake artifacts it
// deploys. It lives apart from package target so the cws binary does not link package testing.
package targettest

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/coworks-go/coworks"
	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/target"
)

// Harness tells the suite how to make targets.
type Harness struct {
	// New returns a fresh target and the project directory it writes records into.
	New func(t *testing.T) (target.Target, string)
	// Artifact returns artifact number n; different n must give different hashes. Nil means FakeArtifact.
	Artifact func(t *testing.T, n int) target.Artifact
	// KeepsEveryVersion says the target can serve every earlier artifact of a stage again whatever its
	// keep_artifacts (AWS: Lambda keeps every published version).
	KeepsEveryVersion bool
	// Identity returns the hash the target records for an artifact (Description.ArtifactSHA256): the
	// zip's SHA256 when nil, as on AWS; the local cloud names an artifact by its BinarySHA256.
	Identity func(target.Artifact) string
}

// identity returns h.Identity, or the zip's SHA256 when it is nil.
func (h Harness) identity() func(target.Artifact) string {
	if h.Identity != nil {
		return h.Identity
	}
	return func(a target.Artifact) string { return a.SHA256 }
}

// FakeArtifact writes, in a temporary directory, a host "binary" (a shell script printing n) and a real
// deterministic zip holding it as "bootstrap", and returns them with their base64 SHA-256s. The files are
// real for an artifact store; they are not a runnable function.
func FakeArtifact(t testing.TB, n int) target.Artifact {
	t.Helper()
	dir := t.TempDir()
	bin := []byte(fmt.Sprintf("#!/bin/sh\necho fake function %d\n", n))
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bin)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	binPath, zipPath := filepath.Join(dir, "bootstrap"), filepath.Join(dir, "function.zip")
	if err := os.WriteFile(binPath, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zipPath, zbuf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, binSum := sha256.Sum256(zbuf.Bytes()), sha256.Sum256(bin)
	return target.Artifact{
		ZipPath:      zipPath,
		SHA256:       base64.StdEncoding.EncodeToString(sum[:]),
		BinaryPath:   binPath,
		BinarySHA256: base64.StdEncoding.EncodeToString(binSum[:]),
		Routes:       []coworks.Route{{Method: "GET", Path: "/", Handler: "Get"}, {Method: "GET", Path: "/value/{_0}", Handler: "GetValue"}},
	}
}

// Request returns a deploy request for stage of app "demo" with everyday settings.
func Request(stage, apigwStage string, art target.Artifact) *target.Request {
	return &target.Request{
		AppName:         "demo",
		Stage:           stage,
		APIGatewayStage: apigwStage,
		Artifact:        art,
		Settings: target.Settings{
			Environment: map[string]string{"STAGE_NAME": stage},
			Timeout:     60, MemorySize: 128, Region: "eu-west-1", Architecture: "x86_64",
		},
	}
}

// Run runs the conformance suite against the targets h makes. Each subtest is one user story.
func Run(t *testing.T, h Harness) {
	art := h.Artifact
	if art == nil {
		art = func(t *testing.T, n int) target.Artifact { return FakeArtifact(t, n) }
	}
	identity := h.identity()
	ctx := context.Background()

	t.Run("NeverDeployed", func(t *testing.T) {
		tg, dir := h.New(t)
		d, err := tg.Describe(ctx, "dev")
		if err != nil || d.Deployed {
			t.Fatalf("Describe of a never-deployed stage = %+v, %v; want not deployed, no error", d, err)
		}
		res, err := tg.Delete(ctx, &target.DeleteRequest{AppName: "demo", Stage: "dev"})
		if err != nil || res.Deleted {
			t.Fatalf("Delete of a never-deployed stage = %+v, %v; want nothing deleted, no error", res, err)
		}
		wantEmptyRecord(t, dir, "dev")
	})

	t.Run("DeployRedeploySharedDelete", func(t *testing.T) {
		tg, dir := h.New(t)
		v1, v2 := art(t, 1), art(t, 2)

		dev, err := tg.Deploy(ctx, Request("dev", "dev", v1))
		if err != nil {
			t.Fatalf("first deploy: %v", err)
		}
		if dev.Unchanged || !dev.CreatedAPI || dev.RestAPIID == "" || dev.URL == "" {
			t.Fatalf("first deploy result %+v: want a created API with id and URL", dev)
		}
		rec := wantRecord(t, dir, "dev", dev.RestAPIID, dev.URL)
		if arn, ok := rec.LambdaARN(deployed.APIHandlerName); !ok || arn == "" {
			t.Errorf("record has no api_handler lambda_arn: %+v", rec)
		}
		before, _ := os.ReadFile(deployed.Path(dir, "dev"))

		again, err := tg.Deploy(ctx, Request("dev", "dev", v1))
		if err != nil {
			t.Fatalf("redeploy: %v", err)
		}
		if !again.Unchanged || again.RestAPIID != dev.RestAPIID || again.URL != dev.URL {
			t.Errorf("redeploy of the same artifact = %+v; want unchanged, same API and URL", again)
		}
		after, _ := os.ReadFile(deployed.Path(dir, "dev"))
		if !bytes.Equal(before, after) {
			t.Errorf("unchanged redeploy rewrote the record:\n%s\nthen\n%s", before, after)
		}

		changed := Request("dev", "dev", v1)
		changed.Settings.Environment["NEW"] = "x"
		if r, err := tg.Deploy(ctx, changed); err != nil || r.Unchanged || r.RestAPIID != dev.RestAPIID {
			t.Errorf("deploy with a new env var = %+v, %v; want changed, same API", r, err)
		}
		if r, err := tg.Deploy(ctx, Request("dev", "dev", v2)); err != nil || r.Unchanged || r.RestAPIID != dev.RestAPIID {
			t.Errorf("deploy of a new artifact = %+v, %v; want changed, same API", r, err)
		}
		if d, _ := tg.Describe(ctx, "dev"); d.ArtifactSHA256 != identity(v2) {
			t.Errorf("Describe after new artifact: hash %q, want %q", d.ArtifactSHA256, identity(v2))
		}

		shared := Request("prod", "prod", v1)
		shared.RestAPIID = dev.RestAPIID
		prod, err := tg.Deploy(ctx, shared)
		if err != nil {
			t.Fatalf("deploy prod on dev's API: %v", err)
		}
		if prod.RestAPIID != dev.RestAPIID || prod.CreatedAPI || prod.URL == dev.URL {
			t.Errorf("shared deploy = %+v; want dev's API %s, not created, its own URL", prod, dev.RestAPIID)
		}
		wantRecord(t, dir, "prod", dev.RestAPIID, prod.URL)

		clash := Request("qa", "dev", v1)
		clash.RestAPIID = dev.RestAPIID
		if _, err := tg.Deploy(ctx, clash); !errors.Is(err, target.ErrStageConflict) {
			t.Errorf("deploy qa on API Gateway stage dev of dev's API: err %v, want ErrStageConflict", err)
		}
		if rec, err := deployed.Load(dir, "qa", "demo"); err != nil || rec.IsDeployed() {
			t.Errorf("refused deploy left a record for qa: %+v %v", rec, err)
		}
		ghost := Request("qa", "qa", v1)
		ghost.RestAPIID = "zzzzzzzzzz"
		if _, err := tg.Deploy(ctx, ghost); !errors.Is(err, target.ErrRestAPINotFound) {
			t.Errorf("deploy onto a missing API: err %v, want ErrRestAPINotFound", err)
		}

		dd, err := tg.Describe(ctx, "dev")
		if err != nil || !dd.Deployed || dd.RestAPIID != dev.RestAPIID || !slices.Equal(dd.SharedWith, []string{"prod"}) {
			t.Errorf("Describe dev = %+v, %v; want deployed on %s, shared with prod", dd, err, dev.RestAPIID)
		}
		if dd.APIGatewayStage != "dev" || dd.FunctionName != "demo-dev" {
			t.Errorf("Describe dev: API Gateway stage %q, function %q", dd.APIGatewayStage, dd.FunctionName)
		}

		del, err := tg.Delete(ctx, &target.DeleteRequest{AppName: "demo", Stage: "dev"})
		if err != nil || !del.Deleted || del.APIDeleted || del.RestAPIID != dev.RestAPIID {
			t.Fatalf("delete dev = %+v, %v; want deleted, API kept for prod", del, err)
		}
		wantEmptyRecord(t, dir, "dev")
		if pd, err := tg.Describe(ctx, "prod"); err != nil || !pd.Deployed || pd.RestAPIID != dev.RestAPIID || len(pd.SharedWith) != 0 {
			t.Errorf("prod after deleting dev = %+v, %v; want still on %s, alone", pd, err, dev.RestAPIID)
		}
		wantRecord(t, dir, "prod", dev.RestAPIID, prod.URL)

		del, err = tg.Delete(ctx, &target.DeleteRequest{AppName: "demo", Stage: "prod"})
		if err != nil || !del.Deleted || !del.APIDeleted {
			t.Fatalf("delete prod = %+v, %v; want deleted with its API", del, err)
		}
		wantEmptyRecord(t, dir, "prod")
		again2 := Request("prod", "prod", v1)
		again2.RestAPIID = dev.RestAPIID
		if _, err := tg.Deploy(ctx, again2); !errors.Is(err, target.ErrRestAPINotFound) {
			t.Errorf("deploy onto the deleted API: err %v, want ErrRestAPINotFound", err)
		}
		if res, err := tg.Delete(ctx, &target.DeleteRequest{AppName: "demo", Stage: "prod"}); err != nil || res.Deleted {
			t.Errorf("second delete = %+v, %v; want nothing deleted, no error", res, err)
		}
	})

	t.Run("SeparateAPIs", func(t *testing.T) {
		tg, _ := h.New(t)
		a, err := tg.Deploy(ctx, Request("dev", "api", art(t, 1)))
		if err != nil {
			t.Fatal(err)
		}
		b, err := tg.Deploy(ctx, Request("prod", "api", art(t, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if a.RestAPIID == b.RestAPIID || a.URL == b.URL {
			t.Errorf("two stages without sharing got API %s/%s, URLs %s/%s; want distinct", a.RestAPIID, b.RestAPIID, a.URL, b.URL)
		}
	})
}

func wantRecord(t *testing.T, dir, stage, id, url string) *deployed.Record {
	t.Helper()
	rec, err := deployed.Load(dir, stage, "demo")
	if err != nil {
		t.Fatalf("record of %s: %v", stage, err)
	}
	gotID, gotURL, ok := rec.RestAPI()
	if !ok || gotID != id || gotURL != url {
		t.Errorf("record of %s: rest_api %q %q, want %q %q", stage, gotID, gotURL, id, url)
	}
	return rec
}

func wantEmptyRecord(t *testing.T, dir, stage string) {
	t.Helper()
	got, err := os.ReadFile(deployed.Path(dir, stage))
	want, _ := deployed.Empty().Marshal()
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("record of deleted stage %s = %q, %v; want Chalice's empty record %q", stage, got, err, want)
	}
}
