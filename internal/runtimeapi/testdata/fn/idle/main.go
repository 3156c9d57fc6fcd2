// Command idle is a test process that never talks to the Runtime API, so a test can play the runtime with
// raw HTTP requests against the environment's address.
package main

import "time"

func main() { time.Sleep(time.Hour) }
