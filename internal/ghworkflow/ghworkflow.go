// Package ghworkflow generates the GitHub Actions workflow of a stage per branch: a push to a branch deploys
// stage @branch to AWS with the Terraform target, the pull request of the branch gets a comment with the
// stage's URL, deleting the branch deletes the stage, and a published release (or a manual run) promotes
// the tested stage's artifact to the protected production stage. Generation is a pure function of Options (no I/O);
// the same options give the same bytes.
package ghworkflow

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"
)

// Path is where the workflow goes, relative to the repository's root.
const Path = ".github/workflows/cws-stages.yml"

// RoleVariable is the repository variable holding the ARN of the role the workflow assumes, unless
// Options.RoleARN names the role itself.
const RoleVariable = "CWS_AWS_ROLE_ARN"

// RegionVariable is the repository variable holding the region, unless Options.Region names it.
const RegionVariable = "AWS_REGION"

// TerraformVersion is the Terraform the workflow installs (the version cws is tested with).
const TerraformVersion = "1.11.4"

// Options shape the workflow.
type Options struct {
	// RoleARN is the IAM role the jobs assume through GitHub's OIDC provider; empty means the repository
	// variable RoleVariable.
	RoleARN string
	// Region is the AWS region; empty means the repository variable RegionVariable.
	Region string
	// ProjectDir is the project's directory relative to the repository's root, slash-separated; "" or "."
	// is the root.
	ProjectDir string
	// CwsVersion is the version of cws the jobs install (go install ...@CwsVersion): a release such as
	// "v1.2.0", or "latest".
	CwsVersion string
	// Production is the protected stage a release (or a manual run) promotes to; "" means "prod".
	Production string
	// PromoteFrom is the tested stage promoted from by default (a manual run may name another); "" means
	// "main", the stage of the main branch.
	PromoteFrom string
}

var (
	roleRE    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	versionRE = regexp.MustCompile(`^(latest|v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?)$`)
	dirRE     = regexp.MustCompile(`^[\w.-]+(/[\w.-]+)*$`)
	stageRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
)

// Generate returns the workflow. It fails, with every problem at once, on a role that is not an IAM role
// ARN, a region that is not one, a version go install cannot take, or a project directory outside the
// repository.
func Generate(o Options) ([]byte, error) {
	var problems []string
	if o.RoleARN != "" && !roleRE.MatchString(o.RoleARN) {
		problems = append(problems, fmt.Sprintf("role %q: want an IAM role ARN such as arn:aws:iam::123456789012:role/cws-deploy", o.RoleARN))
	}
	if o.Region != "" && !regionRE.MatchString(o.Region) {
		problems = append(problems, fmt.Sprintf("region %q: want an AWS region such as eu-west-1", o.Region))
	}
	if !versionRE.MatchString(o.CwsVersion) {
		problems = append(problems, fmt.Sprintf("cws version %q: want a release such as v1.2.0, or latest", o.CwsVersion))
	}
	dir := strings.TrimPrefix(strings.TrimSuffix(o.ProjectDir, "/"), "./")
	if dir == "." {
		dir = ""
	}
	if dir != "" && (!dirRE.MatchString(dir) || strings.Contains("/"+dir+"/", "/../")) {
		problems = append(problems, fmt.Sprintf("project directory %q: want a path inside the repository", o.ProjectDir))
	}
	if o.Production == "" {
		o.Production = "prod"
	}
	if o.PromoteFrom == "" {
		o.PromoteFrom = "main"
	}
	for _, st := range []string{o.Production, o.PromoteFrom} {
		if !stageRE.MatchString(st) {
			problems = append(problems, fmt.Sprintf("stage %q: use letters, digits, - and _", st))
		}
	}
	if o.Production == o.PromoteFrom {
		problems = append(problems, fmt.Sprintf("stage %q is both the production stage and the one promoted to it", o.Production))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("ghworkflow: %s", strings.Join(problems, "; "))
	}
	d := data{
		Role:       "${{ vars." + RoleVariable + " }}",
		Region:     "${{ vars." + RegionVariable + " }}",
		CwsVersion: o.CwsVersion,
		GoMod:      "go.mod",
		TF:         TerraformVersion,
		Production: o.Production,
		From:       o.PromoteFrom,
	}
	if o.RoleARN != "" {
		d.Role = o.RoleARN
	}
	if o.Region != "" {
		d.Region = o.Region
	}
	if dir != "" {
		d.Dir, d.GoMod = strconv.Quote(dir), strconv.Quote(dir+"/go.mod")
	}
	// The jobs, in order, each with the same setup steps.
	jobs := []string{"deploy", "delete", "promote"}
	var out bytes.Buffer
	if err := workflow.ExecuteTemplate(&out, "header", d); err != nil {
		return nil, err
	}
	for _, j := range jobs {
		out.WriteString("\n")
		if err := workflow.ExecuteTemplate(&out, j, d); err != nil {
			return nil, err
		}
	}
	return out.Bytes(), nil
}

// data is what the templates fill in; every value is already valid YAML where it goes.
type data struct {
	Role, Region, CwsVersion, GoMod, TF string
	// Production is the stage releases are promoted to, From the stage promoted from by default.
	Production, From string
	// Dir is the quoted project directory, "" at the repository's root.
	Dir string
}

