package config

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
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

// layerRef is one object consulted during resolution. The JSON path of a value found in it is built
// only when the value is used (see path).
type layerRef struct {
	obj   *Value // nil: the layer is empty
	layer Layer
	stage string // the stage of stage, extends and their function layers
	fn    string // the function of function layers
}

// path returns the JSON path of key in the layer: key itself at the top level and for flags.
func (l *layerRef) path(key string) string {
	switch l.layer {
	case LayerTopFunction:
		return "lambda_functions." + l.fn + "." + key
	case LayerStage, LayerExtends:
		return "stages." + l.stage + "." + key
	case LayerStageFunction, LayerExtendsFunction:
		return "stages." + l.stage + ".lambda_functions." + l.fn + "." + key
	}
	return key
}

// maxInlineLayers sizes the on-stack buffer of lookup orders: enough for extends chains of 6 stages
// that all configure the function; longer chains spill to the heap.
const maxInlineLayers = 48

// settingCount is how many Settings a Stage holds: every key but stages and lambda_functions.
var settingCount = func() int {
	n := 0
	for _, k := range Keys {
		if k.Type != TypeStages && k.Type != TypeFunctions {
			n++
		}
	}
	return n
}()

// Resolve computes the effective settings of function fn ("" means api_handler) in stage, following
// Chalice's lookup orders (chalice-compat.md §2.2) and merges (§2.3), extended with extends chains and
// top-level function environment_variables/tags. A stage missing from the file resolves to top-level
// values. Resolve is pure. It fails on an extends cycle or missing parent, and on a value of the wrong
// type (Validate reports those with positions first).
func (p *Project) Resolve(stage, fn string, o Overrides) (*Stage, error) {
	return p.resolve(stage, fn, o, false)
}

