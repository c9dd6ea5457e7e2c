package config_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"mfagateway/shared/config"
)

// secretARN is the shape of a Secrets Manager secret's ARN, as the stack's !Ref ServerSecret gives it.
const secretARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ServerSecret-AbCdEf"

// TestSecretSource: the server secret comes from CODE_HMAC_SECRET or, on AWS, from the secret
// CODE_HMAC_SECRET_ARN names (awsclient.Boot reads it); one of them where the secret is needed, never
// both, and an error never repeats what was set.
func TestSecretSource(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string]string
		need    config.Need
		wantErr []string // what the error must name; nil: no error
	}{
		{"the ARN alone", map[string]string{"CODE_HMAC_SECRET_ARN": secretARN}, config.Need{Secret: true}, nil},
		{"the ARN in the GovCloud partition", map[string]string{"CODE_HMAC_SECRET_ARN": "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:s-AbCdEf"}, config.Need{Secret: true}, nil},
		{"the ARN with blanks around it", map[string]string{"CODE_HMAC_SECRET_ARN": " " + secretARN + "\n"}, config.Need{Secret: true}, nil},
		{"the key alone", map[string]string{"CODE_HMAC_SECRET": secret32}, config.Need{Secret: true}, nil},
		{"neither", map[string]string{}, config.Need{Secret: true}, []string{"CODE_HMAC_SECRET", "CODE_HMAC_SECRET_ARN", "required"}},
		{"neither, not needed", map[string]string{}, config.Need{}, nil},
		{"both", map[string]string{"CODE_HMAC_SECRET": secret32, "CODE_HMAC_SECRET_ARN": secretARN}, config.Need{Secret: true}, []string{"CODE_HMAC_SECRET", "CODE_HMAC_SECRET_ARN"}},
		{"the secret's value in place of its ARN", map[string]string{"CODE_HMAC_SECRET_ARN": secret32}, config.Need{Secret: true}, []string{"CODE_HMAC_SECRET_ARN"}},
		{"another service's ARN", map[string]string{"CODE_HMAC_SECRET_ARN": "arn:aws:ssm:eu-west-1:123456789012:parameter/key"}, config.Need{Secret: true}, []string{"CODE_HMAC_SECRET_ARN"}},
		{"an ARN without the secret's name", map[string]string{"CODE_HMAC_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:"}, config.Need{Secret: true}, []string{"CODE_HMAC_SECRET_ARN"}},
		{"a bad ARN where the secret is not needed", map[string]string{"CODE_HMAC_SECRET_ARN": "ServerSecret"}, config.Need{}, []string{"CODE_HMAC_SECRET_ARN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(tt.vars), tt.need)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if got, want := c.SecretARN, strings.TrimSpace(tt.vars["CODE_HMAC_SECRET_ARN"]); got != want {
					t.Errorf("SecretARN = %q, want %q", got, want)
				}
				if got, want := string(c.Secret), tt.vars["CODE_HMAC_SECRET"]; got != want {
					t.Errorf("Secret = %q, want %q: Load leaves a secret in Secrets Manager to awsclient.Boot", got, want)
				}
				if c.PreviousSecret != nil {
					t.Errorf("PreviousSecret = %q, want none: only Secrets Manager keeps a previous version", c.PreviousSecret)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, name := range tt.wantErr {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
			if v := tt.vars["CODE_HMAC_SECRET_ARN"]; strings.Contains(err.Error(), secret32) || v != "" && strings.Contains(err.Error(), v) {
				t.Errorf("error %q repeats what was set", err)
			}
		})
	}
}

// TestParseSecret is the one reading of a server secret, from CODE_HMAC_SECRET and from each version of
// the Secrets Manager secret alike.
func TestParseSecret(t *testing.T) {
	tests := []struct {
		name, value string
		want        string // the key; "" with ok: no key
		ok          bool
	}{
		{"empty", "", "", true},
		{"the string itself", secret32, secret32, true},
		{"64 letters and digits, as the stack generates", strings.Repeat("aZ09", 16), strings.Repeat("aZ09", 16), true},
		{"base64", "base64:" + base64.StdEncoding.EncodeToString([]byte(secret32)), secret32, true},
		{"31 bytes", secret32[:31], "", false},
		{"31 bytes as base64", "base64:" + base64.StdEncoding.EncodeToString([]byte(secret32[:31])), "", false},
		{"not base64 after the prefix", "base64:" + secret32 + "!", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := config.ParseSecret(tt.value)
			if !tt.ok {
				if err == nil {
					t.Fatalf("ParseSecret(%q) = %q, want an error", tt.value, got)
				}
				if raw := strings.TrimPrefix(tt.value, "base64:"); len(raw) > 3 && strings.Contains(err.Error(), raw) {
					t.Errorf("error %q repeats the secret", err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("ParseSecret(%q) = %q, %v; want %q", tt.value, got, err, tt.want)
			}
		})
	}
}
