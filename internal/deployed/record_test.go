package deployed

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// chaliceProd is the record of spec §4.1 (a fake deploy of a 3-function app, stage prod, api_gateway_stage
// v1) written out as Chalice writes it: json.dumps(indent=2, separators=(',', ': ')) + "\n".
const chaliceProd = `{
  "resources": [
    {
      "name": "default-role",
      "resource_type": "iam_role",
      "role_arn": "arn:aws:iam::123456789012:role/demo-prod",
      "role_name": "demo-prod"
    },
    {
      "name": "worker",
      "resource_type": "lambda_function",
      "lambda_arn": "arn:aws:lambda:us-west-2:123456789012:function:demo-prod-worker"
    },
    {
      "name": "hourly",
      "resource_type": "lambda_function",
      "lambda_arn": "arn:aws:lambda:us-west-2:123456789012:function:demo-prod-hourly"
    },
    {
      "name": "hourly-event",
      "resource_type": "cloudwatch_event",
      "rule_name": "demo-prod-hourly-event"
    },
    {
      "name": "api_handler",
      "resource_type": "lambda_function",
      "lambda_arn": "arn:aws:lambda:us-west-2:123456789012:function:demo-prod"
    },
    {
      "name": "rest_api",
      "resource_type": "rest_api",
      "rest_api_id": "abc123",
      "rest_api_url": "https://abc123.execute-api.us-west-2.amazonaws.com/v1/"
    }
  ],
  "schema_version": "2.0",
  "backend": "api"
}
`

const chaliceEmpty = `{
  "resources": [],
  "schema_version": "2.0",
  "backend": "api"
}
`

func TestMarshalMatchesChaliceBytes(t *testing.T) {
	rec := Empty()
	rec.Put(IAMRole("default-role", "arn:aws:iam::123456789012:role/demo-prod", "demo-prod"))
	rec.Put(LambdaFunction("worker", "arn:aws:lambda:us-west-2:123456789012:function:demo-prod-worker"))
	rec.Put(LambdaFunction("hourly", "arn:aws:lambda:us-west-2:123456789012:function:demo-prod-hourly"))
	ev := Resource{Name: "hourly-event", Type: "cloudwatch_event"}
	ev.Set("rule_name", "demo-prod-hourly-event")
	rec.Put(ev)
	rec.Put(LambdaFunction("api_handler", "arn:aws:lambda:us-west-2:123456789012:function:demo-prod"))
	rec.Put(RestAPI("abc123", "https://abc123.execute-api.us-west-2.amazonaws.com/v1/"))
	got, err := rec.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != chaliceProd {
		t.Errorf("record bytes differ from Chalice's:\n got:\n%s\nwant:\n%s", got, chaliceProd)
	}
	empty, _ := Empty().Marshal()
	if string(empty) != chaliceEmpty {
		t.Errorf("empty record = %q, want %q", empty, chaliceEmpty)
	}
}

