package logs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// DefaultCloudWatchPoll is how often a CloudWatch follower asks for new events.
const DefaultCloudWatchPoll = 2 * time.Second

// CloudWatchAPI is the part of the CloudWatch Logs client the reader uses.
type CloudWatchAPI interface {
	FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// ErrNoLogGroup is returned (wrapped) when the stage's log group does not exist: the function has not
// logged yet, or the region or account is not the function's.
var ErrNoLogGroup = errors.New("log group not found")

// CloudWatch reads a stage's function log from CloudWatch Logs: the log group Lambda writes to,
// /aws/lambda/{function}. Lambda's lines carry the request id (`START RequestId: ...`); the function's own
// lines get the id of the invocation their log stream was running (one environment per stream runs one
// invocation at a time, between its START and END lines).
type CloudWatch struct {
	// Client calls CloudWatch Logs.
	Client CloudWatchAPI
	// LogGroup is the log group's name.
	LogGroup string
	// Stage names the entries' stage.
	Stage string
	// LogGroupARN, when set and Client also implements LiveTailAPI, lets Read follow through Live Tail
	// sessions (StartLiveTail) rather than by polling: a session that ends or breaks is started again;
	// polling is the fallback when a session cannot start (no permission, an endpoint without Live Tail) or
	// keeps breaking.
	LogGroupARN string
	// Poll is the follow interval when polling; 0 means DefaultCloudWatchPoll.
	Poll time.Duration
}

var _ Reader = (*CloudWatch)(nil)

// CloudWatchConfig says where a stage's logs are on AWS and how to reach them.
type CloudWatchConfig struct {
	// Region is the function's region.
	Region string
	// Profile is the shared config profile (AWS_PROFILE); "" means the SDK's default chain.
	Profile string
	// Endpoint, when set, replaces CloudWatch Logs' endpoint (AWS_ENDPOINT_URL).
	Endpoint string
	// Function is the Lambda function's name; its log group is /aws/lambda/{Function}.
	Function string
	// Account is the function's AWS account, for the log group's ARN (Live Tail); "" follows by polling.
	Account string
	// Stage is the cws stage.
	Stage string
}

// LogGroupName returns the log group Lambda writes a function's logs to.
func LogGroupName(function string) string { return "/aws/lambda/" + function }

// NewCloudWatch returns the reader of a stage's CloudWatch log group, with credentials from the AWS SDK's
// default chain (environment, shared config and its profile, SSO, container and instance roles).
func NewCloudWatch(ctx context.Context, c CloudWatchConfig) (*CloudWatch, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(c.Region)}
	if c.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(c.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	client := cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
	})
	cw := &CloudWatch{Client: client, LogGroup: LogGroupName(c.Function), Stage: c.Stage}
	if c.Account != "" {
		cw.LogGroupARN = "arn:aws:logs:" + c.Region + ":" + c.Account + ":log-group:" + cw.LogGroup
	}
	return cw, nil
}

// Read implements Reader with FilterLogEvents: the events since q.Since, then, following, a Live Tail
// session when LogGroupARN is set and the client has Live Tail, else (or when the session fails) a poll
// every Poll for events from the newest timestamp seen on (events already seen at that timestamp are
// skipped by id). The filter is applied here, not sent as a CloudWatch filter pattern, so that Lambda's
// START lines still give the function's lines their request ids.
func (c *CloudWatch) Read(ctx context.Context, q Query, fn func(Entry) error) error {
	poll := c.Poll
	if poll <= 0 {
		poll = DefaultCloudWatchPoll
	}
	r := &cloudWatchRead{c: c, q: &q, streams: map[string]string{}, seen: map[string]bool{}}
	if !q.Since.IsZero() {
		r.from = q.Since.UnixMilli()
	}
	emit, flush := backlog(&q, fn)
	err := r.page(ctx, emit)
	if errors.Is(err, ErrNoLogGroup) && q.Follow {
		err = nil // the group appears with the function's first log line
	}
	if err != nil {
		return err
	}
	if err := flush(); err != nil || !q.Follow {
		return err
	}
	if lt, ok := c.Client.(LiveTailAPI); ok && c.LogGroupARN != "" {
		if err := r.followLiveTail(ctx, lt, fn); err == nil || ctx.Err() != nil {
			return nil
		}
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if err := r.page(ctx, fn); err != nil && !errors.Is(err, ErrNoLogGroup) {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// cloudWatchRead is the state of one Read.
type cloudWatchRead struct {
	c *CloudWatch
	q *Query
	// from is the start time of the next call, in Unix ms: the newest timestamp seen.
	from int64
	// seen holds the ids of the events already emitted at timestamp from.
	seen map[string]bool
	// streams maps a log stream to the request id its environment is running.
	streams map[string]string
	// caught, when set, collects the eventKey of each event read (Live Tail's catch-up read).
	caught map[string]bool
}

// page emits the events from r.from on, through every page of FilterLogEvents.
func (r *cloudWatchRead) page(ctx context.Context, fn func(Entry) error) error {
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(r.c.LogGroup)}
	if r.from > 0 {
		in.StartTime = aws.Int64(r.from)
	}
	p := cloudwatchlogs.NewFilterLogEventsPaginator(r.c.Client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			var nf *types.ResourceNotFoundException
			if errors.As(err, &nf) {
				return fmt.Errorf("%s: %w", r.c.LogGroup, ErrNoLogGroup)
			}
			return fmt.Errorf("reading CloudWatch Logs group %s: %w", r.c.LogGroup, err)
		}
		for i := range out.Events {
			if err := r.event(&out.Events[i], fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// event turns one CloudWatch event into an entry, skipping those already emitted.
func (r *cloudWatchRead) event(ev *types.FilteredLogEvent, fn func(Entry) error) error {
	ts, id, stream := aws.ToInt64(ev.Timestamp), aws.ToString(ev.EventId), aws.ToString(ev.LogStreamName)
	if ts < r.from || (ts == r.from && r.seen[id]) {
		return nil
	}
	if ts > r.from {
		r.from = ts
		clear(r.seen)
	}
	r.seen[id] = true
	if r.caught != nil {
		r.caught[eventKey(ts, stream, aws.ToString(ev.Message))] = true
	}
	return r.emit(ts, stream, aws.ToString(ev.Message), fn)
}

// emit turns one event's fields into an entry, tracking the request id each log stream is running.
func (r *cloudWatchRead) emit(ts int64, stream, msg string, fn func(Entry) error) error {
	msg = strings.TrimRight(msg, "\n")
	reqID := lambdaRequestID(msg)
	switch {
	case strings.HasPrefix(msg, "START "):
		r.streams[stream] = reqID
	case strings.HasPrefix(msg, "REPORT "):
		delete(r.streams, stream)
	case reqID == "":
		reqID = r.streams[stream]
	}
	e := Entry{Time: time.UnixMilli(ts).UTC(), Stage: r.c.Stage, RequestID: reqID, Message: msg}
	if !r.q.matches(&e) {
		return nil
	}
	return fn(e)
}
