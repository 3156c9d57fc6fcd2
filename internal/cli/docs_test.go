package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// docCommand matches a cws command line in the docs: "cws" (or ".../cws"), then its words up to the end of
// the code span, a comment, a pipe or a shell separator.
var docCommand = regexp.MustCompile("(?:^|[\\s`(/$])cws((?:[ \\t]+[^\\s`#|;&)]+)+)")

// codeSpan is a `code span` of Markdown.
var codeSpan = regexp.MustCompile("`([^`]+)`")

// TestDocumentedFlagsExist reads every cws command line in the code of README.md and docs/*.md and checks that each
// --flag it shows exists on that command (the docs once named flags that cws did not have).
func TestDocumentedFlagsExist(t *testing.T) {
	root := newRootCommand(&Env{Getenv: func(string) string { return "" }})
	files, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "..", "README.md"))
	checked := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		fenced := false
		for n, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				fenced = !fenced
				continue
			}
			code := []string{line} // in a fenced block the whole line is code, elsewhere the `spans`
			if !fenced {
				code = code[:0]
				for _, span := range codeSpan.FindAllStringSubmatch(line, -1) {
					code = append(code, span[1])
				}
			}
			for _, m := range docCommand.FindAllStringSubmatch(strings.Join(code, "\n"), -1) {
				cmd, flags := documentedCommand(root, strings.Fields(m[1]))
				if cmd == nil {
					continue
				}
				for _, f := range flags {
					checked++
					if lookupFlag(cmd, f) == nil {
						t.Errorf("%s:%d: %s has no flag --%s (%q)", filepath.Base(file), n+1, cmd.CommandPath(), f, strings.TrimSpace(m[0]))
					}
				}
			}
		}
	}
	t.Logf("%d documented flags checked", checked)
	if checked < 20 {
		t.Fatalf("only %d documented flags found: the pattern no longer matches the docs", checked)
	}
}

// documentedCommand walks words (after "cws") down the command tree and returns the command they name and
// the flags given to it (names only, "_" spelled "-"). Words that name no command stop the walk at the
// arguments; a line whose first word is not a command (prose such as "cws itself") gives nil.
func documentedCommand(root *cobra.Command, words []string) (*cobra.Command, []string) {
	cmd := root
	var flags []string
	args := false // past the command words: the rest are arguments and flags
	for i, w := range words {
		switch {
		case strings.HasPrefix(w, "--"):
			name, _, _ := strings.Cut(strings.TrimPrefix(w, "--"), "=")
			name = strings.ReplaceAll(strings.TrimRight(name, ".,:"), "_", "-")
			if name != "" && !strings.ContainsAny(name, "<[{") {
				flags = append(flags, name)
			}
			if f := lookupFlag(cmd, name); !strings.Contains(w, "=") && f != nil && f.NoOptDefVal == "" && i+1 < len(words) {
				words[i+1] = "" // the flag's value, not a subcommand
			}
		case w == "" || strings.HasPrefix(w, "-") || args:
		default:
			if next := subcommand(cmd, w); next != nil {
				cmd = next
			} else if cmd == root {
				return nil, nil // prose: "the cws binary"
			} else {
				args = true
			}
		}
	}
	if cmd == root {
		return nil, nil
	}
	return cmd, flags
}

// lookupFlag finds --name among cmd's own, persistent and inherited flags.
func lookupFlag(cmd *cobra.Command, name string) *pflag.Flag {
	for _, fs := range []*pflag.FlagSet{cmd.Flags(), cmd.PersistentFlags(), cmd.InheritedFlags()} {
		if f := fs.Lookup(name); f != nil {
			return f
		}
	}
	return nil
}

// subcommand returns cmd's subcommand called name (or an alias), nil when none.
func subcommand(cmd *cobra.Command, name string) *cobra.Command {
	for _, c := range cmd.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return c
		}
	}
	return nil
}

func TestDocumentedCommandParsesCommandLines(t *testing.T) {
	root := newRootCommand(&Env{Getenv: func(string) string { return "" }})
	for _, tc := range []struct{ line, cmd, flags string }{
		{"go run ./cmd/cws --project-dir examples/hello up --port 0", "cws up", "project-dir port"},
		{"`cws deploy --stage master --rest_api_id dev`", "cws deploy", "stage rest-api-id"},
		{"cws stage add qa --from prod --api-gateway-stage v1", "cws stage add", "from api-gateway-stage"},
		{"the cws binary itself --port", "", ""},
	} {
		m := docCommand.FindStringSubmatch(tc.line)
		var got *cobra.Command
		var flags []string
		if m != nil {
			got, flags = documentedCommand(root, strings.Fields(m[1]))
		}
		name := ""
		if got != nil {
			name = got.CommandPath()
		}
		if name != tc.cmd || strings.Join(flags, " ") != tc.flags {
			t.Errorf("%q: %q %q, want %q %q", tc.line, name, flags, tc.cmd, tc.flags)
		}
	}
}
