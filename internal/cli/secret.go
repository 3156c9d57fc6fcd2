package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/secretstore"
	"github.com/coworks-go/coworks/secrets"
	"github.com/spf13/cobra"
)

// secretOptions are the flags the secret commands share.
type secretOptions struct {
	target string
	json   bool
	// confirm is --confirm of set and rm: the stage's name, to change the secrets of a protected stage.
	confirm string
}

func newSecretCommand(env *Env, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "Set, list and remove a stage's secrets, kept out of config.json (local store or SSM Parameter Store)",
		Long: "A stage's secrets reach its function as environment variables, but never config.json, records,\n" +
			"Terraform files or state. On the local target they live in .chalice/local/secrets/ (readable by you\n" +
			"only); on terraform in SSM Parameter Store as SecureStrings under /cws/{app}/{stage}/, which the\n" +
			"function loads once per cold start. Commands show names, update times and fingerprints, never values.",
	}
	cmd.AddCommand(newSecretSetCommand(env, g), newSecretListCommand(env, g), newSecretRmCommand(env, g))
	return cmd
}

// secretStage is the stage a secret command acts on, and its store.
type secretStage struct {
	dir     string
	project *config.Project
	stage   *config.Stage
	store   secretstore.Store
}

// openSecretStage resolves the --stage value and opens the store of --target (default: the stage's
// deploy_target). name is the secret the command acts on ("" for none): the Try line of a mistyped stage
// repeats it, so that it is the whole corrected command (cws secret set NAME --stage prod).
func openSecretStage(ctx context.Context, env *Env, g *globalOptions, o *secretOptions, name string) (*secretStage, error) {
	if name != "" && secrets.CheckName(name) == nil { // an invalid name is refused later, with its own message
		withName := *g
		withName.command += " " + name
		g = &withName
	}
	dir, p, s, err := resolveStage(env, g, config.APIHandler)
	if err != nil {
		return nil, err
	}
	store, err := secretStoreOf(ctx, env, dir, s, o.target)
	if err != nil {
		return nil, err
	}
	return &secretStage{dir: dir, project: p, stage: s, store: store}, nil
}

// addConfirmFlag adds --confirm to a command that changes a stage's secrets.
func addConfirmFlag(cmd *cobra.Command, o *secretOptions) {
	cmd.Flags().StringVar(&o.confirm, "confirm", "", "the stage's name, to change the secrets of a protected stage")
}

// addSecretFlags adds --target, the store to act on, and --json.
func addSecretFlags(cmd *cobra.Command, o *secretOptions) {
	cmd.Flags().StringVar(&o.target, "target", "", "local or terraform: the local store or SSM (default: the stage's deploy_target)")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
}

func newSecretSetCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &secretOptions{}
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "Set a secret of the stage, reading its value from stdin or a prompt that does not echo",
		Long: "The value comes from standard input when it is not a terminal (one trailing newline is dropped), else\n" +
			"from a prompt that does not echo it; never from the command line, where shell history would keep it.",
		Example: "  cws secret set DB_PASSWORD --stage dev            (prompts)\n" +
			"  cws secret set TLS_KEY --stage prod < key.pem",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				// Never quote the extra argument: it may be the value.
				return withTry(errors.New("cws secret set takes the value from stdin or a prompt, not from the command line (shell history keeps it: if that was the value, consider it exposed)"),
					"cws secret set NAME --stage STAGE   (then type the value), or: cws secret set NAME --stage STAGE < FILE")
			}
			return runSecretSet(cmd.Context(), env, g, o, args[0])
		},
	}
	addSecretFlags(cmd, o)
	addConfirmFlag(cmd, o)
	return cmd
}

