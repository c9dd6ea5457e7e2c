// Package awsclient builds the one aws.Config a function shares between its clients, with bounded
// retries and timeouts so that no request outlives the Lambda timeout.
package awsclient

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Limits of every AWS call: 3 attempts in all, each bounded by the HTTP client's timeout.
// Worst case per call stays well under the 10 s function timeout.
const (
	MaxAttempts    = 3
	AttemptTimeout = 2 * time.Second
)

// Load reads the standard AWS configuration (region, credentials, AWS_ENDPOINT_URL...) from the environment.
func Load(ctx context.Context) (aws.Config, error) {
	httpClient := awshttp.NewBuildableClient().WithTimeout(AttemptTimeout)
	return config.LoadDefaultConfig(ctx,
		config.WithRetryer(Retryer),
		config.WithHTTPClient(httpClient),
	)
}

// Retryer is the SDK's standard retryer with MaxAttempts, which also retries a single-item write that
// collided with a transaction on the same item (TransactionConflictException): the transaction settles
// in milliseconds, and the retried write then meets its condition as usual.
func Retryer() aws.Retryer {
	return retry.AddWithErrorCodes(
		retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = MaxAttempts }),
		"TransactionConflictException",
	)
}
