package auth_test

import (
	"errors"
	"testing"
	"time"

	"mfagateway/shared/auth"
)

// TestResendDuringBackoffSendsNothing: a challenge opened before the user's second factor backed off
// (or locked) cannot have a code resent while it lasts: 429, and nothing is sent.
func TestResendDuringBackoffSendsNothing(t *testing.T) {
	for _, tc := range []struct {
		name     string
		failures int
		until    time.Duration
		locked   bool
	}{
		{"backing off", 10, time.Minute, false},
		{"locked", auth.SecondFactorLock, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			mfa, _ := f.challenge(t, adaEmail, adaPassword)
			f.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
			var until time.Time
			if tc.until > 0 {
				until = f.Clock.Now().Add(tc.until)
			}
			f.putRun(t, adaEmail, adaID, tc.failures, until)
			sent := len(f.Outbox.Entries())
			_, err := f.svc.Resend(f.Ctx, mfa)
			var rate *auth.RateLimitError
			switch {
			case tc.locked:
				wantLocked(t, "resend while locked", err)
			case !errors.As(err, &rate) || rate.RetryAfter <= 0:
				t.Fatalf("resend during a backoff: %v, want a rate limit with a wait", err)
			}
			if n := len(f.Outbox.Entries()); n != sent {
				t.Errorf("%d messages sent during the backoff", n-sent)
			}
		})
	}
}