// resolve is Resolve; lenient leaves out every value of the wrong type, as if it were absent (the next
// layer or the default decides), so that Validate can check the effective values of a file with type
// errors. Only an extends cycle or missing parent still fails.
func (p *Project) resolve(stage, fn string, o Overrides, lenient bool) (*Stage, error) {
	if fn == "" {
		fn = APIHandler
	}
	var chainBuf [8]stageLink
	chain, err := p.chainInto(chainBuf[:0], stage)
	if err != nil {
		return nil, err
	}
	user := layerRef{layer: LayerOverride}
	if !o.empty() {
		user.obj = o.layer()
	}
	top := layerRef{obj: p.Root, layer: LayerTop}
	topFn := layerRef{layer: LayerTopFunction, fn: fn}
	if f := p.Root.Get("lambda_functions").Get(fn); f != nil && f.Kind == Object {
		topFn.obj = f
	}

	// Every lookup order is a window of one buffer: stage layers (nearest first), then stage function
	// layers (nearest first), then the orders built from them.
	var orderBuf [maxInlineLayers]layerRef
	buf := orderBuf[:0]
	for i, l := range chain {
		layer := LayerStage
		if i > 0 {
			layer = LayerExtends
		}
		buf = append(buf, layerRef{obj: l.value, layer: layer, stage: l.name})
	}
	nStage := len(buf)
	for i, l := range chain {
		if f := l.value.Get("lambda_functions").Get(fn); f != nil && f.Kind == Object {
			layer := LayerStageFunction
			if i > 0 {
				layer = LayerExtendsFunction
			}
			buf = append(buf, layerRef{obj: f, layer: layer, stage: l.name, fn: fn})
		}
	}
	stageLayers, stageFnLayers := buf[:nStage:nStage], buf[nStage:len(buf):len(buf)]
	mark := len(buf)
	buf = append(buf, user, top)
	topOrder := buf[mark:]
	mark = len(buf)
	buf = append(buf, user)
	buf = append(buf, stageLayers...)
	buf = append(buf, top)
	stageOrder := buf[mark:]
	mark = len(buf)
	buf = append(buf, stageFnLayers...)
	buf = append(buf, user)
	buf = append(buf, stageLayers...)
	if topFn.obj != nil {
		buf = append(buf, topFn)
	}
	buf = append(buf, top)
	fnOrder := buf[mark:]
	mark = len(buf)
	buf = append(buf, top)
	if topFn.obj != nil {
		buf = append(buf, topFn)
	}
	for i := len(stageLayers) - 1; i >= 0; i-- {
		buf = append(buf, stageLayers[i])
	}
	for i := len(stageFnLayers) - 1; i >= 0; i-- {
		buf = append(buf, stageFnLayers[i])
	}
	buf = append(buf, user)
	mergeOrder := buf[mark:]
	// The first layers of a merge (top level, top-level function, extends ancestors) are the same for
	// every stage with the same parent: they are merged once per Project.
	shared := 1 + max(nStage-1, 0)
	if topFn.obj != nil {
		shared++
	}
	parent := ""
	if nStage > 1 {
		parent = chain[1].name
	}

	s := &Stage{AppName: p.AppName(), StageName: stage, Function: fn, Settings: make([]Setting, 0, settingCount)}
	for _, k := range Keys {
		var order []layerRef
		switch k.Lookup {
		case LookupTop:
			if k.Type == TypeStages || k.Type == TypeFunctions {
				continue
			}
			order = topOrder
		case LookupStage:
			order = stageOrder
		case LookupFunction:
			order = fnOrder
		case LookupStageOnly:
			order = stageLayers[:min(1, len(stageLayers))]
		case LookupMerge:
			var m *merged
			var err error
			if lenient {
				m, err = mergeOver(nil, k.Name, mergeOrder, true)
			} else {
				m, err = p.merge(k.Name, fn, parent, mergeOrder, shared)
			}
			if err != nil {
				return nil, err
			}
			obj := m.obj
			if k.Name == "environment_variables" {
				s.EnvironmentVariables = m.plain
				s.env = m
			} else {
				s.Tags = m.plain
				if _, ok := m.plain[DeployerTag]; ok { // never the user's: Chalice's deployer replaces it
					delete(s.Tags, DeployerTag)
					obj = &Value{Kind: Object, Offset: -1, Members: slices.DeleteFunc(slices.Clone(obj.Members), func(mem *Member) bool {
						return mem.Key == DeployerTag
					})}
				}
			}
			s.Settings = append(s.Settings, Setting{Key: k.Name, Value: obj, Source: Source{Layer: LayerDefault, Offset: -1}})
			continue
		}
		val, src := firstFound(k, order)
		err := s.assign(k, val, src.Path)
		if err != nil && lenient {
			val, src, err = firstWellTyped(s, k, order)
		}
		if err != nil {
			return nil, err
		}
		s.Settings = append(s.Settings, Setting{Key: k.Name, Value: val, Source: src})
	}
	return s, nil
}

// empty reports whether no override is given.
func (o *Overrides) empty() bool {
	return o.APIGatewayStage == "" && o.AutogenPolicy == nil && o.Profile == "" && len(o.EnvironmentVariables) == 0
}

// firstFound returns the first present value of k over order, else its default.
func firstFound(k *Key, order []layerRef) (*Value, Source) {
	for i := range order {
		if v := order[i].obj.Get(k.Name); v.Present() {
			return v, order[i].source(k, v)
		}
	}
	return defaultValue(k), Source{Layer: LayerDefault, Offset: -1}
}

// firstWellTyped is firstFound passing over the values s.assign refuses, which it assigns as it goes.
func firstWellTyped(s *Stage, k *Key, order []layerRef) (*Value, Source, error) {
	for i := range order {
		if v := order[i].obj.Get(k.Name); v.Present() {
			if src := order[i].source(k, v); s.assign(k, v, src.Path) == nil {
				return v, src, nil
			}
		}
	}
	v := defaultValue(k)
	return v, Source{Layer: LayerDefault, Offset: -1}, s.assign(k, v, "")
}

// source says where v, the value of k found in the layer, comes from.
func (l *layerRef) source(k *Key, v *Value) Source {
	return Source{Layer: l.layer, Path: l.path(k.Name), Offset: v.Offset}
}

// defaults holds the parsed default value of every key that has one.
var defaults = parseDefaults()

func parseDefaults() map[string]*Value {
	m := map[string]*Value{}
	for _, k := range Keys {
		if k.Default == "" {
			continue
		}
		v, err := parseDocument("default", []byte(k.Default))
		if err != nil {
			panic("config: bad default of " + k.Name + ": " + err.Error())
		}
		m[k.Name] = v
	}
	return m
}