func TestRoundTripKeepsUnknownFieldsAndOrder(t *testing.T) {
	// A domain_name resource (nested list of objects), a field order that is not ours, an unknown field,
	// an unknown top-level key, and non-ASCII text that Python writes as \u escapes.
	in := `{
  "resources": [
    {
      "name": "api_gateway_custom_domain",
      "resource_type": "domain_name",
      "hosted_zone_id": "Z2FDTNDATAQYW2",
      "alias_domain_name": "d1.cloudfront.net",
      "certificate_arn": "arn:aws:acm:us-east-1:1:certificate/x",
      "security_policy": "TLS_1_2",
      "domain_name": "api.example.com",
      "api_mapping": [
        {
          "key": "/"
        }
      ],
      "future_field": {
        "n": 1.50,
        "empty": {},
        "list": [],
        "note": "caf\u00e9 \ud83d\ude00 <tag> & \"q\""
      }
    },
    {
      "name": "rest_api",
      "resource_type": "rest_api",
      "rest_api_url": "https://x.execute-api.us-west-2.amazonaws.com/api/",
      "rest_api_id": "x"
    }
  ],
  "schema_version": "2.0",
  "backend": "api",
  "written_by": "someone else"
}
`
	rec, err := Parse("dev.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := rec.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("round trip changed the record:\n got:\n%s\nwant:\n%s", out, in)
	}
	id, url, ok := rec.RestAPI()
	if !ok || id != "x" || url != "https://x.execute-api.us-west-2.amazonaws.com/api/" {
		t.Errorf("RestAPI() = %q %q %v", id, url, ok)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, data, want string
	}{
		{"old schema", `{"resources": [], "schema_version": "1.0"}`, "Unsupported schema version (1.0) in file: p/dev.json"},
		{"absent schema", `{"resources": []}`, "Unsupported schema version (1.0) in file: p/dev.json"},
		{"numeric schema", `{"resources": [], "schema_version": 2.0}`, "Unsupported schema version (2.0) in file: p/dev.json"},
		{"bad json", "{\n  \"resources\": [,]\n}", "p/dev.json:2:17: invalid character ',' looking for beginning of value"},
		{"truncated", "{\n  \"resources\": [", "p/dev.json:2:17: unexpected end of JSON input"},
		{"not an object", `[]`, "p/dev.json:1:1: expected a JSON object"},
		{"resource without type", "{\"resources\": [\n  {\"name\": \"x\"}], \"schema_version\": \"2.0\"}", `p/dev.json:2:3: resource needs "name" and "resource_type" (resources[0])`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("p/dev.json", []byte(c.data))
			if err == nil || err.Error() != c.want {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	_, err := Parse("p/dev.json", []byte(`{"resources": [], "schema_version": "3.0"}`))
	var sv *SchemaVersionError
	if !errors.As(err, &sv) || sv.Version != "3.0" {
		t.Errorf("want *SchemaVersionError, got %v", err)
	}
}

func TestLoadSaveList(t *testing.T) {
	dir := t.TempDir()
	rec, err := Load(dir, "dev", "demo")
	if err != nil || rec.IsDeployed() {
		t.Fatalf("missing record: %v %+v", err, rec)
	}
	if _, err := rec.URL("dev"); err == nil || err.Error() != "Could not find a record of a Rest API in chalice stage: 'dev'" {
		t.Errorf("URL error = %v", err)
	}
	rec.Put(LambdaFunction(APIHandlerName, "arn:aws:lambda:us-east-1:000000000000:function:demo-dev"))
	rec.Put(RestAPI("abcdefghij", "http://127.0.0.1:8000/api/"))
	if err := Save(dir, "dev", rec); err != nil {
		t.Fatal(err)
	}
	if err := Save(dir, "prod", Empty()); err != nil {
		t.Fatal(err)
	}
	if err := SaveMeta(dir, "dev", &Meta{Target: "local"}); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir, "dev", "demo")
	if err != nil {
		t.Fatal(err)
	}
	if arn, ok := got.LambdaARN(APIHandlerName); !ok || arn != "arn:aws:lambda:us-east-1:000000000000:function:demo-dev" {
		t.Errorf("LambdaARN = %q %v", arn, ok)
	}
	if url, err := got.URL("dev"); err != nil || url != "http://127.0.0.1:8000/api/" {
		t.Errorf("URL = %q %v", url, err)
	}
	stages, err := List(dir)
	if err != nil || strings.Join(stages, ",") != "dev,prod" {
		t.Errorf("List = %v %v (the metadata sidecar must not be listed)", stages, err)
	}
	m, err := LoadMeta(dir, "dev")
	if err != nil || m == nil || m.Target != "local" {
		t.Errorf("LoadMeta = %+v %v", m, err)
	}
}

func TestLegacyMigration(t *testing.T) {
	dir := t.TempDir()
	legacy := `{
  "dev": {
    "api_handler_arn": "arn:aws:lambda:us-west-2:1:function:demo-dev",
    "rest_api_id": "old123",
    "lambda_functions": {
      "demo-dev-auth": {"type": "authorizer", "arn": "arn:aws:lambda:us-west-2:1:function:demo-dev-auth"},
      "demo-dev-worker": {"type": "pure_lambda", "arn": "arn:aws:lambda:us-west-2:1:function:demo-dev-worker"}
    }
  },
  "old": {
    "api_handler_arn": "arn:h", "rest_api_id": "r0", "lambda_functions": {"demo-old-auth": "arn:a"}
  }
}`
	os.MkdirAll(filepath.Join(dir, ".chalice"), 0o755)
	os.WriteFile(LegacyPath(dir), []byte(legacy), 0o644)

	rec, err := Load(dir, "dev", "demo")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := rec.Marshal()
	want := `{
  "resources": [
    {
      "name": "auth",
      "resource_type": "lambda_function",
      "lambda_arn": "arn:aws:lambda:us-west-2:1:function:demo-dev-auth"
    },
    {
      "name": "worker",
      "resource_type": "lambda_function",
      "lambda_arn": "arn:aws:lambda:us-west-2:1:function:demo-dev-worker"
    },
    {
      "name": "api_handler",
      "resource_type": "lambda_function",
      "lambda_arn": "arn:aws:lambda:us-west-2:1:function:demo-dev"
    },
    {
      "name": "rest_api",
      "resource_type": "rest_api",
      "rest_api_id": "old123"
    }
  ],
  "schema_version": "2.0",
  "backend": "api"
}
`
	if string(got) != want || !rec.Legacy {
		t.Errorf("migrated record:\n%s\nwant:\n%s", got, want)
	}
	if _, err := rec.URL("dev"); err == nil {
		t.Error("a legacy record has no URL; URL must fail")
	}
	old, err := Load(dir, "old", "demo")
	if err != nil {
		t.Fatal(err)
	}
	if arn, _ := old.LambdaARN("auth"); arn != "arn:a" {
		t.Errorf("0.10 format: auth ARN = %q", arn)
	}
	if none, err := Load(dir, "prod", "demo"); err != nil || none.IsDeployed() {
		t.Errorf("stage absent from legacy file: %+v %v", none, err)
	}
	// A real record wins over the legacy file.
	Save(dir, "dev", Empty())
	if rec, _ := Load(dir, "dev", "demo"); rec.IsDeployed() {
		t.Error("the stage's own record must shadow the legacy file")
	}
	stages, _ := List(dir)
	if strings.Join(stages, ",") != "dev,old" {
		t.Errorf("List with legacy = %v", stages)
	}
}
