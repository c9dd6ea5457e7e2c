package awsclient

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	gwconfig "mfagateway/shared/config"
)

// SecretsAPI is the part of Secrets Manager a function's start uses.
type SecretsAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ SecretsAPI = (*secretsmanager.Client)(nil)

// The version stages Secrets Manager keeps: AWSCURRENT is the version in force; a new value put to the
// secret becomes AWSCURRENT and moves the one it replaces to AWSPREVIOUS.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

// ServerSecret reads the server secret arn names, once per cold start: the current version, and the
// previous one, under which the codes and page tokens made before the last rotation still check. That
// is two GetSecretValue calls, made at once so that the start waits for one round trip. The current
// version is read as CODE_HMAC_SECRET is (config.ParseSecret). previous is nil where there is no
// previous version (a secret never rotated) or where it is no key by that reading: no function can
// have started with it as the current key, so nothing was made under it, and a bad value put by
// mistake and then replaced must not stop every start after. Every error names CODE_HMAC_SECRET_ARN
// and the version, and none holds a secret's value.
func ServerSecret(ctx context.Context, api SecretsAPI, arn string) (current, previous []byte, err error) {
	var wg sync.WaitGroup
	var previousValue *string
	var previousErr error
	wg.Go(func() { previousValue, previousErr = secretString(ctx, api, arn, StagePrevious) })
	currentValue, err := secretString(ctx, api, arn, StageCurrent)
	wg.Wait()
	if err != nil {
		return nil, nil, err
	}
	if currentValue == nil {
		return nil, nil, fmt.Errorf("CODE_HMAC_SECRET_ARN: %s holds no SecretString (the key is a string secret)", StageCurrent)
	}
	current, err = gwconfig.ParseSecret(*currentValue)
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("CODE_HMAC_SECRET_ARN: %s: %w", StageCurrent, err)
	case len(current) == 0:
		return nil, nil, fmt.Errorf("CODE_HMAC_SECRET_ARN: %s is empty", StageCurrent)
	}
	if _, none := errors.AsType[*types.ResourceNotFoundException](previousErr); none {
		return current, nil, nil
	}
	if previousErr != nil {
		return nil, nil, previousErr
	}
	if previousValue != nil {
		if key, err := gwconfig.ParseSecret(*previousValue); err == nil && len(key) > 0 {
			previous = key
		}
	}
	return current, previous, nil
}

// secretString reads the string of one version stage of the secret; nil for a binary secret.
func secretString(ctx context.Context, api SecretsAPI, arn, stage string) (*string, error) {
	out, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String(stage)})
	if err != nil {
		return nil, fmt.Errorf("CODE_HMAC_SECRET_ARN: read %s: %w", stage, err)
	}
	return out.SecretString, nil
}
