package tfgen

import (
	"fmt"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// functionFile returns function.tf of a stage root: the role (when managed) and its inline policy, the log
// group, the function publishing a version per deploy, the stage's alias, and the permissions of API
// Gateway to invoke that alias. It returns the number of resources.
func functionFile(in Input, tags map[string]string) ([]byte, int) {
	fnName := in.AppName + "-" + in.Stage
	f := hclwrite.NewEmptyFile()
	fb := f.Body()
	header(fb, "The function of stage "+in.Stage+", its logs, its alias and who may invoke it.")
	n := 0
	role := "local.role_arn"
	if in.Function.ManageIAMRole {
		n += managedRole(fb, in, fnName, tags)
		role = "aws_iam_role.function.arn"
	}

	lg := fb.AppendNewBlock("resource", []string{"aws_cloudwatch_log_group", "function"}).Body()
	n++
	lg.SetAttributeValue("name", str("/aws/lambda/"+fnName))
	retention := DefaultLogRetentionInDays
	if in.Function.LogRetentionInDays != nil {
		retention = *in.Function.LogRetentionInDays
	}
	lg.SetAttributeValue("retention_in_days", num(retention))
	lg.SetAttributeValue("tags", strMap(tags))
	fb.AppendNewline()

	function(fb, in, fnName, role, tags)
	n++
	fb.AppendNewline()

	comment(fb, "API Gateway invokes this alias. Every deploy publishes a version and moves the alias to it;",
		"set alias_version to serve an earlier published version without a rebuild.")
	al := fb.AppendNewBlock("resource", []string{"aws_lambda_alias", "stage"}).Body()
	n++
	al.SetAttributeValue("name", str(AliasName))
	al.SetAttributeValue("description", str("The version stage "+in.Stage+" serves (cws)."))
	al.SetAttributeRaw("function_name", ref("aws_lambda_function.function.function_name"))
	al.SetAttributeRaw("function_version", call("coalesce", ref("var.alias_version"), ref("aws_lambda_function.function.version")))

	for _, p := range permissions(in) {
		fb.AppendNewline()
		pb := fb.AppendNewBlock("resource", []string{"aws_lambda_permission", p.name}).Body()
		n++
		pb.SetAttributeValue("statement_id", str(p.statement))
		pb.SetAttributeValue("action", str("lambda:InvokeFunction"))
		pb.SetAttributeRaw("function_name", ref("aws_lambda_function.function.function_name"))
		pb.SetAttributeRaw("qualifier", ref("aws_lambda_alias.stage.name"))
		pb.SetAttributeValue("principal", str("apigateway.amazonaws.com"))
		pb.SetAttributeRaw("source_arn", tmpl(ref("local.execution_arn"), p.suffix))
	}
	return formatted(f), n
}

// managedRole writes the function's role, its inline policy and the policy reading the stage's secrets; it
// returns the number of resources.
func managedRole(fb *hclwrite.Body, in Input, fnName string, tags map[string]string) int {
	rb := fb.AppendNewBlock("resource", []string{"aws_iam_role", "function"}).Body()
	rb.SetAttributeValue("name", str(fnName))
	assume := cty.ObjectVal(map[string]cty.Value{
		"Version": str("2012-10-17"),
		"Statement": cty.TupleVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
			"Effect":    str("Allow"),
			"Action":    str("sts:AssumeRole"),
			"Principal": cty.ObjectVal(map[string]cty.Value{"Service": str("lambda.amazonaws.com")}),
		})}),
	})
	rb.SetAttributeRaw("assume_role_policy", call("jsonencode", hclwrite.TokensForValue(assume)))
	rb.SetAttributeValue("tags", strMap(tags))
	fb.AppendNewline()

	// No AWS managed policy: AWSLambdaBasicExecutionRole (and the VPC one) may write every log group of the
	// account. The function may write its own log group's streams, and nothing else unless the config asks.
	statement := func(sid string, actions []string, resource hclwrite.Tokens) hclwrite.Tokens {
		return objectTokens(map[string]hclwrite.Tokens{
			"Sid":      hclwrite.TokensForValue(str(sid)),
			"Effect":   hclwrite.TokensForValue(str("Allow")),
			"Action":   hclwrite.TokensForValue(strList(actions)),
			"Resource": resource,
		})
	}
	statements := []hclwrite.Tokens{
		statement("OwnLogGroup", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, tmpl(ref("aws_cloudwatch_log_group.function.arn"), ":*")),
	}
	if len(in.Function.SubnetIDs) > 0 {
		// Lambda manages the function's network interfaces in the VPC; EC2 scopes none of these by resource.
		statements = append(statements, statement("VPCNetworkInterfaces", []string{
			"ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
			"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:UnassignPrivateIpAddresses",
		}, hclwrite.TokensForValue(str("*"))))
	}
	if in.Function.XRay {
		statements = append(statements, statement("XRayTraces", []string{"xray:PutTelemetryRecords", "xray:PutTraceSegments"}, hclwrite.TokensForValue(str("*"))))
	}
	pb := fb.AppendNewBlock("resource", []string{"aws_iam_role_policy", "function"}).Body()
	pb.SetAttributeValue("name", str(fnName))
	pb.SetAttributeRaw("role", ref("aws_iam_role.function.id"))
	pb.SetAttributeRaw("policy", call("jsonencode", objectTokens(map[string]hclwrite.Tokens{
		"Version":   hclwrite.TokensForValue(str("2012-10-17")),
		"Statement": hclwrite.TokensForTuple(statements),
	})))
	fb.AppendNewline()
	n := 2
	if in.Function.Policy != "" {
		policy, err := jsonDocument(in.Function.Policy)
		if err == nil { // validated with the input
			comment(fb, "iam_policy_file (autogen_policy is false).")
			cb := fb.AppendNewBlock("resource", []string{"aws_iam_role_policy", "config"}).Body()
			cb.SetAttributeValue("name", str(fnName+"-config"))
			cb.SetAttributeRaw("role", ref("aws_iam_role.function.id"))
			cb.SetAttributeRaw("policy", policy)
			fb.AppendNewline()
			n++
		}
	}
	secretsPolicy(fb, in)
	return n + 1
}

