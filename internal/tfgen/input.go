package tfgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/coworks-go/coworks"
)

// Input is everything generation depends on for one stage: the resolved stage settings, the route table of the
// built function and the artifact. The coordinator fills it from config.Stage and build.Artifact.
type Input struct {
	// AppName is the project's app_name; the function is "{AppName}-{Stage}" and the REST API is named after it.
	AppName string
	// Stage is the cws stage name ("dev"); it is also the value of the cws_stage stage variable.
	Stage string
	// APIGatewayStage is the API Gateway stage name (api_gateway_stage), the first path segment of the URL.
	APIGatewayStage string
	// Region is aws_region; empty means the provider takes it from the AWS environment (AWS_REGION, profile).
	Region string
	// Function holds the Lambda settings of the stage.
	Function Function
	// API holds the REST API settings; they matter only when this stage owns its API (RestAPI is zero).
	API API
	// Authorizer is true when the service has an Auth method: the API gets a TOKEN authorizer served by the
	// stage's own function.
	Authorizer bool
	// DefaultTags are the provider's default_tags (aws_default_tags): tags the AWS provider puts on every
	// resource of the stage's roots that takes tags.
	DefaultTags map[string]string
	// Backend is where Terraform keeps state; the zero value keeps it locally in each root's directory.
	Backend Backend
	// RestAPI names the API to attach to (--rest-api-id); the zero value makes the stage own its API.
	RestAPI RestAPIRef
	// Routes is the function's route table.
	Routes []coworks.Route
	// Artifact is the deployment package.
	Artifact Artifact
	// History is the content of the stage root's history.json (a JSON array of entries, see HistoryName);
	// empty means an empty history.
	History []byte
}

// Function holds the Lambda function settings of a stage, already merged (global then stage) by config.
type Function struct {
	// Architecture is "arm64" or "x86_64"; empty means arm64.
	Architecture string
	// MemorySize in MB; 0 leaves Lambda's default (128).
	MemorySize int
	// Timeout in seconds; 0 leaves Lambda's default (3).
	Timeout int
	// ReservedConcurrency, when set, is reserved_concurrent_executions.
	ReservedConcurrency *int
	// Environment is the merged environment_variables.
	Environment map[string]string
	// Tags is the merged tags; generation adds the "cws" tag naming app and stage. They go on the function,
	// its role and log group, the API Gateway stage and (from the stage owning it) the REST API.
	Tags map[string]string
	// Layers are layer version ARNs.
	Layers []string
	// SubnetIDs and SecurityGroupIDs put the function in a VPC; both or neither.
	SubnetIDs, SecurityGroupIDs []string
	// XRay turns on active tracing for the function and the API Gateway stage.
	XRay bool
	// LogRetentionInDays, when set, is the log group's retention (a value CloudWatch accepts); unset means
	// DefaultLogRetentionInDays.
	LogRetentionInDays *int
	// ManageIAMRole creates the function's role, allowed to write its own log group only (plus the network
	// interface rights of a VPC function, X-Ray's when traced, and Policy); when false, IAMRoleARN is used as is.
	ManageIAMRole bool
	// Policy is an IAM policy document (JSON text, the content of iam_policy_file when autogen_policy is
	// false) added to the managed role; empty for none.
	Policy string
	// IAMRoleARN is the role of the function when ManageIAMRole is false.
	IAMRoleARN string
}

// API holds the REST API settings.
type API struct {
	// EndpointType is "EDGE", "REGIONAL" or "PRIVATE"; empty means EDGE (Chalice's default).
	EndpointType string
	// VPCEndpointIDs are the VPC endpoints of a PRIVATE API.
	VPCEndpointIDs []string
	// Policy is the resource policy, JSON text (the content of api_gateway_policy_file); empty for none.
	Policy string
	// MinimumCompressionSize, when set, turns on compression for bodies of at least that many bytes.
	MinimumCompressionSize *int
	// BinaryMediaTypes are passed base64-encoded to the function.
	BinaryMediaTypes []string
}

