// Command hello is the CoWorks README service, ready for `cws deploy`: see hello.go for its routes.
package main

import "github.com/coworks-go/coworks"

func main() {
	coworks.Start(coworks.New("hello", &Hello{}))
}
