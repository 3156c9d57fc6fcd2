// Package deployed reads and writes Chalice's per-stage deployment records, .chalice/deployed/{stage}.json
// (schema 2.0), byte for byte as Chalice does, keeps what it does not understand, and serialises deploys of
// one stage with a per-stage lock.
package deployed

import (
	"encoding/json"
	"fmt"
)

// SchemaVersion is the only record schema Chalice (and cws) accept.
const SchemaVersion = "2.0"

// Backend is the value Chalice writes in a record's "backend" key.
const Backend = "api"

// Resource types and logical names cws writes or reads by name.
const (
	TypeLambdaFunction = "lambda_function"
	TypeRestAPI        = "rest_api"
	TypeIAMRole        = "iam_role"

	// APIHandlerName is the logical name of the function serving every route.
	APIHandlerName = "api_handler"
	// RestAPIName is the logical name of the REST API resource.
	RestAPIName = "rest_api"
)

// Field is one key of a JSON object with its raw JSON value, so records keep key order and values they
// do not understand.
type Field struct {
	Key   string
	Value json.RawMessage
}

// Resource is one entry of a record's "resources": its logical name, its type, then the type-specific
// fields in the order they were recorded (Chalice's order for the resources cws writes; file order for
// resources read from disk, unknown fields included).
type Resource struct {
	Name   string
	Type   string
	Fields []Field
}

// Get returns the raw value of field key, or nil when the resource has no such field.
func (r *Resource) Get(key string) json.RawMessage {
	for _, f := range r.Fields {
		if f.Key == key {
			return f.Value
		}
	}
	return nil
}

// String returns field key when it is a JSON string.
func (r *Resource) String(key string) (string, bool) {
	raw := r.Get(key)
	if raw == nil {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// Set sets field key to value (marshalled to JSON), in place when the field exists, appended otherwise.
// It panics when value cannot be marshalled, which is a programming error.
func (r *Resource) Set(key string, value any) {
	raw, err := json.Marshal(value)
	if err != nil {
		panic(fmt.Sprintf("deployed: field %q: %v", key, err))
	}
	for i := range r.Fields {
		if r.Fields[i].Key == key {
			r.Fields[i].Value = raw
			return
		}
	}
	r.Fields = append(r.Fields, Field{Key: key, Value: raw})
}

// LambdaFunction returns a lambda_function resource: name, resource_type, lambda_arn.
func LambdaFunction(name, arn string) Resource {
	r := Resource{Name: name, Type: TypeLambdaFunction}
	r.Set("lambda_arn", arn)
	return r
}

// RestAPI returns the rest_api resource: name, resource_type, rest_api_id, rest_api_url.
func RestAPI(id, url string) Resource {
	r := Resource{Name: RestAPIName, Type: TypeRestAPI}
	r.Set("rest_api_id", id)
	r.Set("rest_api_url", url)
	return r
}

// IAMRole returns an iam_role resource: name, resource_type, role_arn, role_name.
func IAMRole(name, arn, roleName string) Resource {
	r := Resource{Name: name, Type: TypeIAMRole}
	r.Set("role_arn", arn)
	r.Set("role_name", roleName)
	return r
}

// Record is the content of .chalice/deployed/{stage}.json.
type Record struct {
	Resources     []Resource
	SchemaVersion string
	Backend       string
	// Extra holds top-level keys other than resources, schema_version and backend, kept in file order and
	// written back after backend. Chalice ignores them (and drops them when it rewrites the file).
	Extra []Field
	// Legacy is true when the record was migrated in memory from the pre-1.2 .chalice/deployed.json.
	Legacy bool
}

// Empty returns the record Chalice writes for a stage with nothing deployed.
func Empty() *Record {
	return &Record{Resources: []Resource{}, SchemaVersion: SchemaVersion, Backend: Backend}
}

// Resource returns the resource with logical name name, or nil.
func (r *Record) Resource(name string) *Resource {
	for i := range r.Resources {
		if r.Resources[i].Name == name {
			return &r.Resources[i]
		}
	}
	return nil
}

// Put replaces the resource with res's name, keeping its position (and any field res does not set),
// or appends res. This is how Chalice merges a payload recorded twice for one name.
func (r *Record) Put(res Resource) {
	old := r.Resource(res.Name)
	if old == nil {
		r.Resources = append(r.Resources, res)
		return
	}
	old.Type = res.Type
	for _, f := range res.Fields {
		old.Set(f.Key, f.Value)
	}
}

// RestAPI returns the id and URL of the record's rest_api resource; ok is false when there is none.
// url is empty for records migrated from the legacy file, which did not store it.
func (r *Record) RestAPI() (id, url string, ok bool) {
	for i := range r.Resources {
		res := &r.Resources[i]
		if res.Type != TypeRestAPI {
			continue
		}
		id, ok = res.String("rest_api_id")
		if !ok {
			continue
		}
		url, _ = res.String("rest_api_url")
		return id, url, true
	}
	return "", "", false
}

// LambdaARN returns the lambda_arn of the lambda_function resource with logical name name.
func (r *Record) LambdaARN(name string) (string, bool) {
	res := r.Resource(name)
	if res == nil || res.Type != TypeLambdaFunction {
		return "", false
	}
	return res.String("lambda_arn")
}

// IsDeployed reports whether the record lists any resource.
func (r *Record) IsDeployed() bool { return len(r.Resources) > 0 }

// NoRestAPIError is Chalice's `url` error: the stage's record has no rest_api resource.
type NoRestAPIError struct{ Stage string }

func (e *NoRestAPIError) Error() string {
	return fmt.Sprintf("Could not find a record of a Rest API in chalice stage: '%s'", e.Stage)
}

// URL returns the rest_api_url of the record of stage, or a *NoRestAPIError.
func (r *Record) URL(stage string) (string, error) {
	_, url, ok := r.RestAPI()
	if !ok || url == "" {
		return "", &NoRestAPIError{Stage: stage}
	}
	return url, nil
}
