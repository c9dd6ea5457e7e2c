package httpapi_test

// Forgotten, reset and changed passwords through the account function's router over the demo seed
// (grace: Demo and Demo (MFA), no mobile; linus: Demo alone): what each answers and sends, and what a
// password set does to the user's tokens, challenges and failed passwords.

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
)

func TestForgotPassword(t *testing.T) {
	t.Run("known and unknown emails answer the same, after the same time", func(t *testing.T) {
		e := newAPIEnv(t)
		var answers []answer
		for _, email := range []string{graceEmail, "nobody@example.com", linusEmail, "  GRACE@example.com "} {
			start := e.Clock.Now()
			a := e.callAccount(t, routeForgotPassword, nil, nil, jsonOf(map[string]any{"email": email, "url": "demo-mfa.localhost"}))
			if got, want := e.Clock.Now(), start.Add(auth.DefaultPolicy.ForgotPasswordTime); !got.Equal(want) {
				t.Errorf("%q: the answer came at %v, want start + ForgotPasswordTime = %v", email, got, want)
			}
			answers = append(answers, a)
		}
		for i, a := range answers {
			if a.Status != http.StatusOK || a.Raw != answers[0].Raw || !reflect.DeepEqual(a.Headers, answers[0].Headers) {
				t.Errorf("answer %d: %d %q %v, want byte for byte the first: %d %q %v", i, a.Status, a.Raw, a.Headers,
					answers[0].Status, answers[0].Raw, answers[0].Headers)
			}
		}
		if answers[0].Raw != "{}\n" {
			t.Errorf("body %q, want {}", answers[0].Raw)
		}
		// grace (twice: the second in another spelling) got a reset link to Demo (MFA); nobody else got anything.
		if n := e.ticketsTo(graceEmail); n != 2 {
			t.Errorf("%d reset emails to grace, want 2", n)
		}
		if n := len(e.Outbox.Entries()); n != 2 {
			t.Errorf("outbox %+v, want the two emails to grace alone (linus is not a member of Demo (MFA))", e.Outbox.Entries())
		}
		mails := e.emailsTo(graceEmail)
		ticket, host, page := e.mailedTicket(t, graceEmail)
		if host != "demo-mfa.localhost" || page != "reset-password" || mails[1].Subject != "Reset your password for Demo (MFA)" {
			t.Errorf("reset email %q: link to %s/%s, want demo-mfa.localhost/reset-password", mails[1].Subject, host, page)
		}
		item := e.userItem(t, graceEmail)
		if attrS(item, "ticketHash") != auth.TokenID(ticket) || attrS(item, "ticketKind") != "reset" || attrS(item, "ticketApp") != demoMFA {
			t.Errorf("grace's ticket: %q %q %q, want the newest reset ticket for Demo (MFA)", attrS(item, "ticketHash"), attrS(item, "ticketKind"), attrS(item, "ticketApp"))
		}
	})

	t.Run("by appId header", func(t *testing.T) {
		e := newAPIEnv(t)
		a := e.callAccount(t, routeForgotPassword, nil, appHeader(demoPlain), jsonOf(map[string]any{"email": graceEmail}))
		if a.Status != http.StatusOK || a.Raw != "{}\n" {
			t.Fatalf("%d %q", a.Status, a.Raw)
		}
		if _, host, _ := e.mailedTicket(t, graceEmail); host != "demo.localhost" {
			t.Errorf("link to %s, want the header's application", host)
		}
	})

	t.Run("nothing sent to a blocked user or to an unknown application", func(t *testing.T) {
		e := newAPIEnv(t)
		if a := e.callUsers(t, e.admin(), http.MethodPatch, "/odata/users/"+graceID, "", `{"status": "Blocked"}`); a.Status != http.StatusNoContent {
			t.Fatalf("block: %d %s", a.Status, a.Raw)
		}
		start := e.Clock.Now()
		e.forgot(t, graceEmail, "demo.localhost")
		e.forgot(t, linusEmail, "nowhere.localhost")
		a := e.callAccount(t, routeForgotPassword, nil, appHeader(uuid.NewString()), jsonOf(map[string]any{"email": linusEmail}))
		if a.Status != http.StatusOK || a.Raw != "{}\n" {
			t.Errorf("unknown appId: %d %q, want 200 {}", a.Status, a.Raw)
		}
		if n := len(e.Outbox.Entries()); n != 0 {
			t.Errorf("outbox %+v, want nothing", e.Outbox.Entries())
		}
		if got := e.Clock.Now().Sub(start); got != 3*auth.DefaultPolicy.ForgotPasswordTime {
			t.Errorf("three answers took %v, want 3 × ForgotPasswordTime", got)
		}
	})

	t.Run("a storm for one email sends at most the hourly cap", func(t *testing.T) {
		e := newAPIEnv(t)
		var first string
		for i := range 30 {
			e.forgot(t, graceEmail, "demo.localhost")
			if i == 0 {
				first, _, _ = e.mailedTicket(t, graceEmail)
			}
		}
		if n := e.ticketsTo(graceEmail); n != auth.DefaultPolicy.SendsPerHour {
			t.Errorf("%d reset emails for 30 requests, want the hourly cap %d", n, auth.DefaultPolicy.SendsPerHour)
		}
		if got := e.Clock.Now().Sub(epoch); got != 30*auth.DefaultPolicy.ForgotPasswordTime {
			t.Errorf("30 answers took %v, want 30 × ForgotPasswordTime", got)
		}
		// The cap counts codes too: grace's login to Demo (MFA) gets no code this hour.
		a := e.login(t, appHeader(demoMFA), loginBody(graceEmail, gracePass))
		hourLeft := epoch.Add(time.Hour).Sub(e.Clock.Now())
		wantError(t, a, http.StatusTooManyRequests, httpapi.CodeTooManyRequests, itoa(int64(hourLeft/time.Second)))
		// Only the newest ticket that went out is live.
		last, _, _ := e.mailedTicket(t, graceEmail)
		wantError(t, e.changePassword(t, first, goodPassword, nil), http.StatusUnauthorized, httpapi.CodeInvalidTicket, "")
		if a := e.changePassword(t, last, goodPassword, nil); a.Status != http.StatusOK {
			t.Errorf("the newest ticket: %d %s, want 200", a.Status, a.Raw)
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		e := newAPIEnv(t)
		for _, tc := range []struct {
			name, body, code, field string
			headers                 map[string]string
		}{
			{"no email", `{"url": "demo.localhost"}`, httpapi.CodeInvalidRequest, "email", nil},
			{"empty email", `{"email": " ", "url": "demo.localhost"}`, httpapi.CodeInvalidRequest, "email", nil},
			{"not an email", `{"email": "grace.example.com", "url": "demo.localhost"}`, httpapi.CodeInvalidRequest, "email", nil},
			{"a display name", `{"email": "Grace <grace@example.com>", "url": "demo.localhost"}`, httpapi.CodeInvalidRequest, "email", nil},
			{"not JSON", `{"email": `, httpapi.CodeInvalidRequest, "", nil},
			{"no application", `{"email": "grace@example.com"}`, httpapi.CodeApplicationRequired, "", nil},
			{"empty url", `{"email": "grace@example.com", "url": ""}`, httpapi.CodeApplicationRequired, "", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := e.callAccount(t, routeForgotPassword, nil, tc.headers, tc.body)
				wantError(t, a, http.StatusBadRequest, tc.code, "")
				wantMessageNames(t, a, tc.field)
			})
		}
		if n := len(e.Outbox.Entries()); n != 0 {
			t.Errorf("outbox %+v, want nothing", e.Outbox.Entries())
		}
	})
}

