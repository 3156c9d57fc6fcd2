package tfgen

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// This file is a checker of Terraform roots against the AWS provider schema (testdata/aws-provider-schema.json,
// see /work/shared/terraform/README.md), standing in for `terraform validate`, which needs the provider.

// providerSchema is the part of aws-provider-schema.json the checker reads.
type providerSchema struct {
	ProviderVersion string                  `json:"provider_version"`
	Resources       map[string]*blockSchema `json:"resources"`
	DataSources     map[string]*blockSchema `json:"data_sources"`
}

type blockSchema struct {
	Attributes map[string]attrSchema    `json:"attributes"`
	Blocks     map[string]*nestedSchema `json:"blocks"`
	Computed   []string                 `json:"computed"`
}

type attrSchema struct {
	Type     string `json:"type"`
	Required bool   `json:"required"`
	Optional bool   `json:"optional"`
	Computed bool   `json:"computed"`
}

type nestedSchema struct {
	blockSchema
	Nesting  string `json:"nesting"`
	MaxItems int    `json:"max_items"`
	Required bool   `json:"required"`
}

// builtins are the schemas of Terraform's built-in provider (terraform.io/builtin/terraform).
var builtins = struct{ resources, data map[string]*blockSchema }{
	resources: map[string]*blockSchema{"terraform_data": {
		Attributes: map[string]attrSchema{"input": {Optional: true}, "triggers_replace": {Optional: true}},
		Computed:   []string{"id", "output"},
	}},
	data: map[string]*blockSchema{"terraform_remote_state": {
		Attributes: map[string]attrSchema{"backend": {Required: true}, "config": {Optional: true}, "defaults": {Optional: true}, "workspace": {Optional: true}},
		Computed:   []string{"outputs"},
	}},
}

var (
	schemaOnce sync.Once
	schemaVal  *providerSchema
	schemaErr  error
)

// loadSchema reads the provider schema once per test binary.
func loadSchema(t testing.TB) *providerSchema {
	t.Helper()
	schemaOnce.Do(func() {
		data, err := os.ReadFile("testdata/aws-provider-schema.json")
		if err != nil {
			schemaErr = err
			return
		}
		schemaVal = &providerSchema{}
		schemaErr = json.Unmarshal(data, schemaVal)
		for k, v := range builtins.resources {
			schemaVal.Resources[k] = v
		}
		for k, v := range builtins.data {
			schemaVal.DataSources[k] = v
		}
	})
	if schemaErr != nil {
		t.Fatalf("provider schema: %v", schemaErr)
	}
	return schemaVal
}

// metaArguments are valid in every resource and data block.
var metaArguments = map[string]bool{"count": true, "for_each": true, "depends_on": true, "provider": true}
var metaBlocks = map[string]bool{"lifecycle": true, "provisioner": true, "connection": true}

// neverSet are attributes generated HCL must never write although the schema lists them as optional.
var neverSet = map[string]bool{"id": true, "tags_all": true}

// schemaChecker collects the problems of one root (a directory of .tf files).
type schemaChecker struct {
	schema    *providerSchema
	problems  []string
	resources map[string]*blockSchema // "aws_lambda_function.function" and "data.aws_region.current"
	locals    map[string]bool
	variables map[string]bool
	// remoteOutputs, when not nil, are the outputs terraform_remote_state may read.
	remoteOutputs map[string]bool
}

func (c *schemaChecker) problem(rng hcl.Range, format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf("%s:%d: %s", rng.Filename, rng.Start.Line, fmt.Sprintf(format, args...)))
}

