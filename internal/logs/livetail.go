package logs

import (
	"context"
	"errors"
	"strconv"
	"time"

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

// Live Tail sessions are started again when they end or their stream breaks (a dropped connection, the
// 3-hour limit), after liveTailRestartDelay; a session that ends within liveTailShortSession of its start
// counts against maxShortLiveTailSessions in a row, after which the reader polls instead.
const (
	liveTailRestartDelay     = time.Second
	liveTailShortSession     = 10 * time.Second
	maxShortLiveTailSessions = 3
)

// followLiveTail follows the log group through Live Tail sessions until ctx ends (nil), a session is
// refused, or sessions keep breaking (the error; the caller then polls).
func (r *cloudWatchRead) followLiveTail(ctx context.Context, lt LiveTailAPI, fn func(Entry) error) error {
	short := 0
	for {
		began := time.Now()
		again, err := r.liveTail(ctx, lt, fn)
		if err == nil || ctx.Err() != nil || !again {
			return err
		}
		if short++; time.Since(began) >= liveTailShortSession {
			short = 1
		}
		if short >= maxShortLiveTailSessions {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(liveTailRestartDelay):
		}
	}
}

// liveTail follows the log group through one Live Tail session until ctx ends (nil) or the session is
// refused or stops (the error); again says that it stopped after StartLiveTail was accepted (the stream
// ended or broke), so that a new session may do better. When it starts, one FilterLogEvents read catches
// up on what was written since the last read; live events it already returned are skipped.
func (r *cloudWatchRead) liveTail(ctx context.Context, lt LiveTailAPI, fn func(Entry) error) (again bool, err error) {
	out, err := lt.StartLiveTail(ctx, &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{r.c.LogGroupARN}})
	if err != nil {
		return false, err
	}
	stream := out.GetStream()
	defer stream.Close()
	var caught map[string]bool // the catch-up read's events, by eventKey
	for {
		var ev types.StartLiveTailResponseStream
		var ok bool
		select {
		case <-ctx.Done():
			return false, nil
		case ev, ok = <-stream.Events():
		}
		if !ok {
			if err := stream.Err(); err != nil && ctx.Err() == nil {
				return true, err
			}
			if ctx.Err() != nil {
				return false, nil
			}
			return true, errLiveTailEnded
		}
		switch v := ev.(type) {
		case *types.StartLiveTailResponseStreamMemberSessionStart:
			caught = map[string]bool{}
			r.caught = caught
			err := r.page(ctx, fn)
			r.caught = nil
			if err != nil && !errors.Is(err, ErrNoLogGroup) {
				return false, err
			}
		case *types.StartLiveTailResponseStreamMemberSessionUpdate:
			for _, le := range v.Value.SessionResults {
				ts, stream, msg := aws.ToInt64(le.Timestamp), aws.ToString(le.LogStreamName), aws.ToString(le.Message)
				if caught[eventKey(ts, stream, msg)] {
					continue
				}
				if err := r.emit(ts, stream, msg, fn); err != nil {
					return false, err
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
