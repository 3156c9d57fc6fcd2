// Package gateway is the local HTTP front of CoWorks: an emulated API Gateway REST API (v1) serving a set of
// REST APIs, each with stages, each stage backed by its own Lambda function run through the Lambda Runtime API
// (internal/runtimeapi). The API Gateway rules (routing, the proxy event, gateway errors, TOKEN authorizers)
// come from internal/apigw; this package adds HTTP, processes, reloads and logs.
//
// A Gateway is an http.Handler. Its served set is replaced atomically with Update, keeping the warm
// environments of every stage whose function did not change; Close stops every function process.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coworks-go/coworks/internal/apigw"
	"github.com/coworks-go/coworks/internal/runtimeapi"
)

// AuthorizerMode says whether a stage's methods are guarded by a TOKEN Lambda authorizer answered by the
// stage's own function (how CoWorks deploys a service with an Auth method).
type AuthorizerMode int

const (
	// AuthorizerNone: no authorizer; requests go straight to the function.
	AuthorizerNone AuthorizerMode = iota
	// AuthorizerToken: every method has a TOKEN authorizer on the Authorization header.
	AuthorizerToken
)

// API is one REST API and its stages.
type API struct {
	// ID is the REST API id, the first label of {id}.execute-api.localhost hosts.
	ID string
	// BinaryMediaTypes is the API's binaryMediaTypes.
	BinaryMediaTypes []string
	// Stages are the API's stages; names must be unique within the API.
	Stages []Stage
	// RootStage, when set, names a stage of this API that is also served at the root of the gateway, the way
	// `chalice local` serves: a request whose first path segment names no served stage goes to it with its
	// whole path as the event's path (requestContext.path is /{stage} + path). Only one API may set it.
	RootStage string
	// EndpointType is the API's endpoint type (apigw.EndpointEdge, Chalice's default, ...); "" means
	// apigw.EndpointEdge.
	EndpointType string
	// MinimumCompressionSize, when not nil, is the API's minimumCompressionSize: responses of at least that
	// many bytes are compressed for clients that accept gzip or deflate.
	MinimumCompressionSize *int
}

// Stage is one API Gateway stage and the function behind it.
type Stage struct {
	// Name is the API Gateway stage name, the first URL path segment.
	Name string
	// Variables are the stage variables (CoWorks sets cws_stage to the cws stage).
	Variables map[string]string
	// DeploymentID is requestContext.deploymentId.
	DeploymentID string
	// Routes are the API's resources and methods for this stage's deployment.
	Routes []apigw.Route
	// Function is the stage's function; LogWriter defaults to Options.FunctionLog, Stage to Name. A negative
	// ReservedConcurrency stands for a reserved concurrency of 0: every invocation is throttled, as in Lambda.
	Function runtimeapi.FunctionConfig
	// Authorizer says whether methods have a TOKEN authorizer (answered by Function).
	Authorizer AuthorizerMode
	// AuthorizerTTL is the authorizer cache TTL; 0 means apigw.DefaultAuthorizerTTL, negative disables caching.
	AuthorizerTTL time.Duration
}

