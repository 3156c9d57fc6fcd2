// Package secretstore keeps the secrets of stages: a local store under .chalice/local/secrets/ for the local
// cloud, and SSM Parameter Store SecureStrings under /cws/{app}/{stage}/ for AWS. Values never leave a store
// except to reach the stage's function: what commands show of them is a keyed fingerprint (Fingerprinter).
package secretstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coworks-go/coworks/secrets"
)

// MaxValueBytes is the largest value a secret may hold: SSM's standard tier limit, and Lambda's limit on all of
// a function's variables together.
const MaxValueBytes = 4096

// Secret is one secret of a stage.
type Secret struct {
	Name  string
	Value string
	// Updated is when the value was last set.
	Updated time.Time
	// Source says where the secret is kept, for people: ".chalice/local/secrets/dev.json" or
	// "ssm:/cws/shop/prod/DB_PASSWORD".
	Source string
}

// Store keeps the secrets of one stage. Implementations never put a value in an error.
type Store interface {
	// Kind is "local" or "ssm".
	Kind() string
	// Where describes the store for people: a file, or an SSM path and region.
	Where() string
	// List returns the stage's secrets sorted by name; none is an empty list, not an error.
	List(ctx context.Context) ([]Secret, error)
	// Set creates or replaces the secret name (checked with CheckValue and secrets.CheckName first).
	Set(ctx context.Context, name, value string) (Secret, error)
	// Remove deletes the secret name; one that does not exist is ErrNotFound.
	Remove(ctx context.Context, name string) error
}

// ErrNotFound is returned (wrapped) by Remove when the stage has no secret of that name.
var ErrNotFound = errors.New("no such secret")

// CheckValue returns nil when value can be a secret, else why not, without quoting it: it must be non-empty
// UTF-8 text without NUL bytes (an environment variable cannot hold one), at most MaxValueBytes long.
func CheckValue(value string) error {
	switch {
	case value == "":
		return errors.New("the value is empty")
	case strings.IndexByte(value, 0) >= 0:
		return errors.New("the value holds a NUL byte, which no environment variable can")
	case !utf8.ValidString(value):
		return errors.New("the value is not UTF-8 text")
	case len(value) > MaxValueBytes:
		return fmt.Errorf("the value is %d bytes; a secret holds at most %d (SSM's standard tier, and Lambda's 4 KB of variables)", len(value), MaxValueBytes)
	}
	return nil
}

// check is what every Store's Set checks first.
func check(name, value string) error {
	if err := secrets.CheckName(name); err != nil {
		return err
	}
	return CheckValue(value)
}

// Environment returns vars with secrets added as variables; a secret replaces a variable of the same name.
// vars is not modified.
func Environment(vars map[string]string, secrets []Secret) map[string]string {
	out := make(map[string]string, len(vars)+len(secrets))
	for k, v := range vars {
		out[k] = v
	}
	for _, s := range secrets {
		out[s.Name] = s.Value
	}
	return out
}
