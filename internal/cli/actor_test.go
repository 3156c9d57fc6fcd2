package cli

import (
	"os/user"
	"testing"
)

// A history entry names who made the change: the CI's user, else $USER, else the account cws runs as (a
// container or a cron job often has no $USER), never "unknown" when the system knows.
func TestActorFallsBackToTheAccount(t *testing.T) {
	vars := map[string]string{}
	env := &Env{Getenv: func(k string) string { return vars[k] }}
	u, err := user.Current()
	if err != nil || u.Username == "" {
		t.Skipf("this system names no current user: %v", err)
	}
	if got := actor(env); got != u.Username {
		t.Errorf("with no USER, LOGNAME or CI variable: actor = %q, want the account %q", got, u.Username)
	}
	vars["USER"] = "ada"
	if got := actor(env); got != "ada" {
		t.Errorf("with USER=ada: actor = %q", got)
	}
	vars["GITHUB_ACTOR"] = "octocat"
	if got := actor(env); got != "octocat" {
		t.Errorf("in GitHub Actions: actor = %q, want GITHUB_ACTOR", got)
	}
}
