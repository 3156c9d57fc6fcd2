// Package localcloud is the local cloud: REST APIs with their stages, functions and artifacts, kept in
// .chalice/local/ of a project, which `cws gateway` serves. It implements target.Target.
package localcloud

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coworks-go/coworks"
)

// DefaultPort is the gateway port written into new local clouds (Chalice's `chalice local` default).
const DefaultPort = 8000

// Account is the AWS account id of the local cloud, used in ARNs.
const Account = "000000000000"

// DefaultRegion is the region in ARNs when a stage sets none.
const DefaultRegion = "us-east-1"

// State is the content of .chalice/local/state.json: every REST API of the local cloud.
type State struct {
	// Version counts the writes of the state; it only grows, so a reader can tell a newer state.
	Version int64 `json:"version"`
	// Port is the gateway port the stages' URLs use.
	Port     int       `json:"port"`
	RestAPIs []RestAPI `json:"rest_apis"`
}

// RestAPI is one emulated API Gateway REST API.
type RestAPI struct {
	// ID is 10 characters from [a-z0-9], like API Gateway's.
	ID string `json:"id"`
	// Name is the app name, as Chalice names REST APIs.
	Name             string    `json:"name"`
	CreatedAt        time.Time `json:"created_at"`
	BinaryMediaTypes []string  `json:"binary_media_types"`
	// EndpointType is the API's endpoint type (EDGE, REGIONAL, PRIVATE); "" in states written before it
	// was recorded, served as EDGE.
	EndpointType string `json:"endpoint_type,omitempty"`
	// MinimumCompressionSize is the API's minimumCompressionSize, nil when compression is off.
	MinimumCompressionSize *int    `json:"minimum_compression_size,omitempty"`
	Stages                 []Stage `json:"stages"`
}

// Stage is one API Gateway stage of a REST API, serving one cws (Chalice) stage's function.
type Stage struct {
	// Name is the API Gateway stage name (api_gateway_stage), the first path segment of URLs.
	Name string `json:"name"`
	// ChaliceStage is the cws stage deployed here.
	ChaliceStage string `json:"chalice_stage"`
	AppName      string `json:"app_name"`
	FunctionName string `json:"function_name"`
	FunctionARN  string `json:"function_arn"`
	// ArtifactSHA256 is the base64 SHA-256 of the host binary the stage runs: its artifact's identity.
	ArtifactSHA256 string `json:"artifact_sha256"`
	// Artifact is the artifact directory, relative to .chalice/local (see ArtifactDir).
	Artifact string          `json:"artifact"`
	Routes   []coworks.Route `json:"routes"`
	Settings Settings        `json:"settings"`
	// URL is the stage's invoke URL, as written in its record.
	URL        string    `json:"url"`
	DeployedAt time.Time `json:"deployed_at"`
}

// Settings is the snapshot of a stage's function settings taken at deploy time.
type Settings struct {
	Environment map[string]string `json:"environment_variables"`
	// Timeout is in seconds, MemorySize in MB.
	Timeout    int `json:"lambda_timeout"`
	MemorySize int `json:"lambda_memory_size"`
	// ReservedConcurrency is nil when unset.
	ReservedConcurrency *int   `json:"reserved_concurrency"`
	Region              string `json:"region"`
	Architecture        string `json:"architecture"`
}

// Dir returns the local cloud's directory of a project: .chalice/local.
func Dir(projectDir string) string { return filepath.Join(projectDir, ".chalice", "local") }

// StatePath returns .chalice/local/state.json.
func StatePath(projectDir string) string { return filepath.Join(Dir(projectDir), "state.json") }

// Load reads the local cloud's state. A project with no local cloud yet has an empty state (Version 0,
// DefaultPort), not an error. The file is replaced atomically, so Load never sees a half-written state.
func Load(projectDir string) (*State, error) {
	path := StatePath(projectDir)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Port: DefaultPort, RestAPIs: []RestAPI{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read local cloud state: %w", err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, &CorruptStateError{Path: path, Problem: err.Error()}
	}
	for _, api := range st.RestAPIs {
		for _, s := range api.Stages {
			if !confined(s.Artifact) {
				return nil, &CorruptStateError{Path: path, Problem: fmt.Sprintf("stage %q names the artifact %q, which is not in .chalice/local/artifacts/",
					s.ChaliceStage, s.Artifact)}
			}
		}
	}
	if st.Port == 0 {
		st.Port = DefaultPort
	}
	return &st, nil
}

