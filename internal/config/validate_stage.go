package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/coworks-go/coworks/internal/stage"
)

// stage applies the rules that need effective values: they are checked on every function of the
// stage and reported at the value that decided them.
func (c *checker) stage(name string) {
	path := "stages." + name
	stageOffset := -1
	if v := c.p.stage(name); v != nil {
		stageOffset = v.Offset
	}
	for _, fn := range c.p.FunctionNames(name) {
		s, err := c.p.resolve(name, fn, Overrides{}, true)
		if err != nil {
			return // an extends cycle or missing parent, reported at the extends
		}
		if app := s.AppName; app != "" {
			if n := s.FunctionName(); len(n) > MaxFunctionName {
				off, at := stageOffset, path
				if fn != APIHandler {
					at = path + ".lambda_functions." + fn
				}
				if off < 0 {
					off, at = c.p.Root.Get("app_name").Offset, "app_name"
				}
				c.errorf(at, off, "function name %q is %d characters; Lambda allows %d: shorten app_name or the stage name", n, len(n), MaxFunctionName)
			}
		}
		c.environmentSize(s, path, stageOffset)
		c.pairings(s)
	}
}

// StageSecrets are the local secrets of stages, by stage and then by name, each with the size of its value
// in bytes: what validation needs to know of them (the values stay in their store).
type StageSecrets map[string]map[string]int

// environmentSize checks the 4 KB of variables of function s.Function of stage s, local secrets included,
// and refuses a variable that is also a secret of the stage (the secret would silently replace it).
func (c *checker) environmentSize(s *Stage, path string, stageOffset int) {
	secrets := c.secrets[s.StageName]
	size := 0
	for k, v := range s.EnvironmentVariables {
		if _, isSecret := secrets[k]; !isSecret {
			size += len(k) + len(v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		size += len(k) + secrets[k]
		if src, shadowed := s.EnvSource(k); shadowed {
			c.errorf(src.Path, src.Offset, "%s is also a secret of stage %s; remove the variable, or the secret (cws secret rm %s --stage %s)", k, s.StageName, k, s.StageName)
		}
	}
	if size <= MaxEnvironmentSize {
		return
	}
	at := path
	if s.Function != APIHandler {
		at += ".lambda_functions." + s.Function
	}
	what := "the merged variables of function " + s.Function
	if len(secrets) > 0 {
		what += fmt.Sprintf(" and the %s of stage %s", pluralSecrets(len(secrets)), s.StageName)
	}
	c.errorf(at+".environment_variables", stageOffset, "%s take %d bytes; Lambda allows %d (4 KB)", what, size, MaxEnvironmentSize)
}

func pluralSecrets(n int) string {
	if n == 1 {
		return "local secret"
	}
	return fmt.Sprintf("%d local secrets", n)
}

// pairings are Chalice's deploy-time checks (chalice-compat.md §3.2).
func (c *checker) pairings(s *Stage) {
	src := func(key string) (string, int) {
		st, _ := s.Setting(key)
		if st.Source.Path == "" {
			return key, -1
		}
		return st.Source.Path, st.Source.Offset
	}
	if s.Function == APIHandler {
		vpcePath, vpceOff := src("api_gateway_endpoint_vpce")
		hasVPCE := len(s.APIGatewayEndpointVPCE) > 0
		if hasVPCE && s.APIGatewayEndpointType != "PRIVATE" {
			c.errorf(vpcePath, vpceOff, "api_gateway_endpoint_vpce should only be specified for PRIVATE api_gateway_endpoint_type (stage %s uses %s)", s.StageName, s.APIGatewayEndpointType)
		}
		if hasVPCE && s.APIGatewayPolicyFile != "" {
			c.errorf(vpcePath, vpceOff, "can only specify one of api_gateway_policy_file and api_gateway_endpoint_vpce")
		}
		if s.APIGatewayEndpointType == "PRIVATE" && !hasVPCE && s.APIGatewayPolicyFile == "" {
			p, off := src("api_gateway_endpoint_type")
			c.errorf(p, off, "private endpoints require api_gateway_policy_file or api_gateway_endpoint_vpce (stage %s)", s.StageName)
		}
	}
	if !s.ManageIAMRole && s.IAMRoleARN == "" {
		p, off := src("manage_iam_role")
		c.errorf(p, off, "when manage_iam_role is false, you must provide an iam_role_arn (stage %s, function %s)", s.StageName, s.Function)
	}
	if (len(s.SubnetIDs) > 0) != (len(s.SecurityGroupIDs) > 0) {
		key := "subnet_ids"
		if len(s.SubnetIDs) == 0 {
			key = "security_group_ids"
		}
		p, off := src(key)
		c.errorf(p, off, "invalid VPC params for function %s in stage %s: subnet_ids and security_group_ids must be given together", s.Function, s.StageName)
	}
}

// suggest returns the known key closest to an unknown one when it looks like a typo, else "".
func suggest(name string) string {
	best, bestDist := "", -1
	lower := strings.ToLower(name)
	for _, k := range Keys {
		if d := stage.EditDistance(lower, k.Name); bestDist < 0 || d < bestDist {
			best, bestDist = k.Name, d
		}
	}
	if bestDist > 2 || bestDist*4 > len(name) {
		return ""
	}
	return best
}
