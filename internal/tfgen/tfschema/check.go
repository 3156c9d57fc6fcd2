package tfschema

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// CheckFiles checks a tree of Terraform roots against s. files maps slash-separated paths to contents; each
// directory holding .tf files is one root ("." for files at the top) and files of other kinds are ignored.
// A terraform_remote_state data source must read the state of a root of the tree (found by its backend:
// the state file's path for local state, bucket and key for s3), and may only read the outputs that root
// declares. It returns every problem (each a *Problem), sorted by file, line and message; none means the
// tree passed.
func (s *Schema) CheckFiles(files map[string][]byte) []error {
	byDir := map[string]map[string][]byte{}
	for name, data := range files {
		if !strings.HasSuffix(name, ".tf") {
			continue
		}
		dir := path.Dir(name)
		if byDir[dir] == nil {
			byDir[dir] = map[string][]byte{}
		}
		byDir[dir][name] = data
	}
	roots := make([]*root, 0, len(byDir))
	byState := map[string]*root{}
	for dir, files := range byDir {
		r := parseRoot(dir, files)
		roots = append(roots, r)
		if loc := r.stateLocation(); loc != "" {
			byState[loc] = r
		}
	}
	var problems []*Problem
	for _, r := range roots {
		c := newChecker(s, r)
		for _, ds := range r.remoteStates() {
			loc, err := ds.location(r.dir)
			if err != nil {
				c.problem(ds.block.DefRange(), "data.terraform_remote_state.%s: %v", ds.name, err)
				continue
			}
			owner := byState[loc]
			if owner == nil {
				c.problem(ds.block.DefRange(), "data.terraform_remote_state.%s reads the state %s, which no root of the checked files writes", ds.name, loc)
				continue
			}
			c.remote[ds.name] = remoteRoot{name: owner.dir, outputs: owner.outputs()}
		}
		problems = append(problems, c.run()...)
	}
	return sorted(problems)
}

// CheckRoot checks one root (a directory's .tf files, by name; other files are ignored) against s. When
// remoteOutputs is not nil, every terraform_remote_state of the root may read only those outputs; nil leaves
// them unchecked. It returns every problem (each a *Problem), sorted by file, line and message.
func (s *Schema) CheckRoot(files map[string][]byte, remoteOutputs map[string]bool) []error {
	c := newChecker(s, parseRoot(".", files))
	if remoteOutputs != nil {
		c.remoteAll = &remoteRoot{name: "the remote root", outputs: remoteOutputs}
	}
	return sorted(c.run())
}

func sorted(problems []*Problem) []error {
	sort.Slice(problems, func(i, j int) bool {
		a, b := problems[i], problems[j]
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Message < b.Message
	})
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = p
	}
	return errs
}

// root is one parsed root.
type root struct {
	dir      string
	bodies   []*hclsyntax.Body
	problems []*Problem // syntax errors
}

func parseRoot(dir string, files map[string][]byte) *root {
	r := &root{dir: dir}
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
			for _, d := range diags {
				p := &Problem{Filename: name, Message: d.Summary}
				if d.Detail != "" {
					p.Message += ": " + d.Detail
				}
				if d.Subject != nil {
					p.Line = d.Subject.Start.Line
				}
				r.problems = append(r.problems, p)
			}
			continue
		}
		r.bodies = append(r.bodies, f.Body.(*hclsyntax.Body))
	}
	return r
}

// outputs are the names of the root's output blocks.
func (r *root) outputs() map[string]bool {
	names := map[string]bool{}
	for _, body := range r.bodies {
		for _, b := range body.Blocks {
			if b.Type == "output" && len(b.Labels) == 1 {
				names[b.Labels[0]] = true
			}
		}
	}
	return names
}

// stateLocation names where the root keeps its state: "local:{path}" (the default terraform.tfstate in the
// root's directory unless its local backend says otherwise) or "s3:{bucket}/{key}"; empty when it cannot tell.
func (r *root) stateLocation() string {
	for _, body := range r.bodies {
		for _, tf := range body.Blocks {
			if tf.Type != "terraform" {
				continue
			}
			for _, b := range tf.Body.Blocks {
				if b.Type != "backend" || len(b.Labels) != 1 {
					continue
				}
				settings := map[string]cty.Value{}
				for name, attr := range b.Body.Attributes {
					v, diags := attr.Expr.Value(nil)
					if diags.HasErrors() {
						return ""
					}
					settings[name] = v
				}
				loc, _ := stateLocation(b.Labels[0], r.dir, cty.ObjectVal(settings))
				return loc
			}
		}
	}
	return "local:" + path.Join(r.dir, "terraform.tfstate")
}

// stateLocation names the state a backend of type typ with config keeps, for a root in dir.
func stateLocation(typ, dir string, config cty.Value) (string, error) {
	get := func(name string) string {
		if config.IsNull() || !config.IsKnown() || !config.Type().IsObjectType() || !config.Type().HasAttribute(name) {
			return ""
		}
		v := config.GetAttr(name)
		if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
			return ""
		}
		return v.AsString()
	}
	switch typ {
	case "local":
		p := get("path")
		if p == "" {
			p = "terraform.tfstate"
		}
		if !path.IsAbs(p) {
			p = path.Join(dir, p)
		}
		return "local:" + path.Clean(p), nil
	case "s3":
		bucket, key := get("bucket"), get("key")
		if bucket == "" || key == "" {
			return "", fmt.Errorf("an s3 state needs a bucket and a key")
		}
		return "s3:" + bucket + "/" + key, nil
	}
	return "", fmt.Errorf("cannot tell where backend %q keeps its state", typ)
}

// remoteState is one terraform_remote_state data block.
type remoteState struct {
	name  string
	block *hclsyntax.Block
}

func (r *root) remoteStates() []remoteState {
	var out []remoteState
	for _, body := range r.bodies {
		for _, b := range body.Blocks {
			if b.Type == "data" && len(b.Labels) == 2 && b.Labels[0] == "terraform_remote_state" {
				out = append(out, remoteState{name: b.Labels[1], block: b})
			}
		}
	}
	return out
}

// location evaluates the backend and config of the data source, with path.module, path.root and path.cwd
// "." as Terraform has them in a root run from its own directory, and names the state it reads as
// stateLocation does (a relative path is relative to dir).
func (ds remoteState) location(dir string) (string, error) {
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
		"path": cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal("."), "root": cty.StringVal("."), "cwd": cty.StringVal(".")}),
	}}
	attrs := ds.block.Body.Attributes
	backend, ok := attrs["backend"]
	if !ok {
		return "", fmt.Errorf("no backend")
	}
	typ, diags := backend.Expr.Value(ctx)
	if diags.HasErrors() || typ.Type() != cty.String || typ.IsNull() {
		return "", fmt.Errorf("backend is not a constant string")
	}
	config := cty.EmptyObjectVal
	if attr, ok := attrs["config"]; ok {
		if config, diags = attr.Expr.Value(ctx); diags.HasErrors() {
			return "", fmt.Errorf("config is not constant (only path.module may be used): %s", diags.Error())
		}
	}
	return stateLocation(typ.AsString(), dir, config)
}
