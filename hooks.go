package coworks

import (
	"net/http"
)

// runBeforeFirst runs the before-first-request hooks unless they already succeeded; a failing hook is
// answered on w and reported by a non-zero status.
func (a *App) runBeforeFirst(w http.ResponseWriter, r *http.Request) int {
	if a.firstDone.Load() || len(a.beforeFirst) == 0 {
		return 0
	}
	a.firstMu.Lock()
	defer a.firstMu.Unlock()
	if a.firstDone.Load() {
		return 0
	}
	for _, f := range a.beforeFirst[a.firstRan:] {
		if err := f(r.Context()); err != nil {
			return a.answerError(w, r, "before first request", err)
		}
		a.firstRan++
	}
	a.firstDone.Store(true)
	return 0
}

// runBefore runs the before-request hooks; the first one that answers stops the others and the handler.
func (a *App) runBefore(w http.ResponseWriter, r *http.Request) int {
	for _, f := range a.before {
		resp, err := f(r)
		if err != nil {
			return a.answerError(w, r, "before request", err)
		}
		if resp != nil {
			return resp.write(w)
		}
	}
	return 0
}