// function writes the Lambda function.
func function(fb *hclwrite.Body, in Input, fnName, role string, tags map[string]string) {
	f := in.Function
	b := fb.AppendNewBlock("resource", []string{"aws_lambda_function", "function"}).Body()
	b.SetAttributeValue("function_name", str(fnName))
	b.SetAttributeValue("description", str(versionDescription(in)))
	b.SetAttributeRaw("role", ref(role))
	b.SetAttributeValue("runtime", str("provided.al2023"))
	b.SetAttributeValue("handler", str("bootstrap"))
	arch := f.Architecture
	if arch == "" {
		arch = "arm64"
	}
	b.SetAttributeValue("architectures", strList([]string{arch}))
	b.SetAttributeRaw("filename", tmpl(ref("path.module"), "/"+ZipName))
	b.SetAttributeValue("source_code_hash", str(in.Artifact.SHA256))
	// Every change publishes a version; Lambda keeps the published versions, so an earlier one can be
	// served again (alias_version) without a rebuild.
	b.SetAttributeValue("publish", cty.True)
	if f.MemorySize > 0 {
		b.SetAttributeValue("memory_size", num(f.MemorySize))
	}
	if f.Timeout > 0 {
		b.SetAttributeValue("timeout", num(f.Timeout))
	}
	if f.ReservedConcurrency != nil {
		b.SetAttributeValue("reserved_concurrent_executions", num(*f.ReservedConcurrency))
	}
	if len(f.Layers) > 0 {
		b.SetAttributeValue("layers", strList(f.Layers))
	}
	b.SetAttributeValue("tags", strMap(tags))
	if env := functionEnvironment(in); len(env) > 0 {
		b.AppendNewline()
		b.AppendNewBlock("environment", nil).Body().SetAttributeValue("variables", strMap(env))
	}
	if len(f.SubnetIDs) > 0 {
		b.AppendNewline()
		vb := b.AppendNewBlock("vpc_config", nil).Body()
		vb.SetAttributeValue("subnet_ids", strList(f.SubnetIDs))
		vb.SetAttributeValue("security_group_ids", strList(f.SecurityGroupIDs))
	}
	if f.XRay {
		b.AppendNewline()
		b.AppendNewBlock("tracing_config", nil).Body().SetAttributeValue("mode", str("Active"))
	}
	// Create the log group (with its retention), the right to write to it and the right to read the stage's
	// secrets (at the first cold start) before the function runs.
	deps := []hclwrite.Tokens{ref("aws_cloudwatch_log_group.function")}
	if f.ManageIAMRole {
		deps = append(deps, ref("aws_iam_role_policy.function"), ref("aws_iam_role_policy."+secretsPolicyName))
	}
	b.AppendNewline()
	b.SetAttributeRaw("depends_on", hclwrite.TokensForTuple(deps))
}

// versionDescription is the description of the function, which each published version keeps: what was
// deployed, so that a version can be told from another without downloading it.
func versionDescription(in Input) string {
	commit := in.Artifact.Commit
	if commit == "" {
		commit = "unknown"
	}
	return fmt.Sprintf("cws %s stage %s: artifact sha256 %s, commit %s", in.AppName, in.Stage, in.Artifact.SHA256, commit)
}

// permission lets API Gateway invoke the stage's alias from this stage (and as the authorizer).
type permission struct{ name, statement, suffix string }

func permissions(in Input) []permission {
	ps := []permission{{"api", "cws-api-gateway", "/" + in.APIGatewayStage + "/*"}}
	// A stage on another stage's API cannot know whether that API has an authorizer (the owner's app decides):
	// allowing it to invoke the function costs nothing when there is none.
	if in.Authorizer || in.RestAPI != (RestAPIRef{}) {
		ps = append(ps, permission{"authorizer", "cws-api-gateway-authorizer", "/authorizers/*"})
	}
	return ps
}
