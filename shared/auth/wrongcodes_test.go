package auth_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
	"mfagateway/shared/notify"
	"mfagateway/shared/testenv"
)

// The account-level backoff of the second factor: wrong codes counted per user across challenges.

// run is the user's stored run of wrong codes (failures, lockedUntil); -1, -1 when none is stored.
func (f *fixture) run(t *testing.T, email string) (failures, lockedUntil int64) {
	t.Helper()
	item := f.Item(t, "MFAFAIL#"+email)
	if item == nil {
		return -1, -1
	}
	return abuseNum(item, "failures"), abuseNum(item, "lockedUntil")
}

// putRun stores a run of wrong codes for the user with email.
func (f *fixture) putRun(t *testing.T, email, userID string, failures int, lockedUntil time.Time) {
	t.Helper()
	var until int64
	if !lockedUntil.IsZero() {
		until = lockedUntil.UnixMilli()
	}
	item, err := attributevalue.MarshalMap(map[string]any{"pk": "MFAFAIL#" + email, "userId": userID, "failures": failures, "lockedUntil": until})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Raw.PutItem(f.Ctx, &dynamodb.PutItemInput{TableName: &f.Table, Item: item}); err != nil {
		t.Fatal(err)
	}
}

// notices are the outbox's emails that tell of a second factor backing off.
func (f *fixture) notices() []notify.Entry {
	var out []notify.Entry
	for _, m := range f.Outbox.Entries() {
		if m.Channel == "Email" && strings.Contains(m.Subject, "Repeated failed logins") {
			out = append(out, m)
		}
	}
	return out
}

// wrongCodes verifies wrong codes of the challenge whose code is code, each answered as a wrong code
// with from, then one less, down to to attempts remaining.
func (f *fixture) wrongCodes(t *testing.T, mfa, code string, from, to int) {
	t.Helper()
	for remaining := from; remaining >= to; remaining-- {
		_, err := f.svc.Verify(f.Ctx, mfa, "", otherCode(code))
		wantCodeError(t, err, remaining)
	}
}

func wantLocked(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, auth.ErrSecondFactorLocked) {
		t.Fatalf("%s: %v, want ErrSecondFactorLocked", what, err)
	}
}

