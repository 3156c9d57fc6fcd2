// Command spawn is a test function that starts a child process (itself, sleeping for an hour) on every
// invocation and then ends as the event's "mode" says:
//
//	panic    the handler panics (aws-lambda-go reports the error, then the process exits)
//	exit     os.Exit(3)
//	signal   the process kills itself with SIGKILL
//	oom      the process runs out of memory (its address space is capped first, as Lambda caps memory)
//	hang     the handler never returns (the test kills the process from outside)
//	answer   the handler answers with the child's pid and the process lives on
package main

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Mode string `json:"mode"`
}

// sink keeps allocations reachable so that the oom mode really runs out of memory.
var sink [][]byte

// vmSizeKB returns the process's address space size (VmSize), in kB.
func vmSizeKB() uint64 {
	data, _ := os.ReadFile("/proc/self/status")
	_, rest, _ := strings.Cut(string(data), "VmSize:")
	line, _, _ := strings.Cut(rest, "kB")
	n, _ := strconv.ParseUint(strings.TrimSpace(line), 10, 64)
	return n
}

func main() {
	if os.Getenv("SPAWN_CHILD") != "" {
		time.Sleep(time.Hour)
		return
	}
	lambda.Start(func(ctx context.Context, e event) (string, error) {
		self, err := os.Executable()
		if err != nil {
			return "", err
		}
		child := exec.Command(self)
		child.Env = append(os.Environ(), "SPAWN_CHILD=1")
		if err := child.Start(); err != nil {
			return "", err
		}
		switch e.Mode {
		case "panic":
			panic("spawn panics with a child running")
		case "exit":
			os.Exit(3)
		case "signal":
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		case "oom":
			// 64 MB more address space than the process uses now: the runtime soon fails to grow the heap.
			limit := uint64(vmSizeKB()+64<<10) << 10
			syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: limit, Max: limit})
			for {
				sink = append(sink, make([]byte, 64<<20))
				for i := range sink[len(sink)-1] {
					sink[len(sink)-1][i] = 1
				}
			}
		case "hang":
			select {}
		}
		return strconv.Itoa(child.Process.Pid), nil
	})
}
