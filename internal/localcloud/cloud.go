package localcloud

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/safefile"
	"github.com/coworks-go/coworks/internal/target"
)

// TargetName is the name of the local target.
const TargetName = "local"

// Options configure a Cloud. The zero value is usable.
type Options struct {
	// Now is the clock for deploy times; nil means time.Now.
	Now func() time.Time
	// Rand is the source of REST API ids; nil means crypto/rand.
	Rand io.Reader
	// Port, when not 0, is the port the local cloud must use (local_gateway_port, or where cws up serves):
	// a deploy moves the cloud there, rewriting every stage's URL and record. 0 keeps the cloud's port
	// (DefaultPort for a new cloud).
	Port int
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
}

// Cloud is the local cloud of one project. Its methods are safe for concurrent use by goroutines and
// processes: every change happens under the lock file .chalice/local/lock.
type Cloud struct {
	project string
	opts    Options
}

var _ target.Target = (*Cloud)(nil)

// New returns the local cloud of the project in projectDir. Nothing is created until the first deploy.
func New(projectDir string, opts Options) *Cloud {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Cloud{project: projectDir, opts: opts}
}

// Name returns "local".
func (c *Cloud) Name() string { return TargetName }

// open takes the local cloud's lock and loads the state and the stage's record, refusing a stage that
// another target deployed. The caller releases the lock with unlock.
func (c *Cloud) open(ctx context.Context, appName, stage string) (unlock func(), st *State, rec *deployed.Record, err error) {
	release, err := c.lock(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	defer func() {
		if err != nil {
			release()
		}
	}()
	if st, err = Load(c.project); err != nil {
		return nil, nil, nil, err
	}
	if c.opts.Port != 0 {
		st.Port = c.opts.Port
	}
	if rec, err = deployed.Load(c.project, stage, appName); err != nil {
		return nil, nil, nil, err
	}
	if err = checkOwner(c.project, stage, rec); err != nil {
		return nil, nil, nil, err
	}
	return release, st, rec, nil
}

// lock takes the local cloud's lock, making .chalice/local/ private first: its state holds the stages'
// environment values.
func (c *Cloud) lock(ctx context.Context) (unlock func(), err error) {
	if err := safefile.PrivateDir(Dir(c.project)); err != nil {
		return nil, fmt.Errorf("local cloud: %w", err)
	}
	release, err := safefile.Lock(ctx, filepath.Join(Dir(c.project), "lock"))
	if err != nil {
		return nil, fmt.Errorf("lock the local cloud: %w", err)
	}
	return release, nil
}

// checkOwner refuses a stage whose record another target wrote and which still lists resources.
func checkOwner(project, stage string, rec *deployed.Record) error {
	meta, err := deployed.LoadMeta(project, stage)
	if err != nil {
		return err
	}
	if meta != nil && meta.Target != "" && meta.Target != TargetName && rec.IsDeployed() {
		return fmt.Errorf("stage %q is deployed with target %q, not the local cloud: %w", stage, meta.Target, target.ErrDeployedElsewhere)
	}
	return nil
}

// Deploy puts the stage on a REST API of the local cloud: the API named by req.RestAPIID, else the one
// the stage is on, else the one its record names (recovering a lost state.json), else a new one. It
// stores the artifact, writes the state, then the stage's record and metadata. Nothing is written when
// nothing changed. If it fails midway, the state and the record still describe what exists, and the
// next Deploy or Delete completes or cleans up.
func (c *Cloud) Deploy(ctx context.Context, req *target.Request) (*target.Result, error) {
	if err := validate(req); err != nil {
		return nil, err
	}
	unlock, st, rec, err := c.open(ctx, req.AppName, req.Stage)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return c.deploy(st, rec, req, change{action: target.ActionDeploy})
}

// change is what a deploy records in the stage's history besides the request: the action, and where a
// promote's artifact came from or which entry a rollback returned to.
type change struct {
	action       target.Action
	promotedFrom string
	rolledBackTo int
}

// deploy is Deploy under the cloud's lock, with st and rec loaded, recording ch in the stage's history when
// something changes (failures included).
func (c *Cloud) deploy(st *State, rec *deployed.Record, req *target.Request, ch change) (*target.Result, error) {
	progress := req.Progress
	if progress == nil {
		progress = io.Discard
	}
	apigwStage := req.APIGatewayStage
	if apigwStage == "" {
		apigwStage = "api"
	}
	rel, err := artifactRel(req.Artifact.BinarySHA256)
	if err != nil {
		return nil, err
	}

	oldAPI, oldStage := st.FindStage(req.Stage)
	var oldAPIID string
	var oldStageCopy Stage
	if oldStage != nil {
		oldAPIID, oldStageCopy = oldAPI.ID, *oldStage
	}
	var api *RestAPI
	created := false
	switch {
	case req.RestAPIID != "":
		if api = st.API(req.RestAPIID); api == nil {
			return nil, fmt.Errorf("REST API %q does not exist in the local cloud: %w", req.RestAPIID, target.ErrRestAPINotFound)
		}
	case oldAPI != nil:
		api = oldAPI
	}
	if s := (*Stage)(nil); api != nil {
		if s = api.Stage(apigwStage); s != nil && s.ChaliceStage != req.Stage {
			return nil, fmt.Errorf("API Gateway stage %q of REST API %s serves stage %q; give stage %q another api_gateway_stage: %w",
				apigwStage, api.ID, s.ChaliceStage, req.Stage, target.ErrStageConflict)
		}
	}
	if api == nil {
		id := ""
		if rid, _, ok := rec.RestAPI(); ok && validID(rid) && st.API(rid) == nil {
			id = rid // the state was lost: keep the recorded id, and with it the stage's URL
		} else if id, err = newID(c.opts.Rand, st); err != nil {
			return nil, err
		}
		created = true
		st.RestAPIs = append(st.RestAPIs, RestAPI{ID: id, Name: req.AppName, CreatedAt: c.opts.Now().UTC(), Stages: []Stage{}})
		api = &st.RestAPIs[len(st.RestAPIs)-1]
	}

	fn := req.AppName + "-" + req.Stage
	region := req.Settings.Region
	if region == "" {
		region = DefaultRegion
	}
	next := Stage{
		Name:           apigwStage,
		ChaliceStage:   req.Stage,
		AppName:        req.AppName,
		FunctionName:   fn,
		FunctionARN:    fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, Account, fn),
		ArtifactSHA256: req.Artifact.BinarySHA256,
		Artifact:       rel,
		Routes:         nonNil(req.Artifact.Routes),
		Settings: Settings{
			Environment:         nonNilMap(req.Settings.Environment),
			Timeout:             req.Settings.Timeout,
			MemorySize:          req.Settings.MemorySize,
			ReservedConcurrency: req.Settings.ReservedConcurrency,
			Region:              region,
			Architecture:        req.Settings.Architecture,
		},
		DeployedAt: c.opts.Now().UTC(),
	}
	prevAPI := *api
	prevAPI.BinaryMediaTypes = slices.Clone(api.BinaryMediaTypes)
	api.BinaryMediaTypes = nonNil(req.Settings.BinaryMediaTypes)
	api.EndpointType = req.Settings.EndpointType
	api.MinimumCompressionSize = req.Settings.MinimumCompressionSize

	// Take the stage off its old place, then put it on the chosen API (in place when it stays there).
	apiID := api.ID
	if oldStage != nil && oldAPIID != apiID {
		removeStage(st, oldAPIID, req.Stage)
	}
	api = st.API(apiID)
	if s := api.Stage(oldStageCopy.Name); oldStage != nil && oldAPIID == apiID && s != nil {
		*s = next
	} else {
		api.Stages = append(api.Stages, next)
	}
	moved := reassignURLs(st)
	placed := api.Stage(apigwStage)

	newRec := localRecord(rec, apiID, placed)
	recBytes, err := newRec.Marshal()
	if err != nil {
		return nil, err
	}
	result := &target.Result{Record: newRec, RestAPIID: apiID, URL: placed.URL, FunctionName: fn, CreatedAPI: created}

	if oldStage != nil && oldAPIID == apiID && len(moved) == 0 && sameAPISettings(&prevAPI, api) &&
		sameDeployment(&oldStageCopy, placed) && artifactPresent(Dir(c.project), rel) && recordIs(c.project, req.Stage, recBytes) {
		result.Unchanged = true
		result.Record = rec
		if req.PlanOnly {
			result.Plan = fmt.Sprintf("Stage %s is up to date on REST API %s: nothing to change.\n", req.Stage, apiID)
		}
		fmt.Fprintf(progress, "Stage %s is up to date (REST API %s)\n", req.Stage, apiID)
		return result, nil
	}
	if req.PlanOnly {
		var old *Stage
		if oldStage != nil {
			old = &oldStageCopy
		}
		result.Record = rec
		result.Plan = plan(req.Stage, created, apiID, oldAPIID, old, placed, moved)
		return result, nil
	}

	entry := target.Entry{
		Actor: req.Origin.Actor, Action: ch.action, Result: target.ResultOK,
		ArtifactSHA256: req.Artifact.BinarySHA256, Commit: req.Artifact.Commit, Dirty: req.Artifact.Dirty,
		ConfigSHA256: req.Origin.ConfigSHA256, RoutesSHA256: target.RoutesSHA256(req.Artifact.Routes),
		PromotedFrom: ch.promotedFrom, RolledBackTo: ch.rolledBackTo, Branch: req.Origin.Branch,
	}
	if err := c.apply(st, req, rel, newRec, placed, apiID, created, moved, progress); err != nil {
		entry.Result, entry.Error = target.ResultFailed, err.Error()
		if _, recErr := c.record(req.Stage, req.Origin.KeepArtifacts, entry); recErr != nil {
			c.opts.Logger.Debug("history of a failed deploy", "stage", req.Stage, "error", recErr)
		}
		return nil, err
	}
	entry, err = c.record(req.Stage, req.Origin.KeepArtifacts, entry)
	if err != nil {
		return nil, err
	}
	result.Entry, result.ArtifactSHA256 = &entry, req.Artifact.BinarySHA256
	if err := collectArtifacts(c.project, st); err != nil {
		c.opts.Logger.Debug("artifact collection", "error", err)
	}
	return result, nil
}

