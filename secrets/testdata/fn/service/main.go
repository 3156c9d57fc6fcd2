// Command service is a test function: a CoWorks service whose constructor, evaluated in main's package
// variables, reads DB_PASSWORD, as a service opening its database would.
package main

import (
	"os"

	"github.com/coworks-go/coworks"
)

// Shop remembers the password its constructor saw.
type Shop struct{ password string }

func newShop() *Shop { return &Shop{password: os.Getenv("DB_PASSWORD")} }

var shop = newShop()

// Get serves GET /: the password the constructor saw.
func (s *Shop) Get() string { return "constructor saw " + s.password }

func main() { coworks.Start(coworks.New("shop", shop)) }
