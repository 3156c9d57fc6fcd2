// Package config reads, checks, resolves and edits a project's .chalice/config.json exactly as AWS
// Chalice reads it, plus the keys CoWorks adds (deploy_target, aws_region, lambda_architecture,
// terraform_backend, local_gateway_port, extends).
//
// The core is pure: Parse turns bytes into a Project (every value keeps its file position),
// Project.Validate reports every problem at once, and Project.Resolve computes the effective settings
// of one stage and function (a Stage) with where each came from. Load and Edit, in file.go, are the
// I/O edge: reading the file, and read-modify-write cycles under a lock with an atomic replace.
package config

import (
	"fmt"
	"sort"
	"sync"
)

// APIHandler is the logical name of the function that serves every route (Chalice's api_handler).
const APIHandler = "api_handler"

// DefaultStage is the stage commands use when none is given.
const DefaultStage = "dev"

// Project is a parsed config.json. Treat it as read-only; to change the file use Edit, which hands
// out a Document.
type Project struct {
	// File is the name used in positions, e.g. ".chalice/config.json".
	File string
	// Root is the top-level value (normally an object; Validate reports otherwise).
	Root *Value

	data       []byte
	lineStarts []int
	stages     *stageIndex // nil for a Project not made by Parse
	merges     *mergeCache // nil for a Project not made by Parse
}

// Parse reads a config file's bytes as strict JSON. name is used in positions. A syntax error is a
// *SyntaxError naming file:line:col and what was expected; semantic problems are left to Validate.
func Parse(name string, data []byte) (*Project, error) {
	root, err := parseDocument(name, data)
	if err != nil {
		return nil, err
	}
	return &Project{File: name, Root: root, data: data, stages: &stageIndex{}, merges: &mergeCache{}}, nil
}

// Pos returns the file position of a byte offset (-1: unknown, for values created in memory).
func (p *Project) Pos(offset int) Pos {
	if offset < 0 || p.data == nil {
		return Pos{File: p.File}
	}
	if p.lineStarts == nil {
		p.lineStarts = []int{0}
		for i, c := range p.data {
			if c == '\n' {
				p.lineStarts = append(p.lineStarts, i+1)
			}
		}
	}
	line := sort.Search(len(p.lineStarts), func(i int) bool { return p.lineStarts[i] > offset }) - 1
	return Pos{File: p.File, Line: line + 1, Col: offset - p.lineStarts[line] + 1}
}

// AppName returns the top-level app_name, "" when absent or not a string.
func (p *Project) AppName() string {
	if v := p.Root.Get("app_name"); v != nil && v.Kind == String {
		return v.Text
	}
	return ""
}

// StageNames returns the stages defined in the file, in file order (duplicates once).
func (p *Project) StageNames() []string {
	return objectKeys(p.Root.Get("stages"))
}

// HasStage reports whether stages.<name> exists in the file.
func (p *Project) HasStage(name string) bool {
	return p.stage(name) != nil
}

// FunctionNames returns api_handler followed by every other function named under top-level or the
// stage's (and its extends chain's) lambda_functions, in file order.
func (p *Project) FunctionNames(stage string) []string {
	names := []string{APIHandler}
	seen := map[string]bool{APIHandler: true}
	add := func(obj *Value) {
		for _, k := range objectKeys(obj) {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
	}
	add(p.Root.Get("lambda_functions"))
	chain, _ := p.chain(stage)
	for _, s := range chain {
		add(s.value.Get("lambda_functions"))
	}
	return names
}

func objectKeys(obj *Value) []string {
	if obj == nil || obj.Kind != Object {
		return nil
	}
	var out []string
	seen := make(map[string]bool, len(obj.Members))
	for _, m := range obj.Members {
		if !seen[m.Key] {
			seen[m.Key] = true
			out = append(out, m.Key)
		}
	}
	return out
}

// stageLink is one stage object of an extends chain.
type stageLink struct {
	name  string
	value *Value
}

// ExtendsCycleError is a chain of extends that comes back to a stage already in it.
type ExtendsCycleError struct {
	Chain []string
}

func (e *ExtendsCycleError) Error() string {
	return fmt.Sprintf("stages extend each other in a cycle: %s", joinArrow(e.Chain))
}

// MissingParentError is an extends naming a stage that is not in the file.
type MissingParentError struct {
	Stage, Parent string
}

func (e *MissingParentError) Error() string {
	return fmt.Sprintf("stage %q extends %q, which is not defined in stages", e.Stage, e.Parent)
}

func joinArrow(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += " -> "
		}
		s += n
	}
	return s
}

// chain returns the stage object followed by its extends ancestors, nearest first. A stage that is not
// in the file gives an empty chain (Chalice: values come from the top level).
func (p *Project) chain(stage string) ([]stageLink, error) { return p.chainInto(nil, stage) }

// chainInto is chain appending to out, so callers can pass a buffer on their stack.
func (p *Project) chainInto(out []stageLink, stage string) ([]stageLink, error) {
	name := stage
	for {
		v := p.stage(name)
		if v == nil || v.Kind != Object {
			if name != stage {
				return out, &MissingParentError{Stage: out[len(out)-1].name, Parent: name}
			}
			return out, nil
		}
		for _, l := range out {
			if l.name == name {
				names := make([]string, 0, len(out)+1)
				for _, l := range out {
					names = append(names, l.name)
				}
				return out, &ExtendsCycleError{Chain: append(names, name)}
			}
		}
		out = append(out, stageLink{name: name, value: v})
		ext := v.Get("extends")
		if !ext.Present() || ext.Kind != String {
			return out, nil
		}
		name = ext.Text
	}
}

// stage returns stages.<name> (the last one with duplicates), or nil. Projects made by Parse index
// the stages once, on first use; the file is read-only afterwards.
func (p *Project) stage(name string) *Value {
	if p.stages == nil {
		return p.Root.Get("stages").Get(name)
	}
	p.stages.once.Do(func() {
		stages := p.Root.Get("stages")
		if stages == nil || stages.Kind != Object {
			return
		}
		p.stages.byName = make(map[string]*Value, len(stages.Members))
		for _, m := range stages.Members {
			p.stages.byName[m.Key] = m.Value
		}
	})
	return p.stages.byName[name]
}

// stageIndex maps stage names to their objects, built once per Project.
type stageIndex struct {
	once   sync.Once
	byName map[string]*Value
}
