package config

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestParseSyntaxErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"{\n  \"a\": 1,\n}", "config.json:3:1: expected a property name after ',', found '}' (trailing commas are not JSON)"},
		{"{'a': 1}", "config.json:1:2: expected a property name in double quotes, found '\\''"},
		{`{"a" 1}`, `config.json:1:6: expected ':' after property name "a", found '1'`},
		{`{"a": 1 "b": 2}`, "config.json:1:9: expected ',' or '}' after a property value, found '\"'"},
		{`{"a": [1 2]}`, "config.json:1:10: expected ',' or ']' after a list item, found '2'"},
		{`{"a": tru}`, "config.json:1:7: expected a value (object, list, string, number, true, false or null), found 't'"},
		{`{"a": 01}`, "config.json:1:7: numbers cannot have leading zeros"},
		{`{"a": "x`, "config.json:1:7: expected '\"' to close the string, found end of file"},
		{`{} {}`, "config.json:1:4: expected end of file after the top-level value, found '{'"},
		{``, "config.json:1:1: expected a value, found end of file"},
		{`{"a": NaN}`, "config.json:1:7: expected a value (object, list, string, number, true, false or null), found 'N'"},
		{"{\"a\": \"\\q\"}", `config.json:1:8: invalid escape '\q' in string`},
	}
	for _, tt := range tests {
		_, err := Parse("config.json", []byte(tt.src))
		var se *SyntaxError
		if !errors.As(err, &se) || err.Error() != tt.want {
			t.Errorf("Parse(%q) = %v\nwant %s", tt.src, err, tt.want)
		}
	}
}

func TestParseKeepsEverything(t *testing.T) {
	src := "{\n  \"zeta\": {\"x\": [1, 2.50, -3e2]},\n  \"app_name\": \"a\",\n  \"unknown\": null,\n  \"esc\": \"\\u00e9\\n\\\"\",\n  \"version\": 2.0\n}\n"
	p := mustParseNoSchema(t, src)
	want := "{\n  \"zeta\": {\n    \"x\": [\n      1,\n      2.50,\n      -3e2\n    ]\n  },\n  \"app_name\": \"a\",\n  \"unknown\": null,\n  \"esc\": \"é\\n\\\"\",\n  \"version\": 2.0\n}\n"
	if got := string(p.Root.Encode()); got != want {
		t.Errorf("round trip:\n%s\nwant\n%s", got, want)
	}
}

