package secretstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go/logging"
	"github.com/coworks-go/coworks/secrets"
)

// SSM is the AWS store of one stage: SecureString parameters under /cws/{app}/{stage}/ (secrets.Path),
// encrypted with the account's default key for SSM (alias/aws/ssm). Values go to SSM through the SDK only,
// never through Terraform, so no plan or state file holds them.
type SSM struct {
	client *ssm.Client
	path   string
	region string
	now    func() time.Time
}

var _ Store = (*SSM)(nil)

// NewSSM returns the store of stage of app in region, with the AWS SDK's usual configuration: AWS_PROFILE,
// the shared config and credentials files, AWS_ACCESS_KEY_ID..., AWS_ENDPOINT_URL(_SSM). Credentials are
// resolved at the first call. now is the clock of Updated times after Set; nil means time.Now.
func NewSSM(ctx context.Context, app, stage, region string, now func() time.Time) (*SSM, error) {
	// The SDK's own log lines (IMDS fallbacks, retries) would interleave with cws's output; its errors say enough.
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region), awsconfig.WithLogger(logging.Nop{}))
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &SSM{client: ssm.NewFromConfig(cfg), path: secrets.Path(app, stage), region: region, now: now}, nil
}

// Kind returns "ssm".
func (s *SSM) Kind() string { return "ssm" }

// Where returns the SSM path and region.
func (s *SSM) Where() string { return fmt.Sprintf("SSM Parameter Store %s (%s)", s.path, s.region) }

// List reads every parameter directly under the stage's path, decrypted.
func (s *SSM) List(ctx context.Context) ([]Secret, error) {
	pages := ssm.NewGetParametersByPathPaginator(s.client, &ssm.GetParametersByPathInput{
		Path:           aws.String(strings.TrimSuffix(s.path, "/")),
		WithDecryption: aws.Bool(true),
		Recursive:      aws.Bool(false),
	})
	out := []Secret{}
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, s.error("list", err)
		}
		for _, p := range page.Parameters {
			name := aws.ToString(p.Name)
			out = append(out, Secret{
				Name:    strings.TrimPrefix(name, s.path),
				Value:   aws.ToString(p.Value),
				Updated: aws.ToTime(p.LastModifiedDate).UTC(),
				Source:  "ssm:" + name,
			})
		}
	}
	return out, nil
}

// Set writes name as a SecureString, replacing an older value.
func (s *SSM) Set(ctx context.Context, name, value string) (Secret, error) {
	if err := check(name, value); err != nil {
		return Secret{}, err
	}
	_, err := s.client.PutParameter(ctx, &ssm.PutParameterInput{
		Name:      aws.String(s.path + name),
		Value:     aws.String(value),
		Type:      types.ParameterTypeSecureString,
		Tier:      types.ParameterTierStandard,
		Overwrite: aws.Bool(true),
	})
	if err != nil {
		return Secret{}, s.error("set "+name, err)
	}
	return Secret{Name: name, Value: value, Updated: s.now().UTC(), Source: "ssm:" + s.path + name}, nil
}

// Remove deletes the parameter of name.
func (s *SSM) Remove(ctx context.Context, name string) error {
	_, err := s.client.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(s.path + name)})
	var nf *types.ParameterNotFound
	if errors.As(err, &nf) {
		return fmt.Errorf("%s has no parameter %s: %w", s.Where(), name, ErrNotFound)
	}
	if err != nil {
		return s.error("remove "+name, err)
	}
	return nil
}

// error wraps an SDK error: what was done, where. SDK errors name the operation and SSM's message, never
// the request's content.
func (s *SSM) error(doing string, err error) error {
	e := fmt.Errorf("%s in %s: %w", doing, s.Where(), err)
	if strings.Contains(err.Error(), "get identity") || strings.Contains(err.Error(), "get credentials") {
		return &CredentialsError{err: e}
	}
	return e
}

// CredentialsError says the AWS SDK found no usable credentials.
type CredentialsError struct{ err error }

func (e *CredentialsError) Error() string { return e.err.Error() }
func (e *CredentialsError) Unwrap() error { return e.err }

// Hint is the next step: give the SDK credentials, as for a Terraform deploy.
func (e *CredentialsError) Hint() string {
	return "configure AWS credentials as for cws deploy --target terraform: AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
}
