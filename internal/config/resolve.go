package config

import (
	"fmt"
	"sort"
)

// Layer is where an effective value came from.
type Layer int

// The layers, from lowest to highest priority in the merge order.
const (
	// LayerDefault is a built-in default (Chalice's, or ours for our keys).
	LayerDefault Layer = iota
	// LayerTop is the top level of config.json.
	LayerTop
	// LayerTopFunction is lambda_functions.<fn> at the top level.
	LayerTopFunction
	// LayerExtends is a stage this stage inherits from through extends.
	LayerExtends
	// LayerStage is stages.<stage>.
	LayerStage
	// LayerExtendsFunction is stages.<parent>.lambda_functions.<fn> of an extends parent.
	LayerExtendsFunction
	// LayerStageFunction is stages.<stage>.lambda_functions.<fn>.
	LayerStageFunction
	// LayerOverride is a command-line flag.
	LayerOverride
)

// Source says where one effective value came from: the layer, and the JSON path and offset of the
// value (Path "" and Offset -1 for defaults and flags).
type Source struct {
	Layer Layer
	// Path is the JSON path of the value, e.g. "stages.prod.lambda_timeout".
	Path string
	// Offset is the byte offset of the value in the file, -1 when not from the file.
	Offset int
}

// String describes the source for humans: "default", "flag", or the JSON path with the layer's name.
func (s Source) String() string {
	switch s.Layer {
	case LayerDefault:
		return "default"
	case LayerOverride:
		return "flag"
	case LayerTop:
		return "top level"
	case LayerTopFunction:
		return "top-level function (" + s.Path + ")"
	case LayerExtends:
		return "extends (" + s.Path + ")"
	case LayerExtendsFunction:
		return "extends function (" + s.Path + ")"
	case LayerStage:
		return "stage"
	case LayerStageFunction:
		return "stage function (" + s.Path + ")"
	}
	return "unknown"
}

// Overrides are the values given on the command line (Chalice's user-provided layer U). Zero fields are
// not given.
type Overrides struct {
	// APIGatewayStage is --api-gateway-stage.
	APIGatewayStage string
	// AutogenPolicy is --autogen-policy / --no-autogen-policy.
	AutogenPolicy *bool
	// Profile is --profile.
	Profile string
	// EnvironmentVariables are merged last, over every file layer.
	EnvironmentVariables map[string]string
}

func (o Overrides) layer() *Value {
	v := NewObject()
	if o.APIGatewayStage != "" {
		v.Set("api_gateway_stage", NewString(o.APIGatewayStage))
	}
	if o.AutogenPolicy != nil {
		v.Set("autogen_policy", &Value{Kind: Bool, Bool: *o.AutogenPolicy, Offset: -1})
	}
	if o.Profile != "" {
		v.Set("profile", NewString(o.Profile))
	}
	if len(o.EnvironmentVariables) > 0 {
		env := NewObject()
		names := make([]string, 0, len(o.EnvironmentVariables))
		for k := range o.EnvironmentVariables {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			env.Set(k, NewString(o.EnvironmentVariables[k]))
		}
		v.Set("environment_variables", env)
	}
	return v
}

// Setting is one effective value of a Stage with its source, for display.
type Setting struct {
	Key    string
	Value  *Value // nil when unset
	Source Source
}

// TypeError is a value of the wrong JSON type met while resolving. Validate reports the same problem
// with its position; Resolve stops at it.
type TypeError struct {
	Path string
	Want string
	Got  Kind
}

func (e *TypeError) Error() string {
	return fmt.Sprintf("%s: must be %s, not %s", e.Path, e.Want, e.Got)
}

// layerRef is one object consulted during resolution.
type layerRef struct {
	obj    *Value
	layer  Layer
	prefix string // JSON path prefix ("" for top level)
}

func (l layerRef) source(key string) Source {
	path := key
	if l.prefix != "" {
		path = l.prefix + "." + key
	}
	off := -1
	if v := l.obj.Get(key); v != nil {
		off = v.Offset
	}
	return Source{Layer: l.layer, Path: path, Offset: off}
}

