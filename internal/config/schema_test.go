package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite docs/config.schema.json")

var schemaPath = filepath.Join("..", "..", "docs", "config.schema.json")

func TestSchemaIsCurrent(t *testing.T) {
	want := Schema()
	if *update {
		if err := os.WriteFile(schemaPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/config -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("docs/config.schema.json is stale: run go test ./internal/config -update")
	}
}

var (
	schemaOnce sync.Once
	compiled   *jsonschema.Schema
	schemaErr  error
)

// schemaError validates data against the generated schema with a real JSON Schema validator.
func schemaError(t testing.TB, data []byte) error {
	t.Helper()
	schemaOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
		if err != nil {
			schemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		if schemaErr = c.AddResource(SchemaID, doc); schemaErr != nil {
			return
		}
		compiled, schemaErr = c.Compile(SchemaID)
	})
	if schemaErr != nil {
		t.Fatalf("compile schema: %v", schemaErr)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("schema validator cannot read the config: %v", err)
	}
	return compiled.Validate(inst)
}

// checkSchema fails the test when the schema rejects a config the test treats as valid.
func checkSchema(t testing.TB, data []byte) {
	t.Helper()
	if err := schemaError(t, data); err != nil {
		t.Errorf("schema rejects a valid config: %v", err)
	}
}
