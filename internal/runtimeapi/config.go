// Package runtimeapi runs Lambda functions locally the way Lambda does: each execution environment is a process
// of the function's executable that talks to its own Lambda Runtime API (2018-06-01) server on 127.0.0.1, one
// invocation at a time. A Pool keeps the environments of one function: warm reuse, cold starts on demand,
// reserved concurrency, the init and invoke timeouts, resets after crashes and timeouts, idle reaping.
//
// The package knows nothing of HTTP fronts or API Gateway: Invoke takes event bytes and returns response bytes
// or a typed failure (*FunctionError, ErrThrottled, ...).
package runtimeapi

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Limits and defaults of Lambda that the pool enforces.
const (
	// MaxRequestBytes is the largest event a synchronous invocation accepts (6 MB as Lambda counts it).
	MaxRequestBytes = 6291456
	// MaxResponseBytes is the largest response a runtime may post; larger ones are answered 413 and the
	// invocation fails with Function.ResponseSizeTooLarge.
	MaxResponseBytes = 6291556
	// DefaultInitTimeout is Lambda's limit on the init phase (process start to first /next).
	DefaultInitTimeout = 10 * time.Second
	// DefaultTimeout is Lambda's default function timeout.
	DefaultTimeout = 3 * time.Second
	// DefaultMemoryMB is Lambda's default memory size.
	DefaultMemoryMB = 128
	// DefaultIdleTimeout is how long an environment may stay idle before it is reaped, when unset. Lambda
	// keeps idle environments for an unpublished while (minutes to hours); 5 minutes keeps a working session
	// warm without holding memory for long.
	DefaultIdleTimeout = 5 * time.Minute
	// DefaultRegion is the region reported to functions when FunctionConfig.Region is empty.
	DefaultRegion = "us-east-1"
	// DefaultAccountID is the account in the function ARN when FunctionConfig.AccountID is empty.
	DefaultAccountID = "000000000000"
	// ShutdownGrace is how long a process has between SIGTERM and SIGKILL (Lambda's shutdown phase cap).
	ShutdownGrace = 2 * time.Second
)

// FunctionConfig describes one function (one stage's build of it) and how its environments run.
type FunctionConfig struct {
	// Name is the function name, `{app}-{stage}` for CoWorks projects. Required.
	Name string
	// Stage is the stage name, used to prefix log lines (`[dev] ...`).
	Stage string
	// Version is the function version reported to the runtime; "" means `$LATEST`.
	Version string
	// Executable is the path of the host build of the function (the `bootstrap`). Required.
	Executable string
	// Env holds the stage's merged environment variables. Variables Lambda reserves are overridden.
	Env map[string]string
	// MemoryMB is the configured memory size (reported, not enforced); 0 means 128.
	MemoryMB int
	// Timeout bounds each invocation; 0 means 3 s.
	Timeout time.Duration
	// ReservedConcurrency, when > 0, is the number of concurrent invocations beyond which Invoke fails at
	// once with ErrThrottled.
	ReservedConcurrency int
	// MaxEnvironments, when > 0, caps the processes of this function; further invocations wait. Without it
	// only the account's limit applies.
	MaxEnvironments int
	// IdleTimeout is how long an idle environment lives before it is shut down; 0 means 5 minutes.
	IdleTimeout time.Duration
	// InitTimeout bounds process start to first /next; 0 means 10 s.
	InitTimeout time.Duration
	// Region is the AWS region reported to the function; "" means us-east-1.
	Region string
	// AccountID is the account in the function ARN; "" means 000000000000.
	AccountID string
	// LogWriter receives the function's output and Lambda's START/END/REPORT lines, one Write per line.
	// nil discards them.
	LogWriter io.Writer
}

