// Package tfgen generates the Terraform of a stage: an API root owning a REST API defined by an OpenAPI body
// whose integrations pick the function through the cws_stage stage variable, and a stage root per stage with
// the function, its role and log group, the permission, the deployment and the API Gateway stage. Generation
// is a pure function of its Input (no I/O) written with hclwrite; the same input gives the same bytes.
package tfgen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/coworks-go/coworks/internal/openapi"
)

// ProviderVersion is the version constraint on hashicorp/aws.
const ProviderVersion = "~> 6.25"

// RequiredVersion is the Terraform version constraint (use_lockfile on S3 needs 1.10).
const RequiredVersion = ">= 1.10"

// StageVariable is the API Gateway stage variable holding the cws stage name; the integration URI names the
// function "{app_name}-${stageVariables.cws_stage}", so one API serves every stage's function.
const StageVariable = "cws_stage"

// ZipName is the file name of the deployment package inside a stage root.
const ZipName = "deployment.zip"

// OpenAPIName is the file name of the OpenAPI body inside an API root.
const OpenAPIName = "openapi.json"

// The placeholders of the OpenAPI body that the API root replaces at plan time with the values of the AWS
// account it runs in, so the generated files need no AWS call.
const (
	PartitionPlaceholder = "{aws_partition}"
	RegionPlaceholder    = "{aws_region}"
	AccountPlaceholder   = "{aws_account_id}"
)

// APIRootDir is the directory (relative to the output directory) of the API root owned by stage owner.
func APIRootDir(owner string) string { return "api-" + owner }

// StageRootDir is the directory (relative to the output directory) of the root of stage.
func StageRootDir(stage string) string { return "stage-" + stage }

// Output is the generated Terraform of one stage.
type Output struct {
	// APIRoot is the directory of the API root the stage uses ("api-dev"); empty when the stage attaches to an
	// API by id. OwnsAPI tells whether Files hold that root (the stage owns its API).
	APIRoot string
	OwnsAPI bool
	// StageRoot is the directory of the stage root ("stage-dev").
	StageRoot string
	// Files maps slash-separated paths, relative to the output directory, to their content.
	Files map[string][]byte
	// Assets maps paths (relative to the output directory) to files on disk to copy there: the zip.
	Assets map[string]string
	// Resources counts the Terraform resources of each root, keyed by root directory.
	Resources map[string]int
}

// Generate returns the Terraform roots of in.Stage: the stage root, and the API root when the stage owns its
// API (in.RestAPI zero, or naming the stage itself). It fails with every problem of the input at once.
func Generate(in Input) (Output, error) {
	if in.RestAPI.Stage == in.Stage {
		in.RestAPI.Stage = "" // sharing one's own API is owning it
	}
	if err := in.validate(); err != nil {
		return Output{}, err
	}
	// A stage sharing another stage's API does not shape it: only an owner (or a stage attached by id, for
	// its redeployment trigger) needs the document.
	var body []byte
	if in.RestAPI.Stage == "" {
		var err error
		if body, err = APIDocument(in); err != nil {
			return Output{}, fmt.Errorf("tfgen: stage %q: %w", in.Stage, err)
		}
	}
	out := Output{StageRoot: StageRootDir(in.Stage), Files: map[string][]byte{}, Assets: map[string]string{}, Resources: map[string]int{}}
	switch {
	case in.RestAPI.ID != "":
	case in.RestAPI.Stage != "":
		out.APIRoot = APIRootDir(in.RestAPI.Stage)
	default:
		out.APIRoot, out.OwnsAPI = APIRootDir(in.Stage), true
		files, n, err := apiRoot(in, body)
		if err != nil {
			return Output{}, fmt.Errorf("tfgen: stage %q: %w", in.Stage, err)
		}
		for name, data := range files {
			out.Files[out.APIRoot+"/"+name] = data
		}
		out.Resources[out.APIRoot] = n
	}
	sum := sha256.Sum256(body)
	files, n := stageRoot(in, out.APIRoot, hex.EncodeToString(sum[:])) // the hash is used only without an API root
	for name, data := range files {
		out.Files[out.StageRoot+"/"+name] = data
	}
	out.Resources[out.StageRoot] = n
	out.Assets[out.StageRoot+"/"+ZipName] = in.Artifact.ZipPath
	return out, nil
}

// APIDocument returns the OpenAPI body of the REST API of in, exactly as the API root holds it in openapi.json:
// integrations and authorizer invoke "{app_name}-${stageVariables.cws_stage}", with the partition, region and
// account written as PartitionPlaceholder, RegionPlaceholder and AccountPlaceholder.
func APIDocument(in Input) ([]byte, error) {
	fn := fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s-${stageVariables.%s}", PartitionPlaceholder, RegionPlaceholder, AccountPlaceholder, in.AppName, StageVariable)
	return openapi.Generate(openapi.Spec{
		Title:            in.AppName,
		Routes:           in.Routes,
		BinaryMediaTypes: in.API.BinaryMediaTypes,
		Authorizer:       in.Authorizer,
		IntegrationURI:   openapi.LambdaIntegrationURI(PartitionPlaceholder, RegionPlaceholder, fn),
	})
}

// cwsTag is the value of the "cws" tag on everything a stage creates.
func cwsTag(in Input) string { return fmt.Sprintf("app=%s:stage=%s", in.AppName, in.Stage) }

// settings writes the terraform block (versions, backend) and the provider of a root whose state is named
// state ("api-dev", "stage-dev").
func settings(body *hclwrite.Body, in Input, state string) {
	tf := body.AppendNewBlock("terraform", nil).Body()
	tf.SetAttributeValue("required_version", str(RequiredVersion))
	rp := tf.AppendNewBlock("required_providers", nil).Body()
	rp.SetAttributeRaw("aws", objectTokens(map[string]hclwrite.Tokens{
		"source":  hclwrite.TokensForValue(str("hashicorp/aws")),
		"version": hclwrite.TokensForValue(str(ProviderVersion)),
	}))
	if in.Backend.Type != "" {
		tf.AppendNewline()
		b := tf.AppendNewBlock("backend", []string{in.Backend.Type}).Body()
		for _, k := range slices.Sorted(maps.Keys(in.Backend.config(in.AppName, state))) {
			b.SetAttributeValue(k, in.Backend.config(in.AppName, state)[k])
		}
	}
	body.AppendNewline()
	p := body.AppendNewBlock("provider", []string{"aws"}).Body()
	if in.Region != "" {
		p.SetAttributeValue("region", str(in.Region))
	} else {
		comment(p, "The region comes from the AWS environment (AWS_REGION, AWS_DEFAULT_REGION or the profile).")
	}
	body.AppendNewline()
	for i, ds := range []string{"aws_caller_identity", "aws_partition", "aws_region"} {
		if i > 0 {
			body.AppendNewline()
		}
		body.AppendNewBlock("data", []string{ds, "current"})
	}
}
