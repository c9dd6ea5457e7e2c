package auth

import (
	"context"
	"errors"
)

// Metrics counts the flows' decisions for dashboards and alarms (shared/metrics writes them as
// CloudWatch embedded metrics). Every value is an outcome, a channel or a country code: never an
// address, a code or a token.
type Metrics interface {
	// Login counts one login by its outcome.
	Login(ctx context.Context, outcome string)
	// CodeSent counts one code delivered on channel; country is the ISO 3166-1 alpha-2 code of a texted
	// number, empty for other channels or a number of no known country.
	CodeSent(ctx context.Context, channel, country string)
	// Verify counts one verify by its outcome and the channel of the code tried; country as CodeSent's,
	// for a texted code.
	Verify(ctx context.Context, outcome, channel, country string)
	// SMSCapped counts one text the deployment's hourly SMS cap refused.
	SMSCapped(ctx context.Context)
}

// noMetrics counts nothing, for a program that wires no Metrics.
type noMetrics struct{}

func (noMetrics) Login(context.Context, string)                  {}
func (noMetrics) CodeSent(context.Context, string, string)       {}
func (noMetrics) Verify(context.Context, string, string, string) {}
func (noMetrics) SMSCapped(context.Context)                      {}

// loginOutcome is a login's outcome as its metric counts it: what the client was answered.
func loginOutcome(res LoginResult, err error) string {
	switch {
	case err == nil && res.MFA == nil:
		return "token_issued"
	case err == nil && res.MFA.Channel == ChannelOTP:
		return "authenticator_app"
	case err == nil:
		return "code_sent"
	case errors.Is(err, ErrInvalidCredentials):
		return "invalid_credentials"
	case errors.Is(err, ErrDeliveryFailed):
		return "delivery_failed"
	}
	return refusalOutcome(err)
}

// verifyOutcome is a verify's outcome as its metric counts it: what the client was answered.
func verifyOutcome(err error) string {
	var wrong *CodeError
	switch {
	case err == nil:
		return "token_issued"
	case errors.As(err, &wrong):
		return "invalid_code"
	case errors.Is(err, ErrCodeExpired):
		return "code_expired"
	case errors.Is(err, ErrInvalidMFAToken):
		return "invalid_mfa_token"
	case errors.Is(err, ErrTooManyAttempts):
		return "too_many_attempts"
	case errors.Is(err, ErrChannelMismatch):
		return "channel_mismatch"
	}
	return refusalOutcome(err)
}

// refusalOutcome names the refusals a login and a verify share, and "error" for a fault.
func refusalOutcome(err error) string {
	var rate *RateLimitError
	switch {
	case errors.Is(err, ErrSecondFactorLocked):
		return "second_factor_locked"
	case errors.As(err, &rate):
		return "too_many_requests"
	}
	return "error"
}

// codeCountry is the country a metric of a code on ch counts it under: its number's, for a text.
func codeCountry(ch Challenge) string {
	if ch.Channel != ChannelSMS {
		return ""
	}
	return ch.MobileCountry
}
