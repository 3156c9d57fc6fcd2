package apigw

import "strings"

// binaryMediaTypeMatches reports whether contentType (a Content-Type or Accept entry; parameters after ';'
// ignored) matches one of the API's binaryMediaTypes: an exact "type/sub" entry, a "type/*" entry, or the
// "*/*" entry, which matches everything. Entries with a wildcard type ("*/png") match nothing, as observed
// on AWS (spec §1.2, §2.1). Comparison ignores case, since media types are case-insensitive.
func binaryMediaTypeMatches(binaryMediaTypes []string, contentType string) bool {
	if len(binaryMediaTypes) == 0 {
		return false
	}
	mt := contentType
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	mt = strings.TrimSpace(mt)
	slash := strings.IndexByte(mt, '/')
	for _, entry := range binaryMediaTypes {
		entry = strings.TrimSpace(entry)
		switch {
		case entry == "*/*":
			return true
		case strings.HasPrefix(entry, "*/"):
			continue
		case strings.HasSuffix(entry, "/*"):
			if slash > 0 && strings.EqualFold(mt[:slash+1], entry[:len(entry)-1]) {
				return true
			}
		case mt != "" && strings.EqualFold(mt, entry):
			return true
		}
	}
	return false
}

// firstMediaType returns the first entry of an Accept header; API Gateway negotiates binary responses on
// it alone (spec §2.1).
func firstMediaType(accept string) string {
	if i := strings.IndexByte(accept, ','); i >= 0 {
		accept = accept[:i]
	}
	return strings.TrimSpace(accept)
}