// Resolve computes the effective settings of function fn ("" means api_handler) in stage, following
// Chalice's lookup orders (chalice-compat.md §2.2) and merges (§2.3), extended with extends chains and
// top-level function environment_variables/tags. A stage missing from the file resolves to top-level
// values. Resolve is pure. It fails on an extends cycle or missing parent, and on a value of the wrong
// type (Validate reports those with positions first).
func (p *Project) Resolve(stage, fn string, o Overrides) (*Stage, error) {
	if fn == "" {
		fn = APIHandler
	}
	chain, err := p.chain(stage)
	if err != nil {
		return nil, err
	}
	var stageLayers, stageFnLayers []layerRef
	for i, l := range chain {
		layer, fnLayer := LayerStage, LayerStageFunction
		if i > 0 {
			layer, fnLayer = LayerExtends, LayerExtendsFunction
		}
		prefix := "stages." + l.name
		stageLayers = append(stageLayers, layerRef{obj: l.value, layer: layer, prefix: prefix})
		if f := l.value.Get("lambda_functions").Get(fn); f != nil && f.Kind == Object {
			stageFnLayers = append(stageFnLayers, layerRef{obj: f, layer: fnLayer, prefix: prefix + ".lambda_functions." + fn})
		}
	}
	user := layerRef{obj: o.layer(), layer: LayerOverride}
	top := layerRef{obj: p.Root, layer: LayerTop}
	var topFn []layerRef
	if f := p.Root.Get("lambda_functions").Get(fn); f != nil && f.Kind == Object {
		topFn = []layerRef{{obj: f, layer: LayerTopFunction, prefix: "lambda_functions." + fn}}
	}

	s := &Stage{AppName: p.AppName(), StageName: stage, Function: fn}
	for _, k := range Keys {
		var order []layerRef
		switch k.Lookup {
		case LookupTop:
			if k.Type == TypeStages || k.Type == TypeFunctions {
				continue
			}
			order = []layerRef{user, top}
		case LookupStage:
			order = append(append([]layerRef{user}, stageLayers...), top)
		case LookupFunction:
			order = append(append(append(append(stageFnLayers[:len(stageFnLayers):len(stageFnLayers)], user), stageLayers...), topFn...), top)
		case LookupStageOnly:
			if len(stageLayers) > 0 {
				order = stageLayers[:1]
			}
		case LookupMerge:
			order = []layerRef{top}
			order = append(order, topFn...)
			for i := len(stageLayers) - 1; i >= 0; i-- {
				order = append(order, stageLayers[i])
			}
			for i := len(stageFnLayers) - 1; i >= 0; i-- {
				order = append(order, stageFnLayers[i])
			}
			order = append(order, user)
			m, err := merge(k.Name, order)
			if err != nil {
				return nil, err
			}
			s.Settings = append(s.Settings, Setting{Key: k.Name, Value: m.obj, Source: Source{Layer: LayerDefault, Offset: -1}})
			if k.Name == "environment_variables" {
				s.EnvironmentVariables = plainMap(m.obj)
				s.env = m
			} else {
				s.Tags = plainMap(m.obj)
			}
			continue
		}
		val, src := firstFound(k, order)
		s.Settings = append(s.Settings, Setting{Key: k.Name, Value: val, Source: src})
		if err := s.assign(k, val, src.Path); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// firstFound returns the first present value of k over order, else its default.
func firstFound(k *Key, order []layerRef) (*Value, Source) {
	for _, l := range order {
		if v := l.obj.Get(k.Name); v.Present() {
			return v, l.source(k.Name)
		}
	}
	return defaultValue(k), Source{Layer: LayerDefault, Offset: -1}
}

var defaults = map[string]*Value{}

func init() {
	for _, k := range Keys {
		if k.Default == "" {
			continue
		}
		v, err := parseDocument("default", []byte(k.Default))
		if err != nil {
			panic("config: bad default of " + k.Name + ": " + err.Error())
		}
		defaults[k.Name] = v
	}
}

func defaultValue(k *Key) *Value { return defaults[k.Name] }

// merged is the result of merging one map key over the layers.
type merged struct {
	obj   *Value
	index map[string]int // name -> position in obj.Members and srcs
	srcs  []Source       // Path is the layer's path to the map; the name is appended on demand
}

// merge applies Chalice's shallow dict.update over the layers in order; non-object layers are
// skipped as Chalice does. A non-string value makes a TypeError.
func merge(key string, order []layerRef) (*merged, error) {
	n := 0
	for _, l := range order {
		if obj := l.obj.Get(key); obj != nil && obj.Kind == Object {
			n += len(obj.Members)
		}
	}
	m := &merged{obj: &Value{Kind: Object, Offset: -1, Members: make([]*Member, 0, n)}, index: make(map[string]int, n), srcs: make([]Source, 0, n)}
	for _, l := range order {
		obj := l.obj.Get(key)
		if obj == nil || obj.Kind != Object {
			continue
		}
		src := l.source(key)
		for _, mem := range obj.Members {
			if mem.Value.Kind != String {
				return nil, &TypeError{Path: src.Path + "." + mem.Key, Want: "a string", Got: mem.Value.Kind}
			}
			s := Source{Layer: src.Layer, Path: src.Path, Offset: mem.Value.Offset}
			if i, ok := m.index[mem.Key]; ok {
				m.obj.Members[i] = mem
				m.srcs[i] = s
			} else {
				m.index[mem.Key] = len(m.obj.Members)
				m.obj.Members = append(m.obj.Members, mem)
				m.srcs = append(m.srcs, s)
			}
		}
	}
	return m, nil
}

func plainMap(obj *Value) map[string]string {
	out := make(map[string]string, len(obj.Members))
	for _, m := range obj.Members {
		out[m.Key] = m.Value.Text
	}
	return out
}
