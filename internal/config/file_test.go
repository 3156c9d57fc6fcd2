package config

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func writeConfig(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".chalice"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(Path(dir), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestEditKeepsUnknownKeysAndOrder(t *testing.T) {
	dir := writeConfig(t, `{"zzz_custom": {"keep": [1, 2.0]}, "app_name": "a", "version": "2.0", "stages": {"dev": {"team": "x", "api_gateway_stage": "dev"}}}`)
	_, err := Edit(context.Background(), dir, func(d *Document) error {
		st := NewObject()
		st.Set("api_gateway_stage", NewString("prod"))
		return d.SetStage("prod", st)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(Path(dir))
	want := `{
  "zzz_custom": {
    "keep": [
      1,
      2.0
    ]
  },
  "app_name": "a",
  "version": "2.0",
  "stages": {
    "dev": {
      "team": "x",
      "api_gateway_stage": "dev"
    },
    "prod": {
      "api_gateway_stage": "prod"
    }
  }
}
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if fi, _ := os.Stat(Path(dir)); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 kept", fi.Mode().Perm())
	}
}

func TestEditRefusedLeavesFileUntouched(t *testing.T) {
	src := "{ \"app_name\": \"a\",\n \"stages\": {} }"
	dir := writeConfig(t, src)
	_, err := Edit(context.Background(), dir, func(d *Document) error {
		st := NewObject()
		env := NewObject()
		env.Set("AWS_REGION", NewString("x"))
		st.Set("environment_variables", env)
		return d.SetStage("prod", st)
	})
	var r *RefusedError
	if !errors.As(err, &r) || !strings.Contains(err.Error(), "AWS_REGION is reserved by Lambda") {
		t.Fatalf("err = %v", err)
	}
	_, err = Edit(context.Background(), dir, func(d *Document) error { d.RemoveStage("x"); return errors.New("boom") })
	if err == nil || err.Error() != "boom" {
		t.Fatalf("err = %v", err)
	}
	if got, _ := os.ReadFile(Path(dir)); string(got) != src {
		t.Errorf("file changed:\n%s", got)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, ".chalice"))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestEditConcurrentGoroutines(t *testing.T) {
	dir := writeConfig(t, `{"app_name": "a"}`)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := Edit(context.Background(), dir, func(d *Document) error {
				return d.SetStage(fmt.Sprintf("s%d", i), NewObject())
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.StageNames()); n != 16 {
		t.Errorf("%d stages, want 16: %v", n, p.StageNames())
	}
}

func TestCreateAndLoad(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load missing: %v", err)
	}
	if err := Create(dir, "demo", false); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"version\": \"2.0\",\n  \"app_name\": \"demo\",\n  \"stages\": {\n    \"dev\": {\n      \"api_gateway_stage\": \"dev\"\n    }\n  }\n}\n"
	got, _ := os.ReadFile(Path(dir))
	if string(got) != want {
		t.Errorf("got\n%s", got)
	}
	checkSchema(t, got)
	if err := Create(dir, "other", false); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second Create: %v", err)
	}
}
