package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/ghworkflow"
	"github.com/coworks-go/coworks/internal/safefile"
	"github.com/coworks-go/coworks/internal/stage"
)

// newCICommand groups the commands writing a CI pipeline for the project.
func newCICommand(env *Env, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ci",
		Short: "Write a CI pipeline deploying a stage per branch",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newCIGitHubCommand(env, g))
	return cmd
}

type ciGitHubOptions struct {
	production  string
	promoteFrom string
	roleARN     string
	region      string
	cwsVersion  string
	force       bool
	json        bool
}

func newCIGitHubCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &ciGitHubOptions{}
	cmd := &cobra.Command{
		Use:         "github",
		Annotations: map[string]string{noStage: "the workflow deploys stage @branch of each branch it runs on"},
		Short:       "Write the GitHub Actions workflow of a stage per branch: " + ghworkflow.Path,
		Long: "Write " + ghworkflow.Path + " at the root of the project's git repository. A push to a branch deploys\n" +
			"stage @branch to AWS (--target terraform) and comments its URL on the branch's pull request; deleting\n" +
			"the branch deletes the stage. The jobs assume an IAM role through GitHub's OIDC provider\n" +
			"(docs/deploy-aws.md shows how to create it). The config needs a remote terraform_backend.",
		Example: "  cws ci github\n  cws ci github --role-arn arn:aws:iam::123456789012:role/cws-deploy --region eu-west-1",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCIGitHub(env, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.roleARN, "role-arn", "", "IAM role the jobs assume (default: the repository variable "+ghworkflow.RoleVariable+")")
	f.StringVar(&o.region, "region", "", "AWS region (default: the config's aws_region, else the repository variable "+ghworkflow.RegionVariable+")")
	f.StringVar(&o.cwsVersion, "cws-version", "", "cws version the jobs install (default: this one when it is a release, else latest)")
	f.StringVar(&o.production, "production", "prod", "the protected stage a published release (or a manual run) promotes to")
	f.StringVar(&o.promoteFrom, "promote-from", "main", "the tested stage promoted to production by default (a manual run may name another)")
	f.BoolVar(&o.force, "force", false, "overwrite an existing workflow")
	f.BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

// ciGitHubReport is the JSON of `cws ci github`.
type ciGitHubReport struct {
	Path       string `json:"path"`
	RoleARN    string `json:"role_arn"`
	Region     string `json:"region"`
	CwsVersion string `json:"cws_version"`
	// Production is the stage releases are promoted to, PromoteFrom the stage they are promoted from.
	Production  string `json:"production"`
	PromoteFrom string `json:"promote_from"`
}

var releaseRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+$`)

func runCIGitHub(env *Env, g *globalOptions, o *ciGitHubOptions) error {
	dir, p, err := loadValidProject(env, g)
	if err != nil {
		return err
	}
	if !p.Root.Get("terraform_backend").Present() {
		return withTry(fmt.Errorf("the workflow's branch stages need a remote Terraform backend (a CI job's disk does not outlive it), and %s sets no terraform_backend at its top level", config.RelPath),
			`add "terraform_backend": {"s3": {"bucket": "YOUR-STATE-BUCKET", "region": "eu-west-1"}} to `+config.RelPath+", then: cws ci github")
	}
	root, err := stage.RepositoryRoot(dir)
	if errors.Is(err, stage.ErrNotGit) {
		return withTry(fmt.Errorf("cws ci github writes %s in the project's git repository, and %s is not in one", ghworkflow.Path, dir), "git init, then: cws ci github")
	}
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return err
	}
	// Branch stages are rarely in the config: they take the top-level values, aws_region included.
	top, err := p.Resolve("cws-ci-branch-stage", "", config.Overrides{})
	if err != nil {
		return err
	}
	opts := ghworkflow.Options{RoleARN: o.roleARN, Region: o.region, ProjectDir: filepath.ToSlash(rel), CwsVersion: o.cwsVersion,
		Production: o.production, PromoteFrom: o.promoteFrom}
	if opts.Region == "" {
		opts.Region = top.AWSRegion
	}
	if opts.CwsVersion == "" {
		opts.CwsVersion = "latest"
		if v := version(); releaseRE.MatchString(v) {
			opts.CwsVersion = v
		}
	}
	workflow, err := ghworkflow.Generate(opts)
	if err != nil {
		return withTry(err, "cws ci github --help")
	}
	path := filepath.Join(root, filepath.FromSlash(ghworkflow.Path))
	shown := path // as the user reaches it from the working directory
	if wd, err := env.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, path); err == nil {
			shown = r
		}
	}
	if _, err := os.Stat(path); err == nil && !o.force {
		return withTry(fmt.Errorf("%s exists; nothing was written", shown), "cws ci github --force   (overwrites it)")
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := safefile.Write(path, workflow, 0o644); err != nil {
		return fmt.Errorf("write the workflow: %w", err)
	}
	report := ciGitHubReport{Path: shown, RoleARN: opts.RoleARN, Region: opts.Region, CwsVersion: opts.CwsVersion,
		Production: o.production, PromoteFrom: o.promoteFrom}
	if o.json {
		return writeJSON(env.Out, report)
	}
	w := env.Out
	fmt.Fprintf(w, "Wrote %s: a push to a branch deploys stage @branch; deleting the branch deletes it; a published release promotes stage %s to %s.\n",
		shown, o.promoteFrom, o.production)
	steps := []string{"Create the IAM role GitHub's OIDC provider lets the workflow assume (docs/deploy-aws.md, \"A stage per branch\")."}
	if opts.RoleARN == "" {
		steps = append(steps, fmt.Sprintf("Set the repository variable %s to its ARN: gh variable set %s --body arn:aws:iam::ACCOUNT:role/ROLE", ghworkflow.RoleVariable, ghworkflow.RoleVariable))
	}
	if opts.Region == "" {
		steps = append(steps, fmt.Sprintf("Set the repository variable %s (no aws_region at the config's top level): gh variable set %s --body eu-west-1", ghworkflow.RegionVariable, ghworkflow.RegionVariable))
	}
	if prod, err := p.Resolve(o.production, "", config.Overrides{}); err == nil && (!p.HasStage(o.production) || !prod.Protected) {
		steps = append(steps, fmt.Sprintf(`Protect the production stage: set "protected": true in stages.%s of %s (cws stage show %s shows it), and give the GitHub environment %s required reviewers.`,
			o.production, config.RelPath, o.production, o.production))
	}
	steps = append(steps, fmt.Sprintf("Commit and push: git add %s && git commit -m 'cws: a stage per branch' && git push", shown))
	fmt.Fprintln(w, "Next:")
	for i, step := range steps {
		fmt.Fprintf(w, "  %d. %s\n", i+1, step)
	}
	return nil
}
