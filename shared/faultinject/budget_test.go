package faultinject_test

import (
	"net/http"
	"testing"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/awsclient"
	"mfagateway/shared/faultinject"
)

// TestCountersUnderRetries checks counters across many requests whose first attempt fails: a retried
// count is never lost; a retry after a lost answer may count twice, which only errs on the safe side;
// and never more than MFA_MAX_ATTEMPTS wrong codes are answered 401 invalid_code for one code.
func TestCountersUnderRetries(t *testing.T) {
	t.Parallel()
	maxAttempts := auth.DefaultPolicy.MaxAttempts
	for _, k := range faultinject.Kinds {
		t.Run("failed passwords/"+k.String(), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, faultOptions(k))
			n := auth.DefaultPolicy.LoginMaxFailures - 1 // stay below the lock
			for i := range n {
				w.ft.Set(faultinject.Rule{Op: "DynamoDB.TransactWriteItems", Times: 1, Kind: k}) // the admission
				a := w.login(samEmail, wrongPW, appPlain)
				if a.Code == "too_many_requests" && k == faultinject.DropAfterSend {
					// Counted twice per lost answer, the email reaches the limit early: safe, but early.
					t.Logf("locked after %d wrong passwords (limit %d): %d counted", i, auth.DefaultPolicy.LoginMaxFailures, w.failures(samEmail))
					n = i
					break
				}
				if a.Code != "invalid_credentials" {
					t.Fatalf("wrong password %d: %s (%s), want 401", i+1, a, a.Raw)
				}
			}
			got := w.failures(samEmail)
			switch {
			case got < int64(n):
				t.Errorf("%d wrong passwords counted %d times: a count was lost", n, got)
			case got != int64(n) && k != faultinject.DropAfterSend:
				t.Errorf("%d wrong passwords counted %d times, want exactly %d", n, got, n)
			case got != int64(n):
				t.Logf("%d wrong passwords counted %d times: each retry after a lost answer counted again", n, got)
			}
		})
		for _, persistent := range []bool{false, true} {
			if persistent && k != faultinject.DropAfterSend {
				continue
			}
			name := "wrong codes/" + k.String()
			if persistent {
				name += "-always"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				w := newWorld(t, faultOptions(k))
				a := w.login(samEmail, rightPW, appMFA)
				if a.Status != http.StatusForbidden {
					t.Fatalf("login: %s", a)
				}
				mfa, code := a.str("token"), w.lastCode(samPhone)
				rule := faultinject.Rule{Op: "DynamoDB.TransactWriteItems", Times: 1, Kind: k} // the wrong code's count
				if persistent {
					rule.Times = 0
				}
				wrong, refused := 0, false
				for i := 0; i < 3*maxAttempts && !refused; i++ {
					w.ft.Set(rule)
					v := w.verify(mfa, "SMS", otherCode(code))
					switch v.Code {
					case "invalid_code":
						wrong++
					case "too_many_attempts":
						refused = true
					case "unavailable":
					default:
						t.Fatalf("wrong code %d: %s (%s)", i+1, v, v.Raw)
					}
				}
				w.ft.Clear()
				if wrong > maxAttempts {
					t.Errorf("%d wrong codes answered invalid_code, limit %d", wrong, maxAttempts)
				}
				if wrong != maxAttempts && k != faultinject.DropAfterSend {
					t.Errorf("%d wrong codes answered invalid_code, want exactly %d: a one-off fault must not cost an attempt", wrong, maxAttempts)
				}
				if got := nAttr(w.challengeItem(mfa), "attempts"); got != int64(maxAttempts) {
					t.Errorf("stored attempts = %d, want %d", got, maxAttempts)
				}
				if v := w.verify(mfa, "SMS", code); v.Code != "too_many_attempts" {
					t.Errorf("right code after the attempts ran out: %s, want 429 too_many_attempts", v)
				}
				t.Logf("%s: %d wrong codes answered invalid_code before the challenge died", name, wrong)
			})
		}
	}
}

// TestProductionBudget runs with production's AWS settings (3 attempts of 2 s each) under a deadline
// that stands for the function timeout, to see what the answer margin buys when AWS hangs.
func TestProductionBudget(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: waits on 2 s attempt timeouts")
	}
	prod := func(deadline time.Duration) worldOptions {
		return worldOptions{attemptTimeout: awsclient.AttemptTimeout, deadline: deadline}
	}

	t.Run("DynamoDB hangs: 503 before the deadline", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, prod(lambdaTimeout))
		a := w.login(samEmail, rightPW, appMFA)
		w.ft.Set(faultinject.Rule{Op: "DynamoDB.GetItem", Kind: faultinject.Timeout})
		v := w.verify(a.str("token"), "SMS", w.lastCode(samPhone))
		if v.Code != "unavailable" {
			t.Errorf("verify while the challenge's read hangs: %s, want 503 unavailable", v)
		}
		if got := w.ft.Injected("DynamoDB.GetItem"); got != 2 {
			t.Errorf("%d attempts were cut short, want 2 (2 fit in the budget)", got)
		}
	})
	// The function timeout of the template (10 s) leaves room for the fallback after 3 hung SMS attempts.
	t.Run("SNS hangs: the code still goes by email within the function timeout", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, prod(10*time.Second))
		w.ft.Set(faultinject.Rule{Op: "SNS.Publish", Kind: faultinject.Timeout})
		a := w.login(samEmail, rightPW, appMFA)
		if a.Status != http.StatusForbidden || a.str("authenticatorCode") != "Email" {
			t.Errorf("login while SNS hangs: %s %s, want 403 by Email", a, a.Raw)
		}
		if got := w.ft.Injected("SNS.Publish"); got != awsclient.MaxAttempts {
			t.Errorf("%d SMS attempts, want %d", got, awsclient.MaxAttempts)
		}
	})
	// When a send uses up the budget, the cleanup of the undeliverable challenge runs on a context that
	// has already ended, so the challenge (and its counted send) stays although DynamoDB is healthy.
	t.Run("SES hangs: the undeliverable challenge is deleted", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, prod(lambdaTimeout))
		w.ft.Set(faultinject.Rule{Op: "SES.SendEmail", Kind: faultinject.Timeout})
		a := w.login(eveEmail, rightPW, appMFA)
		if a.Code != "delivery_failed" {
			t.Errorf("login while SES hangs: %s, want 503 delivery_failed", a)
		}
		if left := w.items("MFA#"); len(left) != 0 {
			t.Errorf("%d challenge(s) left after delivery_failed with DynamoDB healthy: DeleteChallenge ran on the expired request context (DeleteItem requests: %d)",
				len(left), w.ft.Calls("DynamoDB.DeleteItem"))
		}
	})
}

// faultOptions is the world for a fault: short attempts where attempts are to time out.
func faultOptions(k faultinject.Kind) worldOptions {
	if k == faultinject.Timeout {
		return worldOptions{attemptTimeout: shortAttempt}
	}
	return worldOptions{attemptTimeout: attemptTimeout}
}
