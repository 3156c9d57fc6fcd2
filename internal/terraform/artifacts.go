package terraform

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coworks-go/coworks"
	"github.com/coworks-go/coworks/internal/safefile"
	"github.com/coworks-go/coworks/internal/target"
)

// The artifact store of the Terraform target keeps, on the machine that deploys, the zips (and route tables)
// of the last keep_artifacts artifacts of each stage: a promote needs the zip of what runs on the stage it
// promotes from, and a rollback the route table of the version it returns to. Layout under
// .chalice/terraform/artifacts/:
//
//	{hex sha256}/deployment.zip   the Lambda deployment package
//	{hex sha256}/routes.json      its route table
//	stages/{stage}.json           the stage's artifacts, newest first
const (
	storeZip    = "deployment.zip"
	storeRoutes = "routes.json"
)

func (t *Target) storeDir() string { return filepath.Join(RootsDir(t.opts.ProjectDir), "artifacts") }

// storeKey is the directory name of an artifact: the hex of its SHA-256 (base64 may hold '/').
func storeKey(sha string) (string, error) {
	sum, err := base64.StdEncoding.DecodeString(sha)
	if err != nil || len(sum) != sha256.Size {
		return "", fmt.Errorf("artifact hash %q is not a base64 SHA-256", sha)
	}
	return hex.EncodeToString(sum), nil
}

// keepArtifact stores a (unless it is there) as the newest artifact of stage, and removes the artifacts no
// stage keeps any more.
func (t *Target) keepArtifact(stage string, a target.Artifact, keep int) error {
	if keep <= 0 {
		keep = target.DefaultKeepArtifacts
	}
	key, err := storeKey(a.SHA256)
	if err != nil {
		return err
	}
	dir := filepath.Join(t.storeDir(), key)
	if _, err := os.Stat(filepath.Join(dir, storeRoutes)); err != nil {
		data, err := os.ReadFile(a.ZipPath)
		if err != nil {
			return err
		}
		if sum := sha256.Sum256(data); base64.StdEncoding.EncodeToString(sum[:]) != a.SHA256 {
			return fmt.Errorf("%s is not the artifact %s", a.ZipPath, a.SHA256)
		}
		routes, err := json.Marshal(a.Routes)
		if err != nil {
			return err
		}
		if err := safefile.Write(filepath.Join(dir, storeZip), data, 0o644); err != nil {
			return err
		}
		if err := safefile.Write(filepath.Join(dir, storeRoutes), routes, 0o644); err != nil { // last: marks it complete
			return err
		}
	}
	index := filepath.Join(t.storeDir(), "stages", stage+".json")
	var keys []string
	if data, err := os.ReadFile(index); err == nil {
		_ = json.Unmarshal(data, &keys) // a damaged index only forgets what it kept
	}
	keys = append([]string{key}, slices.DeleteFunc(keys, func(k string) bool { return k == key })...)
	keys = keys[:min(len(keys), keep)]
	data, err := json.Marshal(keys)
	if err != nil {
		return err
	}
	if err := safefile.Write(index, data, 0o644); err != nil {
		return err
	}
	return t.collectArtifacts()
}

// collectArtifacts removes the stored artifacts that no stage's index names.
func (t *Target) collectArtifacts() error {
	kept := map[string]bool{"stages": true}
	indexes, _ := filepath.Glob(filepath.Join(t.storeDir(), "stages", "*.json"))
	for _, index := range indexes {
		var keys []string
		if data, err := os.ReadFile(index); err == nil && json.Unmarshal(data, &keys) == nil {
			for _, k := range keys {
				kept[k] = true
			}
		}
	}
	entries, err := os.ReadDir(t.storeDir())
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if !kept[e.Name()] && !strings.HasPrefix(e.Name(), ".") {
			errs = append(errs, os.RemoveAll(filepath.Join(t.storeDir(), e.Name())))
		}
	}
	return errors.Join(errs...)
}

// findArtifact returns the artifact with hash sha as a deploy takes it: from the store, else from
// TargetOptions.FindArtifact (the build cache). ok is false when this machine has no zip with that hash.
func (t *Target) findArtifact(sha string) (a target.Artifact, ok bool) {
	if key, err := storeKey(sha); err == nil {
		dir := filepath.Join(t.storeDir(), key)
		if data, err := os.ReadFile(filepath.Join(dir, storeRoutes)); err == nil {
			var routes []coworks.Route
			if json.Unmarshal(data, &routes) == nil {
				if _, err := os.Stat(filepath.Join(dir, storeZip)); err == nil {
					return target.Artifact{ZipPath: filepath.Join(dir, storeZip), SHA256: sha, Routes: routes}, true
				}
			}
		}
	}
	if t.opts.FindArtifact != nil {
		return t.opts.FindArtifact(sha)
	}
	return target.Artifact{}, false
}

// ArtifactNotHereError says the zip of the artifact a promote or a rollback needs is not on this machine.
type ArtifactNotHereError struct {
	// Stage runs (or ran) the artifact SHA256, built from Commit ("" when unknown).
	Stage, SHA256, Commit string
	// BuildStage is the stage whose build would make it again (its architecture).
	BuildStage string
}

// Error names the artifact and says why it is needed.
func (e *ArtifactNotHereError) Error() string {
	from := ""
	if e.Commit != "" {
		from = ", built from commit " + e.Commit
	}
	return fmt.Sprintf("the zip of artifact %s (stage %s%s) is not on this machine: cws keeps the artifacts it deploys and finds the ones of its build cache, not AWS's copy", e.SHA256, e.Stage, from)
}

// Hint says how to make it again: builds are deterministic, so the same source gives the same zip.
func (e *ArtifactNotHereError) Hint() string {
	if e.Commit == "" {
		return "build the source that runs on " + e.Stage + " here with: cws build --stage " + e.BuildStage + " (the same source gives the same zip), then run the command again"
	}
	return "git switch --detach " + e.Commit + " && cws build --stage " + e.BuildStage + "   (the same source gives the same zip), then run the command again"
}