func defaultValue(k *Key) *Value { return defaults[k.Name] }

// merged is the result of merging one map key over the layers.
type merged struct {
	obj   *Value
	plain map[string]string // name -> value, what Stage.EnvironmentVariables and Stage.Tags hold
	index map[string]int32  // name -> position in obj.Members and from
	from  []int32           // per member of obj: the position in layers of the layer it came from
	// layers are the layers that gave members; Path is the layer's path to the map (EnvSource appends
	// the name) and Offset is left to the member.
	layers []Source
}

// source returns where the member at position i came from.
func (m *merged) source(i int) Source {
	src := m.layers[m.from[i]]
	src.Offset = m.obj.Members[i].Value.Offset
	return src
}

// mergeKey names the merge of the shared first layers of a map key.
type mergeKey struct{ key, fn, parent string }

// mergeCache holds the shared merges of a Project, computed on first use.
type mergeCache struct {
	mu     sync.Mutex
	shared map[mergeKey]*merged
}

// merge applies Chalice's shallow dict.update over the layers in order; non-object layers are
// skipped as Chalice does. A non-string value makes a TypeError. The first shared layers of order
// depend only on key, fn and the stage's parent: their merge is reused from the Project's cache.
func (p *Project) merge(key, fn, parent string, order []layerRef, shared int) (*merged, error) {
	if p.merges == nil {
		return mergeOver(nil, key, order, false)
	}
	mk := mergeKey{key, fn, parent}
	p.merges.mu.Lock()
	base, ok := p.merges.shared[mk]
	p.merges.mu.Unlock()
	if !ok {
		var err error
		if base, err = mergeOver(nil, key, order[:shared], false); err != nil {
			return nil, err
		}
		p.merges.mu.Lock()
		if p.merges.shared == nil {
			p.merges.shared = make(map[mergeKey]*merged)
		}
		p.merges.shared[mk] = base
		p.merges.mu.Unlock()
	}
	return mergeOver(base, key, order[shared:], false)
}

// mergeOver merges the layers of order over a copy of base (nil: nothing). A member that is not a string is
// a TypeError, or left out when lenient.
func mergeOver(base *merged, key string, order []layerRef, lenient bool) (*merged, error) {
	n, nLayers := 0, 0
	for i := range order {
		if obj := order[i].obj.Get(key); obj != nil && obj.Kind == Object {
			n += len(obj.Members)
			nLayers++
		}
	}
	m := &merged{}
	if base != nil {
		m.obj = &Value{Kind: Object, Offset: -1, Members: make([]*Member, len(base.obj.Members), len(base.obj.Members)+n)}
		copy(m.obj.Members, base.obj.Members)
		m.from = append(make([]int32, 0, len(base.from)+n), base.from...)
		m.layers = append(make([]Source, 0, len(base.layers)+nLayers), base.layers...)
		m.index = maps.Clone(base.index)
	} else {
		m.obj = &Value{Kind: Object, Offset: -1, Members: make([]*Member, 0, n)}
		m.from = make([]int32, 0, n)
		m.layers = make([]Source, 0, nLayers)
		m.index = make(map[string]int32, n)
	}
	for i := range order {
		l := &order[i]
		obj := l.obj.Get(key)
		if obj == nil || obj.Kind != Object {
			continue
		}
		path := l.path(key)
		layer := int32(len(m.layers))
		m.layers = append(m.layers, Source{Layer: l.layer, Path: path})
		for _, mem := range obj.Members {
			if mem.Value.Kind != String {
				if lenient {
					continue
				}
				return nil, &TypeError{Path: path + "." + mem.Key, Want: "a string", Got: mem.Value.Kind}
			}
			if j, ok := m.index[mem.Key]; ok {
				m.obj.Members[j] = mem
				m.from[j] = layer
			} else {
				m.index[mem.Key] = int32(len(m.obj.Members))
				m.obj.Members = append(m.obj.Members, mem)
				m.from = append(m.from, layer)
			}
		}
	}
	m.plain = make(map[string]string, len(m.obj.Members))
	for _, mem := range m.obj.Members {
		m.plain[mem.Key] = mem.Value.Text
	}
	return m, nil
}