// TestWrongCodesBackOffAcrossChallenges: ten wrong codes in a row, over two challenges, back the
// user's second factor off for a minute; the tenth tells the user once. While it backs off neither a
// right code nor a wrong one is judged or counted, and a login with the right password sends nothing.
// The next wrong code after it doubles the backoff; a right code then ends the run.
func TestWrongCodesBackOffAcrossChallenges(t *testing.T) {
	f := newFixture(t, testenv.WithPolicy(func(p *auth.Policy) { p.MaxAttempts = 20 }))
	mfaA, codeA := f.challenge(t, adaEmail, adaPassword)
	f.wrongCodes(t, mfaA, codeA, 19, 14)
	mfaB, codeB := f.challenge(t, adaEmail, adaPassword)
	f.wrongCodes(t, mfaB, codeB, 19, 17)
	if n, _ := f.run(t, adaEmail); n != 9 {
		t.Fatalf("run = %d wrong codes, want 9 over both challenges", n)
	}
	if len(f.notices()) != 0 {
		t.Fatal("a notice went out below the limit")
	}

	// The tenth: still a wrong code to its challenge, and the start of the backoff.
	_, err := f.svc.Verify(f.Ctx, mfaB, "", otherCode(codeB))
	wantCodeError(t, err, 16)
	now := f.Clock.Now()
	if n, until := f.run(t, adaEmail); n != 10 || until != now.Add(time.Minute).UnixMilli() {
		t.Fatalf("run = %d, locked until now%+d ms; want 10, now + 1 min", n, until-now.UnixMilli())
	}
	notices := f.notices()
	if len(notices) != 1 {
		t.Fatalf("%d notices, want 1", len(notices))
	}
	if n := notices[0]; n.To != adaEmail || strings.Contains(n.Body, codeA) || strings.Contains(n.Body, codeB) {
		t.Errorf("notice to %s: %q; want it to the user, with no code", n.To, n.Body)
	}

	sent, challenges := len(f.Outbox.Entries()), len(f.Items(t, "MFA#"))
	_, err = f.svc.Verify(f.Ctx, mfaA, "", codeA)
	wantRateLimit(t, err, time.Minute)
	_, err = f.svc.Verify(f.Ctx, mfaB, "", otherCode(codeB))
	wantRateLimit(t, err, time.Minute)
	if a, b := f.getChallenge(t, mfaA).Attempts, f.getChallenge(t, mfaB).Attempts; a != 6 || b != 4 {
		t.Errorf("attempts %d and %d after verifies in the backoff, want 6 and 4: none used", a, b)
	}
	_, err = f.login(adaEmail, adaPassword, appMFA)
	wantRateLimit(t, err, time.Minute)
	if got := len(f.Outbox.Entries()); got != sent {
		t.Errorf("%d messages went out during the backoff", got-sent)
	}
	if got := len(f.Items(t, "MFA#")); got != challenges {
		t.Errorf("%d challenges made during the backoff", got-challenges)
	}
	if a, _ := f.Store.GetLoginAttempts(f.Ctx, adaEmail); a.Failures != 0 {
		t.Errorf("the right password refused for the backoff counts as %d failed passwords, want 0", a.Failures)
	}
	// A wrong password is still just that: the backoff tells nothing to who lacks the password.
	_, err = f.login(adaEmail, "not-the-password", appMFA)
	wantIs(t, err, auth.ErrInvalidCredentials)
	// An application without MFA asks for no second factor.
	if res, err := f.login(adaEmail, adaPassword, appPlain); err != nil || res.Token == "" {
		t.Errorf("login without MFA during the backoff: %+v, %v; want a token", res, err)
	}

	// Past the minute, the next wrong code backs off for two.
	f.Clock.Advance(time.Minute)
	_, err = f.svc.Verify(f.Ctx, mfaA, "", otherCode(codeA))
	wantCodeError(t, err, 13)
	if n, until := f.run(t, adaEmail); n != 11 || until != f.Clock.Now().Add(2*time.Minute).UnixMilli() {
		t.Errorf("run = %d, locked until now%+d ms; want 11, now + 2 min", n, until-f.Clock.Now().UnixMilli())
	}
	_, err = f.login(adaEmail, adaPassword, appMFA)
	wantRateLimit(t, err, 2*time.Minute)
	if got := len(f.notices()); got != 1 {
		t.Errorf("%d notices, want still 1: only the first backoff is told", got)
	}

	// A right code after it ends the run: the next login starts a challenge.
	f.Clock.Advance(2 * time.Minute)
	if _, err := f.svc.Verify(f.Ctx, mfaB, "", codeB); err != nil {
		t.Fatalf("right code after the backoff: %v", err)
	}
	if n, _ := f.run(t, adaEmail); n != -1 {
		t.Errorf("run = %d after a right code, want none", n)
	}
	if _, err := f.login(adaEmail, adaPassword, appMFA); err != nil {
		t.Errorf("login after the run ended: %v", err)
	}
}

// TestBackoffDoubles: from the limit on each wrong code, once the backoff is over, backs off twice as
// long as the one before, up to an hour.
func TestBackoffDoubles(t *testing.T) {
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		32 * time.Minute, time.Hour, time.Hour}
	for i, w := range want {
		if got := auth.CodeBackoff(i); got != w {
			t.Errorf("CodeBackoff(%d) = %s, want %s", i, got, w)
		}
	}
	if got := auth.CodeBackoff(-1); got != time.Minute {
		t.Errorf("CodeBackoff(-1) = %s, want 1m", got)
	}
	if got := auth.CodeBackoff(1 << 40); got != time.Hour {
		t.Errorf("CodeBackoff(huge) = %s, want 1h", got)
	}
}

