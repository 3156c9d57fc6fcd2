package config

import "strconv"

// SchemaID is the $id of docs/config.schema.json.
const SchemaID = "https://github.com/coworks-go/coworks/docs/config.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of config.json, generated from Keys: what editors use
// to complete and check the file. Unknown keys stay allowed, as Chalice ignores them (cws validate
// warns about them). Cross-key rules (VPC pairing, 4 KB of variables, name lengths) are left to
// Validate. docs/config.schema.json is this output; a test fails when it is stale.
func Schema() []byte {
	s := obj(
		"$schema", str("https://json-schema.org/draft/2020-12/schema"),
		"$id", str(SchemaID),
		"title", str("CoWorks for Go / AWS Chalice .chalice/config.json"),
		"description", str("Project settings by stage and function. Generated from internal/config/keys.go; do not edit."),
		"type", str("object"),
		"properties", props(func(k *Key) bool { return k.InTop() }),
		"$defs", obj(
			"stage", obj(
				"description", str("Settings of one stage; they override the top level."),
				"type", str("object"),
				"properties", props(func(k *Key) bool { return k.InStage() }),
			),
			"function", obj(
				"description", str("Settings of one function; function-varying keys and merged maps only."),
				"type", str("object"),
				"properties", props(func(k *Key) bool { return k.InFunction() }),
			),
			"customDomain", obj(
				"type", str("object"),
				"required", arr(str("domain_name"), str("certificate_arn")),
				"properties", obj(
					"domain_name", obj("type", str("string")),
					"certificate_arn", obj("type", str("string")),
					"tls_version", obj("enum", arr(str("TLS_1_0"), str("TLS_1_1"), str("TLS_1_2"))),
					"url_prefix", obj("type", str("string")),
					"tags", obj("$ref", str("#/$defs/tags")),
				),
			),
			"environmentVariables", obj(
				"type", str("object"),
				"propertyNames", obj("pattern", str(`^[A-Za-z][A-Za-z0-9_]*$`),
					"not", obj("enum", reservedList())),
				"additionalProperties", obj("type", str("string")),
			),
			"tags", obj(
				"type", str("object"),
				"additionalProperties", obj("type", str("string")),
			),
		),
	)
	return s.Encode()
}

func props(where func(*Key) bool) *Value {
	out := NewObject()
	for _, k := range Keys {
		if where(k) {
			out.Set(k.Name, keySchema(k))
		}
	}
	return out
}

func keySchema(k *Key) *Value {
	doc := k.Doc
	if k.Ours {
		doc += " (CoWorks key; Chalice ignores it.)"
	}
	s := obj("description", str(doc))
	nullable := func(t string) *Value { return arr(str(t), str("null")) }
	switch k.Type {
	case TypeString:
		s.Set("type", nullable("string"))
		switch k.Name {
		case "app_name":
			s.Set("pattern", str(`^[A-Za-z0-9_-]+$`))
		case "api_gateway_stage", "extends":
			s.Set("pattern", str(`^[A-Za-z0-9_-]{1,128}$`))
		}
		if len(k.Enum) > 0 {
			e := arr()
			for _, v := range k.Enum {
				e.Items = append(e.Items, str(v))
			}
			e.Items = append(e.Items, &Value{Kind: Null, Offset: -1})
			s.Set("enum", e)
		}
	case TypeBool:
		s.Set("type", nullable("boolean"))
	case TypeInt:
		s.Set("type", nullable("integer"))
		if k.HasRange {
			s.Set("minimum", num(k.Min))
			if k.Max != 1<<31 {
				s.Set("maximum", num(k.Max))
			}
		}
	case TypeNumberString:
		s.Set("anyOf", arr(
			obj("type", str("string"), "pattern", str(`^\s*(0*[01](\.[0-9]*)?|0*2(\.0*)?|\.[0-9]+)\s*$`)),
			obj("type", str("number"), "maximum", num(2)),
		))
	case TypeStringList:
		s.Set("type", nullable("array"))
		s.Set("items", obj("type", str("string")))
	case TypeStringOrList:
		s.Set("anyOf", arr(obj("type", str("string")), obj("type", str("array"), "items", obj("type", str("string"))), obj("type", str("null"))))
	case TypeStringMap:
		ref := "#/$defs/tags"
		if k.Name == "environment_variables" {
			ref = "#/$defs/environmentVariables"
		}
		s.Set("anyOf", arr(obj("$ref", str(ref)), obj("type", str("null"))))
	case TypeCustomDomain:
		s.Set("anyOf", arr(obj("$ref", str("#/$defs/customDomain")), obj("type", str("null"))))
	case TypeObject:
		s.Set("type", nullable("object"))
	case TypeStages:
		s.Set("type", str("object"))
		s.Set("propertyNames", obj("pattern", str(`^[A-Za-z0-9_-]{1,128}$`)))
		s.Set("additionalProperties", obj("$ref", str("#/$defs/stage")))
	case TypeFunctions:
		s.Set("type", str("object"))
		s.Set("additionalProperties", obj("$ref", str("#/$defs/function")))
	}
	if d := defaults[k.Name]; d != nil && k.Type != TypeStages && k.Type != TypeFunctions {
		s.Set("default", d)
	}
	return s
}

func reservedList() *Value {
	names := []string{"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
		"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
		"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
		"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"}
	out := arr()
	for _, n := range names {
		if !reservedEnv[n] {
			panic("config: reserved list out of sync: " + n)
		}
		out.Items = append(out.Items, str(n))
	}
	return out
}

func obj(kv ...any) *Value {
	o := NewObject()
	for i := 0; i < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1].(*Value))
	}
	return o
}

func arr(items ...*Value) *Value { return &Value{Kind: Array, Items: items, Offset: -1} }
func str(s string) *Value        { return NewString(s) }
func num(n int) *Value           { return &Value{Kind: Number, Text: strconv.Itoa(n), Offset: -1} }
