package tfschema

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty/convert"
)

// metaArguments are valid in every resource and data block.
var metaArguments = map[string]bool{"count": true, "for_each": true, "depends_on": true, "provider": true}

// metaBlocks are the nested blocks every resource may have.
var metaBlocks = map[string]bool{"lifecycle": true, "provisioner": true, "connection": true}

// neverSet are attributes configuration must never write although the schema lists them as optional.
var neverSet = map[string]bool{"id": true, "tags_all": true}

// remoteRoot is the root whose state a terraform_remote_state reads: its name for messages, its outputs.
type remoteRoot struct {
	name    string
	outputs map[string]bool
}

// checker collects the problems of one root.
type checker struct {
	schema    *Schema
	root      *root
	problems  []*Problem
	resources map[string]*Block // "aws_lambda_function.function" and "data.aws_region.current"
	locals    map[string]bool
	variables map[string]bool
	// remote holds, by data source name, the root each terraform_remote_state reads; remoteAll, when not
	// nil, stands for any data source remote does not name. Outputs of other data sources go unchecked.
	remote    map[string]remoteRoot
	remoteAll *remoteRoot
}

func newChecker(s *Schema, r *root) *checker {
	return &checker{schema: s, root: r, problems: append([]*Problem(nil), r.problems...), resources: map[string]*Block{},
		locals: map[string]bool{}, variables: map[string]bool{}, remote: map[string]remoteRoot{}}
}

func (c *checker) problem(rng hcl.Range, format string, args ...any) {
	c.problems = append(c.problems, &Problem{Filename: rng.Filename, Line: rng.Start.Line, Message: fmt.Sprintf(format, args...)})
}

// run checks the root's declarations, bodies and references, and returns the problems.
func (c *checker) run() []*Problem {
	// Declarations first: references may point across files.
	for _, body := range c.root.bodies {
		for _, b := range body.Blocks {
			switch b.Type {
			case "resource", "data":
				if len(b.Labels) != 2 {
					c.problem(b.DefRange(), "%s block needs a type and a name", b.Type)
					continue
				}
				set, key := c.schema.Resources, b.Labels[0]+"."+b.Labels[1]
				if b.Type == "data" {
					set, key = c.schema.DataSources, "data."+key
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
	for _, body := range c.root.bodies {
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
	return c.problems
}

// checkBody checks the attributes and blocks of one resource, data source or nested block.
func (c *checker) checkBody(body *hclsyntax.Body, s *Block, where string, top bool) {
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
			a, ok := s.Attributes[name]
			if !ok {
				c.problem(attr.SrcRange, "%s: unknown argument %q", where, name)
				continue
			}
			if msg := constantTypeMismatch(attr.Expr, a.Type); msg != "" {
				c.problem(attr.SrcRange, "%s: %s: %s", where, name, msg)
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
		c.checkBody(content, &ns.Block, where+"."+name, false)
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

// constantTypeMismatch says why the value of expr cannot be converted to the type written typ ("number",
// "map(bool)"), as Terraform would refuse it; empty when it can, when expr is not a constant (it refers to
// something or calls a function) or when typ is not a type expression.
func constantTypeMismatch(expr hclsyntax.Expression, typ string) string {
	if typ == "" {
		return ""
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return ""
	}
	texpr, diags := hclsyntax.ParseExpression([]byte(typ), "type", hcl.InitialPos)
	if diags.HasErrors() {
		return ""
	}
	ty, diags := typeexpr.Type(texpr)
	if diags.HasErrors() {
		return ""
	}
	if _, err := convert.Convert(v, ty); err != nil {
		return fmt.Sprintf("wrong type: %s (want %s)", err, typ)
	}
	return ""
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
func (c *checker) checkReferences(body *hclsyntax.Body) {
	c.checkReferencesIn(body, false)
}

// checkReferencesIn checks the references of body's attributes; in a variable block (isVariable), type is
// a type constraint (string, list(string)), not an expression.
func (c *checker) checkReferencesIn(body *hclsyntax.Body, isVariable bool) {
	for name, attr := range body.Attributes {
		if isVariable && name == "type" {
			continue
		}
		for _, trav := range attr.Expr.Variables() {
			c.checkTraversal(trav)
		}
	}
	for _, b := range body.Blocks {
		c.checkReferencesIn(b.Body, b.Type == "variable")
	}
}

func (c *checker) checkTraversal(trav hcl.Traversal) {
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
		if at(1) == "terraform_remote_state" && at(3) == "outputs" && at(4) != "" {
			c.checkRemoteOutput(rng, key, at(2), at(4))
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

// checkRemoteOutput checks that output may be read from the state terraform_remote_state.name reads.
func (c *checker) checkRemoteOutput(rng hcl.Range, key, name, output string) {
	r, ok := c.remote[name]
	if !ok {
		if c.remoteAll == nil {
			return
		}
		r = *c.remoteAll
	}
	if !r.outputs[output] {
		c.problem(rng, "%s.outputs.%s: %s declares no output %q", key, output, r.name, output)
	}
}

// checkAttr checks that attr (empty for a whole-resource reference) can be read from a resource of schema s.
func (c *checker) checkAttr(rng hcl.Range, key string, s *Block, attr string) {
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
