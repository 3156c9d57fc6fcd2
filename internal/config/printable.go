package config

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable returns s with every character that is not printable escaped as in Go source (\x1b, \n,
// \u009b, \u202e; a byte that is not UTF-8 as \xff), so that a config key or value shown to a person can
// neither recolour nor rewrite their terminal. Printable text, backslashes and quotes are kept as they are.
func Printable(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return r == utf8.RuneError || !unicode.IsPrint(r) })
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for s = s[i:]; s != ""; {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case unicode.IsPrint(r):
			b.WriteString(s[:n])
		case r < utf8.RuneSelf:
			if j := strings.IndexByte("\a\b\f\n\r\t\v", byte(r)); j >= 0 {
				b.WriteString(`\` + "abfnrtv"[j:j+1])
			} else {
				fmt.Fprintf(&b, `\x%02x`, r)
			}
		case r <= 0xFFFF:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		s = s[n:]
	}
	return b.String()
}
