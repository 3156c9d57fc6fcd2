package coworks

import (
	"strconv"
	"strings"
	"unicode"
)

// httpMethodPrefixes are the method-name prefixes that make a route, with the HTTP method each one serves.
var httpMethodPrefixes = [...]struct{ prefix, method string }{
	{"Get", "GET"}, {"Post", "POST"}, {"Put", "PUT"}, {"Delete", "DELETE"}, {"Patch", "PATCH"},
}

// routeName is what a Go method name says about its route: the HTTP method and the literal path segments.
type routeName struct {
	method   string
	segments []string
}

// parseRouteName reads a Go method name as CoWorks reads a Python one: an HTTP method prefix, then CamelCase
// words that become lower-case path segments ("GetServiceTest" is GET /service/test). Trailing underscores
// only tell apart methods serving the same words with more path parameters ("GetContent_"), as Python's
// get_content_ does: they are dropped. ok is false when the name is not a route.
func parseRouteName(name string) (rn routeName, ok bool) {
	for _, p := range httpMethodPrefixes {
		rest, found := strings.CutPrefix(name, p.prefix)
		if !found {
			continue
		}
		rest = strings.TrimRight(rest, "_")
		if rest != "" && !unicode.IsUpper(rune(rest[0])) && !unicode.IsDigit(rune(rest[0])) {
			return routeName{}, false // "Getter", "Posted": a word that merely starts like a method
		}
		return routeName{method: p.method, segments: camelWords(rest)}, true
	}
	return routeName{}, false
}

// camelWords splits a CamelCase identifier into lower-case words. Runs of capitals are one word, an acronym,
// whose last capital starts the next word when a lower-case letter follows ("HTTPStatus" is http, status);
// digits stay with the word before them ("V2Items" is v2, items). Underscores separate words too.
func camelWords(s string) []string {
	var words []string
	start := 0
	rs := []rune(s)
	flush := func(end int) {
		if end > start {
			words = append(words, strings.ToLower(string(rs[start:end])))
		}
		start = end
	}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '_':
			flush(i)
			start = i + 1
		case unicode.IsUpper(r) && i > start:
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if !unicode.IsUpper(prev) || nextLower {
				flush(i)
			}
		}
	}
	flush(len(rs))
	return words
}

// routePath builds the API Gateway resource path of a route: the prefix, the words, then one {_n} segment
// per path parameter. The root is "/".
func routePath(prefix string, words []string, params int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, w := range words {
		b.WriteByte('/')
		b.WriteString(w)
	}
	for i := range params {
		b.WriteString("/{_")
		b.WriteString(strconv.Itoa(i))
		b.WriteByte('}')
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}
