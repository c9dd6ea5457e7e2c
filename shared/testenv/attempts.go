package testenv

import (
	"testing"
	"time"

	"mfagateway/shared/auth"
)

// attemptMemory is how long the counts CountAttempts and LockAccount make are kept: longer than any
// test runs.
const attemptMemory = 24 * time.Hour

// CountAttempts counts n password attempts of a at now through the store, far below any limit, as n
// wrong passwords would: each on the email's account and on the email from a's network.
func (s *Stack) CountAttempts(tb testing.TB, a auth.PasswordAttempt, now time.Time, n int) {
	tb.Helper()
	below := auth.AttemptRule{Mode: auth.CountBelow, Below: 1_000_000, Expires: now.Add(attemptMemory)}
	for i := range n {
		adm, err := s.Store.AdmitAttempt(s.Ctx, a, now, below, below)
		if err != nil || !adm.Admitted {
			tb.Fatalf("attempt #%d of %+v = %+v, %v; want admitted", i+1, a, adm, err)
		}
	}
}

// LockAccount counts one password attempt of a at now on an account that has exactly failures failed
// passwords, and locks the account until until, as the attempt past the account's limit would.
func (s *Stack) LockAccount(tb testing.TB, a auth.PasswordAttempt, now time.Time, failures int, until time.Time) {
	tb.Helper()
	expires := now.Add(attemptMemory)
	locking := auth.AttemptRule{Mode: auth.CountLocking, Failures: failures, Until: until, Expires: expires}
	below := auth.AttemptRule{Mode: auth.CountBelow, Below: 1_000_000, Expires: expires}
	if adm, err := s.Store.AdmitAttempt(s.Ctx, a, now, locking, below); err != nil || !adm.Admitted {
		tb.Fatalf("locking attempt of %+v with %d failures = %+v, %v; want admitted", a, failures, adm, err)
	}
}
