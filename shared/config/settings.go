package config

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"mfagateway/shared/auth"
)

// Kind is how a security setting's value is written.
type Kind string

const (
	// Duration is a Go duration (30s, 5m, 10h, 1h30m; a bare whole number means seconds), from 1 s to 30 days.
	Duration Kind = "duration"
	// Count is a whole number from 1 to 1,000,000, or within the closer bounds of its setting.
	Count Kind = "count"
)

// Setting is one security setting: an environment variable that sets one field of auth.Policy. The
// settings tables of README.md and docs/api.md, template.yaml's Parameters and the functions'
// environments are tested against these rows, so a setting is added, renamed or given another default
// in one place.
type Setting struct {
	Env       string // the environment variable
	Kind      Kind
	Parameter string // the template.yaml Parameter a deployment sets it with; "" when the template has none
	Meaning   string // one line, as the settings tables say it
	// Functions are the logical IDs of the template's functions whose environments carry the setting,
	// the ones that act on it; none: every function's, through the template's Globals.
	Functions []string
	duration  func(*auth.Policy) *time.Duration
	count     func(*auth.Policy) *int
	// least and most bound a Count; zero: 1 and 1,000,000.
	least, most int
}

// settings is every security setting. The defaults are auth.DefaultPolicy's.
var settings = []Setting{
	{Env: "BINDING_CODE_TTL", Kind: Duration, Parameter: "BindingCodeTtl", Meaning: "binding code lifetime",
		duration: func(p *auth.Policy) *time.Duration { return &p.CodeTTL }},
	{Env: "MFA_TOKEN_TTL", Kind: Duration, Parameter: "MfaTokenTtl", Meaning: "MFA token lifetime, all resends included",
		duration: func(p *auth.Policy) *time.Duration { return &p.MFATokenTTL }},
	{Env: "MFA_MAX_ATTEMPTS", Kind: Count, Parameter: "MfaMaxAttempts", Meaning: "wrong codes allowed per challenge, across resends",
		count: func(p *auth.Policy) *int { return &p.MaxAttempts }},
	// At most NIST SP 800-63B-4's 100 consecutive failures, where the second factor locks anyway. Only
	// a verify counts wrong codes; a login reads the backoff they left.
	{Env: "MFA_ACCOUNT_MAX_FAILURES", Kind: Count, Parameter: "MfaAccountMaxFailures",
		Meaning:   "consecutive wrong codes per user, across challenges, before the second factor backs off",
		Functions: []string{"VerifyFunction"},
		count:     func(p *auth.Policy) *int { return &p.AccountMaxFailures }, most: auth.SecondFactorLock},
	{Env: "RESEND_COOLDOWN", Kind: Duration, Parameter: "ResendCooldown", Meaning: "time between sends for one challenge",
		duration: func(p *auth.Policy) *time.Duration { return &p.ResendCooldown }},
	{Env: "MFA_MAX_SENDS", Kind: Count, Parameter: "MfaMaxSends", Meaning: "sends per challenge, the login's included",
		count: func(p *auth.Policy) *int { return &p.MaxSends }},
	{Env: "MFA_SENDS_PER_HOUR", Kind: Count, Parameter: "MfaSendsPerHour", Meaning: "sends per user per clock hour (UTC)",
		count: func(p *auth.Policy) *int { return &p.SendsPerHour }},
	// Every function that may text a code acts on it, which is most of them: the template's Globals.
	{Env: "SMS_SENDS_PER_HOUR", Kind: Count, Parameter: "SmsSendsPerHour",
		Meaning: "text messages per clock hour (UTC), whole deployment; past it codes go by email",
		count:   func(p *auth.Policy) *int { return &p.SMSSendsPerHour }},
	{Env: "LOGIN_MAX_FAILURES", Kind: Count, Parameter: "LoginMaxFailures", Meaning: "failed passwords per email and network before backoff",
		count: func(p *auth.Policy) *int { return &p.LoginMaxFailures }},
	{Env: "LOGIN_ACCOUNT_MAX_FAILURES", Kind: Count, Parameter: "LoginAccountMaxFailures",
		Meaning: "failed passwords per account per clock hour (UTC), all networks, before backoff everywhere",
		count:   func(p *auth.Policy) *int { return &p.LoginAccountMaxFailures }},
	{Env: "AUTH_TOKEN_TTL", Kind: Duration, Parameter: "AuthTokenTtl", Meaning: "auth token lifetime",
		duration: func(p *auth.Policy) *time.Duration { return &p.AuthTokenTTL }},
	// From NIST SP 800-63B-4's floor with a second factor (8) to the 64 characters it says every
	// verifier should accept: a minimum above that would refuse the passwords it must take. Only the
	// account routes set passwords, so only their function carries it, and the hosted pages that explain it.
	{Env: "PASSWORD_MIN_LENGTH", Kind: Count, Parameter: "PasswordMinLength", Meaning: "fewest characters of a new password",
		Functions: []string{"AccountFunction", "WebFunction"},
		count:     func(p *auth.Policy) *int { return &p.PasswordMinLength }, least: auth.MinPasswordLength, most: maxPasswordMinLength},
	{Env: "PASSWORD_RESET_TTL", Kind: Duration, Parameter: "PasswordResetTtl", Meaning: "reset ticket lifetime",
		Functions: []string{"AccountFunction"},
		duration:  func(p *auth.Policy) *time.Duration { return &p.PasswordResetTTL }},
	{Env: "INVITE_TTL", Kind: Duration, Parameter: "InviteTtl", Meaning: "invitation ticket lifetime",
		Functions: []string{"AccountFunction"},
		duration:  func(p *auth.Policy) *time.Duration { return &p.InviteTTL }},
	{Env: "FORGOT_PASSWORD_TIME", Kind: Duration, Parameter: "ForgotPasswordTime", Meaning: "time every forgotPassword answer takes, known email or not",
		Functions: []string{"AccountFunction"},
		duration:  func(p *auth.Policy) *time.Duration { return &p.ForgotPasswordTime }},
}

