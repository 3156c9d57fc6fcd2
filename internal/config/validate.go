package config

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Severity separates problems that stop a command (errors) from advice (warnings).
type Severity int

// The severities.
const (
	SeverityError Severity = iota
	SeverityWarning
)

func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one problem in a config file.
type Diagnostic struct {
	Severity Severity
	// Path is the JSON path, e.g. "stages.prod.environment_variables.AWS_REGION" ("" for the whole file).
	Path string
	Pos  Pos
	// Message says what is wrong and, when it can, what to write instead.
	Message string
}

// String formats d as "file:line:col: path: message" (warnings prefixed by "warning: "), the path and
// message made Printable: they hold the file's keys and values.
func (d Diagnostic) String() string {
	prefix := ""
	if d.Severity == SeverityWarning {
		prefix = "warning: "
	}
	if d.Path == "" {
		return fmt.Sprintf("%s: %s%s", d.Pos, prefix, Printable(d.Message))
	}
	return fmt.Sprintf("%s: %s%s: %s", d.Pos, prefix, Printable(d.Path), Printable(d.Message))
}

// Diagnostics are every problem found in one file, errors and warnings in file order of discovery.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool { return len(ds.Errors()) > 0 }

// Errors returns the errors only.
func (ds Diagnostics) Errors() Diagnostics { return ds.filter(SeverityError) }

// Warnings returns the warnings only.
func (ds Diagnostics) Warnings() Diagnostics { return ds.filter(SeverityWarning) }

func (ds Diagnostics) filter(s Severity) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == s {
			out = append(out, d)
		}
	}
	return out
}

// MaxFunctionName is Lambda's limit on function names.
const MaxFunctionName = 64

// MaxEnvironmentSize is Lambda's limit on the total size of a function's variables (names plus values).
const MaxEnvironmentSize = 4096

// ValidStageName reports whether name is a valid stage (and API Gateway stage) name:
// ^[A-Za-z0-9_-]{1,128}$.
func ValidStageName(name string) bool { return len(name) <= 128 && ValidAppName(name) }