// RestAPIRef names an existing API for a stage to attach to. At most one field is set.
type RestAPIRef struct {
	// Stage is a stage whose API root this stage shares; its state is read with terraform_remote_state.
	Stage string
	// ID is the id of an API managed elsewhere.
	ID string
}

// Artifact is the deployment package of the function.
type Artifact struct {
	// ZipPath is the zip on disk; Output.Assets asks for it to be copied into the stage root.
	ZipPath string
	// SHA256 is the base64-encoded SHA-256 of the zip (Lambda's source_code_hash).
	SHA256 string
	// Commit is the git commit the zip was built from ("" when unknown). It goes, with SHA256, into the
	// description of the function version a deploy publishes.
	Commit string
}

// Backend is a Terraform state backend, written in config.json as Terraform's own JSON syntax for a backend:
// {"s3": {"bucket": "my-state", "region": "eu-west-1"}}. The zero value is local state.
type Backend struct {
	// Type is "s3", or empty for local state.
	Type string
	// Settings are the backend's arguments. For s3, "key" is a prefix (default "cws/{app_name}") under which
	// each root gets its own state object, and use_lockfile defaults to true.
	Settings map[string]any
}

// ParseBackend reads a terraform_backend value: null or {} for local state, {"local": {}}, or {"s3": {...}}
// with at least a bucket.
func ParseBackend(raw []byte) (Backend, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return Backend{}, nil
	}
	var m map[string]map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return Backend{}, fmt.Errorf(`terraform_backend: want an object such as {"s3": {"bucket": "my-state"}}: %w`, err)
	}
	if len(m) > 1 {
		return Backend{}, fmt.Errorf("terraform_backend: name exactly one backend, got %d", len(m))
	}
	for typ, settings := range m {
		switch typ {
		case "local":
			if len(settings) > 0 {
				return Backend{}, fmt.Errorf("terraform_backend.local: takes no settings (state lives in each root's directory)")
			}
			return Backend{}, nil
		case "s3":
			b := Backend{Type: typ, Settings: settings}
			return b, b.check()
		default:
			return Backend{}, fmt.Errorf("terraform_backend.%s: unsupported backend (use s3, or leave terraform_backend out for local state)", typ)
		}
	}
	return Backend{}, nil
}

func (b Backend) check() error {
	switch b.Type {
	case "":
		return nil
	case "s3":
		if s, _ := b.Settings["bucket"].(string); s == "" {
			return fmt.Errorf("terraform_backend.s3.bucket: required (the S3 bucket holding the state)")
		}
		if _, ok := b.Settings["key"]; ok {
			if s, _ := b.Settings["key"].(string); s == "" {
				return fmt.Errorf("terraform_backend.s3.key: must be a non-empty string (a prefix for the state objects)")
			}
		}
		return nil
	}
	return fmt.Errorf("terraform_backend: unsupported backend %q", b.Type)
}

// logRetentionDays are the retentions CloudWatch Logs accepts.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

var (
	nameRE  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	appRE   = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	envKeyR = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	apiIDRE = regexp.MustCompile(`^[a-z0-9]+$`)
)

