package runtimeapi

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Lambda's own lines in a function's log, written exactly as Lambda writes them to CloudWatch Logs, each
// prefixed locally with "[stage] ". This file is the one place that knows their format:
//
//	INIT_START Runtime Version: provided:al2023.local	Runtime Version ARN: arn:aws:lambda:us-east-1::runtime:<64 hex>
//	START RequestId: <id> Version: $LATEST
//	END RequestId: <id>
//	REPORT RequestId: <id>	Duration: 1.23 ms	Billed Duration: 7 ms	Memory Size: 128 MB	Max Memory Used: 12 MB	Init Duration: 5.10 ms
//	REPORT RequestId: <id>	Duration: 3000.00 ms	Billed Duration: 3000 ms	Memory Size: 128 MB	Max Memory Used: 12 MB	Status: timeout
//	REPORT RequestId: <id>	Duration: 2.00 ms	Billed Duration: 2 ms	Memory Size: 128 MB	Max Memory Used: 12 MB	Status: error	Error Type: Runtime.ExitError
//	INIT_REPORT Init Duration: 10000.00 ms	Phase: init	Status: timeout
//	INIT_REPORT Init Duration: 0.61 ms	Phase: invoke	Status: error	Error Type: Runtime.InvalidEntrypoint
//	<id> Task timed out after 3.00 seconds
//	RequestId: <id> Error: Runtime exited with error: exit status 2
//	Runtime.ExitError
//
// Fields are separated by tabs. Init Duration appears on the REPORT of an invocation that started an
// environment; an init retried during the invocation (after the first one failed or passed the 10 s limit)
// is part of Duration instead, as on AWS. Billed Duration is Duration plus Init Duration, rounded up to the
// millisecond: Lambda bills the init phase of every on-demand function since August 2025 (custom runtimes
// such as provided.al2023 were billed for it before). A timed-out invocation reports the timeout itself as
// its Duration.

// RuntimeVersion is what INIT_START reports as the runtime version. Functions run on the host, not on a
// Lambda runtime image, so the version names no real release.
const RuntimeVersion = "provided:al2023.local"

// runtimeVersionARN returns INIT_START's runtime version ARN in region: Lambda's shape, a fixed local hash.
func runtimeVersionARN(region string) string {
	sum := sha256.Sum256([]byte(RuntimeVersion))
	return "arn:aws:lambda:" + region + "::runtime:" + hex.EncodeToString(sum[:])
}

// initStartLine is the INIT_START line of an environment's init.
func initStartLine(region string) string {
	return "INIT_START Runtime Version: " + RuntimeVersion + "\tRuntime Version ARN: " + runtimeVersionARN(region)
}

// initReportLine is the INIT_REPORT line of a failed init; phase is "init" (the first attempt) or "invoke"
// (the retry during the invocation), status "timeout" or "error" (with errType).
func initReportLine(d time.Duration, phase, status, errType string) string {
	s := "INIT_REPORT Init Duration: " + millis(d) + " ms\tPhase: " + phase + "\tStatus: " + status
	if errType != "" {
		s += "\tError Type: " + errType
	}
	return s
}

// startLine is the START line of an invocation.
func startLine(requestID, version string) string {
	return "START RequestId: " + requestID + " Version: " + version
}

// errorLines are the two lines Lambda logs when an invocation fails without the function's own answer.
func errorLines(requestID, message, errType string) string {
	return "RequestId: " + requestID + " Error: " + message + "\n" + errType
}

// timeoutMessage is Lambda's message for an invocation past the function timeout.
func timeoutMessage(timeout time.Duration) string {
	return "Task timed out after " + strconv.FormatFloat(timeout.Seconds(), 'f', 2, 64) + " seconds"
}

// report is what a REPORT line says about one invocation.
type report struct {
	requestID    string
	duration     time.Duration
	initDuration time.Duration // 0: no Init Duration field
	memoryMB     int
	maxMemoryMB  int
	status       string // "", "timeout" or "error"
	errType      string // with status "error"
}

// billedDuration is what Lambda bills for an invocation: its duration plus its init, rounded up to the
// millisecond.
func billedDuration(d, init time.Duration) time.Duration {
	return (d + init + time.Millisecond - 1).Truncate(time.Millisecond)
}

// appendEndReport appends the END and REPORT lines of r, each with the "[stage] " prefix.
func appendEndReport(b []byte, stage string, r *report) []byte {
	b = appendLine(b, stage, "", "END RequestId: "+r.requestID)
	b = append(b, '[')
	b = append(b, stage...)
	b = append(b, "] REPORT RequestId: "...)
	b = append(b, r.requestID...)
	b = append(b, "\tDuration: "...)
	b = appendMillis(b, r.duration)
	b = append(b, " ms\tBilled Duration: "...)
	b = strconv.AppendInt(b, billedDuration(r.duration, r.initDuration).Milliseconds(), 10)
	b = append(b, " ms\tMemory Size: "...)
	b = strconv.AppendInt(b, int64(r.memoryMB), 10)
	b = append(b, " MB\tMax Memory Used: "...)
	b = strconv.AppendInt(b, int64(r.maxMemoryMB), 10)
	b = append(b, " MB"...)
	if r.initDuration > 0 {
		b = append(b, "\tInit Duration: "...)
		b = appendMillis(b, r.initDuration)
		b = append(b, " ms"...)
	}
	if r.status != "" {
		b = append(b, "\tStatus: "...)
		b = append(b, r.status...)
		if r.errType != "" {
			b = append(b, "\tError Type: "...)
			b = append(b, r.errType...)
		}
	}
	return append(b, '\n')
}

// millis formats d as Lambda's log lines do: milliseconds with two decimals.
func millis(d time.Duration) string {
	return string(appendMillis(nil, d))
}

// appendMillis appends millis(d) to b.
func appendMillis(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 2, 64)
}