// checkRoot checks the .tf files of a root and returns its problems, sorted.
func checkRoot(schema *providerSchema, files map[string][]byte, remoteOutputs map[string]bool) []string {
	c := &schemaChecker{schema: schema, resources: map[string]*blockSchema{}, locals: map[string]bool{}, variables: map[string]bool{}, remoteOutputs: remoteOutputs}
	var bodies []*hclsyntax.Body
	names := make([]string, 0, len(files))
	for name := range files {
		if strings.HasSuffix(name, ".tf") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		f, diags := hclsyntax.ParseConfig(files[name], name, hcl.InitialPos)
		if diags.HasErrors() {
			c.problems = append(c.problems, diags.Error())
			continue
		}
		bodies = append(bodies, f.Body.(*hclsyntax.Body))
	}
	// Declarations first: references may point across files.
	for _, body := range bodies {
		for _, b := range body.Blocks {
			switch b.Type {
			case "resource", "data":
				if len(b.Labels) != 2 {
					c.problem(b.DefRange(), "%s block needs a type and a name", b.Type)
					continue
				}
				set, key := schema.Resources, b.Labels[0]+"."+b.Labels[1]
				if b.Type == "data" {
					set, key = schema.DataSources, "data."+key
				}
				s, ok := set[b.Labels[0]]
				if !ok {
					c.problem(b.DefRange(), "%s type %q is not in the provider schema", b.Type, b.Labels[0])
					continue
				}
				if _, dup := c.resources[key]; dup {
					c.problem(b.DefRange(), "%s is declared twice", key)
				}
				c.resources[key] = s
			case "locals":
				for name := range b.Body.Attributes {
					c.locals[name] = true
				}
			case "variable":
				if len(b.Labels) == 1 {
					c.variables[b.Labels[0]] = true
				}
			}
		}
	}
	for _, body := range bodies {
		for _, b := range body.Blocks {
			switch b.Type {
			case "resource", "data":
				if len(b.Labels) != 2 {
					continue
				}
				key := b.Labels[0] + "." + b.Labels[1]
				if b.Type == "data" {
					key = "data." + key
				}
				if s := c.resources[key]; s != nil {
					c.checkBody(b.Body, s, key, true)
				}
			case "output":
				if _, ok := b.Body.Attributes["value"]; !ok {
					c.problem(b.DefRange(), "output %v has no value", b.Labels)
				}
			case "terraform", "provider", "locals", "variable", "module", "moved", "import", "check", "removed":
			default:
				c.problem(b.DefRange(), "unknown top-level block %q", b.Type)
			}
		}
		c.checkReferences(body)
	}
	sort.Strings(c.problems)
	return c.problems
}

// checkBody checks the attributes and blocks of one resource, data source or nested block.
func (c *schemaChecker) checkBody(body *hclsyntax.Body, s *blockSchema, where string, top bool) {
	computedOnly := map[string]bool{}
	for _, name := range s.Computed {
		computedOnly[name] = true
	}
	for name, a := range s.Attributes {
		if a.Computed && !a.Optional && !a.Required {
			computedOnly[name] = true
		}
	}
	for name, attr := range body.Attributes {
		switch {
		case top && metaArguments[name]:
		case s.Blocks[name] != nil:
			c.problem(attr.SrcRange, "%s: %s is a block, written as an attribute (write %s { ... })", where, name, name)
		case computedOnly[name]:
			c.problem(attr.SrcRange, "%s: %s is computed by the provider and cannot be set", where, name)
		case neverSet[name]:
			c.problem(attr.SrcRange, "%s: %s must not be set in generated HCL", where, name)
		default:
			if _, ok := s.Attributes[name]; !ok {
				c.problem(attr.SrcRange, "%s: unknown argument %q", where, name)
			}
		}
	}
	for name, a := range s.Attributes {
		if _, ok := body.Attributes[name]; a.Required && !ok {
			c.problem(body.SrcRange, "%s: missing required argument %q", where, name)
		}
	}
	count := map[string]int{}
	for _, b := range body.Blocks {
		name, content, dynamic := b.Type, b.Body, false
		if top && metaBlocks[name] {
			continue
		}
		if name == "dynamic" {
			if len(b.Labels) != 1 {
				c.problem(b.DefRange(), "%s: dynamic block needs one label", where)
				continue
			}
			name, dynamic = b.Labels[0], true
			content = nil
			for _, inner := range b.Body.Blocks {
				if inner.Type == "content" {
					content = inner.Body
				}
			}
			if content == nil {
				c.problem(b.DefRange(), "%s: dynamic %q has no content block", where, name)
				continue
			}
		}
		ns := s.Blocks[name]
		if ns == nil {
			if _, isAttr := s.Attributes[name]; isAttr {
				c.problem(b.DefRange(), "%s: %s is an attribute, written as a block (write %s = ...)", where, name, name)
			} else {
				c.problem(b.DefRange(), "%s: unknown block %q", where, name)
			}
			continue
		}
		if !dynamic {
			count[name]++
		}
		c.checkBody(content, &ns.blockSchema, where+"."+name, false)
	}
	for name, ns := range s.Blocks {
		max := ns.MaxItems
		if max == 0 && ns.Nesting == "single" {
			max = 1
		}
		if max > 0 && count[name] > max {
			c.problem(body.SrcRange, "%s: %d %s blocks, at most %d allowed", where, count[name], name, max)
		}
		if ns.Required && count[name] == 0 && !hasDynamic(body, name) {
			c.problem(body.SrcRange, "%s: missing required block %q", where, name)
		}
	}
}

