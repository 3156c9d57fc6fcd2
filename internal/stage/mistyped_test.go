package stage

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	known := []string{"dev", "prod", "qa", "feature-login"}
	for _, tc := range []struct {
		name       string
		typed      bool
		suggestion string
		caseOnly   bool
	}{
		{"prod", true, "", false},     // exact
		{"prdo", true, "prod", false}, // two edits
		{"prd", true, "prod", false},  // one deletion
		{"Prod", true, "prod", true},  // case only
		{"PROD", false, "prod", true}, // case only, even when not typed
		{"prdo", false, "", false},    // a branch stage may be close to another: only case counts
		{"staging", true, "", false},  // close to nothing: a new stage, as in Chalice
		{"ci", true, "", false},       // 2 edits from qa, but as long as itself: not a typo
		{"dv", true, "dev", false},    // 1 edit, shorter than itself
		{"feature-logon", true, "feature-login", false},
	} {
		err := Check(tc.name, known, tc.typed)
		var me *MistypedError
		switch {
		case tc.suggestion == "" && err != nil:
			t.Errorf("Check(%q, typed %v) = %v, want nil", tc.name, tc.typed, err)
		case tc.suggestion != "" && (!errors.As(err, &me) || me.Suggestion != tc.suggestion || me.CaseOnly != tc.caseOnly || me.Name != tc.name):
			t.Errorf("Check(%q, typed %v) = %#v, want suggestion %q (case only %v)", tc.name, tc.typed, err, tc.suggestion, tc.caseOnly)
		}
	}
	if err := Check("Dev", []string{"dev", "Dev"}, true); err != nil {
		t.Errorf("an existing name is never refused: %v", err)
	}
	if err := Check("dev", nil, true); err != nil {
		t.Errorf("nothing known: %v", err)
	}
}

func TestMistypedErrorSaysWhy(t *testing.T) {
	typo := (&MistypedError{Name: "prdo", Suggestion: "prod"}).Error()
	if typo != `stage "prdo" is neither declared in .chalice/config.json nor deployed; did you mean "prod"?` {
		t.Errorf("typo: %s", typo)
	}
	cased := (&MistypedError{Name: "Prod", Suggestion: "prod", CaseOnly: true}).Error()
	if cased != `stage "Prod" differs from stage "prod" only in case, and their AWS resources would collide (IAM role names ignore case); did you mean "prod"?` {
		t.Errorf("case: %s", cased)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"prod", "prod", 0}, {"prod", "prdo", 2}, {"prod", "prd", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}} {
		if got := EditDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
