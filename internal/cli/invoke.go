package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/coworks-go/coworks/internal/apigw"
	"github.com/coworks-go/coworks/internal/deployed"
	"github.com/coworks-go/coworks/internal/gateway"
	"github.com/coworks-go/coworks/internal/localcloud"
	"github.com/spf13/cobra"
)

// invokeOptions are the flags of cws invoke.
type invokeOptions struct {
	event   string
	path    string
	method  string
	headers []string
	body    string
	kind    string
}

func newInvokeCommand(env *Env, g *globalOptions) *cobra.Command {
	o := &invokeOptions{}
	cmd := &cobra.Command{
		Use:   "invoke",
		Short: "Invoke a stage's function through Lambda's Invoke API and print its answer",
		Long: "cws invoke calls the stage's function with an event: the JSON of --event FILE (- for stdin), or the API\n" +
			"Gateway proxy event of a request to --path (with --method, --header, --body), or {}. It prints the\n" +
			"function's payload on stdout; a failing function prints its error document and exits 1.\n\n" +
			"A local stage is invoked through the running gateway (its Lambda Invoke endpoint), or, when none runs,\n" +
			"through a gateway started for this one call (a cold start; its log lines go to stderr and cws logs).\n" +
			"A stage deployed with the terraform target is invoked on AWS (AWS_PROFILE, AWS_ENDPOINT_URL).",
		Example: "  cws invoke --stage dev --path /value/1\n  cws invoke --stage dev --path /value/1 --method PUT --body '{\"value\": 456}'\n" +
			"  cws invoke --stage prod --event event.json\n  aws lambda invoke --endpoint-url http://127.0.0.1:8000 --function-name hello-dev out.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runInvoke(cmd.Context(), env, g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.event, "event", "", "file holding the event JSON (- reads stdin)")
	f.StringVar(&o.path, "path", "", "send the API Gateway proxy event of a request to this path (with its query), e.g. /users/1?full=1")
	f.StringVar(&o.method, "method", "GET", "the request method, with --path")
	f.StringArrayVar(&o.headers, "header", nil, "a request header NAME:VALUE, with --path (repeatable)")
	f.StringVar(&o.body, "body", "", "the request body, with --path")
	f.StringVar(&o.kind, "invocation-type", "RequestResponse", "RequestResponse, Event (asynchronous: 202) or DryRun (checks the function exists: 204)")
	return cmd
}

func runInvoke(ctx context.Context, env *Env, g *globalOptions, o *invokeOptions) error {
	if o.event != "" && o.path != "" {
		return withTry(errors.New("--event and --path both give the event: choose one"), "cws invoke --help")
	}
	kind := types.InvocationType(o.kind)
	switch kind {
	case types.InvocationTypeRequestResponse, types.InvocationTypeEvent, types.InvocationTypeDryRun:
	default:
		return withTry(fmt.Errorf("--invocation-type %q: use RequestResponse, Event or DryRun", o.kind), "cws invoke --help")
	}
	dir, p, name, err := loadStageName(env, g)
	if err != nil {
		return err
	}
	meta, err := deployed.LoadMeta(dir, name)
	if err != nil {
		return err
	}
	var target lambdaTarget
	if meta != nil && meta.Target == "terraform" {
		target, err = awsLambda(ctx, env, dir, p.AppName(), name, meta)
	} else {
		target, err = localLambda(ctx, env, dir, name)
	}
	if err != nil {
		return err
	}
	defer target.close()
	payload, err := o.payload(env, target)
	if err != nil {
		return err
	}
	out, err := target.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(target.function), Payload: payload, InvocationType: kind})
	if err != nil {
		return withTry(fmt.Errorf("invoking %s on %s: %w", target.function, target.where, err), target.try)
	}
	switch kind {
	case types.InvocationTypeEvent:
		fmt.Fprintf(env.Err, "Queued an asynchronous invocation of %s (%d); cws logs --stage %s shows it run.\n", target.function, out.StatusCode, name)
		return nil
	case types.InvocationTypeDryRun:
		fmt.Fprintf(env.Err, "Dry run: %s may be invoked (%d).\n", target.function, out.StatusCode)
		return nil
	}
	env.Out.Write(out.Payload)
	if len(out.Payload) > 0 && out.Payload[len(out.Payload)-1] != '\n' {
		fmt.Fprintln(env.Out)
	}
	if fe := aws.ToString(out.FunctionError); fe != "" {
		return withTry(fmt.Errorf("the function failed (X-Amz-Function-Error: %s); its error document is above", fe), "cws logs --stage "+name)
	}
	return nil
}

// lambdaTarget is where cws invoke sends the call.
type lambdaTarget struct {
	client   *lambda.Client
	function string
	// where names the endpoint for messages; try is the next step when the call fails.
	where, try string
	// stage is the served stage (local target only), for --path events.
	stage *gateway.Stage
	api   *gateway.API
	close func()
}

