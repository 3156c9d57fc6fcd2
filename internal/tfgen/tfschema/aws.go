package tfschema

import (
	_ "embed"
	"sync"
)

//go:embed aws-provider-schema.json
var awsSchemaJSON []byte

// AWS returns the schema of hashicorp/aws 6.66.0 for the resources cws generates, parsed once: the copy every
// test that checks generated Terraform reads.
var AWS = sync.OnceValues(func() (*Schema, error) { return Load(awsSchemaJSON) })