// TestPasswordSetEndsSessions: a password set by a reset ticket ends every auth token and MFA
// challenge the user had, and forgets its failed passwords.
func TestPasswordSetEndsSessions(t *testing.T) {
	e := newAPIEnv(t)
	token := e.tokenOf(t, graceEmail, gracePass, demoPlain)
	mfa, code := e.challenge(t, graceEmail, gracePass)
	for range 2 {
		wantError(t, e.login(t, appHeader(demoPlain), loginBody(graceEmail, "wrong-password-1")), http.StatusUnauthorized, httpapi.CodeInvalidCredentials, "")
	}
	if attrN(e.Item(t, "LOGIN#"+graceEmail), "failures") != "2" {
		t.Fatalf("LOGIN# item %v, want 2 failures", e.Item(t, "LOGIN#"+graceEmail))
	}

	e.forgot(t, graceEmail, "demo.localhost")
	ticket, _, _ := e.mailedTicket(t, graceEmail)
	// The ticket alone ends nothing.
	if a := e.me(t, token, demoPlain); a.Status != http.StatusOK {
		t.Fatalf("me before the reset: %d %s", a.Status, a.Raw)
	}
	a := e.changePassword(t, ticket, goodPassword, nil)
	if a.Status != http.StatusOK {
		t.Fatalf("changePassword: %d %s", a.Status, a.Raw)
	}
	fresh := str(t, a.Body, "token")

	wantError(t, e.me(t, token, demoPlain), http.StatusUnauthorized, httpapi.CodeInvalidToken, "")
	if a := e.me(t, fresh, demoPlain); a.Status != http.StatusOK {
		t.Errorf("me with the token the reset answered: %d %s", a.Status, a.Raw)
	}
	wantError(t, e.verify(t, verifyBody(mfa, "Email", code)), http.StatusUnauthorized, httpapi.CodeInvalidMFAToken, "")
	e.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
	sent := len(e.Outbox.Entries())
	wantError(t, e.resend(t, `{"token": "`+mfa+`"}`), http.StatusUnauthorized, httpapi.CodeInvalidMFAToken, "")
	if len(e.Outbox.Entries()) != sent {
		t.Error("a resend of an ended challenge sent a code")
	}
	if e.Item(t, "LOGIN#"+graceEmail) != nil {
		t.Error("the failed passwords outlived the reset")
	}
	wantError(t, e.login(t, appHeader(demoPlain), loginBody(graceEmail, gracePass)), http.StatusUnauthorized, httpapi.CodeInvalidCredentials, "")
	again := e.tokenOf(t, graceEmail, goodPassword, demoPlain)
	if a := e.me(t, again, demoPlain); a.Status != http.StatusOK {
		t.Errorf("me with a token of the new password: %d %s", a.Status, a.Raw)
	}
	// A reset never skips the second factor, and the challenge it starts belongs to the new epoch.
	e.forgot(t, graceEmail, "demo-mfa.localhost")
	ticket, _, _ = e.mailedTicket(t, graceEmail)
	a = e.changePassword(t, ticket, otherPassword, nil)
	if a.Status != http.StatusForbidden {
		t.Fatalf("reset to Demo (MFA): %d %s, want 403 with a challenge", a.Status, a.Raw)
	}
	if v := e.verify(t, verifyBody(str(t, a.Body, "token"), "Email", e.LastCode(t))); v.Status != http.StatusOK {
		t.Errorf("verify of the reset's own challenge: %d %s", v.Status, v.Raw)
	}
	wantError(t, e.me(t, again, demoPlain), http.StatusUnauthorized, httpapi.CodeInvalidToken, "")
}

