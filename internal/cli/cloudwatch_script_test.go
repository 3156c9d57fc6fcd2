package cli

import (
	"bufio"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/coworks-go/coworks/internal/logs/cloudwatchfake"
)

// fakeCloudWatch holds each script's local CloudWatch Logs stand-in.
var fakeCloudWatch sync.Map // *testscript.TestScript -> *cloudwatchfake.Server

// cmdCloudWatchFake is `cloudwatchfake GROUP FILE`: it starts a local server speaking the CloudWatch Logs
// JSON protocol (a fake: AWS cannot be reached here), points AWS_ENDPOINT_URL at it, and puts the events of
// FILE into GROUP, one per line: `RFC3339-TIME STREAM MESSAGE...`.
func cmdCloudWatchFake(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: cloudwatchfake GROUP FILE")
	}
	srv := cloudwatchfake.New()
	ts.Defer(srv.Close)
	fakeCloudWatch.Store(ts, srv)
	ts.Setenv("AWS_ENDPOINT_URL", srv.URL)
	f, err := os.Open(ts.MkAbs(args[1]))
	ts.Check(err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), " ", 3)
		if len(fields) != 3 {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, fields[0])
		ts.Check(err)
		srv.Put(args[0], cloudwatchfake.Event{Time: t, Stream: fields[1], Message: strings.ReplaceAll(fields[2], `\t`, "\t") + "\n"})
	}
	ts.Check(sc.Err())
}

// cmdCloudWatchPut is `cloudwatchput GROUP STREAM MESSAGE...`: it adds an event stamped now to the script's
// fake CloudWatch Logs.
func cmdCloudWatchPut(ts *testscript.TestScript, neg bool, args []string) {
	v, ok := fakeCloudWatch.Load(ts)
	if !ok || len(args) < 3 {
		ts.Fatalf("usage: cloudwatchput GROUP STREAM MESSAGE... (after cloudwatchfake)")
	}
	v.(*cloudwatchfake.Server).Put(args[0], cloudwatchfake.Event{Time: time.Now(), Stream: args[1], Message: strings.Join(args[2:], " ") + "\n"})
}
