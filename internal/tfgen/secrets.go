package tfgen

import (
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/coworks-go/coworks/secrets"
)

// The stage's secrets are SSM SecureStrings under secrets.Path(app, stage), written by `cws secret set`
// through the AWS SDK: their values never appear in the generated files, plans or state. The stage root only
// tells the function where they are (CWS_SECRETS_PATH, read by the coworks/secrets package at cold start)
// and lets its role read that path and nothing else.

// secretsPolicyName is the name of the role policy granting the read.
const secretsPolicyName = "secrets"

// functionEnvironment is the function's environment: the stage's variables plus CWS_SECRETS_PATH when cws
// manages the role (and so grants the read). A CWS_SECRETS_PATH of the config's wins: "" turns the loading
// off, and with iam_role_arn it is how a user whose role has the rights turns it on.
func functionEnvironment(in Input) map[string]string {
	env := maps.Clone(in.Function.Environment)
	if !in.Function.ManageIAMRole {
		return env
	}
	if _, set := env[secrets.PathVariable]; !set {
		if env == nil {
			env = map[string]string{}
		}
		env[secrets.PathVariable] = secrets.Path(in.AppName, in.Stage)
	}
	return env
}

// secretsPolicy writes the role policy that lets the function read its own stage's parameters, and decrypt
// them with KMS only through SSM and only for those parameters (the account's default alias/aws/ssm key, or
// any key whose key policy allows the account). The decrypt grant names no key: the default key exists only
// once a SecureString was first written in the region, and a plan must not depend on that; the conditions
// kms:ViaService and kms:EncryptionContext:PARAMETER_ARN (the parameter's ARN, which SSM passes to KMS)
// confine it instead.
func secretsPolicy(fb *hclwrite.Body, in Input) {
	path := strings.TrimSuffix(secrets.Path(in.AppName, in.Stage), "/")
	comment(fb, "The function reads its stage's secrets (SSM parameters under "+path+"/, set with cws secret set) at",
		"each cold start; CWS_SECRETS_PATH tells it where. Their values never pass through Terraform.")
	arn := func(service string, rest ...any) hclwrite.Tokens {
		return tmpl(append([]any{"arn:", ref("data.aws_partition.current.partition"), ":" + service + ":", ref("var.region"),
			":", ref("data.aws_caller_identity.current.account_id"), ":"}, rest...)...)
	}
	fb.AppendNewBlock("locals", nil).Body().SetAttributeRaw("secrets_path_arn", arn("ssm", "parameter"+path))
	fb.AppendNewline()
	under := tmpl(ref("local.secrets_path_arn"), "/*")
	read := statement(map[string]hclwrite.Tokens{
		"Sid":      hclwrite.TokensForValue(str("ReadTheStageSecrets")),
		"Effect":   hclwrite.TokensForValue(str("Allow")),
		"Action":   hclwrite.TokensForValue(strList([]string{"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"})),
		"Resource": hclwrite.TokensForTuple([]hclwrite.Tokens{ref("local.secrets_path_arn"), under}),
	})
	decrypt := statement(map[string]hclwrite.Tokens{
		"Sid":      hclwrite.TokensForValue(str("DecryptThemThroughSSM")),
		"Effect":   hclwrite.TokensForValue(str("Allow")),
		"Action":   hclwrite.TokensForValue(str("kms:Decrypt")),
		"Resource": arn("kms", "key/*"),
		"Condition": statement(map[string]hclwrite.Tokens{
			"StringEquals": statement(map[string]hclwrite.Tokens{
				"kms:ViaService": tmpl("ssm.", ref("var.region"), ".", ref("data.aws_partition.current.dns_suffix")),
			}),
			"StringLike": statement(map[string]hclwrite.Tokens{
				"kms:EncryptionContext:PARAMETER_ARN": under,
			}),
		}),
	})
	policy := statement(map[string]hclwrite.Tokens{
		"Version":   hclwrite.TokensForValue(str("2012-10-17")),
		"Statement": hclwrite.TokensForTuple([]hclwrite.Tokens{read, decrypt}),
	})
	pb := fb.AppendNewBlock("resource", []string{"aws_iam_role_policy", secretsPolicyName}).Body()
	pb.SetAttributeValue("name", str("cws-secrets"))
	pb.SetAttributeRaw("role", ref("aws_iam_role.function.id"))
	pb.SetAttributeRaw("policy", call("jsonencode", policy))
	fb.AppendNewline()
}

// statement writes an object with keys in a fixed order (Sid, Effect, Action, Resource, Condition first, as
// IAM documents write them, then the rest sorted), quoting keys that are not identifiers.
func statement(m map[string]hclwrite.Tokens) hclwrite.Tokens {
	order := []string{"Version", "Statement", "Sid", "Effect", "Action", "Resource", "Condition"}
	keys := []string{}
	for _, k := range order {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(order, k) {
			keys = append(keys, k)
		}
	}
	attrs := make([]hclwrite.ObjectAttrTokens, len(keys))
	for i, k := range keys {
		name := hclwrite.TokensForIdentifier(k)
		if strings.ContainsAny(k, ":-./") {
			name = hclwrite.TokensForValue(cty.StringVal(k))
		}
		attrs[i] = hclwrite.ObjectAttrTokens{Name: name, Value: m[k]}
	}
	return hclwrite.TokensForObject(attrs)
}
