// Package target defines what a deploy target does (deploy, delete, describe, promote and roll back one
// stage, and keep its history) so the cws commands work the same against the local cloud and against AWS
// through Terraform. Its conformance suite is package targettest.
package target

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/coworks-go/coworks"
	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/deployed"
)

// Target deploys stages of one project. Implementations write the stage's Chalice record
// (.chalice/deployed/{stage}.json) and its cws metadata on every successful Deploy and Delete.
// They do not take the per-stage lock (deployed.Lock): the command that calls them does.
type Target interface {
	// Name is the target's name in config and output: "local" or "terraform".
	Name() string
	// Deploy creates or updates the stage. Deploying what is already deployed (same artifact hash,
	// settings, API and routes) changes nothing and reports Result.Unchanged. Sharing a REST API
	// (Request.RestAPIID) that does not exist fails with ErrRestAPINotFound; putting a stage on an API
	// whose API Gateway stage of that name serves another cws stage fails with ErrStageConflict.
	Deploy(ctx context.Context, req *Request) (*Result, error)
	// Delete removes the stage, the REST API too when no other stage uses it, and writes Chalice's empty
	// record. Deleting a stage that is not deployed is not an error (it still writes the empty record).
	Delete(ctx context.Context, req *DeleteRequest) (*DeleteResult, error)
	// Describe reports what is deployed for stage; Description.Deployed is false when nothing is.
	Describe(ctx context.Context, stage string) (*Description, error)
	// History returns the stage's history, newest first, marking the entry that runs now and the entries
	// whose artifact is kept. It lives where the stage lives (the local cloud's state; the Terraform state of
	// the stage), so everyone sharing the stage reads the same one. Deploy, Delete, Promote and Rollback
	// append to it, failures included; an unchanged deploy appends nothing.
	History(ctx context.Context, req *HistoryRequest) (*History, error)
	// Promote deploys on req.Stage exactly the artifact that runs on req.From (same hash, no rebuild) with
	// req's settings, recorded as promoted from req.From. It fails with ErrSameStage when both are one
	// stage and ErrNotDeployed when req.From runs nothing; PlanOnly shows what would change.
	Promote(ctx context.Context, req *PromoteRequest) (*Result, error)
	// Rollback returns the stage to an earlier artifact of its history (History.Choose), without a
	// rebuild, recorded as a rollback. It fails with ErrNotDeployed, ErrNoEntry, or ErrArtifactGone when
	// the chosen artifact is no longer kept.
	Rollback(ctx context.Context, req *RollbackRequest) (*Result, error)
}

// Artifact is a built function, as produced by the build step. Each target uses its own half: the local
// cloud runs the host binary and names the artifact by BinarySHA256; AWS gets the zip, named by SHA256.
type Artifact struct {
	// ZipPath is the Lambda deployment package; empty when only the host binary was built (local deploys).
	ZipPath string
	// SHA256 is the base64 (standard encoding) SHA-256 of the zip: Lambda's source_code_hash. Empty with
	// ZipPath.
	SHA256 string
	// BinaryPath is the same function built for this machine, run by the local cloud.
	BinaryPath string
	// BinarySHA256 is the base64 SHA-256 of the host binary: the local cloud's artifact identity.
	BinarySHA256 string
	// Routes is the function's route table.
	Routes []coworks.Route
	// Commit is the git commit of the source the function was built from, "" when unknown (no repository);
	// Dirty says the working tree had uncommitted changes.
	Commit string
	Dirty  bool
}

// Settings are the resolved stage settings a target needs, for the api_handler function.
type Settings struct {
	Environment map[string]string
	// Timeout is the function timeout in seconds; MemorySize is in MB.
	Timeout    int
	MemorySize int
	// ReservedConcurrency is nil when unset; 0 blocks every invocation, as in Lambda.
	ReservedConcurrency *int
	Region              string
	// Architecture is "x86_64" or "arm64".
	Architecture     string
	BinaryMediaTypes []string
	// EndpointType is the REST API's endpoint type: EDGE, REGIONAL or PRIVATE.
	EndpointType string
	// MinimumCompressionSize is the REST API's minimumCompressionSize, nil when unset (no compression).
	MinimumCompressionSize *int
}

