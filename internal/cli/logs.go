package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/coworks-go/coworks/internal/config"
	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/localcloud"
	"github.com/coworks-go/coworks/internal/logs"
	"github.com/spf13/cobra"
)

// logsOptions are the flags of cws logs.
type logsOptions struct {
	follow bool
	since  string
	filter string
	json   bool
}

func newLogsCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &logsOptions{}
	cmd := &cobra.Command{
		Use:   "logs",
		Short: "Print a stage's function logs (local store or CloudWatch), optionally following new lines",
		Long: "cws logs prints what the stage's function wrote, with Lambda's START/END/REPORT lines, one line per entry:\n" +
			"time (UTC), [stage], the request id, the text. A stage on the local target is read from the logs the gateway\n" +
			"keeps in .chalice/local/logs/ (also while it runs, and after it stopped); a stage deployed with the terraform\n" +
			"target is read from its CloudWatch Logs group /aws/lambda/{function}, in the region it was deployed to\n" +
			"(AWS_PROFILE and AWS_ENDPOINT_URL are honoured). --follow keeps printing new lines until Ctrl-C.",
		Example: "  cws logs --stage dev --follow\n  cws logs --stage prod --since 1h --filter ERROR\n  cws logs --since 2025-01-02T15:00:00Z --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLogs(cmd.Context(), env, g, o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.follow, "follow", "f", false, "keep printing new lines as they are written")
	f.StringVar(&o.since, "since", "10m", "start this long ago (30s, 10m, 2h, 7d) or at this time (RFC 3339)")
	f.StringVar(&o.filter, "filter", "", "only lines whose text or request id contains TEXT (case-sensitive)")
	f.BoolVar(&o.json, "json", false, "one JSON object per line: time, stage, request_id, message")
	return cmd
}

func runLogs(ctx context.Context, env *Env, g *globalOptions, o *logsOptions) error {
	since, err := parseSince(o.since, env.Now())
	if err != nil {
		return withTry(err, "cws logs --since 10m   (or 2h, 7d, or a time like 2025-01-02T15:04:05Z)")
	}
	dir, p, name, err := loadStageName(env, g)
	if err != nil {
		return err
	}
	r, where, err := stageLogs(ctx, env, dir, p.AppName(), name, nil)
	if err != nil {
		return err
	}
	if !p.HasStage(name) && where == "local" {
		fmt.Fprintf(env.Err, "Note: stage %s is not in %s\n", name, config.RelPath)
	}
	var buf []byte
	n := 0
	err = r.Read(ctx, logs.Query{Since: since, Filter: o.filter, Follow: o.follow}, func(e logs.Entry) error {
		if o.json {
			buf = e.AppendJSON(buf[:0])
		} else {
			buf = e.AppendText(buf[:0])
		}
		n++
		_, err := env.Out.Write(buf)
		return err
	})
	if errors.Is(err, logs.ErrNoLogGroup) {
		return withTry(fmt.Errorf("stage %s has no CloudWatch log group yet (%v)", name, err),
			"invoke the function once (cws invoke --stage "+name+"), or check the region (AWS_REGION)")
	}
	if err != nil {
		return err
	}
	if n == 0 && !o.follow && !o.json {
		fmt.Fprintf(env.Err, "No log line of stage %s since %s (%s).\n", name, since.UTC().Format(logs.TimeLayout), where)
	}
	return nil
}

// loadStageName loads the project and turns --stage into a stage name (which the config need not have: a
// deployed stage may have left it).
func loadStageName(env *Env, g *globalOptions) (string, *config.Project, string, error) {
	dir, p, err := loadProject(env, g)
	if err != nil {
		return "", nil, "", err
	}
	name, err := stageName(dir, p, g.stage, g.command+" --stage ")
	return dir, p, name, err
}

// parseSince reads --since: a duration back from now (Go's units, plus d for days) or an RFC 3339 time.
func parseSince(v string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("--since %q is neither a duration (10m, 2h, 7d) nor an RFC 3339 time", v)
	}
	return now.Add(-d), nil
}

// localLogStore is the store of the project's local function logs: .chalice/local/logs/.
func localLogStore(dir string, env *Env) *logs.Store {
	return logs.NewStore(filepath.Join(localcloud.Dir(dir), "logs"), logs.StoreOptions{Now: env.Now, Logger: targetLogger(env)})
}

// stageLogs returns the reader of a stage's function log and says where it reads ("local" or the log
// group): CloudWatch for a stage deployed with the terraform target, else the local store (stages deployed
// locally, served by cws run, or never deployed: then the log is simply empty). store is the local store
// when the caller has one open (the gateway's: its followers then wake at each write), else nil.
func stageLogs(ctx context.Context, env *Env, dir, appName, name string, store *logs.Store) (logs.Reader, string, error) {
	meta, err := deployed.LoadMeta(dir, name)
	if err != nil {
		return nil, "", err
	}
	if meta == nil || meta.Target != "terraform" {
		if store == nil {
			store = localLogStore(dir, env)
		}
		return store.Reader(name), "local", nil
	}
	arn, region, err := deployedFunction(dir, appName, name, meta)
	if err != nil {
		return nil, "", err
	}
	fn := arn[strings.LastIndex(arn, ":")+1:]
	endpoint := env.Getenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS")
	if endpoint == "" {
		endpoint = env.Getenv("AWS_ENDPOINT_URL")
	}
	account := "" // Live Tail's own host ("stream-" + the endpoint's) exists on AWS only: elsewhere, poll
	if parts := strings.Split(arn, ":"); endpoint == "" && len(parts) > 4 {
		account = parts[4]
	}
	cw, err := logs.NewCloudWatch(ctx, logs.CloudWatchConfig{
		Region: region, Profile: env.Getenv("AWS_PROFILE"), Endpoint: endpoint, Function: fn, Account: account, Stage: name,
	})
	if err != nil {
		return nil, "", withTry(err, "configure AWS credentials (aws configure, aws sso login, or AWS_PROFILE), then retry")
	}
	return cw, cw.LogGroup, nil
}

// deployedFunction returns the ARN of a deployed stage's function and its region (the metadata's, else the
// ARN's, else $AWS_REGION).
func deployedFunction(dir, appName, name string, meta *deployed.Meta) (arn, region string, err error) {
	rec, err := deployed.Load(dir, name, appName)
	if err != nil {
		return "", "", withTry(err, "fix or remove "+projectRel(dir, deployed.Path(dir, name)))
	}
	arn, ok := rec.LambdaARN(deployed.APIHandlerName)
	if !ok || arn == "" {
		return "", "", withTry(fmt.Errorf("stage %s has no deployed function in %s", name, projectRel(dir, deployed.Path(dir, name))), "cws deploy --stage "+name)
	}
	region = meta.Region
	if parts := strings.Split(arn, ":"); region == "" && len(parts) > 3 {
		region = parts[3]
	}
	return arn, region, nil
}
