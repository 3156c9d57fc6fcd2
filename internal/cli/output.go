package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// masked replaces a secret-looking value in human output; --show-values prints the real one.
const masked = "********"

// maskValue returns v, or the mask unless show.
func maskValue(v string, show bool) string {
	if show {
		return v
	}
	return masked
}

// writeJSON prints v as 2-space indented JSON: with --json, stdout holds nothing else.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeTable prints rows under upper-case headers, columns aligned with two spaces.
func writeTable(w io.Writer, headers []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(headers, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// colorEnabled reports whether w is a terminal and NO_COLOR is unset: the only case where output
// may be coloured.
func colorEnabled(env *Env, w io.Writer) bool {
	if env.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// paint wraps s in an ANSI colour code when colour is on.
func paint(on bool, code, s string) string {
	if !on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}
