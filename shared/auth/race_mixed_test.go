package auth_test

import (
	"errors"
	"testing"

	"mfagateway/shared/auth"
)

// TestRaceVerifyRightAmongWrongCodes: a right code sent among many wrong ones at once takes its
// attempt's place in line like them: at most MFA_MAX_ATTEMPTS of all the requests act on a code (a
// token, or a wrong code counted), whatever their order, so a burst of guesses tests no more codes
// than the limit allows.
func TestRaceVerifyRightAmongWrongCodes(t *testing.T) {
	const rounds = 10
	won := 0 // rounds whose right code got its token
	for round := range rounds {
		f := newFixture(t, cryptoRandom())
		mfa, code := f.challenge(t, adaEmail, adaPassword)
		wrong := otherCode(code)
		const n = 60
		errs := race(n, func(i int) error {
			guess := wrong
			if i == n-1-round { // the right code, among the last to start
				guess = code
			}
			_, err := f.svc.Verify(f.Ctx, mfa, "", guess)
			return err
		})
		acted, tokens := 0, 0
		for _, err := range errs {
			var ce *auth.CodeError
			switch {
			case err == nil:
				acted++
				tokens++
			case errors.As(err, &ce):
				acted++
			case errors.Is(err, auth.ErrTooManyAttempts), errors.Is(err, auth.ErrInvalidMFAToken):
			default:
				var rate *auth.RateLimitError
				if !errors.As(err, &rate) {
					t.Errorf("round %d: unexpected result %v", round, err)
				}
			}
		}
		won += tokens
		if acted > auth.DefaultPolicy.MaxAttempts || tokens > 1 {
			t.Errorf("round %d: %d requests acted on a code (%d tokens), want at most %d and one token", round, acted, tokens, auth.DefaultPolicy.MaxAttempts)
		}
		if got := numberAttr(t, f.Item(t, "MFA#"+auth.TokenID(mfa)), "attempts"); got > "5" || len(got) != 1 {
			t.Errorf("round %d: attempts = %s, want at most 5", round, got)
		}
	}
	// With 5 places among 60 requests, the right code gets one in about 1 round of 12; a right code
	// compared outside the line would win nearly every round.
	if won > 4 {
		t.Errorf("the right code among 59 wrong ones won %d of %d rounds: it is not waiting its turn", won, rounds)
	}
}
