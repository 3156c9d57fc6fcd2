package config

// Lookup is how a key's effective value is found (chalice-compat.md §1.2, §2.2, §2.3).
type Lookup int

// The lookup rules.
const (
	// LookupTop: user override, then top level, then default (app_name, profile, version, ...).
	LookupTop Lookup = iota
	// LookupStage (Chalice's L-S): override, stage (then its extends chain), top level, default.
	LookupStage
	// LookupFunction (Chalice's L-F): stage function (then the extends chain's), override, stage (then
	// the chain's), top-level function, top level, default. A stage function beats a CLI flag, as in Chalice.
	LookupFunction
	// LookupMerge: objects merged shallowly, later wins: top level, top-level function (our addition),
	// stage (chain ancestors first), stage function (chain ancestors first), override.
	LookupMerge
	// LookupStageOnly: read only from a stage object (extends).
	LookupStageOnly
)

// Type is the JSON shape a key accepts.
type Type int

// The key types.
const (
	TypeString Type = iota
	TypeBool
	TypeInt
	TypeNumberString // version: a string or number that parses as a number
	TypeStringList   // list of strings
	TypeStringOrList // a string or a list of strings (api_gateway_endpoint_vpce)
	TypeStringMap    // object of string values (environment_variables, tags)
	TypeCustomDomain // custom-domain object
	TypeObject       // any object (terraform_backend)
	TypeStages       // stages
	TypeFunctions    // lambda_functions
)

// Key describes one config.json key: where it may appear, how it is looked up, its default, and
// whether it is ours (ignored by Chalice). The table drives validation, resolution, `cws stage show`
// and docs/config.schema.json.
type Key struct {
	Name   string
	Type   Type
	Lookup Lookup
	// Default is the built-in value as JSON text, "" when there is none.
	Default string
	// Enum lists the accepted strings, when restricted.
	Enum []string
	// Min and Max bound integers when HasRange.
	Min, Max int
	HasRange bool
	// Ours marks keys CoWorks adds; Chalice ignores them.
	Ours bool
	// Doc is the one-line description used in the schema and docs.
	Doc string
}

// InTop reports whether the key is honoured at the top level.
func (k *Key) InTop() bool { return k.Lookup != LookupStageOnly }

// InStage reports whether the key is honoured inside stages.<stage>.
func (k *Key) InStage() bool { return k.Lookup != LookupTop || k.Name == "lambda_functions" }

// InFunction reports whether the key is honoured inside lambda_functions.<fn> (at either level).
func (k *Key) InFunction() bool { return k.Lookup == LookupFunction || k.Lookup == LookupMerge }

