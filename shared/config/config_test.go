package config_test

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/config"
)

// env is a getenv over a map.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// secret32 is a CODE_HMAC_SECRET of exactly the minimum length.
const secret32 = "0123456789abcdef0123456789abcdef"

// contractDefaults is the contract's table of security defaults, written out rather than taken from the code.
var contractDefaults = auth.Policy{
	CodeTTL:           5 * time.Minute,
	MFATokenTTL:       15 * time.Minute,
	MaxAttempts:       5,
	ResendCooldown:    30 * time.Second,
	MaxSends:          3,
	SendsPerHour:      10,
	LoginMaxFailures:  5,
	AuthTokenTTL:      10 * time.Hour,
	PasswordMinLength: 15,
	PasswordResetTTL:  time.Hour,
	InviteTTL:         7 * 24 * time.Hour,
	// Failed passwords per account per hour, all networks.
	LoginAccountMaxFailures: 50,
	// Ours, beside the contract's table: the time every forgotPassword answer takes.
	ForgotPasswordTime: time.Second,
	AccountMaxFailures: 10,
	// SMS per clock hour, the whole deployment's.
	SMSSendsPerHour: 1000,
}

func TestDefaults(t *testing.T) {
	c, err := config.Load(env(nil), config.Need{})
	if err != nil {
		t.Fatalf("Load with an empty environment: %v", err)
	}
	if c.Policy != contractDefaults {
		t.Errorf("policy = %+v, want the contract's %+v", c.Policy, contractDefaults)
	}
	if auth.DefaultPolicy != contractDefaults {
		t.Errorf("auth.DefaultPolicy = %+v, want the contract's %+v", auth.DefaultPolicy, contractDefaults)
	}
	if c.LogLevel != slog.LevelInfo {
		t.Errorf("log level = %v, want INFO", c.LogLevel)
	}
	if c.Table != "" || len(c.Secret) != 0 || c.SESSender != "" || c.SMSSenderID != "" {
		t.Errorf("config = %+v, want empty settings", c)
	}
}

func TestEachVariable(t *testing.T) {
	tests := []struct {
		name, value string
		policy      func(*auth.Policy)       // the change to the defaults, if any
		check       func(config.Config) bool // other settings
	}{
		{name: "BINDING_CODE_TTL", value: "2s", policy: func(p *auth.Policy) { p.CodeTTL = 2 * time.Second }},
		{name: "BINDING_CODE_TTL", value: "90", policy: func(p *auth.Policy) { p.CodeTTL = 90 * time.Second }},
		{name: "BINDING_CODE_TTL", value: " 3m ", policy: func(p *auth.Policy) { p.CodeTTL = 3 * time.Minute }},
		{name: "BINDING_CODE_TTL", value: "1m30s", policy: func(p *auth.Policy) { p.CodeTTL = 90 * time.Second }},
		{name: "MFA_TOKEN_TTL", value: "1h", policy: func(p *auth.Policy) { p.MFATokenTTL = time.Hour }},
		{name: "MFA_TOKEN_TTL", value: "600", policy: func(p *auth.Policy) { p.MFATokenTTL = 10 * time.Minute }},
		{name: "RESEND_COOLDOWN", value: "45s", policy: func(p *auth.Policy) { p.ResendCooldown = 45 * time.Second }},
		{name: "RESEND_COOLDOWN", value: "1", policy: func(p *auth.Policy) { p.ResendCooldown = time.Second }},
		{name: "AUTH_TOKEN_TTL", value: "8h", policy: func(p *auth.Policy) { p.AuthTokenTTL = 8 * time.Hour }},
		{name: "AUTH_TOKEN_TTL", value: "720h", policy: func(p *auth.Policy) { p.AuthTokenTTL = 720 * time.Hour }},
		{name: "MFA_MAX_ATTEMPTS", value: "3", policy: func(p *auth.Policy) { p.MaxAttempts = 3 }},
		{name: "MFA_MAX_ATTEMPTS", value: " 7 ", policy: func(p *auth.Policy) { p.MaxAttempts = 7 }},
		{name: "MFA_MAX_SENDS", value: "5", policy: func(p *auth.Policy) { p.MaxSends = 5 }},
		{name: "MFA_SENDS_PER_HOUR", value: "20", policy: func(p *auth.Policy) { p.SendsPerHour = 20 }},
		{name: "LOGIN_MAX_FAILURES", value: "1", policy: func(p *auth.Policy) { p.LoginMaxFailures = 1 }},
		{name: "LOGIN_MAX_FAILURES", value: "7", policy: func(p *auth.Policy) { p.LoginMaxFailures = 7 }},
		{name: "LOGIN_ACCOUNT_MAX_FAILURES", value: "20", policy: func(p *auth.Policy) { p.LoginAccountMaxFailures = 20 }},
		{name: "TABLE_NAME", value: " mfa-gateway ", check: func(c config.Config) bool { return c.Table == "mfa-gateway" }},
		{name: "SES_SENDER", value: "codes@example.com", check: func(c config.Config) bool { return c.SESSender == "codes@example.com" }},
		{name: "SMS_SENDER_ID", value: "MFAGATEWAY", check: func(c config.Config) bool { return c.SMSSenderID == "MFAGATEWAY" }},
		{name: "LOG_LEVEL", value: "debug", check: func(c config.Config) bool { return c.LogLevel == slog.LevelDebug }},
		{name: "LOG_LEVEL", value: "WARN", check: func(c config.Config) bool { return c.LogLevel == slog.LevelWarn }},
		{name: "LOG_LEVEL", value: "error", check: func(c config.Config) bool { return c.LogLevel == slog.LevelError }},
		{name: "CODE_HMAC_SECRET", value: secret32, check: func(c config.Config) bool { return string(c.Secret) == secret32 }},
		{name: "CODE_HMAC_SECRET", value: "base64:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xA5}, 32)),
			check: func(c config.Config) bool { return bytes.Equal(c.Secret, bytes.Repeat([]byte{0xA5}, 32)) }},
		{name: "CODE_HMAC_SECRET", value: "base64:" + base64.StdEncoding.EncodeToString(make([]byte, 64)),
			check: func(c config.Config) bool { return len(c.Secret) == 64 }},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			c, err := config.Load(env(map[string]string{tt.name: tt.value}), config.Need{})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := contractDefaults
			if tt.policy != nil {
				tt.policy(&want)
			}
			if c.Policy != want {
				t.Errorf("policy = %+v, want %+v", c.Policy, want)
			}
			if tt.check != nil && !tt.check(c) {
				t.Errorf("%s=%q not applied: %+v", tt.name, tt.value, c)
			}
		})
	}
}

