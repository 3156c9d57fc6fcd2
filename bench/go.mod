module github.com/coworks-go/coworks/bench

go 1.26.0

require (
	github.com/aws/aws-lambda-go v1.55.1
	github.com/awslabs/aws-lambda-go-api-proxy v0.16.2
	github.com/coworks-go/coworks v0.0.0
)

require github.com/aws/smithy-go/aws-http-auth v1.2.2 // indirect

require golang.org/x/sys v0.50.0 // indirect

replace github.com/coworks-go/coworks => ../
