package awsclient_test

import (
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"mfagateway/shared/awsclient"
)

// TestEndpointFromEnvironment: template.yaml gives every function AWS_ENDPOINT_URL, empty on AWS so
// that the SDK's own endpoints apply there, and sam local's events/env.json sets it to make run's
// DynamoDB endpoint, which every client then calls.
func TestEndpointFromEnvironment(t *testing.T) {
	tests := []struct {
		name, value string
		want        *string
	}{
		{"empty, as deployed", "", nil},
		{"under sam local", "http://127.0.0.1:8000", aws.String("http://127.0.0.1:8000")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			absent := filepath.Join(t.TempDir(), "absent") // nothing of this machine's AWS setup
			t.Setenv("AWS_CONFIG_FILE", absent)
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", absent)
			t.Setenv("AWS_PROFILE", "")
			t.Setenv("AWS_REGION", "eu-west-1")
			t.Setenv("AWS_ENDPOINT_URL", tt.value)
			cfg, err := awsclient.Load(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if (cfg.BaseEndpoint == nil) != (tt.want == nil) || aws.ToString(cfg.BaseEndpoint) != aws.ToString(tt.want) {
				t.Errorf("BaseEndpoint = %v, want %v", cfg.BaseEndpoint, aws.ToString(tt.want))
			}
		})
	}
}
