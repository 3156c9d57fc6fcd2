package secretstore

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/coworks-go/coworks/internal/safefile"
)

// keyFile holds the project's fingerprint key, next to the local stores.
const keyFile = "fingerprint.key"

// Fingerprinter gives values short fingerprints that tell whether two values are the same without telling
// anything about either: an HMAC-SHA256 under a random key of the project, kept in
// .chalice/local/secrets/fingerprint.key (0600). A plain hash would let anyone who sees a fingerprint test
// guesses of a weak password offline; without the key, a fingerprint is just noise. Fingerprints therefore
// compare within one project on one machine (every stage and target alike), not across machines.
type Fingerprinter struct{ key []byte }

// Fingerprint returns the 12 hex digits (48 bits) of value's fingerprint.
func (f *Fingerprinter) Fingerprint(value string) string {
	mac := hmac.New(sha256.New, f.key)
	mac.Write([]byte(value))
	return hex.EncodeToString(mac.Sum(nil))[:12]
}

// LoadFingerprinter reads the project's fingerprint key, creating it (and the store's 0700 directory) on
// first use.
func LoadFingerprinter(ctx context.Context, projectDir string) (*Fingerprinter, error) {
	path := filepath.Join(Dir(projectDir), keyFile)
	if key, err := readKey(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return &Fingerprinter{key: key}, err
	}
	if err := ensureDir(projectDir); err != nil {
		return nil, err
	}
	unlock, err := safefile.Lock(ctx, filepath.Join(Dir(projectDir), "lock"))
	if err != nil {
		return nil, fmt.Errorf("lock the local secret store: %w", err)
	}
	defer unlock()
	if key, err := readKey(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return &Fingerprinter{key: key}, err // another cws created it meanwhile
	}
	key := make([]byte, 32)
	rand.Read(key)
	if err := safefile.Write(path, []byte(hex.EncodeToString(key)+"\n"), filePerm); err != nil {
		return nil, fmt.Errorf("write the fingerprint key: %w", err)
	}
	return &Fingerprinter{key: key}, nil
}

func readKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("%s is not a fingerprint key: remove it (fingerprints change, values do not)", path)
	}
	return key, nil
}
