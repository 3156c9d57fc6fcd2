package apigw

import (
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"time"
)

// TokenAuthorizerConfig configures a TOKEN Lambda authorizer.
type TokenAuthorizerConfig struct {
	// Header is the identity source header (method.request.header.X); "Authorization" when empty.
	Header string
	// ValidationExpression is the identityValidationExpression: a token that does not match it entirely
	// is refused with 401 without invoking the authorizer. Empty accepts every non-empty token. Go regexp
	// syntax (RE2), which covers the usual Java patterns except backreferences and lookarounds.
	ValidationExpression string
	// TTL is authorizerResultTtlInSeconds: how long an output is reused for the same token. 0 disables
	// caching; API Gateway's default is DefaultAuthorizerTTL, which the caller applies when unset.
	TTL time.Duration
}

// maxCachedTokens bounds the cache; past it, expired entries are swept and, if still full, all dropped.
const maxCachedTokens = 10000

// TokenAuthorizer holds a TOKEN authorizer's settings and its result cache (spec §5.4). The cache is
// keyed by the token and holds outputs, which are re-evaluated against each request's method ARN, so a
// policy cached for one path can deny another, as on AWS. It is safe for concurrent use; time comes from
// the caller.
type TokenAuthorizer struct {
	header   string
	validate *regexp.Regexp
	ttl      time.Duration

	mu    sync.Mutex
	cache map[string]cachedResult
}

type cachedResult struct {
	result  AuthorizerResult
	expires time.Time
}

// NewTokenAuthorizer checks cfg: a TTL from 0 to MaxAuthorizerTTL and a valid validation expression.
func NewTokenAuthorizer(cfg TokenAuthorizerConfig) (*TokenAuthorizer, error) {
	if cfg.TTL < 0 || cfg.TTL > MaxAuthorizerTTL {
		return nil, fmt.Errorf("authorizer TTL %s is out of range: use 0 (no cache) to 3600 seconds", cfg.TTL)
	}
	a := &TokenAuthorizer{header: cfg.Header, ttl: cfg.TTL, cache: map[string]cachedResult{}}
	if a.header == "" {
		a.header = "Authorization"
	}
	if cfg.ValidationExpression != "" {
		re, err := regexp.Compile(`^(?:` + cfg.ValidationExpression + `)$`)
		if err != nil {
			return nil, fmt.Errorf("authorizer identityValidationExpression %q: %w", cfg.ValidationExpression, err)
		}
		a.validate = re
	}
	return a, nil
}

// Token returns the token of a request: the whole value of the identity source header (a "Bearer "
// prefix is kept). ok is false when the header is missing or empty, or the token does not match the
// validation expression; the client then gets GatewayError(ErrUnauthorized) and the authorizer is not
// invoked.
func (a *TokenAuthorizer) Token(h http.Header) (token string, ok bool) {
	token = h.Get(a.header)
	if token == "" {
		return "", false
	}
	if a.validate != nil && !a.validate.MatchString(token) {
		return "", false
	}
	return token, true
}

// Lookup returns the cached output for token when one was stored less than TTL before now.
func (a *TokenAuthorizer) Lookup(token string, now time.Time) (AuthorizerResult, bool) {
	if a.ttl == 0 {
		return AuthorizerResult{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.cache[token]
	if !ok {
		return AuthorizerResult{}, false
	}
	if !now.Before(c.expires) {
		delete(a.cache, token)
		return AuthorizerResult{}, false
	}
	return c.result, true
}

// Store caches the authorizer's output for token from now on, for TTL; with TTL 0 it does nothing. Only
// valid outputs are stored (Allow and Deny policies alike); failures are not.
func (a *TokenAuthorizer) Store(token string, r AuthorizerResult, now time.Time) {
	if a.ttl == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.cache) >= maxCachedTokens {
		for k, c := range a.cache {
			if !now.Before(c.expires) {
				delete(a.cache, k)
			}
		}
		if len(a.cache) >= maxCachedTokens {
			clear(a.cache)
		}
	}
	a.cache[token] = cachedResult{result: r, expires: now.Add(a.ttl)}
}
