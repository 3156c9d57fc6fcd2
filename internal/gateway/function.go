package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coworks-go/coworks/internal/apigw"
	"github.com/coworks-go/coworks/internal/runtimeapi"
)

// function is the Lambda function behind one stage: its pool of environments, the requests using it (so
// that a replaced function is closed only after they finish) and its TOKEN authorizer state.
type function struct {
	cfg  runtimeapi.FunctionConfig
	pool *runtimeapi.Pool

	// refs counts requests using the function; retired is set when it left the served set.
	refs    atomic.Int64
	retired atomic.Bool

	mode AuthorizerMode
	ttl  time.Duration
	// auth is the authorizer (with its cache) once the function is known to answer TOKEN events.
	auth atomic.Pointer[apigw.TokenAuthorizer]
	// detected is set once AuthorizerDetect has a definite answer (auth set or not).
	detected atomic.Bool
	probeMu  sync.Mutex
}

func newFunction(cfg runtimeapi.FunctionConfig, mode AuthorizerMode, ttl time.Duration, logger *slog.Logger) (*function, error) {
	pool, err := runtimeapi.NewPool(cfg, logger)
	if err != nil {
		return nil, err
	}
	fn := &function{cfg: cfg, pool: pool, mode: mode, ttl: ttl}
	if mode == AuthorizerToken {
		if err := fn.enableAuthorizer(); err != nil {
			return nil, err
		}
	}
	return fn, nil
}

// enableAuthorizer gives the function its TOKEN authorizer on the Authorization header.
func (fn *function) enableAuthorizer() error {
	a, err := apigw.NewTokenAuthorizer(apigw.TokenAuthorizerConfig{Header: "Authorization", TTL: fn.ttl})
	if err != nil {
		return err
	}
	fn.auth.Store(a)
	fn.detected.Store(true)
	return nil
}

// same reports whether fn runs exactly cfg with the same authorizer settings, so it can be kept warm.
func (fn *function) same(cfg runtimeapi.FunctionConfig, mode AuthorizerMode, ttl time.Duration) bool {
	a, b := fn.cfg, cfg
	return a.Name == b.Name && a.Stage == b.Stage && a.Version == b.Version && a.Executable == b.Executable &&
		maps.Equal(a.Env, b.Env) && a.MemoryMB == b.MemoryMB && a.Timeout == b.Timeout &&
		a.ReservedConcurrency == b.ReservedConcurrency && a.MaxEnvironments == b.MaxEnvironments &&
		a.IdleTimeout == b.IdleTimeout && a.InitTimeout == b.InitTimeout && a.Region == b.Region &&
		a.AccountID == b.AccountID && fn.mode == mode && fn.ttl == ttl
}

// authorizer returns the function's TOKEN authorizer, or nil when its methods have none. With
// AuthorizerDetect the first call probes the function (once; concurrent callers wait for the answer).
func (fn *function) authorizer(ctx context.Context) *apigw.TokenAuthorizer {
	if fn.mode != AuthorizerDetect || fn.detected.Load() {
		return fn.auth.Load()
	}
	fn.probeMu.Lock()
	defer fn.probeMu.Unlock()
	if fn.detected.Load() {
		return fn.auth.Load()
	}
	event := apigw.TokenEvent(ProbeToken, "arn:aws:execute-api:"+regionOf(fn.cfg)+":"+accountOf(fn.cfg)+":probe/probe/GET/")
	res, err := fn.pool.Invoke(ctx, event, runtimeapi.InvokeOptions{})
	var fe *runtimeapi.FunctionError
	switch {
	case err == nil:
		if _, perr := apigw.ParseAuthorizerOutput(res.Payload); perr == nil {
			_ = fn.enableAuthorizer()
		}
		fn.detected.Store(true)
	case errors.As(err, &fe) && fe.Kind == runtimeapi.FailureFunction:
		if isUnauthorized(fe.Payload) {
			_ = fn.enableAuthorizer()
		}
		fn.detected.Store(true)
	}
	return fn.auth.Load()
}

// isUnauthorized reports whether an error payload is exactly the "Unauthorized" an authorizer raises.
func isUnauthorized(payload []byte) bool {
	var doc struct {
		ErrorMessage string `json:"errorMessage"`
	}
	return json.Unmarshal(payload, &doc) == nil && doc.ErrorMessage == "Unauthorized"
}

func regionOf(cfg runtimeapi.FunctionConfig) string {
	if cfg.Region == "" {
		return runtimeapi.DefaultRegion
	}
	return cfg.Region
}

func accountOf(cfg runtimeapi.FunctionConfig) string {
	if cfg.AccountID == "" {
		return runtimeapi.DefaultAccountID
	}
	return cfg.AccountID
}

// failureOf maps an Invoke error to API Gateway's view of it; ok is false for errors that are not
// failures of the integration (the client went away).
func failureOf(err error) (f apigw.Failure, ok bool) {
	var fe *runtimeapi.FunctionError
	switch {
	case errors.As(err, &fe):
		switch fe.Kind {
		case runtimeapi.FailureTimeout:
			return apigw.FailureFunctionTimeout, true
		case runtimeapi.FailureExit, runtimeapi.FailureInit:
			return apigw.FailureCrash, true
		case runtimeapi.FailureResponseTooLarge:
			return apigw.FailureResponseTooLarge, true
		default:
			return apigw.FailureFunctionError, true
		}
	case errors.Is(err, runtimeapi.ErrThrottled):
		return apigw.FailureThrottled, true
	case errors.Is(err, context.DeadlineExceeded):
		return apigw.FailureIntegrationTimeout, true
	case errors.Is(err, context.Canceled):
		return 0, false
	default: // ErrClosed and anything unexpected: Lambda could not run the function.
		return apigw.FailureFunctionNotFound, true
	}
}