// apply stores the artifact, then writes the state, the stage's record and sidecar, and the records of the
// stages whose URL moved.
func (c *Cloud) apply(st *State, req *target.Request, rel string, rec *deployed.Record, placed *Stage, apiID string, created bool, moved []string, progress io.Writer) error {
	if !artifactPresent(Dir(c.project), rel) {
		fmt.Fprintf(progress, "Storing artifact %s\n", req.Artifact.BinarySHA256)
	}
	if err := storeArtifact(Dir(c.project), rel, req.Artifact); err != nil {
		return err
	}
	switch {
	case created:
		fmt.Fprintf(progress, "Creating Rest API %s\n", apiID)
	default:
		fmt.Fprintf(progress, "Updating rest API %s\n", apiID)
	}
	if err := c.saveState(st); err != nil {
		return err
	}
	if err := deployed.Save(c.project, req.Stage, rec); err != nil {
		return err
	}
	if err := deployed.SaveMeta(c.project, req.Stage, &deployed.Meta{
		Target: TargetName, ArtifactSHA256: req.Artifact.BinarySHA256, DeployedAt: placed.DeployedAt, Region: placed.Settings.Region, RestAPIID: apiID,
		Branch: req.Origin.Branch,
	}); err != nil {
		return err
	}
	return c.rewriteURLs(st, moved, progress)
}

