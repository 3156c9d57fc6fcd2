package gateway

import (
	"context"
	"errors"
	"log/slog"
	"maps"
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
	// auth is the TOKEN authorizer (with its cache) of an AuthorizerToken function, else nil.
	auth *apigw.TokenAuthorizer
}

func newFunction(acct *runtimeapi.Account, cfg runtimeapi.FunctionConfig, mode AuthorizerMode, ttl time.Duration, logger *slog.Logger) (*function, error) {
	pool, err := acct.NewPool(cfg, logger)
	if err != nil {
		return nil, err
	}
	fn := &function{cfg: cfg, pool: pool, mode: mode, ttl: ttl}
	if mode == AuthorizerToken {
		fn.auth, err = apigw.NewTokenAuthorizer(apigw.TokenAuthorizerConfig{Header: "Authorization", TTL: ttl})
		if err != nil {
			pool.Close(context.Background())
			return nil, err
		}
	}
	return fn, nil
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
