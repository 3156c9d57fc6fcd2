package config

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzParseResolve feeds arbitrary bytes through Parse, Validate, Resolve of every stage and function,
// and Encode; none of them may panic, the merge always lets the command line's variables win, and what
// Encode writes must parse back to the same bytes.
func FuzzParseResolve(f *testing.F) {
	for _, s := range stagingExamples {
		f.Add([]byte(s), "dev")
	}
	f.Add([]byte(`{"app_name": "a", "stages": {"x": {"extends": "y"}, "y": {"extends": "x", "lambda_functions": {"f": {"lambda_timeout": null}}}}}`), "x")
	f.Add([]byte(`{"app_name": 1, "lambda_functions": [], "stages": {"dev": {"layers": "x", "tags": {"a": 1}, "api_gateway_custom_domain": 3}}}`), "dev")
	f.Add([]byte(`[{"a": "\u00e9\ud83d\ude00"}, -0.5e+3, true, null]`), "")
	f.Fuzz(func(t *testing.T, data []byte, stage string) {
		p, err := Parse("f.json", data)
		if err != nil {
			return
		}
		ds := p.Validate()
		for _, d := range ds {
			_ = d.String()
		}
		for _, st := range append(p.StageNames(), stage) {
			for _, fn := range p.FunctionNames(st) {
				s, err := p.Resolve(st, fn, Overrides{APIGatewayStage: "u", EnvironmentVariables: map[string]string{"K": "v"}})
				if err == nil {
					_ = s.FunctionName()
					if s.EnvironmentVariables["K"] != "v" {
						t.Fatalf("Resolve(%q, %q): K=%q, want the override v to win the merge", st, fn, s.EnvironmentVariables["K"])
					}
				} else if !ds.HasErrors() {
					t.Fatalf("Resolve(%q, %q) failed on a config Validate accepts: %v", st, fn, err)
				}
			}
		}
		out := p.Root.Encode()
		p2, err := Parse("f.json", out)
		if err != nil {
			t.Fatalf("Encode output does not parse: %v\n%s", err, out)
		}
		if string(p2.Root.Encode()) != string(out) {
			t.Fatalf("Encode is not stable")
		}
	})
}

// benchConfig builds a config with stages stages of vars variables each, extending a base stage.
func benchConfig(stages, vars int) []byte {
	var b strings.Builder
	b.WriteString(`{"version": "2.0", "app_name": "bench", "environment_variables": {`)
	for v := range vars {
		if v > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `"GLOBAL_%d": "value %d"`, v, v)
	}
	b.WriteString(`}, "stages": {`)
	for s := range stages {
		if s > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `"stage%d": {"api_gateway_stage": "s%d", "lambda_timeout": %d, "environment_variables": {`, s, s, 1+s%900)
		for v := range vars {
			if v > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, `"VAR_%d": "stage %d value %d"`, v, s, v)
		}
		b.WriteString("}")
		if s > 0 {
			b.WriteString(`, "extends": "stage0"`)
		}
		b.WriteString("}")
	}
	b.WriteString("}}\n")
	return []byte(b.String())
}

func TestBenchConfigIsValid(t *testing.T) {
	data := benchConfig(200, 50)
	checkSchema(t, data)
	p, err := Parse("bench.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if ds := p.Validate(); len(ds) != 0 {
		t.Fatalf("%s", diagList(ds))
	}
	s, err := p.Resolve("stage199", "", Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.EnvironmentVariables) != 100 || s.EnvironmentVariables["VAR_3"] != "stage 199 value 3" {
		t.Errorf("env has %d variables", len(s.EnvironmentVariables))
	}
}

// BenchmarkConfig200x50 measures a config with 200 stages x 50 variables: parse, validate, and a full
// resolve of every stage.
func BenchmarkConfig200x50(b *testing.B) {
	data := benchConfig(200, 50)
	p, err := Parse("bench.json", data)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := Parse("bench.json", data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("validate", func(b *testing.B) {
		for b.Loop() {
			if p.Validate().HasErrors() {
				b.Fatal("errors")
			}
		}
	})
	b.Run("resolve-all-stages", func(b *testing.B) {
		names := p.StageNames()
		for b.Loop() {
			for _, st := range names {
				if _, err := p.Resolve(st, "", Overrides{}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("parse-validate-resolve", func(b *testing.B) {
		for b.Loop() {
			q, err := Parse("bench.json", data)
			if err != nil {
				b.Fatal(err)
			}
			q.Validate()
			for _, st := range q.StageNames() {
				q.Resolve(st, "", Overrides{})
			}
		}
	})
}
