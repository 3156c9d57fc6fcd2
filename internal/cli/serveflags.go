package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/coworks-go/coworks/internal/gateway"
	"github.com/coworks-go/coworks/internal/runtimeapi"
	"github.com/spf13/pflag"
)

// localCloudOptions are the flags that size the local cloud of the commands that serve it (cws run,
// cws gateway, cws up): the concurrency limit shared by every function, as an AWS account's, and how long
// an idle environment lives.
type localCloudOptions struct {
	concurrency int
	idleTimeout time.Duration
}

func (o *localCloudOptions) addFlags(f *pflag.FlagSet) {
	f.IntVar(&o.concurrency, "concurrency-limit", runtimeapi.DefaultConcurrencyLimit(),
		"function processes alive at once across every stage; at the limit the idle one used longest ago is stopped for a new one, and requests wait while all are busy")
	f.DurationVar(&o.idleTimeout, "idle-timeout", runtimeapi.DefaultIdleTimeout, "how long an idle function process lives before it is stopped")
}

// gatewayOptions returns the gateway options of a serving command, or an error for a bad flag.
func (o *localCloudOptions) gatewayOptions(cmd string, access, functions io.Writer) (gateway.Options, error) {
	if o.concurrency < 1 {
		return gateway.Options{}, withTry(fmt.Errorf("--concurrency-limit must be at least 1, got %d", o.concurrency),
			fmt.Sprintf("cws %s --concurrency-limit %d", cmd, runtimeapi.DefaultConcurrencyLimit()))
	}
	if o.idleTimeout <= 0 {
		return gateway.Options{}, withTry(fmt.Errorf("--idle-timeout must be positive, got %s", o.idleTimeout),
			fmt.Sprintf("cws %s --idle-timeout %s", cmd, runtimeapi.DefaultIdleTimeout))
	}
	return gateway.Options{AccessLog: access, FunctionLog: functions, ConcurrencyLimit: o.concurrency, IdleTimeout: o.idleTimeout}, nil
}
