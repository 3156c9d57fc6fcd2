package logs

import (
	"context"
	"errors"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// LiveTailAPI is the Live Tail part of the CloudWatch Logs client.
type LiveTailAPI interface {
	StartLiveTail(ctx context.Context, in *cloudwatchlogs.StartLiveTailInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.StartLiveTailOutput, error)
}

// errLiveTailEnded is a Live Tail session that ended by itself (Live Tail closes sessions after 3 hours).
var errLiveTailEnded = errors.New("the Live Tail session ended")

// liveTail follows the log group through a Live Tail session until ctx ends (nil) or the session cannot
// start or stops (the error; the caller then polls). When the session starts, one FilterLogEvents read
// catches up on what was written since the last read; live events it already returned are skipped.
func (r *cloudWatchRead) liveTail(ctx context.Context, lt LiveTailAPI, fn func(Entry) error) error {
	out, err := lt.StartLiveTail(ctx, &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{r.c.LogGroupARN}})
	if err != nil {
		return err
	}
	stream := out.GetStream()
	defer stream.Close()
	var caught map[string]bool // the catch-up read's events, by eventKey
	for {
		var ev types.StartLiveTailResponseStream
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case ev, ok = <-stream.Events():
		}
		if !ok {
			if err := stream.Err(); err != nil && ctx.Err() == nil {
				return err
			}
			if ctx.Err() != nil {
				return nil
			}
			return errLiveTailEnded
		}
		switch v := ev.(type) {
		case *types.StartLiveTailResponseStreamMemberSessionStart:
			caught = map[string]bool{}
			r.caught = caught
			err := r.page(ctx, fn)
			r.caught = nil
			if err != nil && !errors.Is(err, ErrNoLogGroup) {
				return err
			}
		case *types.StartLiveTailResponseStreamMemberSessionUpdate:
			for _, le := range v.Value.SessionResults {
				ts, stream, msg := aws.ToInt64(le.Timestamp), aws.ToString(le.LogStreamName), aws.ToString(le.Message)
				if caught[eventKey(ts, stream, msg)] {
					continue
				}
				if err := r.emit(ts, stream, msg, fn); err != nil {
					return err
				}
				if ts > r.from { // a poll after this session starts from here
					r.from = ts
					clear(r.seen)
				}
			}
		}
	}
}

// eventKey identifies a log event that has no id (Live Tail's).
func eventKey(ts int64, stream, msg string) string {
	return strconv.FormatInt(ts, 10) + "\x00" + stream + "\x00" + msg
}
