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

// MinSecretBytes is the shortest CODE_HMAC_SECRET accepted.
const MinSecretBytes = 32

// Config is everything a function or the local server needs from its environment.
type Config struct {
	Table       string // TABLE_NAME
	Secret      []byte // CODE_HMAC_SECRET: the binding-code HMAC key (raw string, or "base64:..." )
	SESSender   string // SES_SENDER: the From address of emailed codes
	SMSSenderID string // SMS_SENDER_ID: optional alphanumeric sender ID
	LogLevel    slog.Level
	Policy      auth.Policy // the security settings, one per row of Settings
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
	secret, err := decodeSecret(getenv("CODE_HMAC_SECRET"))
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("CODE_HMAC_SECRET: %w", err))
	case len(secret) == 0 && need.Secret:
		errs = append(errs, errors.New("CODE_HMAC_SECRET: required"))
	case len(secret) > 0 && len(secret) < MinSecretBytes:
		errs = append(errs, fmt.Errorf("CODE_HMAC_SECRET: at least %d bytes, got %d", MinSecretBytes, len(secret)))
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

func decodeSecret(v string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(v, "base64:"); ok {
		b, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return nil, errors.New("not valid base64 after \"base64:\"")
		}
		return b, nil
	}
	return []byte(v), nil
}
