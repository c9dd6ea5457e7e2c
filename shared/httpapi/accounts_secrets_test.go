package httpapi_test

// After every account flow, good and bad, the log holds no ticket, password, code or token.

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/auth"
)

func TestAccountSecretsNeverLogged(t *testing.T) {
	e := newAPIEnv(t)
	var seen secrets
	seen.add(gracePass, goodPassword, otherPassword, thirdPassword, "passwordpassword1", "wrong-password-1")
	body := func(old, next string) string { return jsonOf(map[string]any{"oldPassword": old, "newPassword": next}) }

	// An invitation to Demo (MFA): weak passwords, a forged and a truncated ticket, then the good one and the code.
	e.invite(t, inviteBody(newEmail, "Nina", demoMFA))
	invited, _, _ := e.mailedTicket(t, newEmail)
	forged := forgedTicket(t, str(t, e.invite(t, inviteBody(newEmail, "Nina", demoMFA)).Body, "id"), demoMFA)
	invited, _, _ = e.mailedTicket(t, newEmail) // the second invitation's; the first is dead
	seen.add(invited, forged)
	e.changePassword(t, invited, "passwordpassword1", nil)
	e.changePassword(t, forged, goodPassword, nil)
	e.changePassword(t, invited[:60], goodPassword, nil)
	e.changePassword(t, invited, goodPassword, appHeader(demoPlain))
	a := e.changePassword(t, invited, goodPassword, nil)
	if a.Status != http.StatusForbidden {
		t.Fatalf("changePassword: %d %s", a.Status, a.Raw)
	}
	mfa, code := str(t, a.Body, "token"), e.LastCode(t)
	seen.add(mfa, code)
	e.verify(t, verifyBody(mfa, "Email", wrongCode(code)))
	v := e.verify(t, verifyBody(mfa, "Email", code))
	seen.add(str(t, v.Body, "token"))
	e.changePassword(t, invited, otherPassword, nil) // used

	// A forgotten password, a storm of them, and the reset.
	for range 12 {
		e.forgot(t, graceEmail, "demo.localhost")
	}
	reset, _, _ := e.mailedTicket(t, graceEmail)
	seen.add(reset)
	e.changePassword(t, reset, "short-pass-1", nil)
	a = e.changePassword(t, reset, goodPassword, nil)
	if a.Status != http.StatusOK {
		t.Fatalf("changePassword: %d %s", a.Status, a.Raw)
	}
	token := str(t, a.Body, "token")
	seen.add(token)

	// The caller's own change: wrong, weak, right.
	verdict := e.verdictOfToken(t, token, demoPlain)
	e.callAccount(t, routeUpdatePassword, verdict, nil, body("wrong-password-1", otherPassword))
	e.callAccount(t, routeUpdatePassword, verdict, nil, body(goodPassword, "passwordpassword1"))
	if a := e.callAccount(t, routeUpdatePassword, verdict, nil, body(goodPassword, otherPassword)); a.Status != http.StatusNoContent {
		t.Fatalf("updatePassword: %d %s", a.Status, a.Raw)
	}

	// Past the hour the storm filled: an admin's reset, used after it expired, then again in time.
	e.Clock.Advance(time.Hour)
	if a := e.callAccount(t, routeResetPassword, e.admin(), nil, `{"userId": "`+graceID+`", "url": "demo-mfa.localhost"}`); a.Status != http.StatusNoContent {
		t.Fatalf("resetPassword: %d %s", a.Status, a.Raw)
	}
	late, _, _ := e.mailedTicket(t, graceEmail)
	e.Clock.Advance(auth.DefaultPolicy.PasswordResetTTL + time.Second)
	e.changePassword(t, late, thirdPassword, nil)
	e.callAccount(t, routeResetPassword, e.admin(), nil, `{"userId": "`+graceID+`"}`)
	fresh, _, _ := e.mailedTicket(t, graceEmail)
	seen.add(late, fresh)
	e.callAccount(t, routeChangePassword, nil, map[string]string{"authorization": "Bearer " + fresh},
		jsonOf(map[string]any{"password": thirdPassword, "invite": false}))

	e.wantNoSecretsLogged(t, seen)
	// The log still names what happened, masked.
	for _, want := range []string{`"event":"invite"`, `"event":"forgot_password"`, `"event":"change_password"`,
		`"event":"update_password"`, `"event":"reset_password"`, `"email":"g***@example.com"`} {
		if !strings.Contains(e.Logs.String(), want) {
			t.Errorf("the log has no %s", want)
		}
	}
	if strings.Contains(e.Logs.String(), graceEmail) || strings.Contains(e.Logs.String(), newEmail) {
		t.Error("the log shows an email in full")
	}
}
