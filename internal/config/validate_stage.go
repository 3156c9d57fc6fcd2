package config

import (
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
		size := 0
		for k, v := range s.EnvironmentVariables {
			size += len(k) + len(v)
		}
		if size > MaxEnvironmentSize {
			at := path
			if fn != APIHandler {
				at += ".lambda_functions." + fn
			}
			c.errorf(at+".environment_variables", stageOffset, "the merged variables of function %s take %d bytes; Lambda allows %d (4 KB)", fn, size, MaxEnvironmentSize)
		}
		c.pairings(s)
	}
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