// withDefaults returns cfg with every zero value replaced by its default, or an error naming the bad field.
func (cfg FunctionConfig) withDefaults() (FunctionConfig, error) {
	if cfg.Name == "" {
		return cfg, errors.New("runtimeapi: function config has no Name; set it to `{app}-{stage}`")
	}
	if cfg.Executable == "" {
		return cfg, fmt.Errorf("runtimeapi: function %q has no Executable; build the function for the host first", cfg.Name)
	}
	abs, err := filepath.Abs(cfg.Executable)
	if err != nil {
		return cfg, fmt.Errorf("runtimeapi: function %q: executable path %q: %w", cfg.Name, cfg.Executable, err)
	}
	cfg.Executable = abs
	if cfg.Stage == "" {
		cfg.Stage = cfg.Name
	}
	if cfg.Version == "" {
		cfg.Version = "$LATEST"
	}
	if cfg.MemoryMB <= 0 {
		cfg.MemoryMB = DefaultMemoryMB
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = DefaultInitTimeout
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.AccountID == "" {
		cfg.AccountID = DefaultAccountID
	}
	if cfg.LogWriter == nil {
		cfg.LogWriter = io.Discard
	}
	return cfg, nil
}

// functionARN is the unqualified ARN of the function, as sent in Lambda-Runtime-Invoked-Function-Arn.
func (cfg FunctionConfig) functionARN() string {
	return "arn:aws:lambda:" + cfg.Region + ":" + cfg.AccountID + ":function:" + cfg.Name
}

// processEnv is the environment of one execution environment's process: the stage's variables, Lambda's
// unreserved defaults where the stage sets none, then Lambda's reserved variables. Nothing is inherited from
// the parent process except TMPDIR (so temporary files go where the host expects them); HOME is unset as in
// Lambda. AWS_EXECUTION_ENV is left unset, as Lambda does for OS-only runtimes (provided.al2023). Nothing
// Lambda does not set is added: in particular no GOMAXPROCS (Lambda limits a function's CPU time by its
// memory size; a local process gets the host's CPUs, and Go sizes itself to them).
func (cfg FunctionConfig) processEnv(runtimeAPI, taskRoot, tmpDir string, now time.Time) []string {
	vars := make(map[string]string, len(cfg.Env)+24)
	for k, v := range cfg.Env {
		vars[k] = v
	}
	defaults := map[string]string{
		"LANG":                     "en_US.UTF-8",
		"PATH":                     "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LD_LIBRARY_PATH":          "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:" + taskRoot + ":" + taskRoot + "/lib:/opt/lib",
		"TZ":                       ":UTC",
		"AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
	}
	if tmpDir != "" {
		defaults["TMPDIR"] = tmpDir
	}
	for k, v := range defaults {
		if _, set := vars[k]; !set {
			vars[k] = v
		}
	}
	reserved := map[string]string{
		"_HANDLER":                        "bootstrap",
		"AWS_REGION":                      cfg.Region,
		"AWS_DEFAULT_REGION":              cfg.Region,
		"AWS_LAMBDA_FUNCTION_NAME":        cfg.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(cfg.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     cfg.Version,
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + cfg.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      now.UTC().Format("2006/01/02") + "/[" + cfg.Version + "]" + randomHex(16),
		"AWS_LAMBDA_RUNTIME_API":          runtimeAPI,
		"LAMBDA_TASK_ROOT":                taskRoot,
		"LAMBDA_RUNTIME_DIR":              "/var/runtime",
	}
	for k, v := range reserved {
		vars[k] = v
	}
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}

// InvokeOptions carries what the caller knows about one invocation. Every field is optional.
type InvokeOptions struct {
	// RequestID is the invocation id (Lambda-Runtime-Aws-Request-Id); "" generates a UUID, as Lambda does
	// for every invocation. (API Gateway's requestContext.requestId is another id.)
	RequestID string
	// TraceID is the caller's X-Ray trace header (X-Amzn-Trace-Id, e.g. API Gateway's "Root=1-..."). The
	// function gets it as Lambda-Runtime-Trace-Id with its Root kept, a Parent segment id of Lambda's and a
	// Sampled decision (the caller's, else 0) added; "" starts a new trace.
	TraceID string
	// ClientContext is JSON sent as Lambda-Runtime-Client-Context when not empty.
	ClientContext string
	// CognitoIdentity is JSON sent as Lambda-Runtime-Cognito-Identity when not empty.
	CognitoIdentity string
}

// Result describes a finished invocation. It is returned with a nil error on success and alongside a
// *FunctionError when the invocation failed after reaching an environment.
type Result struct {
	// RequestID is the invocation id.
	RequestID string
	// Payload is the response the runtime posted (nil on failure; see FunctionError.Payload).
	Payload []byte
	// Duration runs from handing the event to the runtime to its response or error.
	Duration time.Duration
	// BilledDuration is what Lambda bills: Duration plus InitDuration, rounded up to the millisecond.
	BilledDuration time.Duration
	// MaxMemoryMB is the process's peak resident memory (VmHWM) in MB, rounded up, as last sampled: after
	// init and after earlier invocations, at most every 20 ms (reading /proc costs tens of microseconds, too
	// much for every call). VmHWM only grows, so this is a lower bound. 0 if unknown.
	MaxMemoryMB int
	// ColdStart reports that a new environment was started for this invocation.
	ColdStart bool
	// InitDuration is the init phase of the new environment (process start to first /next) on a cold start.
	InitDuration time.Duration
	// PID is the process id of the environment that served the invocation.
	PID int
}

// Errors Invoke returns before an invocation reaches an environment.
var (
	// ErrThrottled means reserved concurrency is exhausted (Lambda's TooManyRequestsException, "Rate Exceeded.").
	ErrThrottled = errors.New("TooManyRequestsException: Rate Exceeded.")
	// ErrRequestTooLarge means the event exceeds MaxRequestBytes (Lambda's RequestEntityTooLargeException).
	ErrRequestTooLarge = fmt.Errorf("RequestEntityTooLargeException: request must be smaller than %d bytes for the InvokeFunction operation", MaxRequestBytes)
	// ErrClosed means the pool has been closed.
	ErrClosed = errors.New("runtimeapi: pool is closed")
)

// FailureKind classifies a failed invocation.
type FailureKind int

// The kinds of FunctionError.
const (
	// FailureFunction: the runtime reported an error through /invocation/{id}/error (handler error or panic).
	FailureFunction FailureKind = iota + 1
	// FailureTimeout: the invocation ran past the function timeout; the environment was reset (Sandbox.Timedout).
	FailureTimeout
	// FailureExit: the process exited during the invocation; the environment was reset (Runtime.ExitError).
	FailureExit
	// FailureInit: the environment failed to initialise (executable cannot start, init error posted, exit before
	// /next, init timeout).
	FailureInit
	// FailureResponseTooLarge: the response exceeded MaxResponseBytes (Function.ResponseSizeTooLarge).
	FailureResponseTooLarge
)

// String returns the kind's name.
func (k FailureKind) String() string {
	switch k {
	case FailureFunction:
		return "function error"
	case FailureTimeout:
		return "timeout"
	case FailureExit:
		return "runtime exit"
	case FailureInit:
		return "init error"
	case FailureResponseTooLarge:
		return "response too large"
	}
	return "unknown failure"
}

// FunctionError is an invocation that reached the function and failed. Payload is what Lambda returns to a
// synchronous caller (with X-Amz-Function-Error: Unhandled): `{"errorMessage","errorType"[,"stackTrace"]}`.
type FunctionError struct {
	// Kind classifies the failure.
	Kind FailureKind
	// Type is the error type: the Lambda-Runtime-Function-Error-Type header or the payload's errorType for
	// FailureFunction; Sandbox.Timedout, Runtime.ExitError, Function.ResponseSizeTooLarge, ... otherwise.
	Type string
	// Message is a human-readable description.
	Message string
	// Payload is the error document.
	Payload []byte
}

// Error returns "<Type>: <Message>".
func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// randomHex returns n random bytes as lowercase hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newRequestID returns a random UUID v4 as Lambda's request ids are.
func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// lambdaTraceHeader returns the trace header Lambda gives the runtime for a caller's header in: the caller's
// Root (a new one when it has none), a new Parent (the segment id of the invocation) and the caller's Sampled
// decision, 0 when it made none. Other fields the caller sent (Lineage, ...) are kept.
func lambdaTraceHeader(in string, now time.Time) string {
	root, sampled := "", "0"
	var rest []string
	for _, f := range strings.Split(in, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok || k == "" {
			continue
		}
		switch k {
		case "Root":
			root = v
		case "Sampled":
			if v == "1" || v == "0" {
				sampled = v
			}
		case "Parent", "Self":
		default:
			rest = append(rest, k+"="+v)
		}
	}
	if root == "" {
		root = fmt.Sprintf("1-%08x-%s", now.Unix(), randomHex(12))
	}
	h := "Root=" + root + ";Parent=" + randomHex(8) + ";Sampled=" + sampled
	for _, f := range rest {
		h += ";" + f
	}
	return h
}
