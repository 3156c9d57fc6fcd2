package localcloud

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// plan describes, for a PlanOnly deploy, what Deploy would change: old is the stage's current entry
// (nil when it is not deployed), next the entry it would get on REST API apiID.
func plan(stage string, created bool, apiID, oldAPIID string, old, next *Stage, moved []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Plan for stage %s (local cloud):\n", stage)
	switch {
	case created:
		fmt.Fprintf(&b, "  + create Rest API (new id)\n")
	case old == nil || oldAPIID != apiID:
		fmt.Fprintf(&b, "  ~ add API Gateway stage %q to Rest API %s\n", next.Name, apiID)
	}
	if old == nil {
		fmt.Fprintf(&b, "  + create lambda function %s (artifact %s, %d routes)\n", next.FunctionName, next.ArtifactSHA256, len(next.Routes))
	} else {
		var what []string
		if old.ArtifactSHA256 != next.ArtifactSHA256 {
			what = append(what, fmt.Sprintf("artifact %s -> %s", old.ArtifactSHA256, next.ArtifactSHA256))
		}
		if oldAPIID != apiID {
			what = append(what, fmt.Sprintf("Rest API %s -> %s", oldAPIID, apiID))
		}
		if old.Name != next.Name {
			what = append(what, fmt.Sprintf("API Gateway stage %s -> %s", old.Name, next.Name))
		}
		if !slices.Equal(old.Routes, next.Routes) {
			what = append(what, fmt.Sprintf("routes %d -> %d", len(old.Routes), len(next.Routes)))
		}
		if !maps.Equal(old.Settings.Environment, next.Settings.Environment) {
			what = append(what, "environment variables")
		}
		o, n := old.Settings, next.Settings
		o.Environment, n.Environment = nil, nil
		if string(mustJSON(o)) != string(mustJSON(n)) {
			what = append(what, "settings")
		}
		if len(what) == 0 {
			what = append(what, "record")
		}
		fmt.Fprintf(&b, "  ~ update lambda function %s: %s\n", next.FunctionName, strings.Join(what, ", "))
	}
	for _, s := range moved {
		fmt.Fprintf(&b, "  ~ stage %s changes URL form\n", s)
	}
	fmt.Fprintf(&b, "  = URL %s\n", next.URL)
	return b.String()
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
