package coworks

import (
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// The fields of the events the decoder knows, with the JSON names of aws-lambda-go's types.

// fieldName returns the name among names that key selects as encoding/json would: the exact name, else
// the first name equal under case folding, else "" (an unknown key, skipped).
func fieldName(key string, names []string) string {
	for _, n := range names {
		if n == key {
			return n
		}
	}
	for _, n := range names {
		if strings.EqualFold(n, key) {
			return n
		}
	}
	return ""
}

var topNames = []string{"resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
	"multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext", "body",
	"isBase64Encoded", "type", "authorizationToken", "methodArn"}

func (d *eventDecoder) topField(ev *lambdaEvent, key string) error {
	p := &ev.proxy
	switch fieldName(key, topNames) {
	case "resource":
		return d.setString(&p.Resource)
	case "path":
		return d.setString(&p.Path)
	case "httpMethod":
		return d.setString(&p.HTTPMethod)
	case "headers":
		return d.setStringMap(&p.Headers)
	case "multiValueHeaders":
		return d.setMultiMap(&p.MultiValueHeaders)
	case "queryStringParameters":
		return d.setStringMap(&p.QueryStringParameters)
	case "multiValueQueryStringParameters":
		return d.setMultiMap(&p.MultiValueQueryStringParameters)
	case "pathParameters":
		return d.setStringMap(&p.PathParameters)
	case "stageVariables":
		return d.setStringMap(&p.StageVariables)
	case "requestContext":
		if d.null() {
			return nil
		}
		return d.object(func(key string) error { return d.contextField(&p.RequestContext, key) })
	case "body":
		return d.setString(&p.Body)
	case "isBase64Encoded":
		return d.setBool(&p.IsBase64Encoded)
	case "type":
		return d.setString(&ev.kind)
	case "authorizationToken":
		return d.setString(&ev.token)
	case "methodArn":
		return d.setString(&ev.methodArn)
	}
	_, err := d.value(1)
	return err
}

var contextNames = []string{"accountId", "resourceId", "operationName", "stage", "domainName", "domainPrefix",
	"requestId", "extendedRequestId", "protocol", "identity", "resourcePath", "path", "authorizer", "httpMethod",
	"requestTime", "requestTimeEpoch", "apiId"}

func (d *eventDecoder) contextField(c *events.APIGatewayProxyRequestContext, key string) error {
	switch fieldName(key, contextNames) {
	case "accountId":
		return d.setString(&c.AccountID)
	case "resourceId":
		return d.setString(&c.ResourceID)
	case "operationName":
		return d.setString(&c.OperationName)
	case "stage":
		return d.setString(&c.Stage)
	case "domainName":
		return d.setString(&c.DomainName)
	case "domainPrefix":
		return d.setString(&c.DomainPrefix)
	case "requestId":
		return d.setString(&c.RequestID)
	case "extendedRequestId":
		return d.setString(&c.ExtendedRequestID)
	case "protocol":
		return d.setString(&c.Protocol)
	case "identity":
		if d.null() {
			return nil
		}
		return d.object(func(key string) error { return d.identityField(&c.Identity, key) })
	case "resourcePath":
		return d.setString(&c.ResourcePath)
	case "path":
		return d.setString(&c.Path)
	case "authorizer":
		return d.setAnyMap(&c.Authorizer)
	case "httpMethod":
		return d.setString(&c.HTTPMethod)
	case "requestTime":
		return d.setString(&c.RequestTime)
	case "requestTimeEpoch":
		return d.setInt64(&c.RequestTimeEpoch)
	case "apiId":
		return d.setString(&c.APIID)
	}
	_, err := d.value(1)
	return err
}

var identityNames = []string{"cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "apiKey",
	"apiKeyId", "accessKey", "sourceIp", "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn",
	"userAgent", "user", "clientCert"}

func (d *eventDecoder) identityField(id *events.APIGatewayRequestIdentity, key string) error {
	switch fieldName(key, identityNames) {
	case "cognitoIdentityPoolId":
		return d.setString(&id.CognitoIdentityPoolID)
	case "accountId":
		return d.setString(&id.AccountID)
	case "cognitoIdentityId":
		return d.setString(&id.CognitoIdentityID)
	case "caller":
		return d.setString(&id.Caller)
	case "apiKey":
		return d.setString(&id.APIKey)
	case "apiKeyId":
		return d.setString(&id.APIKeyID)
	case "accessKey":
		return d.setString(&id.AccessKey)
	case "sourceIp":
		return d.setString(&id.SourceIP)
	case "cognitoAuthenticationType":
		return d.setString(&id.CognitoAuthenticationType)
	case "cognitoAuthenticationProvider":
		return d.setString(&id.CognitoAuthenticationProvider)
	case "userArn":
		return d.setString(&id.UserArn)
	case "userAgent":
		return d.setString(&id.UserAgent)
	case "user":
		return d.setString(&id.User)
	case "clientCert":
		if d.null() {
			id.ClientCert = nil
			return nil
		}
		if id.ClientCert == nil {
			id.ClientCert = &events.APIGatewayCustomAuthorizerRequestTypeRequestIdentityClientCert{}
		}
		cert := id.ClientCert
		return d.object(func(key string) error {
			switch fieldName(key, certNames) {
			case "clientCertPem":
				return d.setString(&cert.ClientCertPem)
			case "issuerDN":
				return d.setString(&cert.IssuerDN)
			case "serialNumber":
				return d.setString(&cert.SerialNumber)
			case "subjectDN":
				return d.setString(&cert.SubjectDN)
			case "validity":
				if d.null() {
					return nil
				}
				return d.object(func(key string) error {
					switch fieldName(key, validityNames) {
					case "notAfter":
						return d.setString(&cert.Validity.NotAfter)
					case "notBefore":
						return d.setString(&cert.Validity.NotBefore)
					}
					_, err := d.value(1)
					return err
				})
			}
			_, err := d.value(1)
			return err
		})
	}
	_, err := d.value(1)
	return err
}

var (
	certNames     = []string{"clientCertPem", "issuerDN", "serialNumber", "subjectDN", "validity"}
	validityNames = []string{"notAfter", "notBefore"}
)
