// Package bench compares CoWorks' Lambda adapter with aws-lambda-go-api-proxy's httpadapter, the usual way
// to run a net/http handler on Lambda. Run: go test -run '^$' -bench . -benchmem -count=5
package bench
