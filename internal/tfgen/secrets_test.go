package tfgen

import (
	"strings"
	"testing"
)

func TestTheFunctionIsToldWhereItsSecretsAreAndMayReadThemOnly(t *testing.T) {
	fn := func(in Input) string {
		t.Helper()
		out, err := Generate(in)
		if err != nil {
			t.Fatal(err)
		}
		return string(out.Files["stage-"+in.Stage+"/function.tf"])
	}
	managed := fn(baseInput("dev"))
	for _, want := range []string{
		`CWS_SECRETS_PATH = "/cws/simple/dev/"`,
		`resource "aws_iam_role_policy" "secrets"`,
		`:parameter/cws/simple/dev"`,
		`Resource = [local.secrets_path_arn, "${local.secrets_path_arn}/*"]`,
		`"kms:ViaService" = "ssm.${var.region}.${data.aws_partition.current.dns_suffix}"`,
		`"kms:EncryptionContext:PARAMETER_ARN" = "${local.secrets_path_arn}/*"`,
		`aws_iam_role_policy.secrets]`,
	} {
		if !strings.Contains(managed, want) {
			t.Errorf("function.tf lacks %s:\n%s", want, managed)
		}
	}

	off := baseInput("dev")
	off.Function.Environment = map[string]string{"CWS_SECRETS_PATH": ""}
	if got := fn(off); !strings.Contains(got, `CWS_SECRETS_PATH = ""`) {
		t.Errorf("the config's CWS_SECRETS_PATH does not win:\n%s", got)
	}

	own := baseInput("dev")
	own.Function.ManageIAMRole = false
	own.Function.IAMRoleARN = "arn:aws:iam::123456789012:role/own"
	if got := fn(own); strings.Contains(got, "CWS_SECRETS_PATH") || strings.Contains(got, "secrets") {
		t.Errorf("with iam_role_arn, cws cannot grant the read, so must not point the function at its secrets:\n%s", got)
	}
}