func mustParseNoSchema(t *testing.T, src string) *Project {
	t.Helper()
	p, err := Parse("config.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type wantDiag struct {
	sev  Severity
	path string
	pos  string // line:col
	msg  string // substring
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name          string
		src           string
		want          []wantDiag
		schemaRejects bool
	}{
		{"version too new", `{"app_name": "a", "version": "3.0"}`,
			[]wantDiag{{SeverityError, "version", "1:30", `unknown version "3.0": must be a number no greater than 2.0`}}, true},
		{"version not a number", `{"app_name": "a", "version": "two"}`,
			[]wantDiag{{SeverityError, "version", "1:30", `unknown version "two"`}}, true},
		{"app name", `{"app_name": "my app"}`,
			[]wantDiag{{SeverityError, "app_name", "1:14", `app_name "my app" must be letters, digits, '-' or '_' only`}}, true},
		{"missing app name", `{"version": "2.0"}`,
			[]wantDiag{{SeverityError, "app_name", "1:1", "app_name is missing"}}, false},
		{"stage name", `{"app_name": "a", "stages": {"my stage": {}}}`,
			[]wantDiag{{SeverityError, "stages.my stage", "1:30", `stage name "my stage" must be 1 to 128 letters`}}, true},
		{"api gateway stage", `{"app_name": "a", "stages": {"dev": {"api_gateway_stage": "a/b"}}}`,
			[]wantDiag{{SeverityError, "stages.dev.api_gateway_stage", "1:59", `API Gateway stage "a/b" must be`}}, true},
		{"function name too long", `{"app_name": "` + strings.Repeat("x", 60) + `", "stages": {"prod": {}}}`,
			[]wantDiag{{SeverityError, "stages.prod", "1:97", "is 65 characters; Lambda allows 64"}}, false},
		{"reserved and bad env names, non-string value", `{"app_name": "a", "stages": {"prod": {"environment_variables": {"AWS_REGION": "x", "1BAD": "y", "N": 3}}}}`,
			[]wantDiag{
				{SeverityError, "stages.prod.environment_variables.AWS_REGION", "1:65", "AWS_REGION is reserved by Lambda"},
				{SeverityError, "stages.prod.environment_variables.1BAD", "1:84", `variable name "1BAD" must start with a letter`},
				{SeverityWarning, "stages.prod.environment_variables.N", "1:97", "at least 2 characters"},
				{SeverityError, "stages.prod.environment_variables.N", "1:102", "environment variable values must be strings, not a number"},
			}, true},
		{"4 KB of variables", `{"app_name": "a", "environment_variables": {"BIG": "` + strings.Repeat("v", 3000) + `"}, "stages": {"dev": {"environment_variables": {"MORE": "` + strings.Repeat("w", 1200) + `"}}}}`,
			[]wantDiag{{SeverityError, "stages.dev.environment_variables", "1:3075", "take 4207 bytes; Lambda allows 4096"}}, false},
		{"ranges", `{"app_name": "a", "lambda_memory_size": 64, "lambda_timeout": 901, "reserved_concurrency": -1, "minimum_compression_size": 10485761}`,
			[]wantDiag{
				{SeverityError, "lambda_memory_size", "1:41", "must be between 128 and 10240, not 64"},
				{SeverityError, "lambda_timeout", "1:63", "must be between 1 and 900, not 901"},
				{SeverityError, "reserved_concurrency", "1:92", "must be 0 or more, not -1"},
				{SeverityError, "minimum_compression_size", "1:124", "must be between 0 and 10485760, not 10485761"},
			}, true},
		{"types", `{"app_name": "a", "lambda_timeout": "60", "xray": "yes", "layers": ["ok", 1], "tags": {"t": false}}`,
			[]wantDiag{
				{SeverityError, "lambda_timeout", "1:37", "must be a whole number, not a string"},
				{SeverityError, "xray", "1:51", "must be true or false, not a string"},
				{SeverityError, "layers[1]", "1:75", "must be a string, not a number"},
				{SeverityError, "tags.t", "1:93", "tag values must be strings, not a boolean"},
			}, true},
		{"endpoint type", `{"app_name": "a", "api_gateway_endpoint_type": "PUBLIC"}`,
			[]wantDiag{{SeverityError, "api_gateway_endpoint_type", "1:48", `"PUBLIC" is not one of "EDGE", "REGIONAL" or "PRIVATE"`}}, true},
		{"vpce without PRIVATE", `{"app_name": "a", "stages": {"dev": {"api_gateway_endpoint_vpce": "vpce-1"}}}`,
			[]wantDiag{{SeverityError, "stages.dev.api_gateway_endpoint_vpce", "1:67", "should only be specified for PRIVATE"}}, false},
		{"PRIVATE without policy", `{"app_name": "a", "api_gateway_endpoint_type": "PRIVATE"}`,
			[]wantDiag{{SeverityError, "api_gateway_endpoint_type", "1:48", "private endpoints require api_gateway_policy_file or api_gateway_endpoint_vpce"}}, false},
		{"vpce and policy file", `{"app_name": "a", "api_gateway_endpoint_type": "PRIVATE", "api_gateway_endpoint_vpce": ["v"], "api_gateway_policy_file": "p.json"}`,
			[]wantDiag{{SeverityError, "api_gateway_endpoint_vpce", "1:88", "can only specify one of api_gateway_policy_file and api_gateway_endpoint_vpce"}}, false},
		{"manage_iam_role without arn", `{"app_name": "a", "stages": {"dev": {"lambda_functions": {"worker": {"manage_iam_role": false}}}}}`,
			[]wantDiag{{SeverityError, "stages.dev.lambda_functions.worker.manage_iam_role", "1:89", "when manage_iam_role is false, you must provide an iam_role_arn (stage dev, function worker)"}}, false},
		{"VPC half configured", `{"app_name": "a", "subnet_ids": ["s"]}`,
			[]wantDiag{{SeverityError, "subnet_ids", "1:33", "subnet_ids and security_group_ids must be given together"}}, false},
		{"typo", `{"app_name": "a", "lambda_timout": 5}`,
			[]wantDiag{{SeverityWarning, "lambda_timout", "1:19", `unknown key, ignored; did you mean "lambda_timeout"?`}}, false},
		{"unknown key", `{"app_name": "a", "team_owner": "x"}`,
			[]wantDiag{{SeverityWarning, "team_owner", "1:19", "unknown key, ignored by Chalice and cws"}}, false},
		{"stage-varying key in a function", `{"app_name": "a", "lambda_functions": {"api_handler": {"api_gateway_stage": "x"}}}`,
			[]wantDiag{{SeverityWarning, "lambda_functions.api_handler.api_gateway_stage", "1:56", "is not read here and is ignored; it varies by stage only"}}, false},
		{"top-level function env (our divergence)", `{"app_name": "a", "lambda_functions": {"api_handler": {"environment_variables": {"A1": "x"}}}}`,
			[]wantDiag{{SeverityWarning, "lambda_functions.api_handler.environment_variables", "1:56", "Chalice ignores top-level lambda_functions.<fn>.environment_variables; cws applies it"}}, false},
		{"extends cycle and missing parent", `{"app_name": "a", "stages": {"x": {"extends": "y"}, "y": {"extends": "x"}, "z": {"extends": "nope"}, "s": {"extends": "s"}}}`,
			[]wantDiag{
				{SeverityError, "stages.x.extends", "1:47", "cycle: x -> y -> x"},
				{SeverityError, "stages.y.extends", "1:70", "cycle: y -> x -> y"},
				{SeverityError, "stages.z.extends", "1:93", `stage "z" extends "nope", which is not defined`},
				{SeverityError, "stages.s.extends", "1:119", "a stage cannot extend itself"},
			}, false},
		{"not an object", `[1]`, []wantDiag{{SeverityError, "", "1:1", "the file must hold a JSON object, not a list"}}, true},
		// Chalice's own rule is float(version) <= 2.0, with Python's float: surrounding blanks, underscores
		// between digits, nan and -inf pass; hex floats and inf do not. (The JSON Schema, an editor's aid,
		// keeps to plain version numbers.)
		{"version with blanks", `{"app_name": "a", "version": " 1.0 "}`, nil, false},
		{"version nan", `{"app_name": "a", "version": "nan"}`, nil, true},
		{"version hex float", `{"app_name": "a", "version": "0x1p0"}`,
			[]wantDiag{{SeverityError, "version", "1:30", `unknown version "0x1p0": must be a number no greater than 2.0 (Chalice: Unknown version '0x1p0' in config.json)`}}, true},
		{"version with underscores", `{"app_name": "a", "version": "1_0"}`,
			[]wantDiag{{SeverityError, "version", "1:30", `unknown version "1_0"`}}, true},
		{"version inf", `{"app_name": "a", "version": "inf"}`,
			[]wantDiag{{SeverityError, "version", "1:30", `unknown version "inf"`}}, true},
		{"version true", `{"app_name": "a", "version": true}`,
			[]wantDiag{{SeverityWarning, "version", "1:30", `Chalice reads true as version 1.0; write "2.0"`}}, true},
		{"float compression size", `{"app_name": "a", "minimum_compression_size": 1024.0}`,
			[]wantDiag{{SeverityError, "minimum_compression_size", "1:47", `must be a whole number written without a decimal point or exponent, not 1024.0 (Chalice: 'minimum_compression_size' must be an int.)`}}, false},
		{"float timeout", `{"app_name": "a", "lambda_timeout": 6e1}`,
			[]wantDiag{{SeverityError, "lambda_timeout", "1:37", `not 6e1: Python's json, and so Chalice, reads it as a float`}}, false},
		{"duplicate keys", "{\"app_name\": \"a\",\n \"stages\": {\"dev\": {\"lambda_timeout\": 3, \"lambda_timeout\": 4}},\n \"app_name\": \"b\"}",
			[]wantDiag{
				{SeverityError, "stages.dev.lambda_timeout", "2:42", `duplicate key "lambda_timeout" (also at 2:21): Python's json, and so Chalice, keeps the last one silently; remove one`},
				{SeverityError, "app_name", "3:2", `duplicate key "app_name" (also at 1:2)`},
			}, false},
		{"the aws-chalice tag", `{"app_name": "a", "tags": {"aws-chalice": "mine"}}`,
			[]wantDiag{{SeverityWarning, "tags.aws-chalice", "1:28", "the aws-chalice tag is the deployer's: Chalice replaces it with version=...:stage=...:app=..., cws does not deploy it; remove it"}}, false},
		{"NUL in a value", `{"app_name": "a", "environment_variables": {"KEY": "a\u0000b", "ESC": "\u001b[31m"}}`,
			[]wantDiag{
				{SeverityError, "environment_variables.KEY", "1:52", "a NUL character cannot be passed to a process"},
				{SeverityWarning, "environment_variables.ESC", "1:71", `control character U+001B in the value "\x1b[31m"`},
			}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParseNoSchema(t, tt.src)
			got := p.Validate()
			if len(got) != len(tt.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(tt.want), diagList(got))
			}
			for i, w := range tt.want {
				g := got[i]
				pos := strings.TrimPrefix(g.Pos.String(), "config.json:")
				if g.Severity != w.sev || g.Path != w.path || pos != w.pos || !strings.Contains(g.Message, w.msg) {
					t.Errorf("diagnostic %d = %s (%v)\nwant %s %s: %s: ...%s...", i, g, g.Severity, w.pos, w.path, w.sev, w.msg)
				}
			}
			if err := schemaError(t, []byte(tt.src)); (err != nil) != tt.schemaRejects {
				t.Errorf("schema rejects = %v (%v), want %v", err != nil, err, tt.schemaRejects)
			}
		})
	}
}

