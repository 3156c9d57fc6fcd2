// Package cli implements the cws commands. Each command is an options struct plus a run function;
// everything a command touches (streams, environment, clock) comes in through Env.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// Streams are the standard streams a command reads and writes.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// SystemStreams returns the process's own standard streams.
func SystemStreams() Streams {
	return Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}
}

// Env is everything a command depends on from the outside world.
type Env struct {
	Streams
	Getenv func(string) string
	Now    func() time.Time
	// Getwd returns the working directory; the project directory defaults to it.
	Getwd func() (string, error)
}

// ShutdownSignals are the signals that stop cws gracefully: Ctrl-C, a kill, and the terminal closing under
// it. cws run, cws gateway and cws up then stop every function process and whatever those started.
var ShutdownSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// Main runs cws with args (without the program name) and returns the process exit code.
func Main(ctx context.Context, args []string, streams Streams) int {
	env := &Env{Streams: streams, Getenv: os.Getenv, Now: time.Now, Getwd: os.Getwd}
	return Run(ctx, env, args)
}

// Run is Main with an explicit environment, for tests.
func Run(ctx context.Context, env *Env, args []string) int {
	root := newRootCommand(env)
	root.SetArgs(args)
	root.SetIn(env.In)
	root.SetOut(env.Out)
	root.SetErr(env.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		// Ctrl-C: the command's own next step ("go build ./...") would mislead; records are written
		// atomically, so running it again picks up where it stopped. 130 is the shells' code for SIGINT.
		err = &exitCodeError{err: withTry(fmt.Errorf("interrupted: %w", err), "run it again: cws "+strings.Join(args, " ")), code: 130}
	}
	var h *hintError
	if strings.HasPrefix(err.Error(), "unknown command ") && !errors.As(err, &h) {
		err = withTry(err, "cws --help")
	}
	var pe *fs.PathError
	if errors.Is(err, fs.ErrPermission) && errors.As(err, &pe) && !errors.As(err, &h) {
		err = withTry(err, permissionTry(pe.Path))
	}
	return reportError(env.Err, err)
}

// permissionTry is the next step after a permission error on path: make the file writable when it
// exists, else its directory (where cws was creating a file: a temp file, a lock, a record).
func permissionTry(path string) string {
	if _, err := os.Lstat(path); err == nil {
		return "chmod u+rw " + path + " (or run cws as its owner), then run the command again"
	}
	return "chmod u+w " + filepath.Dir(path) + " (or run cws as its owner), then run the command again"
}

// reportError prints err as "Error: ..." plus its "Try: ..." line when it has one, and returns the exit code.
func reportError(w io.Writer, err error) int {
	fmt.Fprintf(w, "Error: %s\n", err)
	var h *hintError
	var hinter interface{ Hint() string }
	switch {
	case errors.As(err, &h) && h.try != "":
		fmt.Fprintf(w, "Try: %s\n", h.try)
	case errors.As(err, &hinter) && hinter.Hint() != "":
		// Errors of lower packages (terraform's, for one) carry their own next step.
		fmt.Fprintf(w, "Try: %s\n", hinter.Hint())
	}
	var c *exitCodeError
	if errors.As(err, &c) {
		return c.code
	}
	return 1
}

// hintError carries the next step a user should take.
type hintError struct {
	err error
	try string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// withTry attaches a "Try:" suggestion to err. A nil err stays nil.
func withTry(err error, try string) error {
	if err == nil {
		return nil
	}
	return &hintError{err: err, try: try}
}

// exitCodeError makes cws exit with a specific code.
type exitCodeError struct {
	err  error
	code int
}

func (e *exitCodeError) Error() string { return e.err.Error() }
func (e *exitCodeError) Unwrap() error { return e.err }

// globalOptions are the flags every command accepts.
type globalOptions struct {
	projectDir string
	stage      string
	// command is the running command's path ("cws deploy"), for Try lines.
	command string
}

// noStage marks, in a command's Annotations, a command that acts on no single stage: --stage is refused
// there rather than silently ignored.
const noStage = "cws/no-stage"

// refuseUnusedStage refuses an explicit --stage on a command marked noStage.
func refuseUnusedStage(cmd *cobra.Command) error {
	if _, ok := cmd.Annotations[noStage]; !ok || !cmd.Flags().Changed("stage") {
		return nil
	}
	return withTry(fmt.Errorf("%s takes no --stage: %s", cmd.CommandPath(), cmd.Annotations[noStage]), cmd.CommandPath()+" --help")
}

func newRootCommand(env *Env) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "cws",
		Short:         "Build, run and deploy CoWorks services on AWS Lambda, stage by stage",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		g.command = cmd.CommandPath()
		return refuseUnusedStage(cmd)
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return withTry(err, cmd.CommandPath()+" --help")
	})
	root.PersistentFlags().StringVar(&g.projectDir, "project-dir", "", "project directory (default: the current directory)")
	defaultStage := env.Getenv("CWS_STAGE")
	if defaultStage == "" {
		defaultStage = "dev"
	}
	root.PersistentFlags().StringVar(&g.stage, "stage", defaultStage, "stage to act on ($CWS_STAGE, else dev); @branch names it after the git branch")
	root.AddCommand(
		newVersionCommand(env),
		newInitCommand(env, g),
		newNewCommand(env, g),
		newStageCommand(env, g),
		newEnvCommand(env, g),
		newValidateCommand(env, g),
		newBuildCommand(env, g),
		newDeployCommand(env, g),
		newDeployedCommand(env, g),
		newURLCommand(env, g),
		newDeleteCommand(env, g),
		newHistoryCommand(env, g),
		newPromoteCommand(env, g),
		newRollbackCommand(env, g),
		newExportCommand(env, g),
		newRunCommand(env, g),
		newGatewayCommand(env, g),
		newUpCommand(env, g),
		newCICommand(env, g),
		newLogsCommand(env, g),
		newInvokeCommand(env, g),
		newConsoleCommand(env, g),
		newSecretCommand(env, g),
	)
	for _, cmd := range root.Commands() {
		withUsageTry(cmd)
	}
	return root
}

// withUsageTry gives cmd and its subcommands' argument errors a "Try: <command> --help" line, and makes
// a command group (cws stage, cws export) refuse an unknown subcommand instead of printing its help and
// exiting 0; the group alone still prints its help.
func withUsageTry(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		withUsageTry(sub)
	}
	if cmd.HasSubCommands() && cmd.Run == nil && cmd.RunE == nil {
		cmd.Args = cobra.NoArgs
		cmd.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
	}
	if check := cmd.Args; check != nil {
		cmd.Args = func(cmd *cobra.Command, args []string) error {
			return withTry(check(cmd, args), cmd.CommandPath()+" --help")
		}
	}
}
