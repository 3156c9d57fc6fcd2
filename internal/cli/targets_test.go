package cli

import (
	"go/parser"
	"go/token"
	"strconv"
	"testing"
)

// TestStageCommandsReachTargetsThroughTheInterface: the stage commands (deploy, delete, deployed, url,
// history, promote, rollback, prune) know the deploy targets only as target.Target, so that both targets
// behave alike; only the wiring (targets.go) and the local cloud's own commands (gateway, up) import them.
func TestStageCommandsReachTargetsThroughTheInterface(t *testing.T) {
	files := []string{"deploy.go", "delete.go", "deployed.go", "url.go", "history.go", "promote.go", "rollback.go",
		"stage_prune.go", "lifecycle.go"}
	forbidden := map[string]bool{
		"github.com/coworks-go/coworks/internal/localcloud": true,
		"github.com/coworks-go/coworks/internal/terraform":  true,
	}
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); forbidden[path] {
				t.Errorf("%s imports %s: reach the target through target.Target (newTarget in targets.go)", name, path)
			}
		}
	}
}