// localLambda reaches a locally deployed stage through the running gateway, or through one started for
// this call.
func localLambda(ctx context.Context, env *Env, dir, name string) (lambdaTarget, error) {
	st, err := localcloud.Load(dir)
	if err != nil {
		return lambdaTarget{}, err
	}
	api, as := st.FindStage(name)
	if api == nil {
		return lambdaTarget{}, withTry(fmt.Errorf("stage %s is not deployed to the local cloud", name), "cws deploy --stage "+name)
	}
	t := lambdaTarget{function: as.FunctionName, close: func() {}}
	apis, err := localAPIs(dir, st)
	if err != nil {
		return lambdaTarget{}, err
	}
	for _, a := range apis {
		for i := range a.Stages {
			if a.ID == api.ID && a.Stages[i].Name == as.Name {
				a := a
				t.api, t.stage = &a, &a.Stages[i]
			}
		}
	}
	url := ""
	if info, err := localcloud.LoadGatewayInfo(dir); err == nil && info != nil && answers(ctx, info.URL) {
		url, t.where, t.try = info.URL, "the gateway at "+info.URL, "cws logs --stage "+name
	} else {
		store := localLogStore(dir, env)
		gw, err := gateway.New([]gateway.API{{ID: t.api.ID, BinaryMediaTypes: t.api.BinaryMediaTypes, Stages: []gateway.Stage{*t.stage}}},
			gateway.Options{FunctionLog: env.Err, StageLog: store.Writer})
		if err != nil {
			return lambdaTarget{}, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			closeGateway(gw, env.Err)
			return lambdaTarget{}, err
		}
		srv := &http.Server{Handler: gw, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		url, t.where, t.try = "http://"+ln.Addr().String(), "a gateway started for this call", "cws logs --stage "+name
		t.close = func() {
			srv.Close()
			closeGateway(gw, env.Err)
			store.Close()
		}
	}
	region := as.Settings.Region
	if region == "" {
		region = localcloud.DefaultRegion
	}
	t.client = lambda.New(lambda.Options{Region: region, BaseEndpoint: aws.String(url), Credentials: aws.AnonymousCredentials{},
		RetryMaxAttempts: 1})
	return t, nil
}

// awsLambda reaches a stage deployed with the terraform target on AWS.
func awsLambda(ctx context.Context, env *Env, dir, app, name string, meta *deployed.Meta) (lambdaTarget, error) {
	arn, region, err := deployedFunction(dir, app, name, meta)
	if err != nil {
		return lambdaTarget{}, err
	}
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region)}
	if profile := env.Getenv("AWS_PROFILE"); profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return lambdaTarget{}, withTry(fmt.Errorf("AWS configuration: %w", err), "configure AWS credentials (aws configure, aws sso login, or AWS_PROFILE), then retry")
	}
	endpoint := env.Getenv("AWS_ENDPOINT_URL_LAMBDA")
	if endpoint == "" {
		endpoint = env.Getenv("AWS_ENDPOINT_URL")
	}
	client := lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	return lambdaTarget{client: client, function: arn, where: "AWS (" + region + ")",
		try: "check the function with: cws deployed; and your AWS credentials", close: func() {}}, nil
}

// payload is the event to send: the --event file, the proxy event of --path, or {}.
func (o *invokeOptions) payload(env *Env, t lambdaTarget) ([]byte, error) {
	switch {
	case o.event == "-":
		return io.ReadAll(env.In)
	case o.event != "":
		data, err := os.ReadFile(o.event)
		if err != nil {
			return nil, withTry(err, "cws invoke --event FILE   (a file holding the event's JSON)")
		}
		return data, nil
	case o.path == "":
		return []byte("{}"), nil
	}
	if t.stage == nil {
		return nil, withTry(errors.New("--path builds the event from the stage's routes, which cws knows for local stages only"),
			"cws invoke --event event.json   (an API Gateway proxy event)")
	}
	return proxyEvent(t.api, t.stage, o, env.Now())
}

// proxyEvent builds the REST proxy event API Gateway would send the stage's function for the request of
// --method and --path, with internal/apigw's event builder.
func proxyEvent(api *gateway.API, st *gateway.Stage, o *invokeOptions, now time.Time) ([]byte, error) {
	if !strings.HasPrefix(o.path, "/") {
		return nil, withTry(fmt.Errorf("--path %q must start with /", o.path), "cws invoke --path /value/1")
	}
	path, query, _ := strings.Cut(o.path, "?")
	sp, _ := apigw.SplitStage("/" + st.Name + path)
	router, err := apigw.NewRouter(st.Routes)
	if err != nil {
		return nil, err
	}
	method := strings.ToUpper(o.method)
	match, ok := router.Match(method, sp.Path)
	if !ok {
		var routes []string
		for _, r := range st.Routes {
			routes = append(routes, r.Method+" "+r.Path)
		}
		return nil, withTry(fmt.Errorf("no route of stage %s matches %s %s (API Gateway would answer 403 Missing Authentication Token)", st.Variables["cws_stage"], method, path),
			"use one of: "+strings.Join(routes, ", "))
	}
	header := http.Header{}
	for _, h := range o.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			return nil, withTry(fmt.Errorf("--header %q: want NAME:VALUE", h), "cws invoke --path /x --header 'Content-Type: application/json'")
		}
		header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	region := st.Function.Region
	if region == "" {
		region = localcloud.DefaultRegion
	}
	stage := apigw.Stage{Name: st.Name, Variables: st.Variables, APIID: api.ID, AccountID: localcloud.Account, Region: region,
		DeploymentID: st.DeploymentID, BinaryMediaTypes: api.BinaryMediaTypes}
	id := make([]byte, 16)
	rand.Read(id)
	hexID := hex.EncodeToString(id)
	in := apigw.EventInput{
		Method: method, Path: sp, RawQuery: query, Host: api.ID + ".execute-api." + region + ".amazonaws.com", Header: header,
		Body: []byte(o.body), SourceIP: "127.0.0.1", Match: match, Stage: &stage, Time: now,
		IDs: apigw.NewRequestIDs(hexID[:8]+"-"+hexID[8:12]+"-"+hexID[12:16]+"-"+hexID[16:20]+"-"+hexID[20:], now),
	}
	return apigw.BuildEvent(&in), nil
}
