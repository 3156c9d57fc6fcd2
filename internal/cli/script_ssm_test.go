package cli

import (
	"fmt"
	"sync"

	"github.com/coworks-go/coworks/internal/secretstore/ssmtest"
	"github.com/rogpeppe/go-internal/testscript"
)

// ssmFakes are the fake SSM servers of the running scripts.
var ssmFakes sync.Map // *testscript.TestScript -> *ssmtest.Server

// cmdSSMFake drives a fake SSM Parameter Store (ssmtest: SSM's JSON protocol, SigV4 checked) standing in
// for AWS in scripts:
//
//	ssmfake start              start it for the rest of the script and point the AWS SDK at it (AWS_ENDPOINT_URL,
//	                           AWS_REGION, credentials, no shared config files)
//	ssmfake deny PREFIX        answer AccessDeniedException for parameters under PREFIX
//	ssmfake has NAME VALUE     fail unless parameter NAME is a SecureString holding VALUE (! : does not exist)
//	ssmfake put NAME VALUE     store a SecureString as another tool would
func cmdSSMFake(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: ssmfake start|deny PREFIX|has NAME VALUE|put NAME VALUE")
	}
	if args[0] == "start" {
		fake := ssmtest.New()
		ssmFakes.Store(ts, fake)
		ts.Defer(func() {
			ssmFakes.Delete(ts)
			fake.Close()
		})
		fake.Setenv(ts)
		return
	}
	v, ok := ssmFakes.Load(ts)
	if !ok {
		ts.Fatalf("ssmfake %s: run ssmfake start first", args[0])
	}
	fake := v.(*ssmtest.Server)
	switch {
	case args[0] == "deny" && len(args) == 2:
		fake.Deny(args[1])
	case args[0] == "put" && len(args) == 3:
		fake.Put(args[1], args[2])
	case args[0] == "has" && len(args) == 3:
		p, ok := fake.Get(args[1])
		if neg {
			if ok {
				ts.Fatalf("parameter %s exists", args[1])
			}
			return
		}
		if !ok || p.Type != "SecureString" || p.Value != args[2] {
			ts.Fatalf("parameter %s: %+v, want a SecureString holding the given value", args[1], p)
		}
		fmt.Fprintf(ts.Stdout(), "%s SecureString v%d\n", p.Name, p.Version)
	default:
		ts.Fatalf("usage: ssmfake start|deny PREFIX|has NAME VALUE|put NAME VALUE")
	}
}
