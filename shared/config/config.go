// Package config reads and validates the gateway's settings from the environment, once, at start.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"mfagateway/shared/auth"
)

// MaxForgotPasswordTime is the longest FORGOT_PASSWORD_TIME: the answer waits that long, and must come
// well inside the function's timeout (10 s, less the margin a handler keeps for a clear 503).
const MaxForgotPasswordTime = 5 * time.Second

// MinSecretBytes is the shortest server secret accepted, from CODE_HMAC_SECRET or from Secrets Manager.
const MinSecretBytes = 32

// Config is everything a function or the local server needs from its environment.
type Config struct {
	Table string // TABLE_NAME
	// Secret is the server secret, the binding-code HMAC key: CODE_HMAC_SECRET (raw string, or
	// "base64:..."), or on AWS the current version of the secret CODE_HMAC_SECRET_ARN names.
	Secret []byte
	// SecretARN is CODE_HMAC_SECRET_ARN, the Secrets Manager secret that holds the server secret on
	// AWS. Load only checks it; awsclient.Boot reads the secret into Secret and PreviousSecret.
	SecretARN string
	// PreviousSecret is the secret's version before its last rotation (AWSPREVIOUS), under which codes
	// and page tokens made before the rotation still check; nil when there is none.
	PreviousSecret []byte
	SESSender      string // SES_SENDER: the From address of emailed codes
	SMSSenderID    string // SMS_SENDER_ID: optional alphanumeric sender ID
	LogLevel       slog.Level
	Policy         auth.Policy // the security settings, one per row of Settings
	// Links are the templates of the invitation and reset links (INVITE_URL, PASSWORD_RESET_URL):
	// {url} is the application's url, {ticket} the ticket; empty is auth.DefaultInviteURL and
	// auth.DefaultResetURL.
	Links auth.Links
}

// Need says which settings a caller requires; the rest may be empty.
type Need struct {
	Table     bool
	Secret    bool
	SESSender bool
}

// Load reads the settings through getenv (os.Getenv in production) and validates them. Every error
// names the variable.
func Load(getenv func(string) string, need Need) (Config, error) {
	c := Config{
		Table:       strings.TrimSpace(getenv("TABLE_NAME")),
		SecretARN:   strings.TrimSpace(getenv("CODE_HMAC_SECRET_ARN")),
		SESSender:   strings.TrimSpace(getenv("SES_SENDER")),
		SMSSenderID: strings.TrimSpace(getenv("SMS_SENDER_ID")),
	}
	var errs []error
	if need.Table && c.Table == "" {
		errs = append(errs, errors.New("TABLE_NAME: required"))
	}
	if need.SESSender && c.SESSender == "" {
		errs = append(errs, errors.New("SES_SENDER: required (the verified SES identity codes are sent from)"))
	}
	if len(c.SMSSenderID) > 11 {
		errs = append(errs, errors.New("SMS_SENDER_ID: at most 11 characters"))
	}
	secret, err := ParseSecret(getenv("CODE_HMAC_SECRET"))
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("CODE_HMAC_SECRET: %w", err))
	case len(secret) > 0 && c.SecretARN != "":
		// Two sources would leave which key is in force to a rule nobody remembers.
		errs = append(errs, errors.New("CODE_HMAC_SECRET and CODE_HMAC_SECRET_ARN: set one, not both"))
	case len(secret) == 0 && c.SecretARN == "" && need.Secret:
		errs = append(errs, errors.New("CODE_HMAC_SECRET or CODE_HMAC_SECRET_ARN: required"))
	}
	if err := checkSecretARN(c.SecretARN); err != nil {
		errs = append(errs, fmt.Errorf("CODE_HMAC_SECRET_ARN: %w", err))
	}
	c.Secret = secret
	if err := c.LogLevel.UnmarshalText([]byte(orDefault(getenv("LOG_LEVEL"), "INFO"))); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %w", err))
	}

	for _, l := range []struct {
		env string
		dst *string
	}{{"INVITE_URL", &c.Links.Invite}, {"PASSWORD_RESET_URL", &c.Links.Reset}} {
		v := strings.TrimSpace(getenv(l.env))
		if err := checkLink(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", l.env, err))
		}
		*l.dst = v
	}

	c.Policy, err = LoadPolicy(getenv)
	return c, errors.Join(append(errs, err)...)
}

// LoadPolicy reads the security settings alone, for a program that needs no other setting (the
// operators' CLI sets passwords under PASSWORD_MIN_LENGTH). Every error names the variable.
func LoadPolicy(getenv func(string) string) (auth.Policy, error) {
	p := auth.DefaultPolicy
	var errs []error
	for _, s := range settings {
		if err := s.set(getenv(s.Env), &p); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Env, err))
		}
	}
	// A setting that contradicts another stops the start naming both.
	if p.CodeTTL > p.MFATokenTTL {
		errs = append(errs, fmt.Errorf("BINDING_CODE_TTL: %s is longer than MFA_TOKEN_TTL %s", p.CodeTTL, p.MFATokenTTL))
	}
	if p.ForgotPasswordTime > MaxForgotPasswordTime {
		errs = append(errs, fmt.Errorf("FORGOT_PASSWORD_TIME: %s is longer than %s: the answer must come well inside the function's 10 s timeout",
			p.ForgotPasswordTime, MaxForgotPasswordTime))
	}
	return p, errors.Join(errs...)
}

// checkLink holds a ticket link template to what makes a working link: an http or https address that
// places the ticket. Empty is the default.
func checkLink(v string) error {
	switch {
	case v == "":
		return nil
	case !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://"):
		return fmt.Errorf("%q must start with https:// (or http:// for a local server)", v)
	case strings.Count(v, "{ticket}") != 1:
		return fmt.Errorf("%q must hold {ticket} once, where the ticket goes", v)
	case strings.ContainsAny(v, " \t\r\n"):
		return fmt.Errorf("%q must not hold spaces", v)
	}
	return nil
}

func orDefault(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}

// ParseSecret reads a server secret as CODE_HMAC_SECRET and each version of the Secrets Manager secret
// hold it: the string itself, or "base64:" and the key in standard base64. Empty is no key; a key
// shorter than MinSecretBytes is refused. An error never repeats the value.
func ParseSecret(v string) ([]byte, error) {
	b := []byte(v)
	if rest, ok := strings.CutPrefix(v, "base64:"); ok {
		var err error
		if b, err = base64.StdEncoding.DecodeString(rest); err != nil {
			return nil, errors.New("not valid base64 after \"base64:\"")
		}
	}
	if len(b) > 0 && len(b) < MinSecretBytes {
		return nil, fmt.Errorf("at least %d bytes, got %d", MinSecretBytes, len(b))
	}
	return b, nil
}

// checkSecretARN holds CODE_HMAC_SECRET_ARN to the shape of a Secrets Manager secret's ARN, so that a
// secret's value pasted in its place stops the start (and is not repeated in the message).
func checkSecretARN(v string) error {
	if v == "" {
		return nil
	}
	parts := strings.SplitN(v, ":", 7)
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "secretsmanager" || parts[5] != "secret" || parts[6] == "" {
		return errors.New("not the ARN of a Secrets Manager secret (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>)")
	}
	return nil
}
