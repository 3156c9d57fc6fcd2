package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Optional is an integer setting that may be unset (reserved_concurrency, log_retention_in_days,
// minimum_compression_size): unset and 0 mean different things.
type Optional struct {
	Value int
	Set   bool
}

// Some returns a set Optional.
func Some(n int) Optional { return Optional{Value: n, Set: true} }

// CustomDomain is api_gateway_custom_domain or websocket_api_custom_domain as Chalice reads it.
type CustomDomain struct {
	DomainName     string
	CertificateARN string
	// TLSVersion is TLS_1_0, TLS_1_1 or TLS_1_2 (anything else becomes TLS_1_2, as in Chalice).
	TLSVersion string
	// URLPrefix is the base path; "" is the root.
	URLPrefix string
	Tags      map[string]string
}

// Stage is the effective configuration of one function of one stage: what build, the local cloud and
// Terraform generation consume. Every field already has its default applied (Chalice's, or ours for
// our keys); Optional fields and empty strings mean "unset". Produced only by Project.Resolve.
type Stage struct {
	// AppName is the top-level app_name.
	AppName string
	// StageName is the Chalice stage (the --stage value), not the API Gateway stage.
	StageName string
	// Function is the logical function name; api_handler serves the routes.
	Function string

	// APIGatewayStage is the API Gateway stage name and URL prefix (default "api").
	APIGatewayStage string
	// APIGatewayEndpointType is EDGE (default), REGIONAL or PRIVATE.
	APIGatewayEndpointType string
	// APIGatewayEndpointVPCE are the VPC endpoint ids for PRIVATE APIs.
	APIGatewayEndpointVPCE []string
	// APIGatewayPolicyFile is relative to .chalice/.
	APIGatewayPolicyFile     string
	APIGatewayCustomDomain   *CustomDomain
	WebsocketAPICustomDomain *CustomDomain
	MinimumCompressionSize   Optional
	AutomaticLayer           bool

	XRay          bool
	AutogenPolicy bool
	// IAMPolicyFile is relative to .chalice/; default policy-{stage}.json.
	IAMPolicyFile string
	ManageIAMRole bool
	IAMRoleARN    string
	// LambdaMemorySize is in MB (default 128).
	LambdaMemorySize int
	// LambdaTimeout is in seconds (default 60).
	LambdaTimeout       int
	Layers              []string
	ReservedConcurrency Optional
	SubnetIDs           []string
	SecurityGroupIDs    []string
	LogRetentionInDays  Optional
	Profile             string

	// EnvironmentVariables is exactly the map Chalice would deploy (plus top-level function variables,
	// our divergence).
	EnvironmentVariables map[string]string
	// Tags are the merged user tags, without the aws-chalice tag (see DeployTags).
	Tags map[string]string

	// DeployTarget is "local" (default) or "terraform".
	DeployTarget string
	// AWSRegion is "" when the AWS SDK chain decides.
	AWSRegion string
	// LambdaArchitecture is "arm64" (default) or "x86_64".
	LambdaArchitecture string
	// TerraformBackend is the terraform_backend object as plain JSON values, nil when unset.
	TerraformBackend map[string]any
	// AWSDefaultTags are the AWS provider's default_tags of the stage's Terraform roots, nil when unset.
	AWSDefaultTags map[string]string
	// LocalGatewayPort is the local cloud's gateway port (default 8000).
	LocalGatewayPort int
	// Extends is the stage's own extends value.
	Extends string
	// Protected makes deploying, promoting to, rolling back and deleting the stage need a confirmation.
	Protected bool
	// KeepArtifacts is how many of the stage's most recent artifacts are kept for rollbacks (default 10).
	KeepArtifacts int

	// Settings lists every key's effective value and source, in Keys order.
	Settings []Setting

	env *merged
}

// EnvSource says where the effective value of variable name came from; ok is false when the stage
// has no such variable.
func (s *Stage) EnvSource(name string) (src Source, ok bool) {
	if s.env == nil {
		return Source{}, false
	}
	i, ok := s.env.index[name]
	if !ok {
		return Source{}, false
	}
	src = s.env.source(int(i))
	src.Path += "." + name
	return src, true
}

// FunctionName is the Lambda function name: {app}-{stage} for api_handler, {app}-{stage}-{fn} otherwise
// (chalice-compat.md §1.4).
func (s *Stage) FunctionName() string {
	if s.Function == "" || s.Function == APIHandler {
		return s.AppName + "-" + s.StageName
	}
	return s.AppName + "-" + s.StageName + "-" + s.Function
}

// DeployerTag is the tag Chalice's deployer sets on every function, replacing any value the config gives
// it; Stage.Tags never holds it.
const DeployerTag = "aws-chalice"

// DeployTags returns Tags with the aws-chalice tag forced to version=<version>:stage=<stage>:app=<app>,
// as Chalice's deployer does.
func (s *Stage) DeployTags(version string) map[string]string {
	out := make(map[string]string, len(s.Tags)+1)
	for k, v := range s.Tags {
		out[k] = v
	}
	out[DeployerTag] = "version=" + version + ":stage=" + s.StageName + ":app=" + s.AppName
	return out
}

// Setting returns the effective setting of key, and false when key is unknown.
func (s *Stage) Setting(key string) (Setting, bool) {
	for _, st := range s.Settings {
		if st.Key == key {
			return st, true
		}
	}
	return Setting{}, false
}

// assign stores a looked-up value into its typed field.
func (s *Stage) assign(k *Key, v *Value, path string) error {
	if path == "" {
		path = k.Name
	}
	if !v.Present() {
		if k.Name == "iam_policy_file" {
			s.IAMPolicyFile = "policy-" + s.StageName + ".json"
		}
		return nil
	}
	want := func(kind Kind, desc string) error {
		if v.Kind != kind {
			return &TypeError{Path: path, Want: desc, Got: v.Kind}
		}
		return nil
	}
	str := func(dst *string) error {
		if err := want(String, "a string"); err != nil {
			return err
		}
		*dst = v.Text
		return nil
	}
	boolean := func(dst *bool) error {
		if err := want(Bool, "true or false"); err != nil {
			return err
		}
		*dst = v.Bool
		return nil
	}
	integer := func() (int, error) {
		n, ok := v.Int()
		if !ok {
			return 0, &TypeError{Path: path, Want: "a whole number", Got: v.Kind}
		}
		return n, nil
	}
	optional := func(dst *Optional) error {
		n, err := integer()
		*dst = Optional{Value: n, Set: err == nil}
		return err
	}
	list := func(dst *[]string) error {
		l, err := stringList(v, path, k.Type == TypeStringOrList)
		*dst = l
		return err
	}
	switch k.Name {
	case "api_gateway_stage":
		return str(&s.APIGatewayStage)
	case "api_gateway_endpoint_type":
		return str(&s.APIGatewayEndpointType)
	case "api_gateway_endpoint_vpce":
		return list(&s.APIGatewayEndpointVPCE)
	case "api_gateway_policy_file":
		return str(&s.APIGatewayPolicyFile)
	case "api_gateway_custom_domain":
		d, err := customDomain(v, path)
		s.APIGatewayCustomDomain = d
		return err
	case "websocket_api_custom_domain":
		d, err := customDomain(v, path)
		s.WebsocketAPICustomDomain = d
		return err
	case "minimum_compression_size":
		return optional(&s.MinimumCompressionSize)
	case "automatic_layer":
		return boolean(&s.AutomaticLayer)
	case "xray":
		return boolean(&s.XRay)
	case "autogen_policy":
		return boolean(&s.AutogenPolicy)
	case "iam_policy_file":
		return str(&s.IAMPolicyFile)
	case "manage_iam_role":
		return boolean(&s.ManageIAMRole)
	case "iam_role_arn":
		return str(&s.IAMRoleARN)
	case "lambda_memory_size":
		n, err := integer()
		s.LambdaMemorySize = n
		return err
	case "lambda_timeout":
		n, err := integer()
		s.LambdaTimeout = n
		return err
	case "layers":
		return list(&s.Layers)
	case "reserved_concurrency":
		return optional(&s.ReservedConcurrency)
	case "subnet_ids":
		return list(&s.SubnetIDs)
	case "security_group_ids":
		return list(&s.SecurityGroupIDs)
	case "log_retention_in_days":
		return optional(&s.LogRetentionInDays)
	case "profile":
		return str(&s.Profile)
	case "deploy_target":
		return str(&s.DeployTarget)
	case "aws_region":
		return str(&s.AWSRegion)
	case "lambda_architecture":
		return str(&s.LambdaArchitecture)
	case "terraform_backend":
		if err := want(Object, "an object"); err != nil {
			return err
		}
		s.TerraformBackend = v.Interface().(map[string]any)
	case "aws_default_tags":
		if err := want(Object, "an object of strings"); err != nil {
			return err
		}
		s.AWSDefaultTags = map[string]string{}
		for _, m := range v.Members {
			if m.Value.Kind != String {
				return &TypeError{Path: path + "." + m.Key, Want: "a string", Got: m.Value.Kind}
			}
			s.AWSDefaultTags[m.Key] = m.Value.Text
		}
	case "local_gateway_port":
		n, err := integer()
		s.LocalGatewayPort = n
		return err
	case "extends":
		return str(&s.Extends)
	case "protected":
		return boolean(&s.Protected)
	case "keep_artifacts":
		n, err := integer()
		s.KeepArtifacts = n
		return err
	}
	return nil
}

func stringList(v *Value, path string, allowString bool) ([]string, error) {
	if allowString && v.Kind == String {
		return []string{v.Text}, nil
	}
	if v.Kind != Array {
		want := "a list of strings"
		if allowString {
			want = "a string or a list of strings"
		}
		return nil, &TypeError{Path: path, Want: want, Got: v.Kind}
	}
	out := make([]string, 0, len(v.Items))
	for i, it := range v.Items {
		if it.Kind != String {
			return nil, &TypeError{Path: path + "[" + strconv.Itoa(i) + "]", Want: "a string", Got: it.Kind}
		}
		out = append(out, it.Text)
	}
	return out, nil
}

func customDomain(v *Value, path string) (*CustomDomain, error) {
	if v.Kind != Object {
		return nil, &TypeError{Path: path, Want: "an object", Got: v.Kind}
	}
	d := &CustomDomain{TLSVersion: "TLS_1_2"}
	for _, f := range []struct {
		key string
		dst *string
	}{{"domain_name", &d.DomainName}, {"certificate_arn", &d.CertificateARN}, {"url_prefix", &d.URLPrefix}} {
		if x := v.Get(f.key); x.Present() {
			if x.Kind != String {
				return nil, &TypeError{Path: path + "." + f.key, Want: "a string", Got: x.Kind}
			}
			*f.dst = x.Text
		}
	}
	if x := v.Get("tls_version"); x != nil && x.Kind == String {
		switch x.Text {
		case "TLS_1_0", "TLS_1_1", "TLS_1_2":
			d.TLSVersion = x.Text
		}
	}
	if d.URLPrefix == "/" {
		d.URLPrefix = ""
	}
	d.URLPrefix = strings.TrimPrefix(d.URLPrefix, "/")
	if t := v.Get("tags"); t != nil && t.Kind == Object {
		d.Tags = map[string]string{}
		for _, m := range t.Members {
			if m.Value.Kind == String {
				d.Tags[m.Key] = m.Value.Text
			}
		}
	}
	return d, nil
}

// lifecycleKeys are the keys that say how cws treats a stage, not what it deploys: Hash leaves them out.
var lifecycleKeys = map[string]bool{"protected": true, "keep_artifacts": true}

// Hash is the hex SHA-256 of the stage's effective configuration: every setting's key and value (not where
// it came from), save those that change how cws treats the stage rather than what it deploys. Two stages,
// or one stage at two times, with the same hash deploy the same configuration.
func (s *Stage) Hash() string {
	h := sha256.New()
	for _, st := range s.Settings {
		if lifecycleKeys[st.Key] {
			continue
		}
		var v any
		if st.Value != nil {
			v = st.Value.Interface()
		}
		data, _ := json.Marshal(v) // maps marshal with sorted keys
		fmt.Fprintf(h, "%s=%s\n", st.Key, data)
	}
	return hex.EncodeToString(h.Sum(nil))
}
