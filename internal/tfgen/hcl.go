package tfgen

import (
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// ref returns the tokens of a reference such as "aws_lambda_function.function.arn". The references are
// constants of this package, so a malformed one is a programming error.
func ref(s string) hclwrite.Tokens {
	trav, diags := hclsyntax.ParseTraversalAbs([]byte(s), "", hcl.InitialPos)
	if diags.HasErrors() {
		panic(fmt.Sprintf("tfgen: bad reference %q: %s", s, diags.Error()))
	}
	return hclwrite.TokensForTraversal(trav)
}

// tmpl returns a quoted template: string parts are literal text (escaped, so user text never interpolates),
// hclwrite.Tokens parts are interpolated as "${...}".
func tmpl(parts ...any) hclwrite.Tokens {
	toks := hclwrite.Tokens{{Type: hclsyntax.TokenOQuote, Bytes: []byte(`"`)}}
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			if p == "" {
				continue
			}
			lit := hclwrite.TokensForValue(cty.StringVal(p))
			toks = append(toks, lit[1:len(lit)-1]...)
		case hclwrite.Tokens:
			toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenTemplateInterp, Bytes: []byte("${")})
			toks = append(toks, p...)
			toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenTemplateSeqEnd, Bytes: []byte("}")})
		default:
			panic(fmt.Sprintf("tfgen: template part %T", p))
		}
	}
	return append(toks, &hclwrite.Token{Type: hclsyntax.TokenCQuote, Bytes: []byte(`"`)})
}

// call returns the tokens of a function call.
func call(name string, args ...hclwrite.Tokens) hclwrite.Tokens {
	return hclwrite.TokensForFunctionCall(name, args...)
}

// str, num and boolean are literal values.
func str(s string) cty.Value { return cty.StringVal(s) }
func num(n int) cty.Value    { return cty.NumberIntVal(int64(n)) }

// strList is a list of strings (an empty list when ss is empty).
func strList(ss []string) cty.Value {
	if len(ss) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	vals := make([]cty.Value, len(ss))
	for i, s := range ss {
		vals[i] = cty.StringVal(s)
	}
	return cty.ListVal(vals)
}

// strMap is a map of strings, written with sorted keys.
func strMap(m map[string]string) cty.Value {
	if len(m) == 0 {
		return cty.MapValEmpty(cty.String)
	}
	vals := make(map[string]cty.Value, len(m))
	for k, v := range m {
		vals[k] = cty.StringVal(v)
	}
	return cty.MapVal(vals)
}

// jsonValue converts a value decoded by encoding/json (into any) to cty, objects with sorted keys.
func jsonValue(v any) (cty.Value, error) {
	switch v := v.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType), nil
	case string:
		return cty.StringVal(v), nil
	case bool:
		return cty.BoolVal(v), nil
	case float64:
		return cty.NumberVal(new(big.Float).SetFloat64(v)), nil
	case []any:
		if len(v) == 0 {
			return cty.EmptyTupleVal, nil
		}
		vals := make([]cty.Value, len(v))
		for i, e := range v {
			c, err := jsonValue(e)
			if err != nil {
				return cty.NilVal, err
			}
			vals[i] = c
		}
		return cty.TupleVal(vals), nil
	case map[string]any:
		if len(v) == 0 {
			return cty.EmptyObjectVal, nil
		}
		vals := make(map[string]cty.Value, len(v))
		for k, e := range v {
			c, err := jsonValue(e)
			if err != nil {
				return cty.NilVal, err
			}
			vals[k] = c
		}
		return cty.ObjectVal(vals), nil
	}
	return cty.NilVal, fmt.Errorf("unsupported JSON value %T", v)
}

// objectTokens writes an object whose values are tokens, keys sorted.
func objectTokens(m map[string]hclwrite.Tokens) hclwrite.Tokens {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]hclwrite.ObjectAttrTokens, len(keys))
	for i, k := range keys {
		attrs[i] = hclwrite.ObjectAttrTokens{Name: hclwrite.TokensForIdentifier(k), Value: m[k]}
	}
	return hclwrite.TokensForObject(attrs)
}

// formatted returns f's bytes in canonical HCL layout (what terraform fmt writes).
func formatted(f *hclwrite.File) []byte {
	return hclwrite.Format(f.Bytes())
}

// comment appends a "# ..." line comment to body.
func comment(body *hclwrite.Body, lines ...string) {
	for _, l := range lines {
		body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte("# " + strings.TrimSpace(l) + "\n")}})
	}
}
