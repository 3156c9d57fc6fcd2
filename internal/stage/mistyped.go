package stage

import (
	"fmt"
	"strings"
)

// MistypedError is a stage name that is probably a mistake: not a stage that exists, but close to one.
type MistypedError struct {
	// Name is the name given; Suggestion the existing stage it is close to.
	Name, Suggestion string
	// CaseOnly says the two differ only in case: refused everywhere, since their AWS resources collide.
	CaseOnly bool
}

func (e *MistypedError) Error() string {
	if e.CaseOnly {
		return fmt.Sprintf("stage %q differs from stage %q only in case, and their AWS resources would collide (IAM role names ignore case); did you mean %q?",
			e.Name, e.Suggestion, e.Suggestion)
	}
	return fmt.Sprintf("stage %q is neither declared in .chalice/config.json nor deployed; did you mean %q?", e.Name, e.Suggestion)
}

// Check decides whether a stage name may be acted on, given the stages that exist (known: declared in
// the config or deployed). A known name is always fine. Otherwise it returns a *MistypedError when name
// differs from a known one only in case, or, when typed (the user spelled it, as in --stage prdo), is
// within an edit distance of 2 of one and closer to it than its own length ("ci" is not a typo of "qa").
// Anything else is nil: a new stage, which Chalice deploys with the top-level settings. A name derived
// from a git branch is not typed: branch stages are often close to one another.
func Check(name string, known []string, typed bool) error {
	best, bestDist := "", 0
	for _, k := range known {
		if k == name {
			return nil
		}
	}
	for _, k := range known {
		if strings.EqualFold(k, name) {
			return &MistypedError{Name: name, Suggestion: k, CaseOnly: true}
		}
		if d := EditDistance(name, k); typed && d <= 2 && d < len(name) && (best == "" || d < bestDist) {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return &MistypedError{Name: name, Suggestion: best}
	}
	return nil
}

// EditDistance is the Levenshtein distance between a and b, in bytes: insertions, deletions and
// substitutions, each counting one.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
