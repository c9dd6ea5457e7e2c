// Package awsclient starts a function: its settings, its logger and the one aws.Config its clients
// share, with bounded retries and timeouts so that no request outlives the Lambda timeout.
package awsclient

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	gwconfig "mfagateway/shared/config"
	"mfagateway/shared/logging"
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

// Boot is the start of every function: settings from the environment (need says which are required),
// the JSON logger, the AWS configuration, and, where CODE_HMAC_SECRET_ARN names it, the server secret
// from Secrets Manager (ServerSecret). A problem is logged as one JSON line naming the setting, and the
// process exits, so that Lambda reports a failed init instead of serving with bad settings.
func Boot(need gwconfig.Need) (gwconfig.Config, aws.Config, *slog.Logger) {
	ctx := context.Background()
	cfg, err := gwconfig.Load(os.Getenv, need)
	log := logging.New(os.Stdout, cfg.LogLevel)
	if err != nil {
		exit(log, "invalid configuration", err)
	}
	awsCfg, err := Load(ctx)
	if err != nil {
		exit(log, "aws configuration", err)
	}
	if cfg.SecretARN != "" {
		cfg.Secret, cfg.PreviousSecret, err = ServerSecret(ctx, secretsmanager.NewFromConfig(awsCfg), cfg.SecretARN)
		if err != nil {
			exit(log, "invalid configuration", err)
		}
	}
	return cfg, awsCfg, log
}

// exit logs the failed start as one ERROR line and ends the process.
func exit(log *slog.Logger, msg string, err error) {
	log.Error(msg, "error", err.Error())
	os.Exit(1)
}
