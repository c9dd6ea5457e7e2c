package auth_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/testenv"
)

// TestWrongCodesRace: 100 wrong codes at once over two challenges of one user, through the handlers,
// on the embedded engine and on moto (served one request at a time, see abuseEngine). However they
// interleave, the user's run ends exactly at the limit: exactly that many are judged (401
// invalid_code), the wrong code that reaches it starts the backoff and the one notice, and every other
// is refused unjudged, by the backoff or by its challenge's own limit.
func TestWrongCodesRace(t *testing.T) {
	for _, e := range []struct {
		name    string
		backend func(t *testing.T) abuseBackend
	}{
		{"embedded", func(*testing.T) abuseBackend { return abuseEmbedded }},
		{"moto", abuseMoto},
	} {
		t.Run(e.name, func(t *testing.T) {
			backend := e.backend(t)
			// With 60 attempts per challenge only the user's run limits; with 5, the two challenges' 10
			// attempts are the run's limit too.
			for _, maxAttempts := range []int{60, 5} {
				t.Run(fmt.Sprintf("MFA_MAX_ATTEMPTS=%d", maxAttempts), func(t *testing.T) {
					wrongCodesRace(t, backend, maxAttempts)
				})
			}
		})
	}
}

func wrongCodesRace(t *testing.T, backend abuseBackend, maxAttempts int) {
	const n = 100
	w := abuseNewWorld(t, backend, testenv.WithPolicy(func(p *auth.Policy) { p.MaxAttempts = maxAttempts }))
	limit := w.Deps.Policy.AccountMaxFailures
	mfa1, code1 := w.challenge(t, abuseAda)
	mfa2, code2 := w.challenge(t, abuseAda)
	sent := len(w.Outbox.Entries())
	answers := abuseRace(n, func(i int) abuseAnswer {
		if i%2 == 0 {
			return w.verify(mfa1, "SMS", abuseOtherCode(code1))
		}
		return w.verify(mfa2, "SMS", abuseOtherCode(code2))
	})
	tally := abuseTallyOf(answers)
	for _, a := range answers {
		switch a.outcome() {
		case "401 invalid_code":
		case "429 too_many_requests":
			if a.RetryAfter != "60" {
				t.Errorf("429 too_many_requests with Retry-After %q, want 60 (the first backoff)", a.RetryAfter)
			}
		case "429 too_many_attempts":
			if maxAttempts > n/2 {
				t.Errorf("429 too_many_attempts though a challenge allows %d", maxAttempts)
			}
		default:
			t.Errorf("a wrong code answered %s %s", a.outcome(), a.Raw)
		}
	}
	now := w.Clock.Now()
	run := w.Item(t, "MFAFAIL#"+abuseAda)
	failures, until := abuseNum(run, "failures"), abuseNum(run, "lockedUntil")
	attempts := abuseNum(w.Item(t, "MFA#"+auth.TokenID(mfa1)), "attempts") + abuseNum(w.Item(t, "MFA#"+auth.TokenID(mfa2)), "attempts")
	if got := tally["401 invalid_code"]; got != limit {
		t.Errorf("%d wrong codes judged, want exactly the limit %d (%s)", got, limit, tally)
	}
	if failures != int64(limit) || until != now.Add(time.Minute).UnixMilli() {
		t.Errorf("run: %d failures, locked until now%+d ms; want %d, now + 1 min", failures, until-now.UnixMilli(), limit)
	}
	if attempts != int64(limit) {
		t.Errorf("the challenges counted %d attempts together, want %d", attempts, limit)
	}
	var notices int
	for _, m := range w.Outbox.Entries()[sent:] {
		if m.Channel != "Email" || m.To != abuseAda || strings.Contains(m.Body, code1) || strings.Contains(m.Body, code2) {
			t.Errorf("a message during the race: %+v", m)
		}
		notices++
	}
	if notices != 1 {
		t.Errorf("%d notices, want 1", notices)
	}
	// The right password now starts nothing, and says how long to wait.
	sent = len(w.Outbox.Entries())
	if a := w.login(abuseAda, w.password(t, abuseAda), abuseAppMFA); a.outcome() != "429 too_many_requests" || a.RetryAfter != "60" {
		t.Errorf("login with the right password after the race: %s Retry-After %q, want 429 with 60", a.outcome(), a.RetryAfter)
	}
	if got := len(w.Outbox.Entries()); got != sent {
		t.Errorf("the refused login sent %d messages", got-sent)
	}
	t.Logf("%d wrong codes over two challenges: %s; run %d, attempts %d", n, tally, failures, attempts)
}

// TestSecondFactorLockedAnswers: while the second factor is locked a login with the right password
// and a verify with the right code answer 429 too_many_requests without Retry-After (waiting does not
// cure it) and a message that says what does; nothing is sent.
func TestSecondFactorLockedAnswers(t *testing.T) {
	w := abuseNewWorld(t, abuseEmbedded)
	mfa, code := w.challenge(t, abuseAda)
	f := &fixture{Stack: w.Stack}
	var userID string
	if u, err := w.Store.GetUser(w.Ctx, abuseAda); err == nil {
		userID = u.ID
	} else {
		t.Fatal(err)
	}
	f.putRun(t, abuseAda, userID, auth.SecondFactorLock, w.Clock.Now().Add(-time.Hour))
	sent := len(w.Outbox.Entries())
	for what, a := range map[string]abuseAnswer{
		"login":  w.login(abuseAda, w.password(t, abuseAda), abuseAppMFA),
		"verify": w.verify(mfa, "SMS", code),
	} {
		msg, _ := a.Body["message"].(string)
		if a.outcome() != "429 too_many_requests" || a.RetryAfter != "" || !strings.Contains(msg, "locked") {
			t.Errorf("%s while locked: %s, Retry-After %q, %q; want 429 too_many_requests without Retry-After", what, a.outcome(), a.RetryAfter, a.Raw)
		}
	}
	if got := len(w.Outbox.Entries()); got != sent {
		t.Errorf("%d messages went out while locked", got-sent)
	}
	if a := abuseNum(w.Item(t, "MFA#"+auth.TokenID(mfa)), "attempts"); a != 0 {
		t.Errorf("the refused verify used %d attempts", a)
	}
	if status := w.login(abuseAda, w.password(t, abuseAda), abuseAppPlain).Status; status != http.StatusOK {
		t.Errorf("login without MFA while locked: %d, want 200", status)
	}
}
