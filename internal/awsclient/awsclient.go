// Package awsclient builds the AWS SDK clients every function shares, once
// per cold start, from the environment Lambda provides: AWS_REGION and the
// execution role's credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN), which is what the SDK's default chain resolves to on
// Lambda. Not importing aws-sdk-go-v2/config (SSO, STS, IMDS, profiles)
// keeps the authorizer's binary 2 MB smaller. Endpoints may be overridden
// with AWS_ENDPOINT_URL_DYNAMODB (and, in package sesmail,
// AWS_ENDPOINT_URL_SES), as the local stack does.
package awsclient

import (
	"errors"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Config returns the shared configuration with bounded timeouts and
// retries: a request that cannot be answered fails fast rather than
// hanging a Lambda.
func Config() (aws.Config, error) {
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if region == "" || key == "" || secret == "" {
		return aws.Config{}, errors.New("AWS environment: AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required (Lambda sets them; so does infra/stack.sh)")
	}
	return aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN"))),
		HTTPClient:  awshttp.NewBuildableClient().WithTimeout(5 * time.Second),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 3 })
		},
	}, nil
}

// DynamoDB returns a DynamoDB client; opts adjust it (the authorizer
// retries less).
func DynamoDB(opts ...func(*dynamodb.Options)) (*dynamodb.Client, error) {
	cfg, err := Config()
	if err != nil {
		return nil, err
	}
	endpoint := os.Getenv("AWS_ENDPOINT_URL_DYNAMODB")
	return dynamodb.NewFromConfig(cfg, append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			// DynamoDB Local sends a wrong CRC32 on error responses; the SDK
			// then logs a warning per error. Validation stays on against AWS.
			o.DisableValidateResponseChecksum = true
		}
	}}, opts...)...), nil
}