var workflow = template.Must(template.New("workflow").Parse(`
{{- define "header" -}}
# Generated by cws ci github: a stage per branch on AWS, and releases promoted to production.
# A push to a branch deploys stage @branch (the branch's name made a stage name) with the Terraform target
# and comments its URL on the branch's pull request; deleting the branch deletes the stage; a published
# release (or a manual run) promotes what runs on the tested stage to the protected stage {{.Production}}.
# The jobs assume an IAM role through GitHub's OIDC provider; the stages' Terraform state must live in a
# remote backend (terraform_backend in .chalice/config.json), since a job's disk does not outlive it.
name: cws stages

on:
  push:
    branches: ["**"]
  pull_request:
    types: [opened, reopened]
  delete:
  release:
    types: [published]
  workflow_dispatch:
    inputs:
      from:
        description: "The tested stage whose artifact is promoted to {{.Production}}"
        required: true
        default: {{.From}}

permissions:
  contents: read
  id-token: write
  pull-requests: write
{{- if .Dir}}

defaults:
  run:
    working-directory: {{.Dir}}
{{- end}}

jobs:
{{- end}}

{{- define "setup"}}
      - uses: actions/setup-go@v5
        with:
          go-version-file: {{.GoMod}}
      - uses: hashicorp/setup-terraform@v3
        with:
          terraform_version: {{.TF}}
          terraform_wrapper: false
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: {{.Role}}
          aws-region: {{.Region}}
      - name: Install cws
        run: go install github.com/coworks-go/coworks/cmd/cws@{{.CwsVersion}}
{{- end}}

{{- define "deploy"}}  deploy:
    name: Deploy the branch's stage
    # A pull request from a fork gets no OIDC token for this repository's role.
    if: github.event_name == 'push' || (github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository)
    runs-on: ubuntu-latest
    concurrency:
      group: cws-stage-${{"{{"}} github.head_ref || github.ref_name {{"}}"}}
      cancel-in-progress: false
    steps:
      - uses: actions/checkout@v4
        with:
          # The branch itself, not a merge commit: --stage @branch names the stage after it.
          ref: ${{"{{"}} github.head_ref || github.ref_name {{"}}"}}
{{- template "setup" .}}
      - name: Deploy stage @branch
        id: deploy
        run: |
          cws deploy --stage @branch --target terraform --json > "$RUNNER_TEMP/deploy.json"
          echo "stage=$(jq -r .stage "$RUNNER_TEMP/deploy.json")" >> "$GITHUB_OUTPUT"
          echo "url=$(jq -r .rest_api_url "$RUNNER_TEMP/deploy.json")" >> "$GITHUB_OUTPUT"
      - name: Comment the stage's URL on the pull request
        uses: actions/github-script@v7
        env:
          STAGE: ${{"{{"}} steps.deploy.outputs.stage {{"}}"}}
          STAGE_URL: ${{"{{"}} steps.deploy.outputs.url {{"}}"}}
          BRANCH: ${{"{{"}} github.head_ref || github.ref_name {{"}}"}}
        with:
          script: |
            const { owner, repo } = context.repo;
            const marker = ` + "`" + `<!-- cws stage ${process.env.STAGE} -->` + "`" + `;
            const body = ` + "`" + `${marker}\nStage **${process.env.STAGE}** is deployed at ${process.env.STAGE_URL} (commit ${context.sha}).` + "`" + `;
            const { data: pulls } = await github.rest.pulls.list({ owner, repo, state: "open", head: ` + "`" + `${owner}:${process.env.BRANCH}` + "`" + ` });
            for (const pull of pulls) {
              const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number: pull.number });
              const mine = comments.find((c) => c.body && c.body.startsWith(marker));
              if (mine) {
                await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
              } else {
                await github.rest.issues.createComment({ owner, repo, issue_number: pull.number, body });
              }
            }
{{end}}

{{- define "delete"}}  delete:
    name: Delete the deleted branch's stage
    if: github.event_name == 'delete' && github.event.ref_type == 'branch'
    runs-on: ubuntu-latest
    concurrency:
      group: cws-stage-${{"{{"}} github.event.ref {{"}}"}}
      cancel-in-progress: false
    steps:
      - uses: actions/checkout@v4
      # The job runs on the default branch: a local branch named like the deleted one makes --stage @branch
      # name the stage the branch deployed.
      - name: Name the checkout after the deleted branch
        env:
          BRANCH: ${{"{{"}} github.event.ref {{"}}"}}
        run: git switch --create "$BRANCH"
{{- template "setup" .}}
      - name: Delete stage @branch
        run: cws delete --stage @branch --target terraform
{{end}}

{{- define "promote"}}  promote:
    name: Promote the tested stage to {{.Production}}
    if: github.event_name == 'release' || github.event_name == 'workflow_dispatch'
    runs-on: ubuntu-latest
    # A GitHub environment: give it required reviewers to approve each promotion.
    environment: {{.Production}}
    concurrency:
      group: cws-stage-{{.Production}}
      cancel-in-progress: false
    steps:
      # The release's commit (or the manual run's): builds are deterministic, so building it gives the zip
      # that runs on the tested stage when the stage runs this commit, and cws promote refuses otherwise.
      - uses: actions/checkout@v4
{{- template "setup" .}}
      - name: Build what runs on the tested stage
        env:
          FROM: ${{"{{"}} inputs.from || '{{.From}}' {{"}}"}}
        run: cws build --stage "$FROM"
      - name: Promote it to {{.Production}}
        env:
          FROM: ${{"{{"}} inputs.from || '{{.From}}' {{"}}"}}
        run: cws promote --from "$FROM" --to {{.Production}} --confirm {{.Production}} --target terraform
{{end}}
`))
