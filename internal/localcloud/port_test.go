package localcloud

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/target/targettest"
)

// TestSetPortMovesEveryURL: the state's port, every stage's URL and every record follow SetPort; a
// project without a local cloud keeps the port for its first deploy.
func TestSetPortMovesEveryURL(t *testing.T) {
	c, dir := newCloud(t)
	if changed, err := c.SetPort(ctx, 9001, nil); err != nil || !changed {
		t.Fatalf("SetPort on a new project = %v, %v", changed, err)
	}
	art := targettest.FakeArtifact(t, 1)
	for _, stage := range []string{"dev", "prod"} {
		if _, err := c.Deploy(ctx, targettest.Request(stage, stage, art)); err != nil {
			t.Fatal(err)
		}
	}
	rec, _ := os.ReadFile(deployed.Path(dir, "dev"))
	if !strings.Contains(string(rec), "http://127.0.0.1:9001/dev/") {
		t.Fatalf("the first deploy did not use the port set before it:\n%s", rec)
	}
	var progress bytes.Buffer
	if changed, err := c.SetPort(ctx, 9002, &progress); err != nil || !changed {
		t.Fatalf("SetPort = %v, %v", changed, err)
	}
	for _, stage := range []string{"dev", "prod"} {
		rec, _ := os.ReadFile(deployed.Path(dir, stage))
		if url := "http://127.0.0.1:9002/" + stage + "/"; !strings.Contains(string(rec), url) || !strings.Contains(progress.String(), "Stage "+stage+" is now at "+url) {
			t.Errorf("%s: record\n%s\nprogress %q; want %s in both", stage, rec, progress.String(), url)
		}
	}
	if st, _ := Load(dir); st.Port != 9002 {
		t.Errorf("state port = %d", st.Port)
	}
	if changed, err := c.SetPort(ctx, 9002, nil); err != nil || changed {
		t.Errorf("SetPort to the same port = %v, %v; want no change", changed, err)
	}
	if _, err := c.SetPort(ctx, 0, nil); err == nil {
		t.Error("port 0 accepted")
	}
}