// Delete removes the stage from its REST API, the API when no stage is left on it, and unused
// artifacts, then writes Chalice's empty record. A stage that is not deployed still gets the empty
// record, as with `chalice delete`.
func (c *Cloud) Delete(ctx context.Context, req *target.DeleteRequest) (*target.DeleteResult, error) {
	if !validName(req.Stage) {
		return nil, fmt.Errorf("delete: invalid stage name %q", req.Stage)
	}
	progress := req.Progress
	if progress == nil {
		progress = io.Discard
	}
	unlock, st, _, err := c.open(ctx, req.AppName, req.Stage)
	if err != nil {
		return nil, err
	}
	defer unlock()
	res := &target.DeleteResult{}
	var moved []string
	entry := target.Entry{Actor: req.Origin.Actor, Action: target.ActionDelete, Result: target.ResultOK, ConfigSHA256: req.Origin.ConfigSHA256}
	if api, s := st.FindStage(req.Stage); s != nil {
		res.Deleted, res.RestAPIID = true, api.ID
		fmt.Fprintf(progress, "Deleting function: %s\n", s.FunctionARN)
		res.APIDeleted = removeStage(st, api.ID, req.Stage)
		if res.APIDeleted {
			fmt.Fprintf(progress, "Deleting Rest API: %s\n", res.RestAPIID)
		}
		moved = reassignURLs(st)
		if err := c.saveState(st); err != nil {
			entry.Result, entry.Error = target.ResultFailed, err.Error()
			if _, recErr := c.record(req.Stage, 0, entry); recErr != nil {
				c.opts.Logger.Debug("history of a failed delete", "stage", req.Stage, "error", recErr)
			}
			return nil, err
		}
		if _, err := c.record(req.Stage, 0, entry); err != nil {
			return nil, err
		}
	}
	if err := deployed.Save(c.project, req.Stage, deployed.Empty()); err != nil {
		return nil, err
	}
	if err := deployed.RemoveMeta(c.project, req.Stage); err != nil {
		return nil, err
	}
	if err := c.rewriteURLs(st, moved, progress); err != nil {
		return nil, err
	}
	if err := collectArtifacts(c.project, st); err != nil {
		c.opts.Logger.Debug("artifact collection", "error", err)
	}
	return res, nil
}