// Options configure a Gateway. The zero value is usable.
type Options struct {
	// Logger receives diagnostics (pool errors, reload problems); nil discards them.
	Logger *slog.Logger
	// AccessLog receives one human-readable line per request; nil discards them.
	AccessLog io.Writer
	// FunctionLog receives the functions' output and START/END/REPORT lines, prefixed by stage, when a
	// stage's Function.LogWriter is nil; nil discards them.
	FunctionLog io.Writer
	// StageLog, when set, returns a writer that also receives the function log lines of a cws stage (what
	// FunctionLog gets, whole lines); the local log store (internal/logs) persists them this way. A nil
	// writer adds nothing.
	StageLog func(stage string) io.Writer
	// Observe, when set, is called once per answered request (stage requests and Lambda Invoke calls) with
	// what the access log line says, for live views such as the console. It runs on the request's goroutine
	// and must not block.
	Observe func(Request)
	// IntegrationTimeout bounds each invocation as API Gateway does (504 past it); 0 means 29 s.
	IntegrationTimeout time.Duration
	// ConcurrencyLimit caps the execution environments alive at once across every function served, as an
	// AWS account's concurrency does; 0 means runtimeapi.DefaultConcurrencyLimit(). See runtimeapi.Account.
	ConcurrencyLimit int
	// IdleTimeout is how long an environment may stay idle before it is stopped, for every function whose
	// own FunctionConfig.IdleTimeout is 0; 0 means runtimeapi.DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Gateway serves REST APIs over HTTP. It is safe for concurrent use.
type Gateway struct {
	opts    Options
	acct    *runtimeapi.Account // every function's environments count against it
	current atomic.Pointer[servedSet]

	mu     sync.Mutex // serialises Update and Close
	closed bool
	wg     sync.WaitGroup // retiring functions
}

// servedSet is an immutable snapshot of what the gateway serves.
type servedSet struct {
	apis map[string]*apiEntry
	// byStage maps a stage name to its stage when exactly one API has it; ambiguous names map to nil.
	byStage map[string]*stageEntry
	root    *stageEntry
	funcs   []*function
	// byFunction maps a function name to the first stage it serves, for Lambda's Invoke API.
	byFunction map[string]*stageEntry
}

type apiEntry struct {
	id     string
	stages map[string]*stageEntry
}

type stageEntry struct {
	apiID  string
	name   string
	stage  apigw.Stage
	router *apigw.Router
	fn     *function
	// rootPrefix is "/" + name, prepended to requestContext.path of requests served at the root.
	rootPrefix string
}

// New returns a gateway serving apis. It fails when a route table or stage is invalid; nothing runs until
// the first request.
func New(apis []API, opts Options) (*Gateway, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.AccessLog == nil {
		opts.AccessLog = io.Discard
	}
	if opts.IntegrationTimeout <= 0 {
		opts.IntegrationTimeout = apigw.DefaultIntegrationTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	g := &Gateway{opts: opts, acct: runtimeapi.NewAccount(opts.ConcurrencyLimit)}
	set, err := g.build(apis, nil)
	if err != nil {
		return nil, err
	}
	g.current.Store(set)
	return g, nil
}

// ErrClosed is returned by Update after Close.
var ErrClosed = errors.New("gateway: closed")

// Update replaces the served set with apis atomically: requests that started before keep their stage,
// later ones see the new set. A stage whose function (API, stage name, executable, environment and
// settings) and authorizer mode are unchanged keeps its warm environments and authorizer cache; the
// functions of removed or changed stages are closed once their in-flight requests have finished. On error
// (an invalid route table) nothing changes.
func (g *Gateway) Update(apis []API) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return ErrClosed
	}
	old := g.current.Load()
	set, err := g.build(apis, old)
	if err != nil {
		return err
	}
	g.current.Store(set)
	for _, fn := range old.funcs {
		if !slices.Contains(set.funcs, fn) {
			g.retire(fn)
		}
	}
	return nil
}

// retire closes fn in the background once no request uses it.
func (g *Gateway) retire(fn *function) {
	fn.retired.Store(true)
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		for fn.refs.Load() > 0 {
			time.Sleep(10 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), runtimeapi.ShutdownGrace+3*time.Second)
		defer cancel()
		if err := fn.pool.Close(ctx); err != nil {
			g.opts.Logger.Warn("closing a replaced function", "function", fn.cfg.Name, "error", err.Error())
		}
	}()
}

// Close stops serving: every function is closed (SIGTERM, then SIGKILL after runtimeapi.ShutdownGrace)
// and Close waits for their processes to exit or ctx to end. In-flight requests get 502s; later requests
// get 403 Forbidden, as for a stage that does not exist. Calling Close again waits again.
func (g *Gateway) Close(ctx context.Context) error {
	g.mu.Lock()
	g.closed = true
	set := g.current.Load()
	g.current.Store(&servedSet{apis: map[string]*apiEntry{}, byStage: map[string]*stageEntry{}, byFunction: map[string]*stageEntry{}})
	g.mu.Unlock()
	var errs []error
	var emu sync.Mutex
	var wg sync.WaitGroup
	for _, fn := range set.funcs {
		fn.retired.Store(true)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn.pool.Close(ctx); err != nil {
				emu.Lock()
				errs = append(errs, fmt.Errorf("close %s: %w", fn.cfg.Name, err))
				emu.Unlock()
			}
		}()
	}
	wg.Wait()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, ctx.Err())
	}
	return errors.Join(errs...)
}

