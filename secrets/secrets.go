// Package secrets loads a stage's secrets into a function's environment, once per cold start.
//
// `cws secret set NAME --stage S` keeps secrets out of .chalice/config.json. On the local cloud they live in a
// store under .chalice/local/ and reach the function as ordinary environment variables. On AWS they are SSM
// Parameter Store SecureStrings under /cws/{app}/{stage}/ (see Path); the Terraform cws generates sets
// CWS_SECRETS_PATH (PathVariable) on the stage's function and lets it read that path only. This package reads
// every parameter directly under $CWS_SECRETS_PATH and sets each as an environment variable named after the
// last segment of its name: /cws/shop/prod/DB_PASSWORD becomes DB_PASSWORD.
//
// Importing the package loads the secrets while the program initialises, when it runs in Lambda
// (AWS_LAMBDA_RUNTIME_API is set) and CWS_SECRETS_PATH is set. Go initialises a package after the packages it
// imports, so main's package variables and init functions, and the arguments of coworks.Start(coworks.New(...))
// in main, already see the secrets; github.com/coworks-go/coworks imports this package for that reason. A
// package of yours that reads a secret while it initialises must import this one too (a blank import does),
// or Go may initialise it first. When loading fails there, the process prints the reason on standard error and
// exits with status 1: Lambda reports a failed init and starts afresh at the next invocation, rather than
// serving without its secrets.
//
// Elsewhere (a container, a test, a function started without the framework), call Load.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// PathVariable is the environment variable naming the SSM path of the stage's secrets, "/cws/{app}/{stage}/".
// The Terraform cws generates sets it on the stage's function; empty or unset, nothing is loaded.
const PathVariable = "CWS_SECRETS_PATH"

// initTimeout bounds the load during initialisation, well inside Lambda's 10-second init phase.
const initTimeout = 5 * time.Second

// Path returns the SSM path of the secrets of stage of app: "/cws/{app}/{stage}/". A secret NAME of the stage
// is the parameter Path(app, stage)+NAME.
func Path(app, stage string) string { return "/cws/" + app + "/" + stage + "/" }

// CheckName returns nil when name can be a secret's name, else an error saying why: a secret becomes an
// environment variable, so its name starts with a letter and holds letters, digits and '_' only; names
// starting with AWS_ or LAMBDA_ (whatever their case) belong to Lambda and the AWS SDKs, whose behaviour
// such a variable would change; CWS_SECRETS_PATH is cws's own.
func CheckName(name string) error {
	if !validEnvName(name) {
		return fmt.Errorf("secret name %q: start with a letter and use only letters, digits and '_' (it becomes an environment variable)", name)
	}
	upper := strings.ToUpper(name)
	for _, prefix := range []string{"AWS_", "LAMBDA_"} {
		if strings.HasPrefix(upper, prefix) {
			return fmt.Errorf("secret name %s: names starting with %s are reserved by Lambda and the AWS SDKs", name, prefix)
		}
	}
	if upper == PathVariable {
		return fmt.Errorf("secret name %s: reserved by cws (it names the secrets' own path)", name)
	}
	return nil
}

// validEnvName reports whether name matches ^[A-Za-z][A-Za-z0-9_]*$.
func validEnvName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || (c != '_' && (c < '0' || c > '9'))) {
			return false
		}
	}
	return name != ""
}

var (
	loadMu sync.Mutex
	loaded bool
)

// Load sets the secrets under $CWS_SECRETS_PATH as environment variables, replacing variables of the same
// names. Without CWS_SECRETS_PATH it does nothing and returns nil.
//
// Load succeeds once per process: after a success (at initialisation in Lambda, or an earlier call), it
// returns nil at once; after a failure, the next call tries again. It reads the region from AWS_REGION
// (else AWS_DEFAULT_REGION) and the credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN, as Lambda provides them; AWS_ENDPOINT_URL_SSM, else AWS_ENDPOINT_URL, replaces the
// regional endpoint. Parameters whose names CheckName refuses are skipped with a line on standard error.
// Errors name the path and parameters, never a value.
func Load(ctx context.Context) error {
	loadMu.Lock()
	defer loadMu.Unlock()
	if loaded {
		return nil
	}
	path := os.Getenv(PathVariable)
	if path == "" {
		loaded = true
		return nil
	}
	vars, err := fetch(ctx, path, os.Getenv)
	if err != nil {
		return fmt.Errorf("coworks/secrets: load the secrets under %s: %w", path, err)
	}
	for _, v := range vars {
		if err := os.Setenv(v.name, v.value); err != nil {
			return fmt.Errorf("coworks/secrets: set %s: %w", v.name, err)
		}
	}
	loaded = true
	return nil
}

// variable is one secret as it becomes an environment variable.
type variable struct{ name, value string }

// fetch reads every parameter directly under path with the client the environment describes.
func fetch(ctx context.Context, path string, getenv func(string) string) ([]variable, error) {
	c, err := clientFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	prefix := strings.TrimSuffix(path, "/")
	params, err := c.parametersByPath(ctx, prefix)
	if err != nil {
		return nil, err
	}
	vars := make([]variable, 0, len(params))
	for _, p := range params {
		name := strings.TrimPrefix(p.Name, prefix+"/")
		if err := CheckName(name); err != nil {
			fmt.Fprintf(os.Stderr, "coworks/secrets: skipping parameter %s: %v\n", p.Name, err)
			continue
		}
		vars = append(vars, variable{name, p.Value})
	}
	return vars, nil
}

func init() {
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") == "" || os.Getenv(PathVariable) == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), initTimeout)
	defer cancel()
	if err := Load(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (gave up after %s)", err, initTimeout)
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