// TestSecondFactorLocksAtHundred: the hundredth wrong code in a row locks the second factor; waiting
// does not cure it, an admin's unblock does. Only the first backoff was told.
func TestSecondFactorLocksAtHundred(t *testing.T) {
	f := newUsersFixture(t)
	f.Deps.Policy.MaxAttempts, f.Deps.Policy.CodeTTL, f.Deps.Policy.MFATokenTTL = 1000, 10*24*time.Hour, 10*24*time.Hour
	f.svc = f.Service()
	mfa, code := f.challenge(t, adaEmail, adaPassword)
	var waits []time.Duration
	for counted := 0; counted < auth.SecondFactorLock; {
		_, err := f.svc.Verify(f.Ctx, mfa, "", otherCode(code))
		var wrong *auth.CodeError
		var rate *auth.RateLimitError
		switch {
		case errors.As(err, &wrong):
			counted++
		case errors.As(err, &rate):
			waits = append(waits, rate.RetryAfter)
			f.Clock.Advance(rate.RetryAfter)
		default:
			t.Fatalf("wrong code %d: %v", counted+1, err)
		}
	}
	if len(waits) != auth.SecondFactorLock-10 || waits[0] != time.Minute || waits[6] != time.Hour || waits[len(waits)-1] != time.Hour {
		t.Errorf("%d backoffs waited (%v ... %v), want 90 from 1 min to 1 h", len(waits), waits[0], waits[len(waits)-1])
	}
	if n, _ := f.run(t, adaEmail); n != auth.SecondFactorLock {
		t.Fatalf("run = %d, want %d", n, auth.SecondFactorLock)
	}
	f.Clock.Advance(48 * time.Hour)
	_, err := f.svc.Verify(f.Ctx, mfa, "", code)
	wantLocked(t, "the right code, two days later", err)
	sent := len(f.Outbox.Entries())
	_, err = f.login(adaEmail, adaPassword, appMFA)
	wantLocked(t, "login with the right password", err)
	if got := len(f.Outbox.Entries()); got != sent {
		t.Errorf("%d messages went out for a login while locked", got-sent)
	}
	if got := len(f.notices()); got != 1 {
		t.Errorf("%d notices, want 1", got)
	}
	if n, _ := f.run(t, adaEmail); n != auth.SecondFactorLock {
		t.Errorf("run = %d after refusals, want still %d", n, auth.SecondFactorLock)
	}

	logs := f.Logs.String()
	if got := strings.Count(logs, `"outcome":"second_factor_locked","attemptsRemaining"`); got != 1 {
		t.Errorf("%d events of the wrong code that locked, want 1", got)
	}
	if !strings.Contains(logs, `"outcome":"second_factor_backoff"`) {
		t.Error("no second_factor_backoff event")
	}
	if strings.Contains(logs, adaEmail) {
		t.Error("the logs hold the user's email unmasked")
	}
	if !strings.Contains(logs, `"email":"a***@example.com"`) {
		t.Error("the second factor's decisions do not name the user by masked email")
	}
	for _, c := range []string{code, otherCode(code)} {
		if regexp.MustCompile(`(^|[^0-9])` + c + `([^0-9]|$)`).MatchString(logs) {
			t.Errorf("the logs hold the code %s", c)
		}
	}

	if err := f.users.Unblock(f.Ctx, admin, adaID); err != nil {
		t.Fatalf("Unblock: %v", err)
	}
	if n, _ := f.run(t, adaEmail); n != -1 {
		t.Errorf("run = %d after the unblock, want none", n)
	}
	if res, err := f.login(adaEmail, adaPassword, appMFA); err != nil || res.MFA == nil {
		t.Errorf("login after the unblock: %+v, %v; want a challenge", res, err)
	}
}

// TestPasswordResetEndsLock: a password set by ticket ends a locked second factor, and the login it
// answers with starts a challenge.
func TestPasswordResetEndsLock(t *testing.T) {
	f := newFixture(t)
	f.putRun(t, adaEmail, adaID, auth.SecondFactorLock, time.Time{})
	_, err := f.login(adaEmail, adaPassword, appMFA)
	wantLocked(t, "login while locked", err)
	accounts := f.Accounts()
	if err := accounts.ForgotPassword(f.Ctx, adaEmail, auth.AppRef{ID: appMFA}); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`ticket=([A-Za-z0-9_-]+)`).FindStringSubmatch(f.Outbox.Entries()[len(f.Outbox.Entries())-1].Body)
	if m == nil {
		t.Fatal("no ticket in the reset email")
	}
	set, err := accounts.ChangePassword(f.Ctx, m[1], "violet harbour lantern quietly 93", appMFA)
	if err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	if set.Login.MFA == nil {
		t.Errorf("the password set answered %+v, want a started challenge", set.Login)
	}
	if n, _ := f.run(t, adaEmail); n != -1 {
		t.Errorf("run = %d after the password was set, want none", n)
	}
}

// TestRunOfEarlierUser: a run stored under the email for another userId (an earlier holder of the
// email) neither refuses the user nor counts for them: their first wrong code starts their own run.
func TestRunOfEarlierUser(t *testing.T) {
	f := newFixture(t)
	f.putRun(t, adaEmail, "an-earlier-user", auth.SecondFactorLock, time.Time{})
	mfa, code := f.challenge(t, adaEmail, adaPassword)
	_, err := f.svc.Verify(f.Ctx, mfa, "", otherCode(code))
	wantCodeError(t, err, 4)
	item := f.Item(t, "MFAFAIL#"+adaEmail)
	if owner, _ := item["userId"].(*types.AttributeValueMemberS); owner == nil || owner.Value != adaID || abuseNum(item, "failures") != 1 {
		t.Errorf("run %v, want the user's own with 1 wrong code", item)
	}
}
