package auth_test

import (
	"errors"
	"testing"
	"time"

	"mfagateway/shared/auth"
)

// TestChallengeRule pins the rule of a usable challenge by hand, state by state. The store's
// conditions are held to these methods on every engine (the contract case "challenge rule"), so this
// table is what both answer to.
func TestChallengeRule(t *testing.T) {
	now := t0
	const limit = 5
	live := auth.Challenge{
		Channel: auth.ChannelSMS, Attempts: 0,
		CodeExpiresAt: now.Add(time.Minute), ExpiresAt: now.Add(10 * time.Minute),
	}
	tests := []struct {
		name       string
		edit       func(*auth.Challenge)
		channel    auth.Channel
		usable     error // Usable(now, limit)
		verifiable error // Verifiable(now, limit, channel)
	}{
		{"live", nil, "", nil, nil},
		{"live, its channel named", nil, auth.ChannelSMS, nil, nil},
		{"one attempt left", func(c *auth.Challenge) { c.Attempts = limit - 1 }, "", nil, nil},
		{"token expires a millisecond later", func(c *auth.Challenge) { c.ExpiresAt = now.Add(time.Millisecond) }, "", nil, nil},
		{"code expires a millisecond later", func(c *auth.Challenge) { c.CodeExpiresAt = now.Add(time.Millisecond) }, "", nil, nil},
		{"used", func(c *auth.Challenge) { c.Used = true }, "", auth.ErrChallengeGone, auth.ErrChallengeGone},
		{"token expires now", func(c *auth.Challenge) { c.ExpiresAt = now }, "", auth.ErrChallengeGone, auth.ErrChallengeGone},
		{"token expired", func(c *auth.Challenge) { c.ExpiresAt = now.Add(-time.Millisecond) }, "", auth.ErrChallengeGone, auth.ErrChallengeGone},
		{"attempts used up", func(c *auth.Challenge) { c.Attempts = limit }, "", auth.ErrAttemptsExhausted, auth.ErrAttemptsExhausted},
		{"attempts past the limit", func(c *auth.Challenge) { c.Attempts = limit + 3 }, "", auth.ErrAttemptsExhausted, auth.ErrAttemptsExhausted},
		{"other channel named", nil, auth.ChannelEmail, nil, auth.ErrChannelMismatch},
		{"code expires now", func(c *auth.Challenge) { c.CodeExpiresAt = now }, "", nil, auth.ErrCodeExpired},
		{"code expired", func(c *auth.Challenge) { c.CodeExpiresAt = now.Add(-time.Second) }, "", nil, auth.ErrCodeExpired},
		// The order of the refusals: gone, then attempts, then channel, then code.
		{"used with attempts used up", func(c *auth.Challenge) { c.Used, c.Attempts = true, limit }, "", auth.ErrChallengeGone, auth.ErrChallengeGone},
		{"expired with attempts used up", func(c *auth.Challenge) { c.ExpiresAt, c.Attempts = now, limit }, "", auth.ErrChallengeGone, auth.ErrChallengeGone},
		{"attempts used up, other channel", func(c *auth.Challenge) { c.Attempts = limit }, auth.ChannelEmail, auth.ErrAttemptsExhausted, auth.ErrAttemptsExhausted},
		{"other channel, code expired", func(c *auth.Challenge) { c.CodeExpiresAt = now }, auth.ChannelEmail, nil, auth.ErrChannelMismatch},
		{"used, code expired", func(c *auth.Challenge) { c.Used, c.CodeExpiresAt = true, now }, "", auth.ErrChallengeGone, auth.ErrChallengeGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := live
			if tt.edit != nil {
				tt.edit(&c)
			}
			if err := c.Usable(now, limit); !errors.Is(err, tt.usable) {
				t.Errorf("Usable = %v, want %v", err, tt.usable)
			}
			if err := c.Verifiable(now, limit, tt.channel); !errors.Is(err, tt.verifiable) {
				t.Errorf("Verifiable = %v, want %v", err, tt.verifiable)
			}
		})
	}
}
