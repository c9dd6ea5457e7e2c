package auth_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/testenv"
)

// race runs fn n times at once and returns the errors in no particular order.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			errs[i] = fn(i)
		})
	}
	start.Done()
	done.Wait()
	return errs
}

func TestRaceVerifyRightCode(t *testing.T) {
	f := newFixture(t, cryptoRandom())
	mfa, code := f.challenge(t, adaEmail, adaPassword)
	var mu sync.Mutex
	var tokens []string
	errs := race(50, func(int) error {
		v, err := f.svc.Verify(f.Ctx, mfa, "", code)
		if err == nil {
			mu.Lock()
			tokens = append(tokens, v.Token)
			mu.Unlock()
		}
		return err
	})
	for _, err := range errs {
		if err != nil && !errors.Is(err, auth.ErrInvalidMFAToken) && !errors.Is(err, auth.ErrTooManyAttempts) {
			t.Errorf("unexpected error: %v", err)
		}
	}
	if len(tokens) != 1 {
		t.Fatalf("%d verifies succeeded, want exactly 1", len(tokens))
	}
	items := f.Items(t, "TOKEN#")
	if len(items) != 1 {
		t.Fatalf("%d token items, want 1", len(items))
	}
	if f.Item(t, "TOKEN#"+auth.TokenID(tokens[0])) == nil {
		t.Errorf("the stored token is not the one returned")
	}
	// Whatever the losers got, the challenge is spent now.
	_, err := f.svc.Verify(f.Ctx, mfa, "", code)
	if !errors.Is(err, auth.ErrInvalidMFAToken) && !errors.Is(err, auth.ErrTooManyAttempts) {
		t.Errorf("verify after the race: %v", err)
	}
}

func TestRaceVerifyWrongCodes(t *testing.T) {
	f := newFixture(t, cryptoRandom())
	mfa, code := f.challenge(t, adaEmail, adaPassword)
	wrong := otherCode(code)
	errs := race(50, func(int) error {
		_, err := f.svc.Verify(f.Ctx, mfa, "", wrong)
		return err
	})
	remaining := map[int]int{}
	var codeErrs, tooMany int
	for _, err := range errs {
		var ce *auth.CodeError
		switch {
		case errors.As(err, &ce):
			codeErrs++
			remaining[ce.Remaining]++
		case errors.Is(err, auth.ErrTooManyAttempts):
			tooMany++
		default:
			t.Errorf("unexpected result: %v", err)
		}
	}
	if codeErrs != 5 || tooMany != 45 {
		t.Errorf("%d CodeError and %d ErrTooManyAttempts, want 5 and 45", codeErrs, tooMany)
	}
	for n := 0; n <= 4; n++ {
		if remaining[n] != 1 {
			t.Errorf("attemptsRemaining %d answered %d times, want once (%v)", n, remaining[n], remaining)
		}
	}
	item := f.Item(t, "MFA#"+auth.TokenID(mfa))
	if item == nil {
		t.Fatal("challenge item gone")
	}
	if got := numberAttr(t, item, "attempts"); got != "5" {
		t.Errorf("attempts = %s, want 5", got)
	}
	_, err := f.svc.Verify(f.Ctx, mfa, "", code)
	wantIs(t, err, auth.ErrTooManyAttempts)
}

func TestRaceResend(t *testing.T) {
	f := newFixture(t, cryptoRandom())
	mfa, _ := f.challenge(t, adaEmail, adaPassword)
	f.Clock.Advance(30 * time.Second)
	sent := len(f.Outbox.Entries())
	var mu sync.Mutex
	var ok []auth.ChallengeResult
	errs := race(20, func(int) error {
		r, err := f.svc.Resend(f.Ctx, mfa)
		if err == nil {
			mu.Lock()
			ok = append(ok, r)
			mu.Unlock()
		}
		return err
	})
	for _, err := range errs {
		var rl *auth.RateLimitError
		if err != nil && !errors.As(err, &rl) {
			t.Errorf("unexpected error: %v", err)
		}
	}
	if len(ok) != 1 {
		t.Fatalf("%d resends succeeded, want exactly 1", len(ok))
	}
	if got := len(f.Outbox.Entries()) - sent; got != 1 {
		t.Errorf("%d codes sent, want 1", got)
	}
	if ch := f.getChallenge(t, mfa); ch.Sends != 2 {
		t.Errorf("sends = %d, want 2", ch.Sends)
	}
	slots := f.Items(t, "SENDS#")
	if len(slots) != 1 {
		t.Fatalf("%d send counters, want 1", len(slots))
	}
	if got := numberAttr(t, slots[0], "n"); got != "2" {
		t.Errorf("hourly send count = %s, want 2 (the login and the one resend)", got)
	}
	// The code that went out is the one that works.
	if _, err := f.svc.Verify(f.Ctx, mfa, "", f.LastCode(t)); err != nil {
		t.Fatalf("Verify the resent code: %v", err)
	}
}

func TestRaceLastHourlySlot(t *testing.T) {
	tests := []struct {
		name  string
		racer int
	}{
		{"two logins", 2},
		// Every attempt is counted before its password is checked (a success forgets the count), so more
		// than LOGIN_MAX_FAILURES racing logins would meet the password backoff instead.
		{"five logins", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, cryptoRandom(), testenv.WithPolicy(func(p *auth.Policy) { p.SendsPerHour = 3 }))
			f.challenge(t, adaEmail, adaPassword)
			f.challenge(t, adaEmail, adaPassword)
			var mu sync.Mutex
			won := 0
			errs := race(tt.racer, func(int) error {
				res, err := f.login(adaEmail, adaPassword, appMFA)
				if err == nil && res.MFA != nil {
					mu.Lock()
					won++
					mu.Unlock()
				}
				return err
			})
			for _, err := range errs {
				var rl *auth.RateLimitError
				if err != nil && (!errors.As(err, &rl) || rl.RetryAfter != time.Hour) {
					t.Errorf("unexpected error: %v", err)
				}
			}
			if won != 1 {
				t.Errorf("%d logins got a challenge, want 1", won)
			}
			if n := len(f.Items(t, "MFA#")); n != 3 {
				t.Errorf("%d challenges stored, want 3", n)
			}
			if n := len(f.Outbox.Entries()); n != 3 {
				t.Errorf("%d codes sent, want 3", n)
			}
		})
	}
}

// TestRaceWrongPasswords: the contract allows LOGIN_MAX_FAILURES failed passwords before the backoff
// starts. A burst of concurrent guesses must not get more passwords checked than that.
func TestRaceWrongPasswords(t *testing.T) {
	f := newFixture(t, cryptoRandom())
	checked := guessesChecked(t, race(30, func(int) error {
		_, err := f.login(adaEmail, "guess", appPlain)
		return err
	}))
	if checked > auth.DefaultPolicy.LoginMaxFailures {
		t.Errorf("%d of 30 concurrent guesses were checked, want at most %d before the backoff", checked, auth.DefaultPolicy.LoginMaxFailures)
	}
	_, err := f.login(adaEmail, adaPassword, appPlain)
	var rl *auth.RateLimitError
	if !errors.As(err, &rl) {
		t.Errorf("right password just after the burst: %v, want the account in backoff", err)
	}
}
