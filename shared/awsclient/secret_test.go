package awsclient_test

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"mfagateway/shared/awsclient"
)

const (
	arn     = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ServerSecret-AbCdEf"
	current = "current-key-with-64-letters-and-digits-0123456789abcdefghijklmnop"
	old     = "previous-key-before-the-rotation-0123456789abcdefghijklmnopqrstuv"
)

// version is what the fake answers for one version stage: a string, a binary secret, or an error.
type version struct {
	value  *string
	binary bool
	err    error
}

// fakeSecrets is Secrets Manager holding one secret by version stage; a stage it lacks answers as
// Secrets Manager does for a stage no version has.
type fakeSecrets struct {
	stages map[string]version
	mu     sync.Mutex
	calls  []string // "SecretId VersionStage" of each call
}

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	stage := aws.ToString(in.VersionStage)
	f.mu.Lock()
	f.calls = append(f.calls, aws.ToString(in.SecretId)+" "+stage)
	f.mu.Unlock()
	v, ok := f.stages[stage]
	switch {
	case !ok:
		return nil, &types.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret value for staging label: " + stage)}
	case v.err != nil:
		return nil, v.err
	case v.binary:
		return &secretsmanager.GetSecretValueOutput{SecretBinary: []byte(current)}, nil
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: v.value}, nil
}

func TestServerSecret(t *testing.T) {
	denied := errors.New("operation error Secrets Manager: GetSecretValue, AccessDeniedException: not authorized")
	tests := []struct {
		name           string
		stages         map[string]version
		current, prior string   // the keys read, when no error
		wantErr        []string // what the error names; nil: none
	}{
		{"never rotated: no previous version", map[string]version{
			"AWSCURRENT": {value: aws.String(current)},
		}, current, "", nil},
		{"rotated: both versions", map[string]version{
			"AWSCURRENT": {value: aws.String(current)}, "AWSPREVIOUS": {value: aws.String(old)},
		}, current, old, nil},
		{"a base64 key, as CODE_HMAC_SECRET may be", map[string]version{
			"AWSCURRENT": {value: aws.String("base64:" + base64.StdEncoding.EncodeToString([]byte(current)))},
		}, current, "", nil},
		{"the current version unreadable", map[string]version{
			"AWSCURRENT": {err: denied}, "AWSPREVIOUS": {value: aws.String(old)},
		}, "", "", []string{"CODE_HMAC_SECRET_ARN", "AWSCURRENT", "AccessDenied"}},
		{"no secret at all", map[string]version{}, "", "", []string{"CODE_HMAC_SECRET_ARN", "AWSCURRENT"}},
		{"the previous version unreadable", map[string]version{
			"AWSCURRENT": {value: aws.String(current)}, "AWSPREVIOUS": {err: denied},
		}, "", "", []string{"CODE_HMAC_SECRET_ARN", "AWSPREVIOUS", "AccessDenied"}},
		{"a current value too short", map[string]version{
			"AWSCURRENT": {value: aws.String("short-key")},
		}, "", "", []string{"CODE_HMAC_SECRET_ARN", "AWSCURRENT", "at least 32 bytes"}},
		// No function could start under such a value, so nothing was made under it; after a put of a
		// bad value and another of a good one, the start goes on.
		{"a previous value too short", map[string]version{
			"AWSCURRENT": {value: aws.String(current)}, "AWSPREVIOUS": {value: aws.String("short-key")},
		}, current, "", nil},
		{"a binary previous version", map[string]version{
			"AWSCURRENT": {value: aws.String(current)}, "AWSPREVIOUS": {binary: true},
		}, current, "", nil},
		{"an empty current value", map[string]version{
			"AWSCURRENT": {value: aws.String("")},
		}, "", "", []string{"CODE_HMAC_SECRET_ARN", "AWSCURRENT", "empty"}},
		{"a binary secret", map[string]version{
			"AWSCURRENT": {binary: true},
		}, "", "", []string{"CODE_HMAC_SECRET_ARN", "AWSCURRENT", "SecretString"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeSecrets{stages: tt.stages}
			cur, prev, err := awsclient.ServerSecret(t.Context(), api, arn)

			// One call per version stage, both of the one secret: two per cold start, whatever the answers.
			slices.Sort(api.calls)
			if want := []string{arn + " AWSCURRENT", arn + " AWSPREVIOUS"}; !slices.Equal(api.calls, want) {
				t.Errorf("calls %q, want %q", api.calls, want)
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("read %q and %q, want an error", cur, prev)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not name %s", err, w)
					}
				}
				for _, v := range []string{current, old, "short-key"} {
					if strings.Contains(err.Error(), v) {
						t.Errorf("error %q holds a secret's value", err)
					}
				}
				if cur != nil || prev != nil {
					t.Errorf("with the error, keys %q and %q: want none", cur, prev)
				}
				return
			}
			if err != nil {
				t.Fatalf("ServerSecret: %v", err)
			}
			if string(cur) != tt.current {
				t.Errorf("current = %q, want %q", cur, tt.current)
			}
			if string(prev) != tt.prior || tt.prior == "" && prev != nil {
				t.Errorf("previous = %q (nil %v), want %q", prev, prev == nil, tt.prior)
			}
		})
	}
}
