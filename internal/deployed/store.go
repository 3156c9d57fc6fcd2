package deployed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/coworks-go/coworks/internal/safefile"
)

// Dir returns the directory holding the records of the project in projectDir.
func Dir(projectDir string) string { return filepath.Join(projectDir, ".chalice", "deployed") }

// Path returns the record file of stage: {projectDir}/.chalice/deployed/{stage}.json.
func Path(projectDir, stage string) string { return filepath.Join(Dir(projectDir), stage+".json") }

// LegacyPath returns the pre-1.2 Chalice state file, .chalice/deployed.json, keyed by stage.
func LegacyPath(projectDir string) string {
	return filepath.Join(projectDir, ".chalice", "deployed.json")
}

// Load reads the record of stage. A missing record is not an error: Load then migrates the stage's
// entry of the legacy .chalice/deployed.json in memory as Chalice does (appName strips the
// "{app}-{stage}-" prefix from legacy function names; Record.Legacy is set), and otherwise returns an
// empty record. Errors are *SyntaxError (file:line:col), *SchemaVersionError, or I/O errors.
func Load(projectDir, stage, appName string) (*Record, error) {
	path := Path(projectDir, stage)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return loadLegacy(projectDir, stage, appName)
	}
	if err != nil {
		return nil, fmt.Errorf("read deployment record: %w", err)
	}
	return Parse(path, data)
}

// Save writes rec as the record of stage, atomically: readers see the old record or the new one.
func Save(projectDir, stage string, rec *Record) error {
	data, err := rec.Marshal()
	if err != nil {
		return fmt.Errorf("deployment record of stage %q: %w", stage, err)
	}
	if err := safefile.Write(Path(projectDir, stage), data, 0o644); err != nil {
		return fmt.Errorf("write deployment record of stage %q: %w", stage, err)
	}
	return nil
}

// List returns, sorted, the stages that have a record: every .chalice/deployed/{stage}.json (hidden
// files excluded) plus the stages of the legacy .chalice/deployed.json. Records of deleted stages (no
// resources) are listed too; check Record.IsDeployed.
func List(projectDir string) ([]string, error) {
	seen := map[string]bool{}
	entries, err := os.ReadDir(Dir(projectDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("list deployment records: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		seen[strings.TrimSuffix(name, ".json")] = true
	}
	legacy, err := readLegacy(projectDir)
	if err != nil {
		return nil, err
	}
	for _, f := range legacy {
		seen[f.Key] = true
	}
	stages := make([]string, 0, len(seen))
	for s := range seen {
		stages = append(stages, s)
	}
	sort.Strings(stages)
	return stages, nil
}

// LockPath returns the file locked while a stage is being deployed or deleted:
// .chalice/local/locks/{stage}.lock. Everything under .chalice/local/ is machine-local and git-ignored.
func LockPath(projectDir, stage string) string {
	return filepath.Join(projectDir, ".chalice", "local", "locks", stage+".lock")
}

// LockedError says another process kept the stage's lock for as long as the caller would wait.
type LockedError struct {
	Stage  string
	Holder string // who holds it, as written by the holder ("pid 123 since ..."), when known
	Path   string
}

func (e *LockedError) Error() string {
	msg := fmt.Sprintf("stage %q is being deployed or deleted by another cws", e.Stage)
	if e.Holder != "" {
		msg += " (" + e.Holder + ")"
	}
	return msg + "; lock file " + e.Path
}

// Unwrap makes errors.Is(err, safefile.ErrLocked) true.
func (e *LockedError) Unwrap() error { return safefile.ErrLocked }

// Lock takes the per-stage deploy lock, so two cws deploying or deleting one stage run one after the
// other. When the lock is busy, waiting (if not nil) is called once with a description of the holder,
// then Lock waits until the lock is free or ctx is done; in the latter case it returns a *LockedError.
// The lock is released by unlock, or by the kernel when the process dies. Targets do not take this lock;
// the command that deploys does.
func Lock(ctx context.Context, projectDir, stage string, waiting func(holder string)) (unlock func(), err error) {
	path := LockPath(projectDir, stage)
	done, cancel := context.WithCancel(ctx)
	cancel() // first a single attempt that does not wait
	unlock, err = safefile.Lock(done, path)
	if errors.Is(err, safefile.ErrLocked) {
		holder := readHolder(path)
		if waiting != nil {
			waiting(holder)
		}
		unlock, err = safefile.Lock(ctx, path)
		if errors.Is(err, safefile.ErrLocked) {
			return nil, &LockedError{Stage: stage, Holder: readHolder(path), Path: path}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("lock stage %q: %w", stage, err)
	}
	// The holder note lives in the lock file itself; flock is advisory, so writing it is harmless.
	note := fmt.Sprintf("pid %d since %s", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	_ = os.WriteFile(path, []byte(note), 0o644)
	return unlock, nil
}

func readHolder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Meta is what cws records about a deployment beyond Chalice's record. It lives in a sidecar file,
// .chalice/deployed/.{stage}.cws.json, so the record stays byte-identical to Chalice's and Chalice (which
// rewrites the whole record and would drop extra keys) never sees it.
type Meta struct {
	// Target is the deploy target that made the deployment: "local" or "terraform".
	Target string `json:"target"`
	// ArtifactSHA256 is the base64 SHA-256 of the deployed code: the zip (Lambda's source_code_hash) on AWS,
	// the host binary in the local cloud.
	ArtifactSHA256 string `json:"artifact_sha256"`
	// DeployedAt is when the deployment last changed.
	DeployedAt time.Time `json:"deployed_at"`
	// Region is the AWS region (or the region the local cloud pretends to be in).
	Region string `json:"region"`
	// RestAPIID is the id the record had when Meta was written; a different id in the record means the
	// record was rewritten by another tool and Meta is stale.
	RestAPIID string `json:"rest_api_id,omitempty"`
	// FunctionVersion is the published function version the stage serves (terraform: its alias's version);
	// empty for targets that do not publish versions.
	FunctionVersion string `json:"function_version,omitempty"`
	// Branch is the git branch the stage was named after when it was deployed with --stage @branch: such a
	// stage is a branch stage, which `cws stage prune` deletes once its branch is gone.
	Branch string `json:"branch,omitempty"`
}

// MetaPath returns the sidecar file of stage.
func MetaPath(projectDir, stage string) string {
	return filepath.Join(Dir(projectDir), "."+stage+".cws.json")
}

// SaveMeta writes the sidecar of stage atomically.
func SaveMeta(projectDir, stage string, m *Meta) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := safefile.Write(MetaPath(projectDir, stage), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write deployment metadata of stage %q: %w", stage, err)
	}
	return nil
}

// LoadMeta reads the sidecar of stage; it returns nil and no error when there is none.
func LoadMeta(projectDir, stage string) (*Meta, error) {
	path := MetaPath(projectDir, stage)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m Meta
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// RemoveMeta deletes the sidecar of stage; a missing sidecar is not an error.
func RemoveMeta(projectDir, stage string) error {
	err := os.Remove(MetaPath(projectDir, stage))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