// confined reports whether rel, an artifact read from the state, is one of the store's directories,
// artifacts/{64 hex digits}: the gateway runs the binary in it, so nothing else is accepted.
func confined(rel string) bool {
	name, ok := strings.CutPrefix(rel, "artifacts/")
	if !ok || len(name) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(name)
	return err == nil && strings.ToLower(name) == name
}

// CorruptStateError is a .chalice/local/state.json that cws cannot use: not valid JSON, or naming a path
// outside the local cloud's store. Nothing is run or written from it.
type CorruptStateError struct {
	// Path is the state file; Problem what is wrong with it.
	Path, Problem string
}

func (e *CorruptStateError) Error() string {
	return fmt.Sprintf("corrupt local cloud state %s: %s", e.Path, e.Problem)
}

// Hint is the way out: set the local cloud aside and redeploy, which the records make possible (each keeps
// its stage's REST API id and so its URL).
func (e *CorruptStateError) Hint() string {
	return "mv .chalice/local .chalice/local.corrupt, then redeploy each stage: cws deploy --stage NAME (the same REST API ids and URLs)"
}

// Stamp identifies one written version of state.json, for cheap change checks: every write replaces the
// file by a rename, so a rewrite changes the file identity, size or modification time.
type Stamp struct{ info fs.FileInfo }

// StatStamp returns the stamp of the current state.json (a missing file has a stamp too).
func StatStamp(projectDir string) (Stamp, error) {
	info, err := os.Stat(StatePath(projectDir))
	if errors.Is(err, fs.ErrNotExist) {
		return Stamp{}, nil
	}
	if err != nil {
		return Stamp{}, err
	}
	return Stamp{info: info}, nil
}

// Equal reports whether s and o were taken from the same write of the state.
func (s Stamp) Equal(o Stamp) bool {
	if s.info == nil || o.info == nil {
		return s.info == nil && o.info == nil
	}
	return os.SameFile(s.info, o.info) && s.info.ModTime().Equal(o.info.ModTime()) && s.info.Size() == o.info.Size()
}

// API returns the REST API with id, or nil.
func (s *State) API(id string) *RestAPI {
	for i := range s.RestAPIs {
		if s.RestAPIs[i].ID == id {
			return &s.RestAPIs[i]
		}
	}
	return nil
}

// FindStage returns the REST API and API Gateway stage serving cws stage chaliceStage, or nils.
func (s *State) FindStage(chaliceStage string) (*RestAPI, *Stage) {
	for i := range s.RestAPIs {
		api := &s.RestAPIs[i]
		for j := range api.Stages {
			if api.Stages[j].ChaliceStage == chaliceStage {
				return api, &api.Stages[j]
			}
		}
	}
	return nil, nil
}

// Stage returns the API Gateway stage called name, or nil.
func (a *RestAPI) Stage(name string) *Stage {
	for i := range a.Stages {
		if a.Stages[i].Name == name {
			return &a.Stages[i]
		}
	}
	return nil
}

// PathStageUnique reports whether exactly one REST API has an API Gateway stage called name, in which
// case the gateway serves it at http://127.0.0.1:{port}/{name}/ without a Host header.
func (s *State) PathStageUnique(name string) bool {
	n := 0
	for i := range s.RestAPIs {
		if s.RestAPIs[i].Stage(name) != nil {
			n++
		}
	}
	return n == 1
}

// StageURL returns the URL of API Gateway stage name of REST API id: http://127.0.0.1:{port}/{name}/
// when the stage name is unique among the local REST APIs (every HTTP client reaches it), else
// http://{id}.execute-api.localhost:{port}/{name}/ (reached by Host header: curl and browsers resolve
// *.localhost to the loopback address; Go's resolver does not, see docs/deploy-local.md).
func (s *State) StageURL(id, name string) string {
	if s.PathStageUnique(name) {
		return fmt.Sprintf("http://127.0.0.1:%d/%s/", s.Port, name)
	}
	return fmt.Sprintf("http://%s.execute-api.localhost:%d/%s/", id, s.Port, name)
}

// ArtifactDir returns the absolute directory of a stage's artifact.
func (st *Stage) ArtifactDir(projectDir string) string {
	return filepath.Join(Dir(projectDir), filepath.FromSlash(st.Artifact))
}

// BinaryPath returns the host binary the gateway runs for the stage.
func (st *Stage) BinaryPath(projectDir string) string {
	return filepath.Join(st.ArtifactDir(projectDir), binaryName)
}
