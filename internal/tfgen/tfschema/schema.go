// Package tfschema checks Terraform configuration against a provider schema, standing in for
// `terraform validate` where the provider cannot be downloaded. It reads the schema format of
// aws-provider-schema.json (the resources and data sources cws generates, extracted from hashicorp/aws; the
// project's one copy ships with this package: AWS), parses .tf files with hclsyntax and reports, with file and line:
//
//   - a resource or data source type the schema does not know, or one declared twice;
//   - an unknown argument or nested block, inside dynamic blocks too;
//   - a block written as an attribute (environment = {...}) or an attribute written as a block (tags {...});
//   - a missing required argument or nested block, and more nested blocks than the provider allows;
//   - setting an attribute the provider computes, and setting id or tags_all (never written by hand);
//   - a constant value Terraform cannot convert to the attribute's type (memory_size = "lots");
//   - references to undeclared resources, data sources, locals or variables, and to attributes a resource
//     type does not have;
//   - outputs read through terraform_remote_state that the root owning that state does not declare;
//   - outputs without a value, unknown top-level blocks and syntax errors.
//
// It does not check the types of expressions that refer to something or call a function, values the provider
// validates (an ARN's form, an enum), provider configuration, module calls, or the meta-arguments (count,
// for_each, depends_on, provider, lifecycle) beyond their references.
// Terraform's built-in provider (terraform_data, terraform_remote_state) is always known.
package tfschema

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Schema is a provider schema: the resource and data source types a check accepts, by type name.
type Schema struct {
	// ProviderVersion is the version of the provider the schema was taken from ("6.66.0").
	ProviderVersion string `json:"provider_version"`
	// Resources are the resource types, by name ("aws_lambda_function").
	Resources map[string]*Block `json:"resources"`
	// DataSources are the data source types, by name ("aws_region").
	DataSources map[string]*Block `json:"data_sources"`
}

// Block is the schema of a resource, a data source or a nested block.
type Block struct {
	// Attributes are the arguments and attributes, by name.
	Attributes map[string]Attribute `json:"attributes"`
	// Blocks are the nested blocks, by name.
	Blocks map[string]*NestedBlock `json:"blocks"`
	// Computed lists attributes that may be read but not written, beyond those of Attributes marked
	// computed only (arn, invoke_arn, root_resource_id ...).
	Computed []string `json:"computed"`
}

// Attribute is the schema of one argument or attribute.
type Attribute struct {
	// Type is Terraform's type expression ("string", "map(bool)"); informative only.
	Type string `json:"type"`
	// Required, Optional and Computed are Terraform's flags; computed without optional or required means
	// the provider sets it and configuration cannot.
	Required bool `json:"required"`
	Optional bool `json:"optional"`
	Computed bool `json:"computed"`
}

// NestedBlock is the schema of a nested block type.
type NestedBlock struct {
	Block
	// Nesting is "single", "list" or "set"; a single block may appear once.
	Nesting string `json:"nesting"`
	// MaxItems, when not zero, bounds how many times the block may appear.
	MaxItems int `json:"max_items"`
	// Required means the block must appear at least once.
	Required bool `json:"required"`
}

// Load parses schemaJSON (the format of aws-provider-schema.json) and adds Terraform's built-in provider
// (terraform_data, terraform_remote_state). It fails when the JSON does not parse or holds no resource types.
func Load(schemaJSON []byte) (*Schema, error) {
	s := &Schema{}
	if err := json.Unmarshal(schemaJSON, s); err != nil {
		return nil, fmt.Errorf("tfschema: reading the provider schema: %w", err)
	}
	if len(s.Resources) == 0 {
		return nil, errors.New(`tfschema: the provider schema has no "resources": not a provider schema file`)
	}
	if s.DataSources == nil {
		s.DataSources = map[string]*Block{}
	}
	for name, b := range builtinResources() {
		s.Resources[name] = b
	}
	for name, b := range builtinDataSources() {
		s.DataSources[name] = b
	}
	return s, nil
}

// builtinResources are the resource types of Terraform's built-in provider (terraform.io/builtin/terraform).
func builtinResources() map[string]*Block {
	return map[string]*Block{"terraform_data": {
		Attributes: map[string]Attribute{"input": {Optional: true}, "triggers_replace": {Optional: true}},
		Computed:   []string{"id", "output"},
	}}
}

// builtinDataSources are the data sources of Terraform's built-in provider.
func builtinDataSources() map[string]*Block {
	return map[string]*Block{"terraform_remote_state": {
		Attributes: map[string]Attribute{"backend": {Required: true}, "config": {Optional: true}, "defaults": {Optional: true}, "workspace": {Optional: true}},
		Computed:   []string{"outputs"},
	}}
}

// Problem is one mistake found in a .tf file.
type Problem struct {
	// Filename is the file's name as given to the check ("stage-dev/main.tf").
	Filename string
	// Line is the 1-based line where the mistake starts.
	Line int
	// Message says what is wrong ("aws_lambda_function.function: unknown argument \"runtimee\"").
	Message string
}

// Error returns "file:line: message".
func (p *Problem) Error() string { return fmt.Sprintf("%s:%d: %s", p.Filename, p.Line, p.Message) }