// Describe reports the stage as the local cloud has it. It reads the state without locking (the file
// is replaced atomically).
func (c *Cloud) Describe(ctx context.Context, stage string) (*target.Description, error) {
	st, err := Load(c.project)
	if err != nil {
		return nil, err
	}
	d := &target.Description{Stage: stage}
	api, s := st.FindStage(stage)
	if s == nil {
		return d, nil
	}
	d.Deployed, d.RestAPIID, d.URL, d.APIGatewayStage = true, api.ID, s.URL, s.Name
	d.FunctionName, d.FunctionARN, d.ArtifactSHA256, d.DeployedAt = s.FunctionName, s.FunctionARN, s.ArtifactSHA256, s.DeployedAt
	for _, other := range api.Stages {
		if other.ChaliceStage != stage {
			d.SharedWith = append(d.SharedWith, other.ChaliceStage)
		}
	}
	slices.Sort(d.SharedWith)
	return d, nil
}

func (c *Cloud) saveState(st *State) error {
	st.Version++
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := safefile.Write(StatePath(c.project), append(data, '\n'), 0o600); err != nil { // environment values
		return fmt.Errorf("write local cloud state: %w", err)
	}
	return nil
}

// rewriteURLs updates the rest_api_url in the records of stages whose URL changed because another
// stage took or freed their API Gateway stage name (see State.StageURL).
func (c *Cloud) rewriteURLs(st *State, stages []string, progress io.Writer) error {
	for _, name := range stages {
		api, s := st.FindStage(name)
		rec, err := deployed.Load(c.project, name, s.AppName)
		if err != nil {
			return err
		}
		if err := deployed.Save(c.project, name, localRecord(rec, api.ID, s)); err != nil {
			return err
		}
		fmt.Fprintf(progress, "Stage %s is now at %s\n", name, s.URL)
	}
	return nil
}

// localRecord returns the record of a locally deployed stage: api_handler then rest_api, as Chalice
// orders them, keeping the old record's unknown top-level keys.
func localRecord(old *deployed.Record, apiID string, s *Stage) *deployed.Record {
	rec := deployed.Empty()
	rec.Extra = old.Extra
	rec.Put(deployed.LambdaFunction(deployed.APIHandlerName, s.FunctionARN))
	rec.Put(deployed.RestAPI(apiID, s.URL))
	return rec
}

// removeStage takes cws stage off REST API apiID and drops the API when it has no stage left; it reports
// whether the API was dropped.
func removeStage(st *State, apiID, chaliceStage string) bool {
	api := st.API(apiID)
	api.Stages = slices.DeleteFunc(api.Stages, func(s Stage) bool { return s.ChaliceStage == chaliceStage })
	if len(api.Stages) > 0 {
		return false
	}
	st.RestAPIs = slices.DeleteFunc(st.RestAPIs, func(a RestAPI) bool { return a.ID == apiID })
	return true
}

// reassignURLs sets every stage's URL from StageURL and returns the cws stages whose URL changed
// (a new stage, whose URL was empty, is not listed).
func reassignURLs(st *State) []string {
	var moved []string
	for i := range st.RestAPIs {
		api := &st.RestAPIs[i]
		for j := range api.Stages {
			s := &api.Stages[j]
			url := st.StageURL(api.ID, s.Name)
			if s.URL != "" && s.URL != url {
				moved = append(moved, s.ChaliceStage)
			}
			s.URL = url
		}
	}
	return moved
}

// sameDeployment reports whether two stage entries deploy the same thing (deploy time aside).
func sameDeployment(a, b *Stage) bool {
	x, y := *a, *b
	x.DeployedAt, y.DeployedAt = time.Time{}, time.Time{}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

func recordIs(project, stage string, want []byte) bool {
	got, err := os.ReadFile(deployed.Path(project, stage))
	return err == nil && bytes.Equal(got, want)
}

func validate(req *target.Request) error {
	switch {
	case !validName(req.Stage):
		return fmt.Errorf("deploy: invalid stage name %q", req.Stage)
	case req.AppName == "":
		return fmt.Errorf("deploy: no app_name given")
	case req.Artifact.BinaryPath == "":
		return fmt.Errorf("deploy of stage %q: the local cloud needs the host binary of the build", req.Stage)
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return maps.Clone(m)
}

// sameAPISettings reports whether two versions of a REST API have the same API-level settings.
func sameAPISettings(a, b *RestAPI) bool {
	return slices.Equal(a.BinaryMediaTypes, b.BinaryMediaTypes) && a.EndpointType == b.EndpointType &&
		(a.MinimumCompressionSize == nil) == (b.MinimumCompressionSize == nil) &&
		(a.MinimumCompressionSize == nil || *a.MinimumCompressionSize == *b.MinimumCompressionSize)
}
