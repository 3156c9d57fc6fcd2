package tfgen

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// config returns the settings of a backend for the state of root: the backend block of that root, and the
// config of a terraform_remote_state reading it. For s3, "key" becomes "{prefix}/{root}.tfstate".
func (b Backend) config(app, root string) map[string]cty.Value {
	cfg := map[string]cty.Value{}
	prefix := "cws/" + app
	for k, v := range b.Settings {
		if k == "key" {
			prefix, _ = v.(string)
			continue
		}
		c, err := jsonValue(v)
		if err != nil {
			continue // checked by ParseBackend; a value encoding/json cannot produce
		}
		cfg[k] = c
	}
	cfg["key"] = str(prefix + "/" + root + ".tfstate")
	if _, ok := cfg["use_lockfile"]; !ok {
		cfg["use_lockfile"] = cty.True
	}
	return cfg
}

// apiRoot returns the files of the API root and its number of resources.
func apiRoot(in Input, body []byte) (map[string][]byte, int, error) {
	main := hclwrite.NewEmptyFile()
	mb := main.Body()
	header(mb, fmt.Sprintf("API root of %s, owned by stage %s: terraform settings and provider.", in.AppName, in.Stage),
		"Stages attach to this API through their own roots; the API Gateway stage variables "+StageVariable+" and "+AliasVariable,
		"select the function and alias each stage invokes.")
	settings(mb, in, APIRootDir(in.Stage))

	api := hclwrite.NewEmptyFile()
	ab := api.Body()
	header(ab, "The REST API, defined by its OpenAPI body.")
	comment(ab, "The body, with this account's partition, region and id put in the integration URIs.")
	locals := ab.AppendNewBlock("locals", nil).Body()
	file := call("file", tmpl(ref("path.module"), "/"+OpenAPIName))
	for _, r := range []struct{ placeholder, value string }{
		{PartitionPlaceholder, "data.aws_partition.current.partition"},
		{RegionPlaceholder, "var.region"},
		{AccountPlaceholder, "data.aws_caller_identity.current.account_id"},
	} {
		file = call("replace", file, hclwrite.TokensForValue(str(r.placeholder)), ref(r.value))
	}
	locals.SetAttributeRaw("openapi", file)
	ab.AppendNewline()

	rb := ab.AppendNewBlock("resource", []string{"aws_api_gateway_rest_api", "api"}).Body()
	rb.SetAttributeValue("name", str(in.AppName))
	rb.SetAttributeValue("description", str(fmt.Sprintf("%s (cws, owned by stage %s)", in.AppName, in.Stage)))
	rb.SetAttributeRaw("body", ref("local.openapi"))
	if len(in.API.BinaryMediaTypes) > 0 {
		rb.SetAttributeValue("binary_media_types", strList(in.API.BinaryMediaTypes))
	}
	if in.API.MinimumCompressionSize != nil {
		// The provider types minimum_compression_size as a string since 5.0.
		rb.SetAttributeValue("minimum_compression_size", str(strconv.Itoa(*in.API.MinimumCompressionSize)))
	}
	if in.API.Policy != "" {
		policy, err := jsonDocument(in.API.Policy)
		if err != nil {
			return nil, 0, fmt.Errorf("api_gateway_policy: %w", err)
		}
		rb.SetAttributeRaw("policy", policy)
	}
	tags := stageTags(in)
	tags["cws"] = fmt.Sprintf("app=%s:api", in.AppName)
	rb.SetAttributeValue("tags", strMap(tags))
	rb.AppendNewline()
	ep := rb.AppendNewBlock("endpoint_configuration", nil).Body()
	typ := in.API.EndpointType
	if typ == "" {
		typ = "EDGE"
	}
	ep.SetAttributeValue("types", strList([]string{typ}))
	if len(in.API.VPCEndpointIDs) > 0 {
		ep.SetAttributeValue("vpc_endpoint_ids", strList(in.API.VPCEndpointIDs))
	}

	outs := hclwrite.NewEmptyFile()
	ob := outs.Body()
	header(ob, "Outputs, read by the stage roots through terraform_remote_state.")
	for i, o := range []struct{ name, value, desc string }{
		{"rest_api_id", "aws_api_gateway_rest_api.api.id", "The REST API id."},
		{"root_resource_id", "aws_api_gateway_rest_api.api.root_resource_id", "The id of the API's / resource."},
		{"execution_arn", "aws_api_gateway_rest_api.api.execution_arn", "The execution ARN, prefix of the ARNs allowed to invoke functions."},
		{"region", "var.region", "The region of the API."},
	} {
		if i > 0 {
			ob.AppendNewline()
		}
		output(ob, o.name, o.desc, ref(o.value))
	}
	ob.AppendNewline()
	// API Gateway serves what a deployment snapshotted: the routes and integrations of the body, and the
	// API's resource policy, binary media types and compression, which it takes only on a new deployment.
	served := map[string]hclwrite.Tokens{}
	for _, a := range []string{"body", "policy", "binary_media_types", "minimum_compression_size"} {
		served[a] = ref("aws_api_gateway_rest_api.api." + a)
	}
	output(ob, "deployment_sha256", "SHA-256 of what a deployment snapshots (body, resource policy, binary media types, compression): stage roots redeploy when it changes.",
		call("sha256", call("jsonencode", objectTokens(served))))

	return map[string][]byte{
		"main.tf":    formatted(main),
		"api.tf":     formatted(api),
		"outputs.tf": formatted(outs),
		OpenAPIName:  body,
	}, 1, nil
}

// jsonDocument returns the tokens of jsonencode({...}) for a JSON document (a policy), objects with sorted
// keys, so the generated HCL is the same for the same document however it is laid out.
func jsonDocument(text string) (hclwrite.Tokens, error) {
	var doc any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	v, err := jsonValue(doc)
	if err != nil {
		return nil, err
	}
	return call("jsonencode", hclwrite.TokensForValue(v)), nil
}

// output appends an output block.
func output(body *hclwrite.Body, name, description string, value hclwrite.Tokens) {
	ob := body.AppendNewBlock("output", []string{name}).Body()
	ob.SetAttributeValue("description", str(description))
	ob.SetAttributeRaw("value", value)
}