func diagList(ds Diagnostics) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String() + "\n")
	}
	return b.String()
}

func TestValidateReportsEverythingAtOnce(t *testing.T) {
	p := mustParseNoSchema(t, `{"app_name": "bad name", "version": 9, "lambda_timeout": 0, "stages": {"a b": {"lambda_memory_size": 1}}, "lambda_timout": 1}`)
	ds := p.Validate()
	if len(ds.Errors()) != 5 || len(ds.Warnings()) != 1 {
		t.Fatalf("want 5 errors and 1 warning, got:\n%s", diagList(ds))
	}
}

// TestValidateChecksEffectiveValuesDespiteOtherErrors: the rules on a stage's merged values (4 KB of
// variables, function-name length, Chalice's pairings) run even when the file has other errors, with the
// ill-typed values left out as if absent.
func TestValidateChecksEffectiveValuesDespiteOtherErrors(t *testing.T) {
	src := `{"app_name": "a", "lambda_timeout": "60", "manage_iam_role": "no",
 "environment_variables": {"BIG": "` + strings.Repeat("v", 4100) + `", "N": 1},
 "stages": {"dev": {"subnet_ids": ["s"], "layers": 3}, "loop": {"extends": "loop"}}}`
	ds := mustParseNoSchema(t, src).Validate()
	want := []string{
		"lambda_timeout: must be a whole number, not a string",
		"manage_iam_role: must be true or false, not a string",
		"environment_variables.N: environment variable values must be strings, not a number",
		"stages.dev.layers: must be a list of strings, not a number",
		"stages.loop.extends: a stage cannot extend itself",
		"stages.dev.environment_variables: the merged variables of function api_handler take 4103 bytes; Lambda allows 4096",
		"stages.dev.subnet_ids: invalid VPC params for function api_handler in stage dev",
	}
	got := diagList(ds)
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
	if strings.Contains(got, "manage_iam_role is false") {
		t.Errorf("an ill-typed manage_iam_role must count as absent (true), not false:\n%s", got)
	}
}