// validate reports every problem of in at once.
func (in Input) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !appRE.MatchString(in.AppName) {
		add("app_name %q: use letters, digits, - and _", in.AppName)
	}
	if !nameRE.MatchString(in.Stage) {
		add("stage %q: use letters, digits, - and _", in.Stage)
	}
	if n := len(in.AppName) + 1 + len(in.Stage); n > 64 {
		add("function name %s-%s is %d characters; Lambda allows 64: shorten app_name or the stage name", in.AppName, in.Stage, n)
	}
	if !nameRE.MatchString(in.APIGatewayStage) || len(in.APIGatewayStage) > 128 {
		add("api_gateway_stage %q: use letters, digits, - and _ (at most 128)", in.APIGatewayStage)
	}
	f := in.Function
	switch f.Architecture {
	case "", "arm64", "x86_64":
	default:
		add("architecture %q: want arm64 or x86_64", f.Architecture)
	}
	if f.MemorySize != 0 && (f.MemorySize < 128 || f.MemorySize > 10240) {
		add("lambda_memory_size %d: Lambda allows 128 to 10240 MB", f.MemorySize)
	}
	if f.Timeout < 0 || f.Timeout > 900 {
		add("lambda_timeout %d: Lambda allows 1 to 900 seconds", f.Timeout)
	}
	if r := f.LogRetentionInDays; r != nil && !slices.Contains(logRetentionDays, *r) {
		add("log_retention_in_days %d: CloudWatch accepts %s", *r, joinInts(logRetentionDays))
	}
	if f.Policy != "" && !json.Valid([]byte(f.Policy)) {
		add("iam_policy_file: not valid JSON")
	}
	if f.ReservedConcurrency != nil && *f.ReservedConcurrency < 0 {
		add("reserved_concurrency %d: must be 0 or more", *f.ReservedConcurrency)
	}
	if (len(f.SubnetIDs) == 0) != (len(f.SecurityGroupIDs) == 0) {
		add("subnet_ids and security_group_ids: set both to run in a VPC, or neither")
	}
	if !f.ManageIAMRole && f.IAMRoleARN == "" {
		add("iam_role_arn: required when manage_iam_role is false")
	}
	for _, tags := range []struct {
		key string
		m   map[string]string
	}{{"tags", f.Tags}, {"aws_default_tags", in.DefaultTags}} {
		for _, k := range slices.Sorted(maps.Keys(tags.m)) {
			if k == "" || len(k) > 128 || len(tags.m[k]) > 256 || strings.HasPrefix(strings.ToLower(k), "aws:") {
				add("%s.%s: AWS takes tag keys of 1 to 128 characters not starting with aws:, values of at most 256", tags.key, k)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(f.Environment)) {
		if !envKeyR.MatchString(k) {
			add("environment_variables.%s: not a valid variable name", k)
		}
	}
	switch in.API.EndpointType {
	case "", "EDGE", "REGIONAL":
		if len(in.API.VPCEndpointIDs) > 0 {
			add("api_gateway_endpoint_vpce: only for a PRIVATE endpoint")
		}
	case "PRIVATE":
	default:
		add("api_gateway_endpoint_type %q: want EDGE, REGIONAL or PRIVATE", in.API.EndpointType)
	}
	if in.API.Policy != "" && !json.Valid([]byte(in.API.Policy)) {
		add("api_gateway_policy: not valid JSON")
	}
	if in.API.MinimumCompressionSize != nil && (*in.API.MinimumCompressionSize < 0 || *in.API.MinimumCompressionSize > 10485760) {
		add("minimum_compression_size %d: API Gateway allows 0 to 10485760", *in.API.MinimumCompressionSize)
	}
	if in.RestAPI.Stage != "" && in.RestAPI.ID != "" {
		add("rest API: name a stage or an API id, not both")
	}
	if in.RestAPI.Stage != "" && !nameRE.MatchString(in.RestAPI.Stage) {
		add("rest API stage %q: not a valid stage name", in.RestAPI.Stage)
	}
	if in.RestAPI.ID != "" && !apiIDRE.MatchString(in.RestAPI.ID) {
		add("rest API id %q: API Gateway ids are lower-case letters and digits", in.RestAPI.ID)
	}
	if in.Artifact.ZipPath == "" || in.Artifact.SHA256 == "" {
		add("artifact: the zip path and its base64 SHA-256 are required")
	}
	if err := in.Backend.check(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("tfgen: stage %q: %w", in.Stage, errors.Join(errs...))
	}
	return nil
}
