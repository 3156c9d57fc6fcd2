package runtimeapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coworks-go/coworks/internal/functiontest"
)

func TestWarmEnvironmentServesSequentialInvocations(t *testing.T) {
	p, _ := newTestPool(t, "echo", nil)
	ctx := context.Background()
	var first Result
	for i := range 3 {
		event := fmt.Sprintf(`{"n":%d}`, i)
		res, err := p.Invoke(ctx, []byte(event), InvokeOptions{})
		if err != nil {
			t.Fatalf("invocation %d: %v", i, err)
		}
		if string(res.Payload) != event {
			t.Errorf("invocation %d answered %s, want the event %s back", i, res.Payload, event)
		}
		if i == 0 {
			first = res
			if !res.ColdStart || res.InitDuration <= 0 {
				t.Errorf("first invocation: ColdStart %v InitDuration %v, want a cold start with its init duration", res.ColdStart, res.InitDuration)
			}
			continue
		}
		if res.ColdStart || res.PID != first.PID {
			t.Errorf("invocation %d: ColdStart %v on pid %d, want a warm start on pid %d", i, res.ColdStart, res.PID, first.PID)
		}
	}
	if first.MaxMemoryMB <= 0 || first.BilledDuration < first.Duration || first.BilledDuration%time.Millisecond != 0 {
		t.Errorf("result measures: max memory %d MB, duration %v, billed %v; want memory > 0 and billed = duration rounded up to ms",
			first.MaxMemoryMB, first.Duration, first.BilledDuration)
	}
	// The runtime calls /next again just after answering; only then is the environment idle.
	eventually(t, "the environment to poll /next again", func() bool { return p.Stats().Idle == 1 })
	if s := p.Stats(); s.ColdStarts != 1 || s.Invocations != 3 || s.Environments != 1 || s.Busy != 0 {
		t.Errorf("stats %+v, want 1 cold start, 3 invocations, 1 idle environment", s)
	}
	mem := p.Memory()
	if len(mem) != 1 || mem[0].PID != first.PID || mem[0].RSSBytes <= 0 || !mem[0].Idle {
		t.Errorf("Memory() = %+v, want the one warm environment with its RSS", mem)
	}
}

