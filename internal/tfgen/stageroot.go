package tfgen

import (
	"fmt"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// stageTags are the tags of what a stage creates: the merged tags and the "cws" tag naming app and stage.
func stageTags(in Input) map[string]string {
	tags := map[string]string{}
	for k, v := range in.Function.Tags {
		tags[k] = v
	}
	tags["cws"] = cwsTag(in)
	return tags
}

// stageRoot returns the files of the stage root of in and its number of resources. apiRoot is the directory of
// the API root to read through terraform_remote_state, or empty when the stage attaches to in.RestAPI.ID, in
// which case bodySHA256 (of the document cws would generate) triggers redeployments.
func stageRoot(in Input, apiRoot, bodySHA256 string) (map[string][]byte, int) {
	tags := stageTags(in)

	main := hclwrite.NewEmptyFile()
	mb := main.Body()
	header(mb, fmt.Sprintf("Stage root of %s, stage %s: terraform settings, provider, the REST API it serves on.", in.AppName, in.Stage))
	settings(mb, in, StageRootDir(in.Stage))
	mb.AppendNewline()
	v := mb.AppendNewBlock("variable", []string{"alias_version"}).Body()
	v.SetAttributeValue("description", str("A published version of the function for the stage to serve instead of the one this apply publishes (null: the latest)."))
	v.SetAttributeRaw("type", ref("string"))
	v.SetAttributeRaw("default", hclwrite.TokensForValue(cty.NullVal(cty.String)))
	mb.AppendNewline()
	locals := hclwrite.NewBlock("locals", nil)
	lb := locals.Body()
	if apiRoot != "" {
		comment(mb, "The REST API, from the state of its API root: apply that root first.")
		rs := mb.AppendNewBlock("data", []string{"terraform_remote_state", "api"}).Body()
		if in.Backend.Type == "" {
			rs.SetAttributeValue("backend", str("local"))
			rs.SetAttributeRaw("config", objectTokens(map[string]hclwrite.Tokens{
				"path": tmpl(ref("path.module"), "/../"+apiRoot+"/terraform.tfstate"),
			}))
		} else {
			rs.SetAttributeValue("backend", str(in.Backend.Type))
			rs.SetAttributeValue("config", cty.ObjectVal(in.Backend.config(in.AppName, apiRoot)))
		}
		mb.AppendNewline()
		lb.SetAttributeRaw("rest_api_id", ref("data.terraform_remote_state.api.outputs.rest_api_id"))
		lb.SetAttributeRaw("execution_arn", ref("data.terraform_remote_state.api.outputs.execution_arn"))
		lb.SetAttributeRaw("api_deployment_sha256", ref("data.terraform_remote_state.api.outputs.deployment_sha256"))
	} else {
		comment(mb, "The REST API is managed elsewhere; cws only adds this stage to it.")
		lb.SetAttributeValue("rest_api_id", str(in.RestAPI.ID))
		lb.SetAttributeRaw("execution_arn", tmpl("arn:", ref("data.aws_partition.current.partition"), ":execute-api:",
			ref("var.region"), ":", ref("data.aws_caller_identity.current.account_id"), ":"+in.RestAPI.ID))
		lb.SetAttributeValue("api_deployment_sha256", str(bodySHA256))
	}
	if !in.Function.ManageIAMRole {
		lb.SetAttributeValue("role_arn", str(in.Function.IAMRoleARN))
	}
	mb.AppendBlock(locals)

	fn, resources := functionFile(in, tags)

	st := hclwrite.NewEmptyFile()
	sb := st.Body()
	header(sb, "The API Gateway stage of stage "+in.Stage+" and the deployment it serves.")
	comment(sb, "A deployment per stage, replaced when what a deployment snapshots changes; then the stage points at it.")
	db := sb.AppendNewBlock("resource", []string{"aws_api_gateway_deployment", "stage"}).Body()
	resources++
	db.SetAttributeRaw("rest_api_id", ref("local.rest_api_id"))
	db.SetAttributeValue("description", str(fmt.Sprintf("cws %s stage %s", in.AppName, in.Stage)))
	db.SetAttributeRaw("triggers", objectTokens(map[string]hclwrite.Tokens{"api": ref("local.api_deployment_sha256")}))
	db.AppendNewline()
	db.AppendNewBlock("lifecycle", nil).Body().SetAttributeValue("create_before_destroy", cty.True)
	sb.AppendNewline()
	sg := sb.AppendNewBlock("resource", []string{"aws_api_gateway_stage", "stage"}).Body()
	resources++
	sg.SetAttributeRaw("rest_api_id", ref("local.rest_api_id"))
	sg.SetAttributeRaw("deployment_id", ref("aws_api_gateway_deployment.stage.id"))
	sg.SetAttributeValue("stage_name", str(in.APIGatewayStage))
	sg.SetAttributeValue("variables", strMap(map[string]string{StageVariable: in.Stage, AliasVariable: AliasName}))
	if in.Function.XRay {
		sg.SetAttributeValue("xray_tracing_enabled", cty.True)
	}
	sg.SetAttributeValue("tags", strMap(tags))
	// The stage must not serve before its alias may be invoked.
	deps := []hclwrite.Tokens{}
	for _, p := range permissions(in) {
		deps = append(deps, ref("aws_lambda_permission."+p.name))
	}
	sg.SetAttributeRaw("depends_on", hclwrite.TokensForTuple(deps))

	outs := hclwrite.NewEmptyFile()
	ob := outs.Body()
	header(ob, "Outputs: cws reads them into .chalice/deployed/"+in.Stage+".json.")
	for i, o := range []struct {
		name, desc string
		value      hclwrite.Tokens
	}{
		{"function_name", "The Lambda function of the stage.", ref("aws_lambda_function.function.function_name")},
		{"function_arn", "The ARN of the Lambda function (unqualified).", ref("aws_lambda_function.function.arn")},
		{"alias_arn", "The ARN of the alias API Gateway invokes.", ref("aws_lambda_alias.stage.arn")},
		{"function_version", "The published version the stage serves (the alias's).", ref("aws_lambda_alias.stage.function_version")},
		{"latest_version", "The latest published version (what this root's code and settings published).", ref("aws_lambda_function.function.version")},
		{"rest_api_id", "The REST API serving the stage.", ref("local.rest_api_id")},
		{"api_gateway_stage", "The API Gateway stage name.", ref("aws_api_gateway_stage.stage.stage_name")},
		{"region", "The region of the stage.", ref("var.region")},
		{"rest_api_url", "The URL of the stage: https://{id}.execute-api.{region}.amazonaws.com/{api_gateway_stage}/.", tmpl(ref("aws_api_gateway_stage.stage.invoke_url"), "/")},
	} {
		if i > 0 {
			ob.AppendNewline()
		}
		output(ob, o.name, o.desc, o.value)
	}
	return map[string][]byte{
		"main.tf":     formatted(main),
		"function.tf": fn,
		"stage.tf":    formatted(st),
		"outputs.tf":  formatted(outs),
	}, resources
}