func runSecretSet(ctx context.Context, env *Env, g *globalOptions, o *secretOptions, name string) error {
	st, err := openSecretStage(ctx, env, g, o, name)
	if err != nil {
		return err
	}
	dir, p, s, store := st.dir, st.project, st.stage, st.store
	if err := checkSecretName(p, s.StageName, name); err != nil {
		return err
	}
	// Before the value: nobody types a secret only to see it refused.
	if err := confirmProtected(env, s, o.confirm, "set secret "+name+" of stage "+s.StageName, "cws secret set "+name+" --stage "+s.StageName); err != nil {
		return err
	}
	value, err := readSecretValue(env, name, s.StageName)
	if err != nil {
		return err
	}
	if err := secretstore.CheckValue(value); err != nil {
		return withTry(fmt.Errorf("secret %s: %w", name, err), "cws secret set "+name+" --stage "+s.StageName+" < FILE")
	}
	if store.Kind() == "local" {
		if err := checkLocalBudget(dir, p, s.StageName, name, len(value)); err != nil {
			return err
		}
	}
	fp, err := secretstore.LoadFingerprinter(ctx, dir)
	if err != nil {
		return err
	}
	set, err := store.Set(ctx, name, value)
	if err != nil {
		return err
	}
	if o.json {
		err = writeJSON(env.Out, map[string]any{"stage": s.StageName, "store": store.Kind(), "where": store.Where(),
			"secret": secretJSON{Name: name, UpdatedAt: set.Updated, Fingerprint: fp.Fingerprint(set.Value), Source: set.Source}})
	} else {
		_, err = fmt.Fprintf(env.Out, "Set secret %s of stage %s in %s (fingerprint %s)\n", name, s.StageName, store.Where(), fp.Fingerprint(set.Value))
	}
	if err != nil {
		return err
	}
	switch {
	case store.Kind() == "local":
		fmt.Fprintf(env.Err, "The local cloud gives it to the function as %s: a running cws gateway or cws run picks it up at once.\n", name)
	case !s.ManageIAMRole:
		fmt.Fprintf(env.Err, "Note: stage %s uses its own IAM role (iam_role_arn): grant it ssm:GetParametersByPath on %s and kms:Decrypt through SSM,\n"+
			"and set environment_variables.%s to %q, so that its function loads its secrets (docs/configuration.md).\n",
			s.StageName, secrets.Path(s.AppName, s.StageName), secrets.PathVariable, secrets.Path(s.AppName, s.StageName))
	default:
		fmt.Fprintf(env.Err, "The function loads it as %s at its next cold start (deploy once with this cws for it to read %s).\n", name, secrets.Path(s.AppName, s.StageName))
	}
	return nil
}

// checkSecretName refuses a name that cannot be an environment variable, that Lambda or the AWS SDKs
// reserve, or that a config variable of the stage already uses (in any of its functions).
func checkSecretName(p *config.Project, stage, name string) error {
	if err := secrets.CheckName(name); err != nil {
		return withTry(err, "choose another name, e.g. DB_PASSWORD")
	}
	for _, fn := range p.FunctionNames(stage) {
		s, err := p.Resolve(stage, fn, config.Overrides{})
		if err != nil {
			return err
		}
		if src, ok := s.EnvSource(name); ok {
			return withTry(fmt.Errorf("%s is already a variable of stage %s in %s (%s); a secret may not shadow it", name, stage, config.RelPath, src.Path),
				"remove "+src.Path+" from "+config.RelPath+" first, or choose another name")
		}
	}
	return nil
}

// checkLocalBudget refuses a local secret that would take a function of the stage past Lambda's 4 KB of
// variables, as cws validate would then report.
func checkLocalBudget(dir string, p *config.Project, stage, name string, size int) error {
	sizes, err := localSecretSizes(dir, p)
	if err != nil {
		return err
	}
	if sizes[stage] == nil {
		sizes[stage] = map[string]int{}
	}
	sizes[stage][name] = size
	// The project was valid without this secret (loadValidProject), so any error now is the secret's.
	if errs := p.ValidateWithSecrets(sizes).Errors(); len(errs) > 0 {
		return withTry(fmt.Errorf("secret %s would not fit: %s", name, errs[0].Message), "shorten the value or the stage's variables; cws secret list --stage "+stage)
	}
	return nil
}