// Request asks for one stage to be deployed.
type Request struct {
	// AppName is the config's app_name; the function is named {AppName}-{Stage}.
	AppName string
	// Stage is the cws (Chalice) stage.
	Stage string
	// APIGatewayStage is the API Gateway stage name, the URL's first path segment ("api" when empty).
	APIGatewayStage string
	// RestAPIID, when set, is the id of an existing REST API to add the stage to (already resolved from
	// a stage name by the caller).
	RestAPIID string
	// RestAPIStage is the stage whose REST API is shared, when the user named a stage rather than an id.
	RestAPIStage string
	Artifact     Artifact
	Settings     Settings
	// Stage is the whole resolved stage, for targets that need more than Settings (Terraform: tags,
	// layers, VPC, IAM, endpoint type...). Targets must not modify it.
	Config *config.Stage
	// PlanOnly asks the target to show what it would change and change nothing (Result.Plan).
	PlanOnly bool
	// Progress receives human progress lines ("Creating Rest API"); nil discards them.
	Progress io.Writer
	// Origin is who deploys and from what configuration, for the stage's history.
	Origin Origin
}

// Result is what Deploy did.
type Result struct {
	// Record is the record written for the stage.
	Record *deployed.Record
	// Unchanged is true when nothing had to change and nothing was written.
	Unchanged    bool
	RestAPIID    string
	URL          string
	FunctionName string
	// CreatedAPI is true when Deploy created the REST API.
	CreatedAPI bool
	// Plan is the human-readable plan of a PlanOnly deploy.
	Plan string
	// Entry is the history entry the change appended; nil when nothing changed or for a plan.
	Entry *Entry
	// ArtifactSHA256 names the code the stage runs after the change (promote and rollback fill it in).
	ArtifactSHA256 string
}

// DeleteRequest asks for one stage to be deleted.
type DeleteRequest struct {
	AppName  string
	Stage    string
	Progress io.Writer
	// Config is the resolved stage, for targets that need its settings to find what to delete when nothing
	// about it is on this machine (Terraform: a remote backend); nil when the caller has none.
	Config *config.Stage
	// Origin is who deletes, for the stage's history.
	Origin Origin
}

// DeleteResult is what Delete did.
type DeleteResult struct {
	// Deleted is false when the stage was not deployed.
	Deleted bool
	// FunctionARN is the function deleted, when the target knows it.
	FunctionARN string
	RestAPIID   string
	// APIDeleted is true when the stage was the API's last one and the API went with it.
	APIDeleted bool
}

// Description is what is deployed for one stage.
type Description struct {
	Stage           string
	Deployed        bool
	RestAPIID       string
	URL             string
	APIGatewayStage string
	FunctionName    string
	FunctionARN     string
	// ArtifactSHA256 names the deployed code: the zip's SHA-256 on AWS, the host binary's in the local cloud.
	ArtifactSHA256 string
	// FunctionVersion is the published function version the stage serves (Terraform: the version its alias
	// points at), "" when the target does not publish versions.
	FunctionVersion string
	DeployedAt      time.Time
	// SharedWith lists, sorted, the other cws stages on the same REST API.
	SharedWith []string
}

// ErrRestAPINotFound is returned (wrapped) when a deploy names a REST API that does not exist.
var ErrRestAPINotFound = errors.New("REST API not found")

// ErrStageConflict is returned (wrapped) when the requested API Gateway stage of a REST API already
// serves another cws stage.
var ErrStageConflict = errors.New("API Gateway stage already used by another stage")

// ErrDeployedElsewhere is returned (wrapped) when a stage's record was written by another target: deploying
// or deleting it here would leave that target's resources untracked.
var ErrDeployedElsewhere = errors.New("stage is deployed with another target")
