package auth_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/testenv"
)

// A count of failed passwords past its memory (24 h) is forgotten by the code on the next attempt, not
// whenever TTL sweeps it: the next wrong password starts again at one.
func TestStaleAttemptsAreForgotten(t *testing.T) {
	f := newFixture(t, testenv.WithPolicy(func(p *auth.Policy) { p.LoginMaxFailures = 2 }))
	for range 2 {
		if _, err := f.login(adaEmail, "wrong", appPlain); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	if _, err := f.login(adaEmail, "wrong", appPlain); !isRateLimit(err) {
		t.Fatalf("third wrong password inside the lock: %v, want a rate limit", err)
	}
	f.Clock.Advance(25 * time.Hour)
	if _, err := f.login(adaEmail, "wrong", appPlain); !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Fatalf("wrong password a day later: %v, want invalid credentials (count forgotten)", err)
	}
	if got := numberAttr(t, f.Item(t, "LOGIN#"+adaEmail), "failures"); got != "1" {
		t.Errorf("failures after the stale count = %s, want 1", got)
	}
	if _, err := f.login(adaEmail, adaPassword, appPlain); err != nil {
		t.Errorf("right password: %v", err)
	}
}

// A right password refused only by the hourly send cap must not count towards password backoff.
func TestSendLimitForgetsTheAttempt(t *testing.T) {
	f := newFixture(t, testenv.WithPolicy(func(p *auth.Policy) { p.SendsPerHour = 1; p.LoginMaxFailures = 2 }))
	if _, err := f.login(adaEmail, adaPassword, appMFA); err != nil {
		t.Fatalf("first MFA login: %v", err)
	}
	for i := range 4 {
		_, err := f.login(adaEmail, adaPassword, appMFA)
		var rate *auth.RateLimitError
		if !errors.As(err, &rate) || !strings.Contains(rate.Reason, "sends per user") {
			t.Fatalf("login %d past the send cap: %v, want the send-limit refusal, never password backoff", i+2, err)
		}
	}
	// Each refused login's attempt was taken back: none is left on the account's count or the network's.
	if a, err := f.Store.GetLoginAttempts(f.Ctx, adaEmail); err != nil || a.FailedLogins(f.Clock.Now()) != 0 {
		t.Errorf("account's count after send-limit refusals = %+v, %v; want no failed logins", a, err)
	}
	if items := f.Items(t, "LOGINNET#"); len(items) != 0 {
		t.Errorf("network counts left after send-limit refusals: %v", items)
	}
}

func TestCodeMessageStatesItsLifetime(t *testing.T) {
	for _, tc := range []struct {
		ttl  time.Duration
		want string
	}{
		{5 * time.Minute, "expires in 5 minutes."},
		{time.Minute, "expires in 1 minute."},
		{30 * time.Second, "expires in 30 seconds."},
		{90 * time.Second, "expires in 90 seconds."},
	} {
		t.Run(tc.ttl.String(), func(t *testing.T) {
			f := newFixture(t, testenv.WithPolicy(func(p *auth.Policy) { p.CodeTTL = tc.ttl }))
			f.challenge(t, graceEmail, gracePass)
			entries := f.Outbox.Entries()
			if body := entries[len(entries)-1].Body; !strings.Contains(body, tc.want) {
				t.Errorf("message %q does not say %q", body, tc.want)
			}
		})
	}
}

func isRateLimit(err error) bool {
	var rate *auth.RateLimitError
	return errors.As(err, &rate)
}