func TestUpdatePassword(t *testing.T) {
	body := func(old, next string) string { return jsonOf(map[string]any{"oldPassword": old, "newPassword": next}) }
	failures := func(t *testing.T, e *apiEnv) string {
		t.Helper()
		return attrN(e.Item(t, "LOGIN#"+graceEmail), "failures")
	}

	t.Run("wrong, weak, then right", func(t *testing.T) {
		e := newAPIEnv(t)
		caller := e.tokenOf(t, graceEmail, gracePass, demoPlain)
		other := e.tokenOf(t, graceEmail, gracePass, demoPlain)
		v := e.verdictOfToken(t, caller, demoPlain)

		for i, want := range []string{"1", "2"} {
			a := e.callAccount(t, routeUpdatePassword, v, nil, body("wrong-password-1", goodPassword))
			wantError(t, a, http.StatusForbidden, httpapi.CodeInvalidCredentials, "")
			if got := failures(t, e); got != want {
				t.Errorf("wrong old password %d: failures %q, want %s", i+1, got, want)
			}
		}
		a := e.callAccount(t, routeUpdatePassword, v, nil, body(gracePass, "short-pass-1"))
		wantError(t, a, http.StatusBadRequest, httpapi.CodeWeakPassword, "")
		// As a right password at login: its own attempt is taken back, the wrong ones stay counted.
		if got := failures(t, e); got != "2" {
			t.Errorf("after a right old password with a weak new one: failures %q, want the 2 wrong ones", got)
		}
		if ok, _ := e.Hasher.Verify(gracePass, attrS(e.userItem(t, graceEmail), "passwordHash")); !ok {
			t.Error("a weak new password was stored")
		}

		a = e.callAccount(t, routeUpdatePassword, v, nil, body(gracePass, goodPassword))
		if a.Status != http.StatusNoContent || a.Raw != "" {
			t.Fatalf("updatePassword: %d %q, want 204", a.Status, a.Raw)
		}
		if m := e.me(t, caller, demoPlain); m.Status != http.StatusOK {
			t.Errorf("the caller's token after the change: %d %s, want 200", m.Status, m.Raw)
		}
		wantError(t, e.me(t, other, demoPlain), http.StatusUnauthorized, httpapi.CodeInvalidToken, "")
		wantError(t, e.login(t, appHeader(demoPlain), loginBody(graceEmail, gracePass)), http.StatusUnauthorized, httpapi.CodeInvalidCredentials, "")
		e.tokenOf(t, graceEmail, goodPassword, demoPlain)
		var notices []string
		for _, m := range e.emailsTo(graceEmail) {
			notices = append(notices, m.Subject)
		}
		if !reflect.DeepEqual(notices, []string{"Your password was changed"}) {
			t.Errorf("emails to grace: %q, want the one notification", notices)
		}
		// The caller's token changes the password again; the first change's old password is no longer right.
		wantError(t, e.callAccount(t, routeUpdatePassword, v, nil, body(gracePass, otherPassword)), http.StatusForbidden, httpapi.CodeInvalidCredentials, "")
		if a := e.callAccount(t, routeUpdatePassword, v, nil, body(goodPassword, otherPassword)); a.Status != http.StatusNoContent {
			t.Errorf("a second change: %d %s", a.Status, a.Raw)
		}
	})

	t.Run("wrong old passwords lock like failed logins", func(t *testing.T) {
		e := newAPIEnv(t)
		v := e.verdictOfToken(t, e.tokenOf(t, graceEmail, gracePass, demoPlain), demoPlain)
		for range auth.DefaultPolicy.LoginMaxFailures {
			wantError(t, e.callAccount(t, routeUpdatePassword, v, nil, body("wrong-password-1", goodPassword)),
				http.StatusForbidden, httpapi.CodeInvalidCredentials, "")
		}
		a := e.callAccount(t, routeUpdatePassword, v, nil, body(gracePass, goodPassword))
		wantError(t, a, http.StatusTooManyRequests, httpapi.CodeTooManyRequests, "1")
		// The lock is the login's too.
		wantError(t, e.login(t, appHeader(demoPlain), loginBody(graceEmail, gracePass)), http.StatusTooManyRequests, httpapi.CodeTooManyRequests, "1")
		e.Clock.Advance(2 * time.Second)
		if a := e.callAccount(t, routeUpdatePassword, v, nil, body(gracePass, goodPassword)); a.Status != http.StatusNoContent {
			t.Errorf("after the backoff: %d %s, want 204", a.Status, a.Raw)
		}
		if e.Item(t, "LOGIN#"+graceEmail) != nil {
			t.Error("the failed count outlived the change")
		}
	})

	t.Run("who may", func(t *testing.T) {
		e := newAPIEnv(t)
		before := e.tableItems(t)
		wantError(t, e.callAccount(t, routeUpdatePassword, e.clientVerdict(demoPlain), nil, body(gracePass, goodPassword)),
			http.StatusForbidden, httpapi.CodeForbidden, "")
		wantError(t, e.callAccount(t, routeUpdatePassword, map[string]any{"valid": false}, nil, body(gracePass, goodPassword)),
			http.StatusUnauthorized, httpapi.CodeInvalidToken, "")
		if after := e.tableItems(t); !reflect.DeepEqual(before, after) {
			t.Error("a refused change wrote to the table")
		}
	})

	t.Run("bad bodies", func(t *testing.T) {
		e := newAPIEnv(t)
		v := e.verdictOfToken(t, e.tokenOf(t, graceEmail, gracePass, demoPlain), demoPlain)
		for _, tc := range []struct{ name, body, field string }{
			{"no old password", `{"newPassword": "` + goodPassword + `"}`, "oldPassword"},
			{"no new password", `{"oldPassword": "` + gracePass + `"}`, "newPassword"},
			{"old password too long", body(strings.Repeat("x", auth.MaxPasswordBytes+1), goodPassword), "oldPassword"},
			{"not JSON", `{"oldPassword": `, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := e.callAccount(t, routeUpdatePassword, v, nil, tc.body)
				wantError(t, a, http.StatusBadRequest, httpapi.CodeInvalidRequest, "")
				wantMessageNames(t, a, tc.field)
			})
		}
		if got := failures(t, e); got != "" && got != "0" {
			t.Errorf("malformed requests left failures %q: they counted a password attempt", got)
		}
	})
}

