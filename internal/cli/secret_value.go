package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/coworks-go/coworks/internal/secretstore"
	"golang.org/x/term"
)

// readSecretValue reads the value of secret name: from a prompt with echo off when standard input is a
// terminal, else all of standard input, less one trailing newline ("echo v | cws secret set" means "v";
// a PEM file keeps its inner newlines).
func readSecretValue(env *Env, name, stage string) (string, error) {
	if f, ok := env.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(env.Err, "Value of %s for stage %s (input hidden): ", name, stage)
		data, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Err)
		if err != nil {
			return "", fmt.Errorf("read the value from the terminal: %w", err)
		}
		return string(data), nil
	}
	if env.In == nil {
		return "", noValueError(name, stage)
	}
	// Read a little past the limit, so an oversized value is refused as such rather than cut.
	data, err := io.ReadAll(io.LimitReader(env.In, secretstore.MaxValueBytes+3))
	if err != nil {
		return "", fmt.Errorf("read the value from standard input: %w", err)
	}
	if len(data) > secretstore.MaxValueBytes+2 {
		return "", withTry(fmt.Errorf("secret %s: the value is over %d bytes, the most a secret holds (SSM's standard tier, and Lambda's 4 KB of variables)", name, secretstore.MaxValueBytes),
			"keep large material (certificate bundles, files) elsewhere, e.g. in S3, and its location in the secret")
	}
	value, ok := strings.CutSuffix(string(data), "\r\n")
	if !ok {
		value = strings.TrimSuffix(value, "\n")
	}
	if value == "" {
		return "", noValueError(name, stage)
	}
	return value, nil
}

func noValueError(name, stage string) error {
	return withTry(errors.New("no value on standard input"),
		fmt.Sprintf("cws secret set %s --stage %s < FILE, or run it in a terminal to be prompted", name, stage))
}