// TestDiagnosticsPrintKeysAndValuesEscaped: a key or value holding terminal escape sequences cannot
// recolour or rewrite the terminal of whoever reads the diagnostics.
func TestDiagnosticsPrintKeysAndValuesEscaped(t *testing.T) {
	ds := mustParseNoSchema(t, `{"app_name": "a", "\u001b[2J\u001b[31mevil\u009b": 1, "stages": {"x\u0007": {}}}`).Validate()
	for _, d := range ds {
		s := d.String()
		if strings.ContainsAny(s, "\x1b\x07\u009b") {
			t.Errorf("raw control character in %q", s)
		}
	}
	got := diagList(ds)
	for _, w := range []string{`\x1b[2J\x1b[31mevil\u009b: unknown key`, `stages.x\a: stage name "x\a" must be`} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain":              "plain",
		"é ok\ttab":          "é ok\\ttab",
		"\x1b[31m":           "\\x1b[31m",
		"a\nb":               "a\\nb",
		"\u009b\u202e":       "\\u009b\\u202e",
		"bad \xff byte":      "bad \\xff byte",
		`back\slash "quote"`: `back\slash "quote"`,
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStagingPageExamplesValid(t *testing.T) {
	for _, src := range stagingExamples {
		p := mustParse(t, src)
		if ds := p.Validate(); len(ds) != 0 {
			t.Errorf("unexpected diagnostics:\n%s", diagList(ds))
		}
	}
}

// The three config.json examples of the CoWorks staging page (specs/coworks-staging.rst).
var stagingExamples = []string{
	`{"version": "2.0", "app_name": "example", "stages": {"dev": {"api_gateway_stage": "dev", "environment_variables": {"test": "test environment variable"}}}}`,
	`{"version": "2.0", "app_name": "example", "stages": {"dev": {"api_gateway_stage": "dev", "environment_variables": {"test": "test environment variable"}}, "prod": {"api_gateway_stage": "prod", "environment_variables": {"test": "prod variable"}}}}`,
	`{"version": "2.0", "app_name": "example", "environment_variables": {"global": "same variable for any stage"}, "stages": {"dev": {"api_gateway_stage": "dev", "environment_variables": {"test": "test environment variable"}}, "prod": {"api_gateway_stage": "prod", "environment_variables": {"test": "prod variable"}}}}`,
}

// The name rules are hand-written for speed; they must accept exactly what the documented patterns
// (also in docs/config.schema.json) accept.
func TestNameRulesMatchTheirPatterns(t *testing.T) {
	stageRE := regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	appRE := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	envRE := regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	names := []string{"", "a", "A", "z", "Z", "0", "9", "_", "-", "dev", "prod-1", "my_app", "a b", "a.b", "a/b",
		"dev\n", "\ndev", "é", "aé", "AWS_REGION", "1x", "x1", "_X", "-x", "x-y", "a\x00", "@", "[", "`", "{", ":",
		strings.Repeat("s", 128), strings.Repeat("s", 129), strings.Repeat("s", 300)}
	for c := 0; c < 256; c++ {
		names = append(names, string(rune(c)), "a"+string([]byte{byte(c)}), string([]byte{byte(c)})+"a")
	}
	for _, n := range names {
		if got, want := ValidStageName(n), stageRE.MatchString(n); got != want {
			t.Errorf("ValidStageName(%q) = %v, pattern says %v", n, got, want)
		}
		if got, want := ValidAppName(n), appRE.MatchString(n); got != want {
			t.Errorf("ValidAppName(%q) = %v, pattern says %v", n, got, want)
		}
		if got, want := validEnvName(n), envRE.MatchString(n); got != want {
			t.Errorf("validEnvName(%q) = %v, pattern says %v", n, got, want)
		}
	}
}