// Keys is every key CoWorks reads, in the order docs and `cws stage show` present them.
var Keys = []*Key{
	{Name: "version", Type: TypeNumberString, Lookup: LookupTop, Default: `"1.0"`, Doc: "Config format version; a number no greater than 2.0. cws init writes \"2.0\"."},
	{Name: "app_name", Type: TypeString, Lookup: LookupTop, Doc: "Application name, used in every physical name: the API handler function is {app_name}-{stage}."},
	{Name: "stages", Type: TypeStages, Lookup: LookupTop, Default: `{}`, Doc: "Per-stage settings, by stage name. A stage missing here is still valid and uses top-level values."},
	{Name: "lambda_functions", Type: TypeFunctions, Lookup: LookupTop, Default: `{}`, Doc: "Per-function settings, by logical function name (api_handler serves every route)."},
	{Name: "environment_variables", Type: TypeStringMap, Lookup: LookupMerge, Default: `{}`, Doc: "Lambda environment variables; merged top level, then stage, then stage function."},
	{Name: "tags", Type: TypeStringMap, Lookup: LookupMerge, Default: `{}`, Doc: "Lambda function tags; merged like environment_variables. The aws-chalice tag is always set by the deployer."},
	{Name: "api_gateway_stage", Type: TypeString, Lookup: LookupStage, Default: `"api"`, Doc: "API Gateway stage name, the first path segment of the URL."},
	{Name: "api_gateway_endpoint_type", Type: TypeString, Lookup: LookupStage, Default: `"EDGE"`, Enum: []string{"EDGE", "REGIONAL", "PRIVATE"}, Doc: "REST API endpoint type."},
	{Name: "api_gateway_endpoint_vpce", Type: TypeStringOrList, Lookup: LookupStage, Doc: "VPC endpoint id(s); only with PRIVATE endpoints."},
	{Name: "api_gateway_policy_file", Type: TypeString, Lookup: LookupStage, Doc: "REST API resource policy file, relative to .chalice/."},
	{Name: "api_gateway_custom_domain", Type: TypeCustomDomain, Lookup: LookupStage, Doc: "Custom domain of the REST API."},
	{Name: "websocket_api_custom_domain", Type: TypeCustomDomain, Lookup: LookupStage, Doc: "Custom domain of the websocket API."},
	{Name: "minimum_compression_size", Type: TypeInt, Lookup: LookupStage, Min: 0, Max: 10485760, HasRange: true, Doc: "API Gateway minimumCompressionSize in bytes (0 to 10485760)."},
	{Name: "automatic_layer", Type: TypeBool, Lookup: LookupStage, Default: `false`, Doc: "Build one managed layer shared by the stage's functions (stage-varying only)."},
	{Name: "xray", Type: TypeBool, Lookup: LookupFunction, Default: `false`, Doc: "Enable X-Ray tracing."},
	{Name: "autogen_policy", Type: TypeBool, Lookup: LookupFunction, Default: `true`, Doc: "Generate the IAM policy; when false, iam_policy_file is used."},
	{Name: "iam_policy_file", Type: TypeString, Lookup: LookupFunction, Doc: "IAM policy file relative to .chalice/ (default policy-{stage}.json) when autogen_policy is false."},
	{Name: "manage_iam_role", Type: TypeBool, Lookup: LookupFunction, Default: `true`, Doc: "Create the IAM role; when false, iam_role_arn is required."},
	{Name: "iam_role_arn", Type: TypeString, Lookup: LookupFunction, Doc: "Existing IAM role used when manage_iam_role is false."},
	{Name: "lambda_memory_size", Type: TypeInt, Lookup: LookupFunction, Default: `128`, Min: 128, Max: 10240, HasRange: true, Doc: "Lambda memory in MB (128 to 10240)."},
	{Name: "lambda_timeout", Type: TypeInt, Lookup: LookupFunction, Default: `60`, Min: 1, Max: 900, HasRange: true, Doc: "Lambda timeout in seconds (1 to 900)."},
	{Name: "layers", Type: TypeStringList, Lookup: LookupFunction, Default: `[]`, Doc: "Lambda layer ARNs."},
	{Name: "reserved_concurrency", Type: TypeInt, Lookup: LookupFunction, Min: 0, Max: 1 << 31, HasRange: true, Doc: "Reserved concurrent executions; 0 blocks invocations; unset removes the reservation."},
	{Name: "subnet_ids", Type: TypeStringList, Lookup: LookupFunction, Default: `[]`, Doc: "VPC subnets; requires security_group_ids."},
	{Name: "security_group_ids", Type: TypeStringList, Lookup: LookupFunction, Default: `[]`, Doc: "VPC security groups; requires subnet_ids."},
	{Name: "log_retention_in_days", Type: TypeInt, Lookup: LookupFunction, Min: 1, Max: 3653, HasRange: true, Doc: "CloudWatch log retention in days (1, 3, 5, 7, 14, 30, 60, 90, ... 3653); the terraform target keeps logs 30 days when unset."},
	{Name: "profile", Type: TypeString, Lookup: LookupTop, Doc: "AWS profile (Chalice reads only the --profile flag; kept for compatibility)."},
	{Name: "deploy_target", Type: TypeString, Lookup: LookupStage, Default: `"local"`, Enum: []string{"local", "terraform"}, Ours: true, Doc: "Where cws deploy puts the stage: the local cloud or AWS through Terraform."},
	{Name: "aws_region", Type: TypeString, Lookup: LookupStage, Ours: true, Doc: "AWS region of the stage (default: the AWS SDK chain)."},
	{Name: "lambda_architecture", Type: TypeString, Lookup: LookupFunction, Default: `"arm64"`, Enum: []string{"arm64", "x86_64"}, Ours: true, Doc: "Lambda instruction set the function is built for."},
	{Name: "aws_default_tags", Type: TypeStringMap, Lookup: LookupStage, Ours: true, Doc: "Tags the AWS provider puts on every resource of the stage's Terraform roots (its default_tags); the stage's object replaces the top-level one."},
	{Name: "terraform_backend", Type: TypeObject, Lookup: LookupStage, Ours: true, Doc: "Terraform backend of the stage, e.g. {\"s3\": {\"bucket\": \"...\"}}."},
	{Name: "local_gateway_port", Type: TypeInt, Lookup: LookupTop, Default: `8000`, Min: 1, Max: 65535, HasRange: true, Ours: true, Doc: "TCP port of the local cloud's gateway on 127.0.0.1."},
	{Name: "extends", Type: TypeString, Lookup: LookupStageOnly, Ours: true, Doc: "Name of another stage whose values this stage inherits (stage, then its extends chain, then top level)."},
	{Name: "protected", Type: TypeBool, Lookup: LookupStage, Default: `false`, Ours: true, Doc: "Deploying, promoting to, rolling back or deleting the stage needs --confirm STAGE (or typing its name in a terminal)."},
	{Name: "keep_artifacts", Type: TypeInt, Lookup: LookupStage, Default: `10`, Min: 1, Max: 100, HasRange: true, Ours: true, Doc: "How many of the stage's most recent artifacts are kept so that cws rollback can deploy them again (1 to 100)."},
}

var keyIndex = func() map[string]*Key {
	m := make(map[string]*Key, len(Keys))
	for _, k := range Keys {
		m[k.Name] = k
	}
	return m
}()

// KeyNamed returns the key called name, or nil.
func KeyNamed(name string) *Key { return keyIndex[name] }

// reservedEnv are the variable names Lambda sets itself and refuses from users (apigw-lambda.md §6.5).
var reservedEnv = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_REGION": true, "AWS_DEFAULT_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true, "AWS_LAMBDA_LOG_GROUP_NAME": true,
	"AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true,
	"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_LAMBDA_RUNTIME_API": true,
	"LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

// ReservedEnv reports whether Lambda reserves the environment variable name.
func ReservedEnv(name string) bool { return reservedEnv[name] }