func TestBadValues(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"BINDING_CODE_TTL", "abc"},
		{"BINDING_CODE_TTL", "-5s"},
		{"BINDING_CODE_TTL", "0"},
		{"BINDING_CODE_TTL", "0s"},
		{"BINDING_CODE_TTL", "500ms"},
		{"BINDING_CODE_TTL", "5 minutes"},
		{"BINDING_CODE_TTL", "1.5"},
		{"MFA_TOKEN_TTL", "forever"},
		{"MFA_TOKEN_TTL", "-1"},
		{"MFA_TOKEN_TTL", "31d"},
		{"RESEND_COOLDOWN", "x"},
		{"RESEND_COOLDOWN", "-30s"},
		{"AUTH_TOKEN_TTL", "10 h"},
		{"AUTH_TOKEN_TTL", "721h"},
		{"AUTH_TOKEN_TTL", "99999999999999999999"},
		// Seconds whose nanoseconds wrap an int64 round to about 5 minutes.
		{"BINDING_CODE_TTL", "18446744374"},
		{"RESEND_COOLDOWN", "2592001"},
		{"MFA_MAX_ATTEMPTS", "five"},
		{"MFA_MAX_ATTEMPTS", "0"},
		{"MFA_MAX_ATTEMPTS", "-1"},
		{"MFA_MAX_ATTEMPTS", "2.5"},
		{"MFA_MAX_ATTEMPTS", "5s"},
		{"MFA_MAX_SENDS", "0"},
		{"MFA_MAX_SENDS", "1_000"},
		{"MFA_SENDS_PER_HOUR", "1000001"},
		{"MFA_SENDS_PER_HOUR", "99999999999999999999"},
		{"LOGIN_MAX_FAILURES", "0"},
		{"LOGIN_MAX_FAILURES", "many"},
		{"LOGIN_ACCOUNT_MAX_FAILURES", "0"},
		{"LOG_LEVEL", "loud"},
		{"SMS_SENDER_ID", "ABCDEFGHIJKL"},
		{"CODE_HMAC_SECRET", "base64:not base64!"},
		{"CODE_HMAC_SECRET", "base64:" + base64.StdEncoding.EncodeToString(make([]byte, 16))},
		{"CODE_HMAC_SECRET", "base64:" + base64.StdEncoding.EncodeToString(make([]byte, 31))},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := config.Load(env(map[string]string{tt.name: tt.value}), config.Need{})
			if err == nil {
				t.Fatalf("%s=%q accepted", tt.name, tt.value)
			}
			if !strings.Contains(err.Error(), tt.name) {
				t.Errorf("error %q does not name %s", err, tt.name)
			}
		})
	}
}