func TestResetPassword(t *testing.T) {
	body := func(userID, url string) string {
		m := map[string]any{"userId": userID}
		if url != "" {
			m["url"] = url
		}
		return jsonOf(m)
	}

	t.Run("admin", func(t *testing.T) {
		e := newAPIEnv(t)
		a := e.callAccount(t, routeResetPassword, e.admin(), nil, body(graceID, ""))
		if a.Status != http.StatusNoContent || a.Raw != "" {
			t.Fatalf("resetPassword: %d %q, want 204", a.Status, a.Raw)
		}
		// The admin's session is of Demo, and grace is a member: the link is Demo's.
		ticket, host, page := e.mailedTicket(t, graceEmail)
		if host != "demo.localhost" || page != "reset-password" {
			t.Errorf("link to %s/%s, want demo.localhost/reset-password", host, page)
		}
		if got := attrN(e.userItem(t, graceEmail), "ticketExpiresAt"); got != itoa(epoch.Add(time.Hour).UnixMilli()) {
			t.Errorf("ticketExpiresAt %s, want an hour on", got)
		}
		// The password stays until the ticket is used.
		e.tokenOf(t, graceEmail, gracePass, demoPlain)

		a = e.callAccount(t, routeResetPassword, e.admin(), nil, body(graceID, "HTTPS://Demo-MFA.localhost/"))
		if a.Status != http.StatusNoContent {
			t.Fatalf("resetPassword with a url: %d %s", a.Status, a.Raw)
		}
		fresh, host, _ := e.mailedTicket(t, graceEmail)
		if host != "demo-mfa.localhost" {
			t.Errorf("link to %s, want the url's application", host)
		}
		wantError(t, e.changePassword(t, ticket, goodPassword, nil), http.StatusUnauthorized, httpapi.CodeInvalidTicket, "")
		if a := e.changePassword(t, fresh, goodPassword, nil); a.Status != http.StatusForbidden {
			t.Errorf("the admin's reset ticket for Demo (MFA): %d %s, want 403 with a challenge", a.Status, a.Raw)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		e := newAPIEnv(t)
		if a := e.callUsers(t, e.admin(), http.MethodPatch, "/odata/users/"+graceID, "", `{"status": "Blocked"}`); a.Status != http.StatusNoContent {
			t.Fatalf("block: %d %s", a.Status, a.Raw)
		}
		before := e.tableItems(t)
		for _, tc := range []struct {
			name    string
			verdict map[string]any
			body    string
			status  int
			code    string
			field   string
		}{
			{"a blocked user", e.admin(), body(graceID, ""), http.StatusConflict, httpapi.CodeConflict, ""},
			{"an application the user is not in", e.admin(), body(linusID, "demo-mfa.localhost"), http.StatusBadRequest, httpapi.CodeInvalidRequest, "url"},
			{"a url of no application", e.admin(), body(linusID, "nowhere.localhost"), http.StatusBadRequest, httpapi.CodeInvalidRequest, "url"},
			{"no admin", e.verdictOf(linusID, linusEmail, false), body(linusID, ""), http.StatusForbidden, httpapi.CodeForbidden, ""},
			{"a Client session", e.clientVerdict(demoPlain), body(linusID, ""), http.StatusForbidden, httpapi.CodeForbidden, ""},
			{"an unknown userId", e.admin(), body(uuid.NewString(), ""), http.StatusNotFound, httpapi.CodeNotFound, ""},
			{"a userId that is no id", e.admin(), body("USER#linus@example.com", ""), http.StatusNotFound, httpapi.CodeNotFound, ""},
			{"no userId", e.admin(), `{"url": "demo.localhost"}`, http.StatusBadRequest, httpapi.CodeInvalidRequest, "userId"},
			{"not JSON", e.admin(), `{"userId": `, http.StatusBadRequest, httpapi.CodeInvalidRequest, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := e.callAccount(t, routeResetPassword, tc.verdict, nil, tc.body)
				wantError(t, a, tc.status, tc.code, "")
				wantMessageNames(t, a, tc.field)
			})
		}
		if after := e.tableItems(t); !reflect.DeepEqual(before, after) {
			t.Error("a refused reset wrote to the table")
		}
		if n := len(e.Outbox.Entries()); n != 0 {
			t.Errorf("outbox %+v, want nothing", e.Outbox.Entries())
		}
	})
}