func hasDynamic(body *hclsyntax.Body, name string) bool {
	for _, b := range body.Blocks {
		if b.Type == "dynamic" && len(b.Labels) == 1 && b.Labels[0] == name {
			return true
		}
	}
	return false
}

// checkReferences checks every reference of every expression in body, recursively.
func (c *schemaChecker) checkReferences(body *hclsyntax.Body) {
	for _, attr := range body.Attributes {
		for _, trav := range attr.Expr.Variables() {
			c.checkTraversal(trav)
		}
	}
	for _, b := range body.Blocks {
		c.checkReferences(b.Body)
	}
}

func (c *schemaChecker) checkTraversal(trav hcl.Traversal) {
	names := make([]string, 0, len(trav))
	for _, step := range trav {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			names = append(names, s.Name)
		case hcl.TraverseAttr:
			names = append(names, s.Name)
		default:
			names = append(names, "[]")
		}
	}
	rng := trav.SourceRange()
	at := func(i int) string {
		if i < len(names) {
			return names[i]
		}
		return ""
	}
	switch root := names[0]; root {
	case "path", "terraform", "count", "each", "self":
	case "local":
		if !c.locals[at(1)] {
			c.problem(rng, "reference to undeclared local.%s", at(1))
		}
	case "var":
		if !c.variables[at(1)] {
			c.problem(rng, "reference to undeclared var.%s", at(1))
		}
	case "data":
		key := "data." + at(1) + "." + at(2)
		s := c.resources[key]
		if s == nil {
			c.problem(rng, "reference to undeclared %s", key)
			return
		}
		c.checkAttr(rng, key, s, at(3))
		if at(1) == "terraform_remote_state" && at(3) == "outputs" && c.remoteOutputs != nil && !c.remoteOutputs[at(4)] {
			c.problem(rng, "%s.outputs.%s: the API root has no such output", key, at(4))
		}
	default:
		key := root + "." + at(1)
		s := c.resources[key]
		if s == nil {
			c.problem(rng, "reference to undeclared %s", key)
			return
		}
		c.checkAttr(rng, key, s, at(2))
	}
}

// checkAttr checks that attr (empty for a whole-resource reference) can be read from a resource of schema s.
func (c *schemaChecker) checkAttr(rng hcl.Range, key string, s *blockSchema, attr string) {
	if attr == "" {
		return
	}
	if _, ok := s.Attributes[attr]; ok {
		return
	}
	if _, ok := s.Blocks[attr]; ok {
		return
	}
	for _, name := range s.Computed {
		if name == attr {
			return
		}
	}
	c.problem(rng, "%s has no attribute %q", key, attr)
}
