// Package coworks is a framework for HTTP microservices that run on AWS Lambda behind an API Gateway REST API.
//
// A service is a struct whose exported methods become routes, named as in CoWorks: GetValue(index int) serves
// GET /value/{_0}. New turns such a struct into an App, an ordinary http.Handler; any other http.Handler works
// too. Start runs a handler inside Lambda (through aws-lambda-go and the REST proxy events) or, anywhere else,
// as a plain HTTP server, so what runs locally is what runs in Lambda.
package coworks