func TestFunctionSeesLambdaEnvironmentAndInvocationHeaders(t *testing.T) {
	t.Setenv("COWORKS_PARENT_ONLY", "must-not-leak")
	p, _ := newTestPool(t, "env", func(c *FunctionConfig) {
		c.Env = map[string]string{"TABLE_NAME": "orders-dev", "AWS_LAMBDA_FUNCTION_NAME": "spoofed", "LANG": "fr_FR.UTF-8"}
		c.MemoryMB = 256
		c.Region = "eu-west-3"
		c.AccountID = "123456789012"
	})
	opts := InvokeOptions{
		RequestID:       "8f2c0d6e-1111-4222-8333-444455556666",
		TraceID:         "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
		ClientContext:   `{"client":{"app_title":"shop"},"custom":{"k":"v"},"env":{}}`,
		CognitoIdentity: `{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}`,
	}
	before := time.Now()
	res, err := p.Invoke(context.Background(), []byte(`{}`), opts)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Env             map[string]string                  `json:"env"`
		Cwd             string                             `json:"cwd"`
		RequestID       string                             `json:"requestId"`
		FunctionARN     string                             `json:"functionArn"`
		DeadlineMS      int64                              `json:"deadlineMs"`
		TraceID         string                             `json:"traceId"`
		ClientContext   struct{ Custom map[string]string } `json:"clientContext"`
		CognitoIdentity struct{ CognitoIdentityID string } `json:"cognitoIdentity"`
	}
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("decoding %s: %v", res.Payload, err)
	}
	want := map[string]string{
		"TABLE_NAME":                      "orders-dev",
		"LANG":                            "fr_FR.UTF-8",
		"AWS_LAMBDA_FUNCTION_NAME":        "app-dev",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_REGION":                      "eu-west-3",
		"AWS_DEFAULT_REGION":              "eu-west-3",
		"LAMBDA_TASK_ROOT":                binDir,
		"LAMBDA_RUNTIME_DIR":              "/var/runtime",
		"_HANDLER":                        "bootstrap",
		"TZ":                              ":UTC",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/app-dev",
		"PATH":                            "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
	}
	for k, v := range want {
		if got.Env[k] != v {
			t.Errorf("env %s = %q, want %q", k, got.Env[k], v)
		}
	}
	for _, k := range []string{"COWORKS_PARENT_ONLY", "HOME", "AWS_EXECUTION_ENV", "GOMAXPROCS"} {
		if v, ok := got.Env[k]; ok {
			t.Errorf("env %s = %q, want it unset", k, v)
		}
	}
	if !regexp.MustCompile(`^127\.0\.0\.1:\d+$`).MatchString(got.Env["AWS_LAMBDA_RUNTIME_API"]) {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q, want 127.0.0.1:<port>", got.Env["AWS_LAMBDA_RUNTIME_API"])
	}
	if !regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$`).MatchString(got.Env["AWS_LAMBDA_LOG_STREAM_NAME"]) {
		t.Errorf("AWS_LAMBDA_LOG_STREAM_NAME = %q, want YYYY/MM/DD/[$LATEST]<32 hex>", got.Env["AWS_LAMBDA_LOG_STREAM_NAME"])
	}
	if !strings.Contains(got.Env["LD_LIBRARY_PATH"], binDir) {
		t.Errorf("LD_LIBRARY_PATH = %q, want it to include the task root", got.Env["LD_LIBRARY_PATH"])
	}
	if filepath.Clean(got.Cwd) != filepath.Clean(binDir) {
		t.Errorf("working directory %q, want the task root %q", got.Cwd, binDir)
	}
	if got.RequestID != opts.RequestID || res.RequestID != opts.RequestID {
		t.Errorf("request id seen %q, result %q, want %q", got.RequestID, res.RequestID, opts.RequestID)
	}
	if got.FunctionARN != "arn:aws:lambda:eu-west-3:123456789012:function:app-dev" {
		t.Errorf("invoked function ARN %q", got.FunctionARN)
	}
	// Lambda keeps the caller's Root and Sampled decision and adds its own Parent segment.
	if !regexp.MustCompile(`^Root=1-5759e988-bd862e3fe1be46a994272793;Parent=[0-9a-f]{16};Sampled=1$`).MatchString(got.TraceID) ||
		strings.Contains(got.TraceID, "53995c3f42cd8ad8") || got.Env["_X_AMZN_TRACE_ID"] != got.TraceID {
		t.Errorf("trace id %q (env %q), want the caller's Root, a new Parent, Sampled=1", got.TraceID, got.Env["_X_AMZN_TRACE_ID"])
	}
	if got.ClientContext.Custom["k"] != "v" || got.CognitoIdentity.CognitoIdentityID != "id-1" {
		t.Errorf("client context %+v / identity %+v not passed through", got.ClientContext, got.CognitoIdentity)
	}
	// The deadline is the dispatch time plus the 5 s timeout: after the call began, before it ended + 5 s.
	if d := time.UnixMilli(got.DeadlineMS); d.Before(before.Add(5*time.Second).Truncate(time.Millisecond)) || d.After(time.Now().Add(5*time.Second)) {
		t.Errorf("deadline %v, want the invocation start + 5 s", d)
	}
}

func TestFunctionErrorIsReturnedAndEnvironmentKept(t *testing.T) {
	p, _ := newTestPool(t, "fail", nil)
	res, err := p.Invoke(context.Background(), []byte(`{}`), InvokeOptions{})
	fe := asFunctionError(t, err, FailureFunction, "errorString")
	var doc map[string]any
	if err := json.Unmarshal(fe.Payload, &doc); err != nil || doc["errorMessage"] != "boom: the order does not exist" || doc["errorType"] != "errorString" {
		t.Errorf("error payload %s, want Lambda's {errorMessage, errorType} document", fe.Payload)
	}
	res2, err := p.Invoke(context.Background(), []byte(`{}`), InvokeOptions{})
	asFunctionError(t, err, FailureFunction, "errorString")
	if res2.PID != res.PID || res2.ColdStart {
		t.Errorf("after a handled error the environment must be reused: pid %d then %d (cold %v)", res.PID, res2.PID, res2.ColdStart)
	}
}

func TestCrashResetsEnvironment(t *testing.T) {
	p, logs := newTestPool(t, "crash", nil)
	ctx := context.Background()

	res, err := p.Invoke(ctx, []byte(`{"mode":"panic"}`), InvokeOptions{})
	fe := asFunctionError(t, err, FailureFunction, "string")
	var doc struct {
		ErrorMessage string           `json:"errorMessage"`
		StackTrace   []map[string]any `json:"stackTrace"`
	}
	if err := json.Unmarshal(fe.Payload, &doc); err != nil || doc.ErrorMessage != "crash test panic" || len(doc.StackTrace) == 0 {
		t.Errorf("panic payload %s, want errorMessage and a stackTrace", fe.Payload)
	}
	eventually(t, "the panicked process to exit", func() bool { return processGone(res.PID) })
	after, err := p.Invoke(ctx, []byte(`{}`), InvokeOptions{})
	if err != nil || string(after.Payload) != `"alive"` || after.PID == res.PID || !after.ColdStart {
		t.Fatalf("after a panic: %s, %v on pid %d (cold %v), want \"alive\" from a new environment", after.Payload, err, after.PID, after.ColdStart)
	}

	res, err = p.Invoke(ctx, []byte(`{"mode":"exit"}`), InvokeOptions{RequestID: "exit-1"})
	fe = asFunctionError(t, err, FailureExit, "Runtime.ExitError")
	if want := `{"errorMessage":"RequestId: exit-1 Error: Runtime exited with error: exit status 3","errorType":"Runtime.ExitError"}`; string(fe.Payload) != want {
		t.Errorf("exit payload %s, want %s", fe.Payload, want)
	}
	logs.waitFor(t, "[dev] RequestId: exit-1 Error: Runtime exited with error: exit status 3\n[dev] Runtime.ExitError\n[dev] END RequestId: exit-1\n")
	logs.waitFor(t, "\tStatus: error\tError Type: Runtime.ExitError\n")
	after, err = p.Invoke(ctx, []byte(`{}`), InvokeOptions{})
	if err != nil || string(after.Payload) != `"alive"` || after.PID == res.PID {
		t.Fatalf("after an exit: %s, %v on pid %d, want \"alive\" from a new environment", after.Payload, err, after.PID)
	}
}

func TestTimeoutKillsAndResetsEnvironment(t *testing.T) {
	p, logs := newTestPool(t, "sleep", func(c *FunctionConfig) { c.Timeout = 300 * time.Millisecond })
	ctx := context.Background()
	res, err := p.Invoke(ctx, []byte(`{"ms":60000}`), InvokeOptions{RequestID: "slow-1"})
	fe := asFunctionError(t, err, FailureTimeout, "Sandbox.Timedout")
	if fe.Message != "Task timed out after 0.30 seconds" {
		t.Errorf("timeout message %q", fe.Message)
	}
	logs.waitFor(t, "[dev] slow-1 Task timed out after 0.30 seconds\n")
	logs.waitFor(t, "\tStatus: timeout\n")
	eventually(t, "the timed-out process to be killed", func() bool { return processGone(res.PID) })
	after, err := p.Invoke(ctx, []byte(`{"ms":0}`), InvokeOptions{})
	if err != nil || string(after.Payload) != `"slept"` || after.PID == res.PID {
		t.Fatalf("after a timeout: %s, %v on pid %d, want \"slept\" from a new environment", after.Payload, err, after.PID)
	}
}

func TestInitFailures(t *testing.T) {
	t.Run("timeout, then the retry within the function timeout times out too", func(t *testing.T) {
		p, logs := newTestPool(t, "slowinit", func(c *FunctionConfig) {
			c.Env = map[string]string{"SLOW_INIT_MS": "60000"}
			c.InitTimeout = 200 * time.Millisecond
			c.Timeout = 500 * time.Millisecond
		})
		_, err := p.Invoke(context.Background(), []byte(`{}`), InvokeOptions{RequestID: "slow-init"})
		asFunctionError(t, err, FailureInit, "Sandbox.Timedout")
		logs.waitFor(t, "[dev] INIT_REPORT Init Duration: 200.00 ms\tPhase: init\tStatus: timeout\n")
		logs.waitFor(t, "[dev] INIT_REPORT Init Duration: 500.00 ms\tPhase: invoke\tStatus: timeout\n[dev] START RequestId: slow-init Version: $LATEST\n"+
			"[dev] slow-init Task timed out after 0.50 seconds\n[dev] END RequestId: slow-init\n"+
			"[dev] REPORT RequestId: slow-init\tDuration: 500.00 ms\tBilled Duration: 500 ms\tMemory Size: 128 MB\tMax Memory Used: ")
		eventually(t, "both stuck processes to be killed", func() bool { return p.Stats().Environments == 0 && len(functiontest.ProcessesUnder(binDir)) == 0 })
	})
	t.Run("timeout, then the retry within the function timeout succeeds", func(t *testing.T) {
		p, logs := newTestPool(t, "slowinit", func(c *FunctionConfig) {
			c.Env = map[string]string{"SLOW_INIT_MS": "400"}
			c.InitTimeout = 200 * time.Millisecond
		})
		res, err := p.Invoke(context.Background(), []byte(`{}`), InvokeOptions{RequestID: "retried"})
		if err != nil || string(res.Payload) != `"ready"` || !res.ColdStart || res.Duration < 400*time.Millisecond {
			t.Fatalf("got %s, %v (cold %v, duration %v); want \"ready\" after the retried init of 400 ms, counted in the duration",
				res.Payload, err, res.ColdStart, res.Duration)
		}
		logs.waitFor(t, "[dev] INIT_REPORT Init Duration: 200.00 ms\tPhase: init\tStatus: timeout\n")
		logs.waitFor(t, "[dev] REPORT RequestId: retried\t")
		// The init retried during the invocation is part of its Duration: no Init Duration field.
		if !regexp.MustCompile(`\[dev\] REPORT RequestId: retried\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\n`).MatchString(logs.String()) {
			t.Errorf("REPORT of an invocation with a retried init:\n%s", logs)
		}
	})
	t.Run("exit", func(t *testing.T) {
		p, logs := newTestPool(t, "slowinit", func(c *FunctionConfig) { c.Env = map[string]string{"INIT_EXIT": "1"} })
		_, err := p.Invoke(context.Background(), []byte(`{}`), InvokeOptions{})
		fe := asFunctionError(t, err, FailureInit, "Runtime.ExitError")
		if fe.Message != "Runtime exited with error: exit status 4" {
			t.Errorf("message %q", fe.Message)
		}
		logs.waitFor(t, "[dev] init failed: missing DATABASE_URL\n")
		logs.waitFor(t, "\tPhase: init\tStatus: error\tError Type: Runtime.ExitError\n")
		logs.waitFor(t, "\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError\n")
		logs.waitFor(t, "\tStatus: error\tError Type: Runtime.ExitError\n")
	})
	t.Run("fast init works", func(t *testing.T) {
		p, _ := newTestPool(t, "slowinit", func(c *FunctionConfig) { c.Env = map[string]string{"SLOW_INIT_MS": "50"} })
		res, err := p.Invoke(context.Background(), []byte(`{}`), InvokeOptions{})
		if err != nil || string(res.Payload) != `"ready"` || res.InitDuration < 50*time.Millisecond {
			t.Fatalf("got %s, %v, init %v; want \"ready\" after an init of at least the 50 ms the function sleeps", res.Payload, err, res.InitDuration)
		}
	})
}

func TestFunctionOutputIsPrefixedAndFramedByLambdaLines(t *testing.T) {
	p, logs := newTestPool(t, "logs", func(c *FunctionConfig) { c.MemoryMB = 512 })
	ctx := context.Background()
	for _, id := range []string{"req-aaa", "req-bbb"} {
		if _, err := p.Invoke(ctx, []byte(`{}`), InvokeOptions{RequestID: id}); err != nil {
			t.Fatal(err)
		}
		logs.waitFor(t, "[dev] "+id+" stdout line for "+id+"\n")
		logs.waitFor(t, "[dev] "+id+" stderr line for "+id+"\n")
	}
	// The second /next, which completes req-bbb, follows the second Invoke; wait for its END line.
	logs.waitFor(t, "[dev] END RequestId: req-bbb\n")
	out := logs.String()
	for _, want := range []string{
		"[dev] init line\n",
		"[dev] START RequestId: req-aaa Version: $LATEST\n",
		"[dev] END RequestId: req-aaa\n",
		"[dev] START RequestId: req-bbb Version: $LATEST\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	cold := regexp.MustCompile(`\[dev\] REPORT RequestId: req-aaa\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 512 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\n`)
	warm := regexp.MustCompile(`\[dev\] REPORT RequestId: req-bbb\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 512 MB\tMax Memory Used: \d+ MB\n`)
	if !cold.MatchString(out) || !warm.MatchString(out) {
		t.Errorf("REPORT lines do not match Lambda's format (Init Duration only on the cold start):\n%s", out)
	}
	if strings.Index(out, "START RequestId: req-aaa") > strings.Index(out, "END RequestId: req-aaa") {
		t.Errorf("END before START:\n%s", out)
	}
}

func TestLocalCapQueuesConcurrentInvocations(t *testing.T) {
	p, _ := newTestPool(t, "sleep", func(c *FunctionConfig) { c.MaxEnvironments = 10 })
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := p.Invoke(context.Background(), []byte(`{"ms":30}`), InvokeOptions{RequestID: fmt.Sprintf("c-%d", i)})
			if err == nil && string(res.Payload) != `"slept"` {
				err = fmt.Errorf("invocation %d answered %s", i, res.Payload)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if s := p.Stats(); s.ColdStarts > 10 || s.Environments > 10 || s.Invocations != 40 || s.Throttles != 0 {
		t.Errorf("stats %+v, want at most 10 environments ever started, 40 invocations, no throttles", s)
	}
}

func TestReservedConcurrencyThrottles(t *testing.T) {
	p, _ := newTestPool(t, "sleep", func(c *FunctionConfig) { c.ReservedConcurrency = 2 })
	ctx := context.Background()
	results := make(chan error, 2)
	for range 2 {
		go func() {
			res, err := p.Invoke(ctx, []byte(`{"ms":1500}`), InvokeOptions{})
			if err == nil && string(res.Payload) != `"slept"` {
				err = fmt.Errorf("answered %s", res.Payload)
			}
			results <- err
		}()
	}
	eventually(t, "two busy environments", func() bool { return p.Stats().Busy == 2 })
	_, err := p.Invoke(ctx, []byte(`{"ms":0}`), InvokeOptions{})
	if !errors.Is(err, ErrThrottled) {
		t.Errorf("third concurrent invocation: %v, want ErrThrottled", err)
	}
	for range 2 {
		if err := <-results; err != nil {
			t.Errorf("throttling must not affect running invocations: %v", err)
		}
	}
	if _, err := p.Invoke(ctx, []byte(`{"ms":0}`), InvokeOptions{}); err != nil {
		t.Errorf("after the busy ones finished: %v", err)
	}
	if s := p.Stats(); s.Throttles != 1 {
		t.Errorf("stats %+v, want 1 throttle", s)
	}
}

func TestIdleEnvironmentsAreReaped(t *testing.T) {
	p, _ := newTestPool(t, "echo", func(c *FunctionConfig) { c.IdleTimeout = 100 * time.Millisecond })
	res, err := p.Invoke(context.Background(), []byte(`1`), InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the idle environment to be reaped", func() bool { return p.Stats().Environments == 0 && processGone(res.PID) })
	again, err := p.Invoke(context.Background(), []byte(`2`), InvokeOptions{})
	if err != nil || !again.ColdStart || again.PID == res.PID {
		t.Fatalf("after reaping: %v, cold %v on pid %d; want a cold start on a new process", err, again.ColdStart, again.PID)
	}
}

func TestCloseStopsEveryProcess(t *testing.T) {
	p, _ := newTestPool(t, "sleep", nil)
	ctx := context.Background()
	if _, err := p.Invoke(ctx, []byte(`{"ms":0}`), InvokeOptions{}); err != nil {
		t.Fatal(err)
	}
	busy := make(chan error, 3)
	for range 3 {
		go func() {
			_, err := p.Invoke(ctx, []byte(`{"ms":60000}`), InvokeOptions{})
			busy <- err
		}()
	}
	eventually(t, "three running invocations", func() bool { s := p.Stats(); return s.Busy == 3 && s.Invocations == 4 })
	var pids []int
	for _, m := range p.Memory() {
		pids = append(pids, m.PID)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if !processGone(pid) {
			t.Errorf("pid %d still runs after Close", pid)
		}
	}
	for range 3 {
		asFunctionError(t, <-busy, FailureExit, "Runtime.ExitError")
	}
	if _, err := p.Invoke(ctx, []byte(`{}`), InvokeOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close: %v, want ErrClosed", err)
	}
	if s := p.Stats(); s.Environments != 0 {
		t.Errorf("stats after Close %+v, want no environment", s)
	}
}

func TestInvokeRejectsOversizedEventsAndBadConfig(t *testing.T) {
	p, _ := newTestPool(t, "echo", nil)
	if _, err := p.Invoke(context.Background(), make([]byte, MaxRequestBytes+1), InvokeOptions{}); !errors.Is(err, ErrRequestTooLarge) {
		t.Errorf("oversized event: %v, want ErrRequestTooLarge", err)
	}
	if _, err := NewPool(FunctionConfig{Name: "x"}, nil); err == nil || !strings.Contains(err.Error(), "Executable") {
		t.Errorf("missing executable: %v", err)
	}
	missing, err := NewPool(FunctionConfig{Name: "x", Executable: filepath.Join(t.TempDir(), "nope")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer missing.Close(context.Background())
	_, err = missing.Invoke(context.Background(), []byte(`{}`), InvokeOptions{})
	if fe := asFunctionError(t, err, FailureInit, "Runtime.InvalidEntrypoint"); !strings.Contains(fe.Message, "host build") {
		t.Errorf("missing executable at invoke: %v, want an error saying to build", err)
	}
}