// build compiles apis into a served set, reusing the functions of old that did not change.
func (g *Gateway) build(apis []API, old *servedSet) (*servedSet, error) {
	set := &servedSet{apis: make(map[string]*apiEntry, len(apis)), byStage: map[string]*stageEntry{}, byFunction: map[string]*stageEntry{}}
	var errs []error
	b := &buildState{old: old, taken: map[*function]bool{}}
	for i := range apis {
		a := &apis[i]
		if a.ID == "" {
			errs = append(errs, fmt.Errorf("API %d has no id", i))
			continue
		}
		if set.apis[a.ID] != nil {
			errs = append(errs, fmt.Errorf("API %s is listed twice", a.ID))
			continue
		}
		ae := &apiEntry{id: a.ID, stages: make(map[string]*stageEntry, len(a.Stages))}
		set.apis[a.ID] = ae
		for j := range a.Stages {
			s := &a.Stages[j]
			se, err := g.buildStage(a, s, b)
			if err != nil {
				errs = append(errs, fmt.Errorf("API %s stage %q: %w", a.ID, s.Name, err))
				continue
			}
			if ae.stages[s.Name] != nil {
				errs = append(errs, fmt.Errorf("API %s has two stages called %q", a.ID, s.Name))
				continue
			}
			ae.stages[s.Name] = se
			set.funcs = append(set.funcs, se.fn)
			if set.byFunction[se.fn.cfg.Name] == nil {
				set.byFunction[se.fn.cfg.Name] = se
			}
			if _, dup := set.byStage[s.Name]; dup {
				set.byStage[s.Name] = nil
			} else {
				set.byStage[s.Name] = se
			}
		}
		if a.RootStage != "" {
			switch se := ae.stages[a.RootStage]; {
			case se == nil:
				errs = append(errs, fmt.Errorf("API %s: root stage %q is not one of its stages", a.ID, a.RootStage))
			case set.root != nil:
				errs = append(errs, fmt.Errorf("API %s: another API already serves its stage at the root", a.ID))
			default:
				set.root = se
			}
		}
	}
	if len(errs) > 0 {
		// Pools created for this attempt never ran a process: closing them only releases them.
		for _, fn := range b.created {
			fn.pool.Close(context.Background())
		}
		return nil, errors.Join(errs...)
	}
	return set, nil
}

// buildState tracks the functions of one build: those taken over from the old set and those created.
type buildState struct {
	old     *servedSet
	taken   map[*function]bool
	created []*function
}

// buildStage compiles one stage, taking its function from the old set when it did not change.
func (g *Gateway) buildStage(a *API, s *Stage, b *buildState) (*stageEntry, error) {
	if s.Name == "" {
		return nil, errors.New("a stage has no name")
	}
	router, err := apigw.NewRouter(s.Routes)
	if err != nil {
		return nil, fmt.Errorf("route table: %w", err)
	}
	cfg := s.Function
	if cfg.LogWriter == nil {
		cfg.LogWriter = g.opts.FunctionLog
	}
	if cfg.Stage == "" {
		cfg.Stage = s.Name
	}
	if g.opts.StageLog != nil {
		cfg.LogWriter = teeLog(cfg.LogWriter, g.opts.StageLog(cfg.Stage))
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = g.opts.IdleTimeout
	}
	ttl := s.AuthorizerTTL
	switch {
	case ttl == 0:
		ttl = apigw.DefaultAuthorizerTTL
	case ttl < 0:
		ttl = 0
	}
	var fn *function
	if b.old != nil {
		if oa := b.old.apis[a.ID]; oa != nil {
			if prev := oa.stages[s.Name]; prev != nil && !b.taken[prev.fn] && prev.fn.same(cfg, s.Authorizer, ttl) {
				fn = prev.fn
			}
		}
	}
	if fn == nil {
		fn, err = newFunction(g.acct, cfg, s.Authorizer, ttl, g.opts.Logger)
		if err != nil {
			return nil, err
		}
		b.created = append(b.created, fn)
	}
	b.taken[fn] = true
	region := cfg.Region
	if region == "" {
		region = runtimeapi.DefaultRegion
	}
	account := cfg.AccountID
	if account == "" {
		account = runtimeapi.DefaultAccountID
	}
	var vars map[string]string
	if len(s.Variables) > 0 {
		vars = maps.Clone(s.Variables)
	}
	endpoint := a.EndpointType
	if endpoint == "" {
		endpoint = apigw.EndpointEdge
	}
	minCompression := 0
	if a.MinimumCompressionSize != nil {
		minCompression = *a.MinimumCompressionSize
	}
	return &stageEntry{
		apiID:  a.ID,
		name:   s.Name,
		router: router,
		fn:     fn,
		stage: apigw.Stage{
			Name:                   s.Name,
			Variables:              vars,
			APIID:                  a.ID,
			AccountID:              account,
			Region:                 region,
			DeploymentID:           s.DeploymentID,
			BinaryMediaTypes:       slices.Clone(a.BinaryMediaTypes),
			EndpointType:           endpoint,
			CompressionEnabled:     a.MinimumCompressionSize != nil,
			MinimumCompressionSize: minCompression,
		},
		rootPrefix: "/" + s.Name,
	}, nil
}