// ValidAppName reports whether name is a valid app_name: ^[A-Za-z0-9_-]+$.
func ValidAppName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isLetter(c) && !isDigit(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// validEnvName reports whether name matches ^[A-Za-z][A-Za-z0-9_]*$.
func validEnvName(name string) bool {
	if name == "" || !isLetter(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isLetter(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// checker accumulates diagnostics.
type checker struct {
	p    *Project
	out  Diagnostics
	seen map[string]bool
	// secrets are the stages' local secrets, for ValidateWithSecrets.
	secrets StageSecrets
}

func (c *checker) add(sev Severity, path string, offset int, format string, args ...any) {
	d := Diagnostic{Severity: sev, Path: path, Pos: c.p.Pos(offset), Message: fmt.Sprintf(format, args...)}
	id := d.Path + "\x00" + d.Message
	if c.seen[id] {
		return
	}
	c.seen[id] = true
	c.out = append(c.out, d)
}

func (c *checker) errorf(path string, offset int, format string, args ...any) {
	c.add(SeverityError, path, offset, format, args...)
}

func (c *checker) warnf(path string, offset int, format string, args ...any) {
	c.add(SeverityWarning, path, offset, format, args...)
}

// Validate checks the whole file and returns every problem at once: types, ranges and name rules of
// every key at every level, unknown keys (warnings, with a suggestion for likely typos), extends
// chains, and the per-stage rules (function-name length, environment size, endpoint/VPC/IAM pairings)
// for every stage in the file and every function. It never stops at the first problem.
func (p *Project) Validate() Diagnostics { return p.ValidateWithSecrets(nil) }

// ValidateWithSecrets is Validate that also counts each stage's local secrets (see StageSecrets) toward the
// 4 KB of variables of its functions, and refuses a variable of a stage that is also one of its secrets.
func (p *Project) ValidateWithSecrets(secrets StageSecrets) Diagnostics {
	c := &checker{p: p, seen: map[string]bool{}, secrets: secrets}
	root := p.Root
	if root.Kind != Object {
		c.errorf("", root.Offset, "the file must hold a JSON object, not %s", root.Kind)
		return c.out
	}
	if root.Get("app_name") == nil {
		c.errorf("app_name", root.Offset, "app_name is missing; add \"app_name\": \"<name>\" at the top level")
	}
	c.duplicates(root, "")
	c.level(root, "", levelTop)
	if fns := root.Get("lambda_functions"); fns != nil && fns.Kind == Object {
		for _, m := range fns.Members {
			c.function(m, "lambda_functions."+m.Key, levelTopFunction)
		}
	}
	stages := root.Get("stages")
	if stages != nil && stages.Kind == Object {
		byFold := map[string]*Member{}
		for _, m := range stages.Members {
			path := "stages." + m.Key
			if !ValidStageName(m.Key) {
				c.errorf(path, m.KeyOffset, "stage name %q must be 1 to 128 letters, digits, '-' or '_'", m.Key)
			}
			if first, ok := byFold[strings.ToLower(m.Key)]; ok && first.Key != m.Key {
				at := c.p.Pos(first.KeyOffset)
				c.errorf(path, m.KeyOffset, "stage %q differs from stage %q (line %d) only in case, and their AWS resources would collide (IAM role names ignore case); rename one",
					m.Key, first.Key, at.Line)
			} else if !ok {
				byFold[strings.ToLower(m.Key)] = m
			}
			if m.Value.Kind != Object {
				c.errorf(path, m.Value.Offset, "a stage must be an object, not %s", m.Value.Kind)
				continue
			}
			c.level(m.Value, path, levelStage)
			if fns := m.Value.Get("lambda_functions"); fns != nil && fns.Kind == Object {
				for _, f := range fns.Members {
					c.function(f, path+".lambda_functions."+f.Key, levelStageFunction)
				}
			}
			c.extends(m.Key, m.Value)
		}
	}
	// The rules on effective values run whatever else is wrong: resolution leaves ill-typed values out.
	names := p.StageNames()
	if len(names) == 0 {
		names = []string{DefaultStage}
	}
	for _, st := range names {
		c.stage(st)
	}
	return c.out
}

// duplicates reports every key that an object of v repeats, at each repetition, naming the first: Python's
// json (and so Chalice) keeps the last value silently; cws does not guess which one was meant.
func (c *checker) duplicates(v *Value, path string) {
	join := func(key string) string {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	switch v.Kind {
	case Object:
		first := make(map[string]*Member, len(v.Members))
		for _, m := range v.Members {
			if f, ok := first[m.Key]; ok {
				at := c.p.Pos(f.KeyOffset)
				c.errorf(join(m.Key), m.KeyOffset, "duplicate key %q (also at %d:%d): Python's json, and so Chalice, keeps the last one silently; remove one",
					m.Key, at.Line, at.Col)
			} else {
				first[m.Key] = m
			}
			c.duplicates(m.Value, join(m.Key))
		}
	case Array:
		for i, it := range v.Items {
			c.duplicates(it, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

type level int

const (
	levelTop level = iota
	levelTopFunction
	levelStage
	levelStageFunction
)

func (c *checker) function(m *Member, path string, lv level) {
	if m.Value.Kind != Object {
		c.errorf(path, m.Value.Offset, "a function's settings must be an object, not %s", m.Value.Kind)
		return
	}
	c.level(m.Value, path, lv)
}

// level checks every member of one settings object.
func (c *checker) level(obj *Value, prefix string, lv level) {
	for _, m := range obj.Members {
		path := m.Key
		if prefix != "" {
			path = prefix + "." + m.Key
		}
		k := KeyNamed(m.Key)
		if k == nil {
			if s := suggest(m.Key); s != "" {
				c.warnf(path, m.KeyOffset, "unknown key, ignored; did you mean %q?", s)
			} else {
				c.warnf(path, m.KeyOffset, "unknown key, ignored by Chalice and cws")
			}
			continue
		}
		if !honoured(k, lv) {
			c.warnf(path, m.KeyOffset, "%s is not read here and is ignored; %s", k.Name, whereHonoured(k))
			continue
		}
		if lv == levelTopFunction && k.Lookup == LookupMerge {
			c.warnf(path, m.KeyOffset, "Chalice ignores top-level lambda_functions.<fn>.%s; cws applies it (after the top level, before the stage), so Chalice would deploy different %s", k.Name, k.Name)
		}
		if m.Value.Kind == Null {
			continue // null means "not set" in Chalice's lookup
		}
		c.value(k, m.Value, path)
	}
}

func honoured(k *Key, lv level) bool {
	switch lv {
	case levelTop:
		return k.InTop()
	case levelStage:
		return k.InStage()
	default:
		return k.InFunction()
	}
}

func whereHonoured(k *Key) string {
	switch k.Lookup {
	case LookupTop:
		return "set it at the top level"
	case LookupStage:
		return "it varies by stage only: set it at the top level or in a stage"
	case LookupStageOnly:
		return "set it inside a stage"
	}
	return ""
}

// value checks the type, range and rules of one present value.
func (c *checker) value(k *Key, v *Value, path string) {
	typeErr := func(want string) { c.errorf(path, v.Offset, "must be %s, not %s", want, v.Kind) }
	switch k.Type {
	case TypeString:
		if v.Kind != String {
			typeErr("a string")
			return
		}
		c.stringRules(k, v, path)
	case TypeBool:
		if v.Kind != Bool {
			typeErr("true or false")
		}
	case TypeInt:
		n, ok := v.Int()
		if !ok {
			typeErr("a whole number")
			return
		}
		if strings.ContainsAny(v.Text, ".eE") {
			why := ": Python's json, and so Chalice, reads it as a float"
			if k.Name == "minimum_compression_size" {
				why = " (Chalice: 'minimum_compression_size' must be an int.)"
			}
			c.errorf(path, v.Offset, "must be a whole number written without a decimal point or exponent, not %s%s", v.Text, why)
			return
		}
		if k.HasRange && (n < k.Min || n > k.Max) {
			if k.Max == 1<<31 {
				c.errorf(path, v.Offset, "must be %d or more, not %d", k.Min, n)
			} else {
				c.errorf(path, v.Offset, "must be between %d and %d, not %d", k.Min, k.Max, n)
			}
		}
	case TypeNumberString:
		switch v.Kind {
		case Bool: // Python's float(True) is 1.0: Chalice takes it
			c.warnf(path, v.Offset, "Chalice reads %v as version %d.0; write \"2.0\"", v.Bool, map[bool]int{true: 1}[v.Bool])
			return
		case String, Number:
		default:
			c.errorf(path, v.Offset, "must be a version number such as \"2.0\", not %s", v.Kind)
			return
		}
		// Chalice's rule: float(version) <= 2.0, else UnknownConfigFileVersion. JSON numbers are Python floats too.
		if f, ok := pythonFloat(v.Text); !ok || f > 2.0 {
			c.errorf(path, v.Offset, "unknown version %q: must be a number no greater than 2.0 (Chalice: Unknown version '%s' in config.json)", v.Text, v.Text)
		}
	case TypeStringList, TypeStringOrList:
		if _, err := stringList(v, path, k.Type == TypeStringOrList); err != nil {
			te := err.(*TypeError)
			off := v.Offset
			if v.Kind == Array {
				for _, it := range v.Items {
					if it.Kind != String {
						off = it.Offset
						break
					}
				}
			}
			c.errorf(te.Path, off, "must be %s, not %s", te.Want, te.Got)
		}
	case TypeStringMap:
		if v.Kind != Object {
			typeErr("an object of strings")
			return
		}
		for _, m := range v.Members {
			c.mapEntry(k, m, path)
		}
	case TypeCustomDomain:
		c.customDomain(v, path)
	case TypeObject, TypeStages, TypeFunctions:
		if v.Kind != Object {
			typeErr("an object")
		}
	}
}

func (c *checker) stringRules(k *Key, v *Value, path string) {
	if len(k.Enum) > 0 {
		ok := false
		for _, e := range k.Enum {
			ok = ok || e == v.Text
		}
		if !ok {
			c.errorf(path, v.Offset, "%q is not one of %s", v.Text, joinOr(k.Enum))
		}
	}
	switch k.Name {
	case "app_name":
		if !ValidAppName(v.Text) {
			c.errorf(path, v.Offset, "app_name %q must be letters, digits, '-' or '_' only", v.Text)
		}
	case "api_gateway_stage":
		if !ValidStageName(v.Text) {
			c.errorf(path, v.Offset, "API Gateway stage %q must be 1 to 128 letters, digits, '-' or '_'", v.Text)
		}
	}
}

// mapEntry checks one member of the map at prefix; its path is built only for a diagnostic.
func (c *checker) mapEntry(k *Key, m *Member, prefix string) {
	valid := m.Value.Kind == String
	if k.Name == "environment_variables" {
		valid = valid && validEnvName(m.Key) && !ReservedEnv(m.Key) && len(m.Key) != 1 && !strings.ContainsFunc(m.Value.Text, unusualControl)
	} else {
		valid = valid && m.Key != DeployerTag
	}
	if valid {
		return
	}
	path := prefix + "." + m.Key
	if k.Name == "tags" && m.Key == DeployerTag {
		c.warnf(path, m.KeyOffset, "the aws-chalice tag is the deployer's: Chalice replaces it with version=...:stage=...:app=..., cws does not deploy it; remove it")
	}
	if k.Name == "environment_variables" {
		switch {
		case !validEnvName(m.Key):
			c.errorf(path, m.KeyOffset, "variable name %q must start with a letter and hold only letters, digits and '_'", m.Key)
		case ReservedEnv(m.Key):
			c.errorf(path, m.KeyOffset, "%s is reserved by Lambda and cannot be set; choose another name", m.Key)
		case len(m.Key) == 1:
			c.warnf(path, m.KeyOffset, "Lambda's API documents variable names of at least 2 characters ([a-zA-Z][a-zA-Z0-9_]+)")
		}
		if m.Value.Kind != String {
			c.errorf(path, m.Value.Offset, "environment variable values must be strings, not %s; quote it", m.Value.Kind)
		} else if i := strings.IndexFunc(m.Value.Text, unusualControl); i >= 0 {
			if r := []rune(m.Value.Text[i:])[0]; r == 0 {
				c.errorf(path, m.Value.Offset, "a NUL character cannot be passed to a process: no function, in Lambda or locally, can be given this value")
			} else {
				c.warnf(path, m.Value.Offset, "control character U+%04X in the value %q: is it meant to be there?", r, m.Value.Text)
			}
		}
		return
	}
	if m.Value.Kind != String {
		c.errorf(path, m.Value.Offset, "tag values must be strings, not %s; quote it", m.Value.Kind)
	}
}

// unusualControl reports the control characters an environment value rarely holds on purpose: all but
// tab, line feed and carriage return (a PEM key spans lines).
func unusualControl(r rune) bool {
	return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
}

func (c *checker) customDomain(v *Value, path string) {
	if v.Kind != Object {
		c.errorf(path, v.Offset, "must be an object, not %s", v.Kind)
		return
	}
	for _, req := range []string{"domain_name", "certificate_arn"} {
		if !v.Get(req).Present() {
			c.errorf(path+"."+req, v.Offset, "%s is required in a custom domain", req)
		}
	}
	for _, m := range v.Members {
		p := path + "." + m.Key
		switch m.Key {
		case "domain_name", "certificate_arn", "url_prefix":
			if m.Value.Kind != String {
				c.errorf(p, m.Value.Offset, "must be a string, not %s", m.Value.Kind)
			}
		case "tls_version":
			if m.Value.Kind != String || (m.Value.Text != "TLS_1_0" && m.Value.Text != "TLS_1_1" && m.Value.Text != "TLS_1_2") {
				c.warnf(p, m.Value.Offset, "not one of TLS_1_0, TLS_1_1, TLS_1_2; Chalice silently uses TLS_1_2")
			}
		case "tags":
			if m.Value.Kind != Object {
				c.errorf(p, m.Value.Offset, "must be an object of strings, not %s", m.Value.Kind)
			}
		case "security_policy", "url_prefixes":
			c.warnf(p, m.KeyOffset, "shown in Chalice's docs but never read by Chalice; ignored")
		default:
			c.warnf(p, m.KeyOffset, "unknown custom-domain key, ignored")
		}
	}
}

func (c *checker) extends(stage string, obj *Value) {
	ext := obj.Get("extends")
	if !ext.Present() || ext.Kind != String {
		return
	}
	path := "stages." + stage + ".extends"
	if ext.Text == stage {
		c.errorf(path, ext.Offset, "a stage cannot extend itself")
		return
	}
	if _, err := c.p.chain(stage); err != nil {
		c.errorf(path, ext.Offset, "%v", err)
	}
}

func joinOr(opts []string) string {
	s := ""
	for i, o := range opts {
		switch {
		case i == 0:
		case i == len(opts)-1:
			s += " or "
		default:
			s += ", "
		}
		s += strconv.Quote(o)
	}
	return s
}