// maxPasswordMinLength is the highest PASSWORD_MIN_LENGTH.
const maxPasswordMinLength = 64

// Settings returns the security settings, in the order the settings tables list them.
func Settings() []Setting { return slices.Clone(settings) }

// Default is the setting's value when its variable is unset or empty, written as the variable would be.
func (s Setting) Default() string { return s.Value(auth.DefaultPolicy) }

// Value is the setting's value in p, written as the variable would be: 5m, 10h, 30s, 5.
func (s Setting) Value(p auth.Policy) string {
	if s.Kind == Duration {
		return formatDuration(*s.duration(&p))
	}
	return strconv.Itoa(*s.count(&p))
}

// set reads the variable's value v into p; empty keeps what p has.
func (s Setting) set(v string, p *auth.Policy) error {
	if s.Kind == Duration {
		return readDuration(v, s.duration(p))
	}
	least, most := s.Bounds()
	return readInt(v, s.count(p), least, most)
}

// Bounds are the lowest and highest value a Count takes.
func (s Setting) Bounds() (least, most int) { return cmp.Or(s.least, 1), cmp.Or(s.most, 1_000_000) }

// formatDuration writes d in the largest whole unit of a Go duration, as a person sets it.
func formatDuration(d time.Duration) string {
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d >= u.unit && d%u.unit == 0 {
			return fmt.Sprintf("%d%s", d/u.unit, u.name)
		}
	}
	return d.String()
}

// maxDuration is the longest duration a setting takes.
const maxDuration = 30 * 24 * time.Hour

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
		// Compared before multiplying: a count of seconds past maxDuration could wrap into range.
		if n > int(maxDuration/time.Second) {
			return fmt.Errorf("%q is longer than 30 days", v)
		}
		d = time.Duration(n) * time.Second
	}
	if d < time.Second {
		return fmt.Errorf("%q is shorter than 1s", v)
	}
	if d > maxDuration {
		return fmt.Errorf("%q is longer than 30 days", v)
	}
	*dst = d
	return nil
}

// readInt parses a whole number from least to most; empty keeps the default.
func readInt(v string, dst *int, least, most int) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a whole number from %d to %d", v, least, most)
	case n < least:
		return fmt.Errorf("%d is below %d, the least it takes", n, least)
	case n > most:
		return fmt.Errorf("%d is above %d, the most it takes", n, most)
	}
	*dst = n
	return nil
}