func TestShortSecret(t *testing.T) {
	tests := []struct {
		name, value string
		ok          bool
	}{
		{"one byte", "x", false},
		{"31 bytes", secret32[:31], false},
		{"32 bytes", secret32, true},
		{"a long passphrase", strings.Repeat("correct horse battery staple ", 3), true},
		{"31 bytes as base64", "base64:" + base64.StdEncoding.EncodeToString([]byte(secret32[:31])), false},
		{"32 bytes as base64", "base64:" + base64.StdEncoding.EncodeToString([]byte(secret32)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(map[string]string{"CODE_HMAC_SECRET": tt.value}), config.Need{Secret: true})
			if tt.ok {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if len(c.Secret) < config.MinSecretBytes {
					t.Errorf("secret of %d bytes", len(c.Secret))
				}
				return
			}
			if err == nil {
				t.Fatalf("a %d-character secret was accepted", len(tt.value))
			}
			if !strings.Contains(err.Error(), "CODE_HMAC_SECRET") {
				t.Errorf("error %q does not name CODE_HMAC_SECRET", err)
			}
			if raw := strings.TrimPrefix(tt.value, "base64:"); len(raw) > 3 && strings.Contains(err.Error(), raw) {
				t.Errorf("error %q repeats the secret", err)
			}
		})
	}
}

func TestRequired(t *testing.T) {
	full := map[string]string{"TABLE_NAME": "t", "CODE_HMAC_SECRET": secret32, "SES_SENDER": "codes@example.com"}
	tests := []struct {
		name    string
		missing string
		need    config.Need
	}{
		{"table", "TABLE_NAME", config.Need{Table: true}},
		{"secret", "CODE_HMAC_SECRET", config.Need{Secret: true}},
		{"empty base64 secret", "CODE_HMAC_SECRET", config.Need{Secret: true}},
		{"SES sender", "SES_SENDER", config.Need{SESSender: true}},
		{"blank table", "TABLE_NAME", config.Need{Table: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{}
			for k, v := range full {
				vars[k] = v
			}
			switch tt.name {
			case "empty base64 secret":
				vars[tt.missing] = "base64:"
			case "blank table":
				vars[tt.missing] = "   "
			default:
				delete(vars, tt.missing)
			}
			if _, err := config.Load(env(vars), tt.need); err == nil || !strings.Contains(err.Error(), tt.missing) {
				t.Errorf("err = %v, want one naming %s", err, tt.missing)
			}
			if _, err := config.Load(env(full), tt.need); err != nil {
				t.Errorf("with everything set: %v", err)
			}
			if _, err := config.Load(env(vars), config.Need{}); err != nil {
				t.Errorf("%s is refused when it is not needed: %v", tt.missing, err)
			}
		})
	}
}

func TestCodeOutlivingToken(t *testing.T) {
	_, err := config.Load(env(map[string]string{"BINDING_CODE_TTL": "20m"}), config.Need{})
	for _, name := range []string{"BINDING_CODE_TTL", "MFA_TOKEN_TTL"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("a binding code outliving the MFA token: err = %v, want one naming %s", err, name)
		}
	}
	if _, err := config.Load(env(map[string]string{"BINDING_CODE_TTL": "20m", "MFA_TOKEN_TTL": "20m"}), config.Need{}); err != nil {
		t.Errorf("equal lifetimes: %v", err)
	}
}

func TestEveryErrorReported(t *testing.T) {
	_, err := config.Load(env(map[string]string{
		"BINDING_CODE_TTL": "soon", "MFA_MAX_ATTEMPTS": "0", "CODE_HMAC_SECRET": "short",
	}), config.Need{Table: true})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, name := range []string{"BINDING_CODE_TTL", "MFA_MAX_ATTEMPTS", "CODE_HMAC_SECRET", "TABLE_NAME"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

// TestForgotPasswordTimeBound: an answer that waits past the function's timeout is refused at start.
func TestForgotPasswordTimeBound(t *testing.T) {
	for v, ok := range map[string]bool{"1s": true, "5s": true, "6s": false, "1m": false} {
		_, err := config.LoadPolicy(func(k string) string {
			if k == "FORGOT_PASSWORD_TIME" {
				return v
			}
			return ""
		})
		if (err == nil) != ok || (err != nil && !strings.Contains(err.Error(), "FORGOT_PASSWORD_TIME")) {
			t.Errorf("FORGOT_PASSWORD_TIME=%s: %v, want accepted %v", v, err, ok)
		}
	}
}
