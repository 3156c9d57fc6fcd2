package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/spf13/cobra"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/openapi"
	"github.com/coworks-go/coworks/internal/safefile"
	"github.com/coworks-go/coworks/internal/stage"
	"github.com/coworks-go/coworks/internal/terraform"
	"github.com/coworks-go/coworks/internal/tfgen"
)

// newExportCommand groups the commands writing what a deploy would apply, without deploying.
func newExportCommand(env *Env, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write what a terraform deploy would apply, without deploying: Terraform roots or the OpenAPI document",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newExportTerraformCommand(env, g), newExportOpenAPICommand(env, g))
	return cmd
}

type exportTerraformOptions struct {
	restAPIID string
	out       string
}

func newExportTerraformCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &exportTerraformOptions{}
	cmd := &cobra.Command{
		Use:   "terraform --stage S --out DIR",
		Short: "Build the stage and write its Terraform roots (and its API root when it owns its API) with the zip under DIR",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExportTerraform(cmd.Context(), env, g, o)
		},
	}
	cmd.Flags().StringVar(&o.restAPIID, "rest-api-id", "", "share the REST API of this stage, or of this API id, instead of owning one")
	cmd.Flags().StringVar(&o.restAPIID, "rest_api_id", "", "same as --rest-api-id (the CoWorks spelling)")
	_ = cmd.Flags().MarkHidden("rest_api_id")
	cmd.Flags().StringVar(&o.out, "out", "", "directory to write the roots to (required)")
	return cmd
}

// exportAPIRef reads a --rest-api-id value: a stage of the config names that stage's API root, anything
// else is the id of an API managed elsewhere.
func exportAPIRef(p *config.Project, value string) tfgen.RestAPIRef {
	switch {
	case value == "":
		return tfgen.RestAPIRef{}
	case p.HasStage(value):
		return tfgen.RestAPIRef{Stage: value}
	}
	return tfgen.RestAPIRef{ID: value}
}

func runExportTerraform(ctx context.Context, env *Env, g *globalOptions, o *exportTerraformOptions) error {
	env, done := liveProgress(env, false)
	defer done()
	if o.out == "" {
		return withTry(errors.New("--out is required: the directory to write the Terraform roots to"), "cws export terraform --stage "+g.stage+" --out infra")
	}
	dir, p, s, err := resolveStage(env, g, "")
	if err != nil {
		return err
	}
	ref := exportAPIRef(p, o.restAPIID)
	art, err := buildStage(ctx, dir, s, false, env.Err)
	if err != nil {
		return err
	}
	commit, _ := stage.CurrentCommit(dir) // "" outside a git repository: the commit is informative
	in, err := terraform.InputFor(terraform.Source{
		Stage: s, ProjectDir: dir, Region: s.AWSRegion, RestAPI: ref, ZipPath: art.ZipPath, SHA256: art.SHA256,
		Commit: commit, Routes: art.Routes, BinaryMediaTypes: slices.Clone(binaryMediaTypes),
	})
	if err != nil {
		return err
	}
	out, err := tfgen.Generate(in)
	if err != nil {
		return withTry(err, "fix the stage's settings, then: cws stage show --stage "+s.StageName)
	}
	wd, err := env.Getwd()
	if err != nil {
		return fmt.Errorf("find the working directory: %w", err)
	}
	outDir := o.out
	if !filepath.IsAbs(outDir) {
		outDir = filepath.Join(wd, outDir)
	}
	if err := terraform.WriteRoots(outDir, out.Files, out.Assets); err != nil {
		return err
	}
	for _, note := range terraform.Unsupported(s) {
		fmt.Fprintf(env.Err, "Note: %s\n", note)
	}

	var written []string
	for name := range out.Files {
		written = append(written, name)
	}
	for name := range out.Assets {
		written = append(written, name)
	}
	sort.Strings(written)
	fmt.Fprintf(env.Out, "Wrote the Terraform of stage %s (app %s) to %s:\n", s.StageName, s.AppName, o.out)
	for _, name := range written {
		fmt.Fprintf(env.Out, "  %s\n", filepath.Join(o.out, filepath.FromSlash(name)))
	}
	stageRoot := filepath.Join(o.out, out.StageRoot)
	fmt.Fprintln(env.Out, "Next:")
	switch {
	case out.OwnsAPI:
		fmt.Fprintf(env.Out, "  (cd %s && terraform init && terraform apply)\n", filepath.Join(o.out, out.APIRoot))
	case ref.Stage != "":
		fmt.Fprintf(env.Out, "  %s reads the REST API from the state of %s: export and apply stage %s there first:\n", out.StageRoot, out.APIRoot, ref.Stage)
		fmt.Fprintf(env.Out, "  cws export terraform --stage %s --out %s\n", ref.Stage, o.out)
		fmt.Fprintf(env.Out, "  (cd %s && terraform init && terraform apply)\n", filepath.Join(o.out, out.APIRoot))
	}
	fmt.Fprintf(env.Out, "  (cd %s && terraform init && terraform apply)\n", stageRoot)
	if s.AWSRegion == "" {
		fmt.Fprintln(env.Out, "aws_region is not set: terraform asks for the region at apply time (or pass -var region=eu-west-1, or export TF_VAR_region).")
	}
	return nil
}

