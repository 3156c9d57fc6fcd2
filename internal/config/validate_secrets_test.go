package config

import (
	"strings"
	"testing"
)

func TestValidateWithSecretsCountsThemAndRefusesShadowedVariables(t *testing.T) {
	src := "{\"app_name\": \"a\",\n \"environment_variables\": {\"BIG\": \"" + strings.Repeat("v", 3000) + "\"},\n" +
		" \"stages\": {\"dev\": {\"environment_variables\": {\"DB_PASSWORD\": \"plain\"}}, \"prod\": {}}}"
	p := mustParseNoSchema(t, src)
	if ds := p.Validate(); ds.HasErrors() {
		t.Fatalf("without secrets: %v", ds)
	}
	ds := p.ValidateWithSecrets(StageSecrets{
		"dev":  {"DB_PASSWORD": 10},
		"prod": {"TOKEN": 1200},
	})
	var got []string
	for _, d := range ds.Errors() {
		got = append(got, d.String())
	}
	want := []string{
		"config.json:3:62: stages.dev.environment_variables.DB_PASSWORD: DB_PASSWORD is also a secret of stage dev; remove the variable, or the secret (cws secret rm DB_PASSWORD --stage dev)",
		"config.json:3:81: stages.prod.environment_variables: the merged variables of function api_handler and the local secret of stage prod take 4208 bytes; Lambda allows 4096 (4 KB)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
