package secretstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coworks-go/coworks/internal/secretstore/ssmtest"
)

// conformance is what every Store must do, run against each implementation.
func conformance(t *testing.T, s Store) {
	ctx := context.Background()
	if list, err := s.List(ctx); err != nil || len(list) != 0 {
		t.Fatalf("List of an empty store = %v, %v", list, err)
	}
	if _, err := s.Set(ctx, "DB_PASSWORD", "first"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Set(ctx, "API_KEY", "k\nwith a second line"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Set(ctx, "DB_PASSWORD", "second")
	if err != nil || got.Name != "DB_PASSWORD" || got.Value != "second" || got.Updated.IsZero() {
		t.Fatalf("Set = %+v, %v", got, err)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "API_KEY" || list[0].Value != "k\nwith a second line" ||
		list[1].Name != "DB_PASSWORD" || list[1].Value != "second" {
		t.Fatalf("List = %+v, want API_KEY then DB_PASSWORD (replaced)", list)
	}
	for _, sec := range list {
		if sec.Source == "" || sec.Updated.IsZero() {
			t.Errorf("%s has no source or update time: %+v", sec.Name, sec)
		}
	}
	for name, value := range map[string]string{"AWS_SECRET": "x", "bad-name": "x", "EMPTY": "", "NUL": "a\x00b", "BIG": strings.Repeat("v", MaxValueBytes+1)} {
		if _, err := s.Set(ctx, name, value); err == nil {
			t.Errorf("Set(%q) of a %d-byte value succeeded", name, len(value))
		}
	}
	if err := s.Remove(ctx, "API_KEY"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "API_KEY"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Remove of a removed secret = %v, want ErrNotFound", err)
	}
	if list, _ := s.List(ctx); len(list) != 1 || list[0].Name != "DB_PASSWORD" {
		t.Errorf("List after Remove = %+v", list)
	}
}

func TestLocalStoreConformance(t *testing.T) {
	conformance(t, NewLocal(t.TempDir(), "dev", nil))
}

func TestSSMFakeServerStoreConformance(t *testing.T) {
	fake := useFake(t)
	s, err := NewSSM(context.Background(), "shop", "prod", ssmtest.Region, nil)
	if err != nil {
		t.Fatal(err)
	}
	conformance(t, s)
	p, ok := fake.Get("/cws/shop/prod/DB_PASSWORD")
	if !ok || p.Type != "SecureString" || p.Value != "second" || p.KeyID != "" || p.Version != 2 {
		t.Errorf("stored parameter = %+v, want a SecureString under the default key, version 2", p)
	}
	if got := s.Where(); got != "SSM Parameter Store /cws/shop/prod/ (eu-west-1)" {
		t.Errorf("Where = %q", got)
	}
}

// useFake starts a fake SSM server and points the AWS SDK at it through the environment.
func useFake(t *testing.T) *ssmtest.Server {
	fake := ssmtest.New()
	t.Cleanup(fake.Close)
	fake.Setenv(t)
	return fake
}

func TestSSMFakeServerStoreListsEveryPageAndOnlyItsStage(t *testing.T) {
	fake := useFake(t)
	for i := range 23 {
		fake.Put(fmt.Sprintf("/cws/shop/prod/S%02d", i), "v")
	}
	fake.Put("/cws/shop/prod/nested/X", "v")
	fake.Put("/cws/shop/production/Y", "v")
	s, _ := NewSSM(context.Background(), "shop", "prod", ssmtest.Region, nil)
	list, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 23 || list[22].Name != "S22" || list[0].Source != "ssm:/cws/shop/prod/S00" {
		t.Errorf("List = %d secrets, last %+v", len(list), list[len(list)-1])
	}
}

func TestSSMFakeServerStoreErrorsNeverHoldTheValue(t *testing.T) {
	fake := useFake(t)
	fake.Deny("/cws/shop/prod")
	s, _ := NewSSM(context.Background(), "shop", "prod", ssmtest.Region, nil)
	_, err := s.Set(context.Background(), "DB_PASSWORD", "hunter2-never-shown")
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") || !strings.Contains(err.Error(), "set DB_PASSWORD in SSM Parameter Store /cws/shop/prod/") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows the value: %v", err)
	}
}

func TestSSMFakeServerStoreWithoutCredentialsSaysSo(t *testing.T) {
	useFake(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	s, _ := NewSSM(context.Background(), "shop", "prod", ssmtest.Region, nil)
	_, err := s.List(context.Background())
	var ce *CredentialsError
	if !errors.As(err, &ce) || !strings.Contains(ce.Hint(), "AWS_PROFILE") {
		t.Fatalf("err = %v, want a CredentialsError", err)
	}
}

func TestLocalStoreIsPrivateAndAtomic(t *testing.T) {
	dir := t.TempDir()
	s := NewLocal(dir, "dev", func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) })
	if _, err := s.Set(context.Background(), "DB_PASSWORD", "v"); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{Dir(dir): 0o700, filepath.Join(Dir(dir), "dev.json"): 0o600} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %04o", path, fi.Mode().Perm(), err, want)
		}
	}
	entries, _ := os.ReadDir(Dir(dir))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	// Many writers at once lose nothing.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := NewLocal(dir, "dev", nil).Set(context.Background(), fmt.Sprintf("S%d", i), "v"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if list, _ := s.List(context.Background()); len(list) != 21 {
		t.Errorf("%d secrets after 21 sets", len(list))
	}
	// The last secret gone, so is the file.
	for _, sec := range must(s.List(context.Background())) {
		if err := s.Remove(context.Background(), sec.Name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(Dir(dir), "dev.json")); !os.IsNotExist(err) {
		t.Errorf("dev.json still exists without secrets: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestLocalStoreRefusesAFileOthersCanRead(t *testing.T) {
	dir := t.TempDir()
	s := NewLocal(dir, "dev", nil)
	if _, err := s.Set(context.Background(), "DB_PASSWORD", "v"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(Dir(dir), "dev.json")
	os.Chmod(path, 0o644)
	_, err := s.List(context.Background())
	var pe *PermissionError
	if !errors.As(err, &pe) || pe.Hint() != "chmod 600 "+path {
		t.Fatalf("List of a 0644 store = %v, want a PermissionError with chmod 600", err)
	}
}

func TestLocalStoreCorruptFileErrorDoesNotQuoteIt(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(Dir(dir), 0o700)
	os.WriteFile(filepath.Join(Dir(dir), "dev.json"), []byte(`{"version":1,"secrets":{"A":{"value":"hunter2"`), 0o600)
	_, err := NewLocal(dir, "dev", nil).List(context.Background())
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), ".chalice/local/secrets/dev.json is not a valid secret store") {
		t.Fatalf("err = %v", err)
	}
}

func TestFingerprints(t *testing.T) {
	dir := t.TempDir()
	f, err := LoadFingerprinter(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	a, b := f.Fingerprint("hunter2"), f.Fingerprint("hunter3")
	if len(a) != 12 || a == b || a != f.Fingerprint("hunter2") {
		t.Errorf("fingerprints %q %q: want 12 hex digits, equal for equal values only", a, b)
	}
	again, err := LoadFingerprinter(context.Background(), dir)
	if err != nil || again.Fingerprint("hunter2") != a {
		t.Errorf("the key did not persist: %v", err)
	}
	other, _ := LoadFingerprinter(context.Background(), t.TempDir())
	if other.Fingerprint("hunter2") == a {
		t.Errorf("two projects share fingerprints: the key is not random")
	}
	fi, err := os.Stat(filepath.Join(Dir(dir), keyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v; want mode 0600", fi, err)
	}
}

func TestEnvironmentAddsSecretsOverVariables(t *testing.T) {
	vars := map[string]string{"A": "1", "B": "2"}
	got := Environment(vars, []Secret{{Name: "B", Value: "secret"}, {Name: "C", Value: "3"}})
	if len(got) != 3 || got["A"] != "1" || got["B"] != "secret" || got["C"] != "3" || vars["B"] != "2" {
		t.Errorf("Environment = %v (vars %v)", got, vars)
	}
}
