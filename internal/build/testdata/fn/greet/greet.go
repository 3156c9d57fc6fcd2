// Package greet is a local dependency of the test functions: changing its source or its embedded greeting
// must change the build's cache key.
package greet

import _ "embed"

//go:embed greeting.txt
var greeting string

// Hello returns the greeting for name.
func Hello(name string) string {
	return greeting + " " + name
}