// secretJSON is one secret as `cws secret list --json` prints it.
type secretJSON struct {
	Name        string    `json:"name"`
	UpdatedAt   time.Time `json:"updated_at"`
	Fingerprint string    `json:"fingerprint"`
	Source      string    `json:"source"`
}

func newSecretListCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &secretOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the stage's secrets: names, last change and fingerprints, never values",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSecretList(cmd.Context(), env, g, o)
		},
	}
	addSecretFlags(cmd, o)
	return cmd
}

func runSecretList(ctx context.Context, env *Env, g *globalOptions, o *secretOptions) error {
	st, err := openSecretStage(ctx, env, g, o, "")
	if err != nil {
		return err
	}
	s, store := st.stage, st.store
	list, err := listSecrets(ctx, st.dir, store)
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(env.Out, map[string]any{"stage": s.StageName, "store": store.Kind(), "where": store.Where(), "secrets": list})
	}
	if len(list) == 0 {
		fmt.Fprintf(env.Out, "Stage %s has no secrets in %s; add one with: cws secret set NAME --stage %s\n", s.StageName, store.Where(), s.StageName)
		return nil
	}
	fmt.Fprintf(env.Out, "Secrets of stage %s in %s\n\n", s.StageName, store.Where())
	rows := make([][]string, 0, len(list))
	for _, sec := range list {
		rows = append(rows, []string{sec.Name, sec.UpdatedAt.Format(time.RFC3339), sec.Fingerprint})
	}
	return writeTable(env.Out, []string{"NAME", "UPDATED", "FINGERPRINT"}, rows)
}

// listSecrets reads store and replaces each value by its fingerprint. Without secrets, it creates no
// fingerprint key: showing a stage writes nothing.
func listSecrets(ctx context.Context, dir string, store secretstore.Store) ([]secretJSON, error) {
	list, err := store.List(ctx)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return []secretJSON{}, nil
	}
	fp, err := secretstore.LoadFingerprinter(ctx, dir)
	if err != nil {
		return nil, err
	}
	out := make([]secretJSON, 0, len(list))
	for _, sec := range list {
		out = append(out, secretJSON{Name: sec.Name, UpdatedAt: sec.Updated, Fingerprint: fp.Fingerprint(sec.Value), Source: sec.Source})
	}
	return out, nil
}

func newSecretRmCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &secretOptions{}
	cmd := &cobra.Command{
		Use:   "rm NAME",
		Short: "Remove a secret of the stage",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSecretRm(cmd.Context(), env, g, o, args[0])
		},
	}
	addSecretFlags(cmd, o)
	addConfirmFlag(cmd, o)
	return cmd
}

func runSecretRm(ctx context.Context, env *Env, g *globalOptions, o *secretOptions, name string) error {
	st, err := openSecretStage(ctx, env, g, o, name)
	if err != nil {
		return err
	}
	s, store := st.stage, st.store
	if err := confirmProtected(env, s, o.confirm, "remove secret "+name+" of stage "+s.StageName, "cws secret rm "+name+" --stage "+s.StageName); err != nil {
		return err
	}
	if err := store.Remove(ctx, name); errors.Is(err, secretstore.ErrNotFound) {
		return withTry(fmt.Errorf("stage %s has no secret %s in %s", s.StageName, name, store.Where()), "cws secret list --stage "+s.StageName)
	} else if err != nil {
		return err
	}
	if o.json {
		return writeJSON(env.Out, map[string]any{"stage": s.StageName, "store": store.Kind(), "where": store.Where(), "removed": name})
	}
	fmt.Fprintf(env.Out, "Removed secret %s of stage %s from %s\n", name, s.StageName, store.Where())
	return nil
}