type exportOpenAPIOptions struct {
	out     string
	region  string
	account string
}

func newExportOpenAPICommand(env *Env, g *globalOptions) *cobra.Command {
	o := &exportOpenAPIOptions{}
	cmd := &cobra.Command{
		Use:   "openapi --stage S [--out FILE]",
		Short: "Build the stage and write the OpenAPI document of its REST API (stdout without --out)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExportOpenAPI(cmd.Context(), env, g, o)
		},
	}
	cmd.Flags().StringVar(&o.out, "out", "", "file to write the document to (default: stdout)")
	cmd.Flags().StringVar(&o.region, "region", "", "AWS region replacing {aws_region} and {aws_partition} (default: the stage's aws_region)")
	cmd.Flags().StringVar(&o.account, "account-id", "", "AWS account id replacing {aws_account_id}")
	return cmd
}

func runExportOpenAPI(ctx context.Context, env *Env, g *globalOptions, o *exportOpenAPIOptions) error {
	env, done := liveProgress(env, false)
	defer done()
	dir, _, s, err := resolveStage(env, g, "")
	if err != nil {
		return err
	}
	art, err := buildStage(ctx, dir, s, true, env.Err) // the document needs the routes, not the zip
	if err != nil {
		return err
	}
	in, err := terraform.InputFor(terraform.Source{Stage: s, ProjectDir: dir, Routes: art.Routes, BinaryMediaTypes: slices.Clone(binaryMediaTypes)})
	if err != nil {
		return err
	}
	doc, err := tfgen.APIDocument(in)
	if err != nil {
		return err
	}
	region := o.region
	if region == "" {
		region = s.AWSRegion
	}
	var pairs []string
	if region != "" {
		pairs = append(pairs, tfgen.RegionPlaceholder, region, tfgen.PartitionPlaceholder, openapi.Partition(region))
	}
	if o.account != "" {
		pairs = append(pairs, tfgen.AccountPlaceholder, o.account)
	}
	doc = []byte(strings.NewReplacer(pairs...).Replace(string(doc)))
	if err := exportValidateOpenAPI(ctx, doc); err != nil {
		return err
	}
	var left []string
	for _, ph := range []string{tfgen.PartitionPlaceholder, tfgen.RegionPlaceholder, tfgen.AccountPlaceholder} {
		if strings.Contains(string(doc), ph) {
			left = append(left, ph)
		}
	}
	if len(left) > 0 {
		fmt.Fprintf(env.Err, "Note: the integration URIs name the function with the placeholders %s; replace them before importing the document "+
			"into API Gateway (--region and --account-id do), or let the API root of `cws export terraform` fill them in at plan time.\n",
			strings.Join(left, ", "))
	}
	if o.out == "" {
		_, err := env.Out.Write(doc)
		return err
	}
	path := o.out
	if !filepath.IsAbs(path) {
		wd, err := env.Getwd()
		if err != nil {
			return fmt.Errorf("find the working directory: %w", err)
		}
		path = filepath.Join(wd, path)
	}
	if err := safefile.Write(path, doc, 0o644); err != nil {
		return fmt.Errorf("write the OpenAPI document: %w", err)
	}
	fmt.Fprintf(env.Out, "Wrote the OpenAPI document of stage %s (%d routes) to %s\n", s.StageName, len(art.Routes), o.out)
	return nil
}

// exportValidateOpenAPI loads and validates doc as OpenAPI 3, as API Gateway's import would start by doing.
func exportValidateOpenAPI(ctx context.Context, doc []byte) error {
	loader := openapi3.NewLoader()
	d, err := loader.LoadFromData(doc)
	if err == nil {
		err = d.Validate(ctx, openapi3.DisableExamplesValidation())
	}
	if err != nil {
		return fmt.Errorf("the generated OpenAPI document is not valid (a cws bug: please report it): %w", err)
	}
	return nil
}
