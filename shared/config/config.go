// Package config reads and validates the gateway's settings from the environment, once, at start.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"mfagateway/shared/auth"
)

// MinSecretBytes is the shortest CODE_HMAC_SECRET accepted.
const MinSecretBytes = 32

// Config is everything a function or the local server needs from its environment.
type Config struct {
	Table       string // TABLE_NAME
	Secret      []byte // CODE_HMAC_SECRET: the binding-code HMAC key (raw string, or "base64:..." )
	SESSender   string // SES_SENDER: the From address of emailed codes
	SMSSenderID string // SMS_SENDER_ID: optional alphanumeric sender ID
	LogLevel    slog.Level
	Policy      auth.Policy
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
		Policy:      auth.DefaultPolicy,
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

	p := &c.Policy
	durations := []struct {
		name string
		dst  *time.Duration
	}{
		{"BINDING_CODE_TTL", &p.CodeTTL}, {"MFA_TOKEN_TTL", &p.MFATokenTTL},
		{"RESEND_COOLDOWN", &p.ResendCooldown}, {"AUTH_TOKEN_TTL", &p.AuthTokenTTL},
	}
	for _, d := range durations {
		if err := readDuration(getenv(d.name), d.dst); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.name, err))
		}
	}
	ints := []struct {
		name string
		dst  *int
	}{
		{"MFA_MAX_ATTEMPTS", &p.MaxAttempts}, {"MFA_MAX_SENDS", &p.MaxSends},
		{"MFA_SENDS_PER_HOUR", &p.SendsPerHour}, {"LOGIN_MAX_FAILURES", &p.LoginMaxFailures},
	}
	for _, n := range ints {
		if err := readInt(getenv(n.name), n.dst); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", n.name, err))
		}
	}
	if p.CodeTTL > p.MFATokenTTL {
		errs = append(errs, fmt.Errorf("BINDING_CODE_TTL: %s is longer than MFA_TOKEN_TTL %s", p.CodeTTL, p.MFATokenTTL))
	}
	return c, errors.Join(errs...)
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

// readDuration parses a Go duration (a bare integer means seconds); empty keeps the default.
func readDuration(v string, dst *time.Duration) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.Atoi(v)
		if nerr != nil {
			return fmt.Errorf("%q is not a duration such as 30s, 5m or 10h", v)
		}
		d = time.Duration(n) * time.Second
	}
	if d < time.Second {
		return fmt.Errorf("%q is shorter than 1s", v)
	}
	if d > 30*24*time.Hour {
		return fmt.Errorf("%q is longer than 30 days", v)
	}
	*dst = d
	return nil
}

// readInt parses a positive integer; empty keeps the default.
func readInt(v string, dst *int) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1_000_000 {
		return fmt.Errorf("%q is not a whole number from 1 to 1000000", v)
	}
	*dst = n
	return nil
}
