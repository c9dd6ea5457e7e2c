package httpapi_test

// Invitations and the password set by ticket, through the account function's router over the demo
// seed: who may invite, what the invitation email carries, what the table keeps of a ticket, and how
// changePassword answers, good ticket or bad.

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
)

const newEmail = "new@example.com"

func TestInvite(t *testing.T) {
	t.Run("admin invites a new user", func(t *testing.T) {
		e := newAPIEnv(t)
		a := e.invite(t, inviteBody(newEmail, "Nina", demoMFA))
		wantUserEntity(t, a.Body)
		if a.Body["status"] != "Pending" || a.Body["name"] != "Nina" || a.Body["email"] != "n***@example.com" {
			t.Errorf("invited user %s, want Nina, Pending, the email masked", a.Raw)
		}
		id, _ := a.Body["id"].(string)
		if loc := header(a.Headers, "Location"); loc != "/odata/users/"+id {
			t.Errorf("Location = %q, want /odata/users/%s", loc, id)
		}
		mails := e.emailsTo(newEmail)
		if len(mails) != 1 || len(e.Outbox.Entries()) != 1 {
			t.Fatalf("outbox %+v, want one email to %s", e.Outbox.Entries(), newEmail)
		}
		if mails[0].Subject != "Your invitation to Demo (MFA)" {
			t.Errorf("subject %q", mails[0].Subject)
		}
		ticket, host, page := e.mailedTicket(t, newEmail)
		if host != "demo-mfa.localhost" || page != "accept-invite" {
			t.Errorf("link to https://%s/%s, want https://demo-mfa.localhost/accept-invite", host, page)
		}
		if !strings.Contains(mails[0].Body, "https://demo-mfa.localhost/accept-invite?ticket="+ticket) {
			t.Errorf("body %q lacks the link", mails[0].Body)
		}

		// The user's two items keep the ticket's hash, its kind, application and expiry; the table holds
		// the ticket itself nowhere.
		for _, pk := range []string{"USER#" + newEmail, "USERID#" + id} {
			item := e.Item(t, pk)
			if item == nil {
				t.Fatalf("no item %s", pk)
			}
			want := map[string]string{"ticketHash": auth.TokenID(ticket), "ticketKind": "invite", "ticketApp": demoMFA, "status": "Pending"}
			for k, v := range want {
				if got := attrS(item, k); got != v {
					t.Errorf("%s %s = %q, want %q", pk, k, got, v)
				}
			}
			if got, want := attrN(item, "ticketExpiresAt"), itoa(epoch.Add(7*24*time.Hour).UnixMilli()); got != want {
				t.Errorf("%s ticketExpiresAt = %s, want %s (7 days on)", pk, got, want)
			}
			if _, ok := item["passwordHash"]; ok && attrS(item, "passwordHash") != "" {
				t.Errorf("%s has a password hash before the invitation is accepted", pk)
			}
		}
		for _, item := range e.tableItems(t) {
			if strings.Contains(jsonOf(item), ticket) {
				t.Errorf("item %v holds the ticket", item["pk"])
			}
		}
		// A Pending user cannot log in, whatever it sends.
		wantError(t, e.login(t, appHeader(demoMFA), loginBody(newEmail, goodPassword)), http.StatusUnauthorized, httpapi.CodeInvalidCredentials, "")
	})

	t.Run("a new invitation kills the previous ticket", func(t *testing.T) {
		e := newAPIEnv(t)
		first := e.invite(t, inviteBody(newEmail, "Nina", demoMFA))
		old, _, _ := e.mailedTicket(t, newEmail)
		again := e.invite(t, inviteBody(newEmail, "Nina", demoMFA))
		if again.Body["id"] != first.Body["id"] || again.Body["status"] != "Pending" {
			t.Errorf("re-invite answered %s, want the same Pending user as %s", again.Raw, first.Raw)
		}
		if n := len(e.emailsTo(newEmail)); n != 2 {
			t.Errorf("%d emails after two invitations, want 2", n)
		}
		fresh, _, _ := e.mailedTicket(t, newEmail)
		if fresh == old {
			t.Fatal("the second invitation carries the first ticket")
		}
		wantError(t, e.changePassword(t, old, goodPassword, nil), http.StatusUnauthorized, httpapi.CodeInvalidTicket, "")
		if a := e.changePassword(t, fresh, goodPassword, nil); a.Status != http.StatusForbidden {
			t.Errorf("the new ticket: %d %s, want 403 with a challenge", a.Status, a.Raw)
		}
	})

	t.Run("an Activated user's email is a conflict", func(t *testing.T) {
		e := newAPIEnv(t)
		before := e.tableItems(t)
		a := e.callAccount(t, routeInvite, e.admin(), nil, inviteBody(graceEmail, "Grace", demoMFA))
		wantError(t, a, http.StatusConflict, httpapi.CodeConflict, "")
		if len(e.Outbox.Entries()) != 0 {
			t.Errorf("outbox %+v, want nothing sent", e.Outbox.Entries())
		}
		if after := e.tableItems(t); !reflect.DeepEqual(before, after) {
			t.Error("a refused invitation changed the table")
		}
	})

	t.Run("a Client session invites into its own application", func(t *testing.T) {
		e := newAPIEnv(t)
		a := e.callAccount(t, routeInvite, e.clientVerdict(demoPlain), nil, inviteBody(newEmail, "Nina"))
		if a.Status != http.StatusCreated {
			t.Fatalf("invite: %d %s, want 201", a.Status, a.Raw)
		}
		if apps, _ := a.Body["applications"].([]any); len(apps) != 1 || apps[0] != demoPlain {
			t.Errorf("applications %v, want the client's own application alone", a.Body["applications"])
		}
		if _, host, _ := e.mailedTicket(t, newEmail); host != "demo.localhost" {
			t.Errorf("link to %s, want the client's application demo.localhost", host)
		}
		// Not into another application.
		a = e.callAccount(t, routeInvite, e.clientVerdict(demoPlain), nil, inviteBody("other@example.com", "O", demoMFA))
		wantError(t, a, http.StatusForbidden, httpapi.CodeForbidden, "")
		if e.userItem(t, "other@example.com") != nil || len(e.emailsTo("other@example.com")) != 0 {
			t.Error("a refused Client invitation stored or sent something")
		}
	})

	t.Run("a user who is no admin may not invite", func(t *testing.T) {
		e := newAPIEnv(t)
		a := e.callAccount(t, routeInvite, e.verdictOf(graceID, graceEmail, false), nil, inviteBody(newEmail, "Nina", demoMFA))
		wantError(t, a, http.StatusForbidden, httpapi.CodeForbidden, "")
		if e.userItem(t, newEmail) != nil || len(e.Outbox.Entries()) != 0 {
			t.Error("a refused invitation stored or sent something")
		}
		wantError(t, e.callAccount(t, routeInvite, map[string]any{"valid": false}, nil, inviteBody(newEmail, "Nina", demoMFA)),
			http.StatusUnauthorized, httpapi.CodeInvalidToken, "")
	})

	t.Run("a user of no application cannot be invited", func(t *testing.T) {
		e := newAPIEnv(t)
		before := e.tableItems(t)
		for _, body := range []string{inviteBody(newEmail, "Nina"), inviteBody(newEmail, "Nina", []string{}...)} {
			a := e.callAccount(t, routeInvite, e.admin(), nil, body)
			wantError(t, a, http.StatusBadRequest, httpapi.CodeInvalidRequest, "")
			wantMessageNames(t, a, "applications")
		}
		if after := e.tableItems(t); !reflect.DeepEqual(before, after) {
			t.Error("a refused invitation left a user behind")
		}
		if len(e.Outbox.Entries()) != 0 {
			t.Errorf("outbox %+v, want nothing sent", e.Outbox.Entries())
		}
		// The same invitation with an application then goes through.
		e.invite(t, inviteBody(newEmail, "Nina", demoPlain))
		if _, host, _ := e.mailedTicket(t, newEmail); host != "demo.localhost" {
			t.Errorf("link to %s, want demo.localhost", host)
		}
	})

	t.Run("an existing Pending user is invited to its own applications", func(t *testing.T) {
		e := newAPIEnv(t)
		for _, u := range []struct{ email, apps string }{{newEmail, `["` + demoPlain + `"]`}, {"bare@example.com", `[]`}} {
			a := e.callUsers(t, e.admin(), http.MethodPost, "/odata/users", "", `{"email": "`+u.email+`", "name": "N", "applications": `+u.apps+`}`)
			if a.Status != http.StatusCreated || a.Body["status"] != "Pending" {
				t.Fatalf("create %s: %d %s", u.email, a.Status, a.Raw)
			}
		}
		if len(e.Outbox.Entries()) != 0 {
			t.Fatal("creating a user sent something")
		}
		e.invite(t, inviteBody(newEmail, "N"))
		if _, host, _ := e.mailedTicket(t, newEmail); host != "demo.localhost" {
			t.Errorf("link to %s, want the user's application demo.localhost", host)
		}
		a := e.callAccount(t, routeInvite, e.admin(), nil, inviteBody("bare@example.com", "N"))
		wantError(t, a, http.StatusBadRequest, httpapi.CodeInvalidRequest, "")
		wantMessageNames(t, a, "applications")
		if len(e.emailsTo("bare@example.com")) != 0 {
			t.Error("a user of no application was sent an invitation")
		}
	})

	t.Run("an application without a url", func(t *testing.T) {
		e := newAPIEnv(t)
		created := e.callUsers(t, e.admin(), http.MethodPost, "/odata/Applications", "", `{"name": "Bare"}`)
		if created.Status != http.StatusCreated || created.Body["url"] != "" {
			t.Fatalf("create an application without a url: %d %s", created.Status, created.Raw)
		}
		bare := str(t, created.Body, "appId")
		a := e.callAccount(t, routeInvite, e.admin(), nil, inviteBody(newEmail, "Nina", bare))
		wantError(t, a, http.StatusBadRequest, httpapi.CodeInvalidRequest, "")
		wantMessageNames(t, a, "url")
		if n := len(e.Outbox.Entries()); n != 0 {
			t.Errorf("outbox %+v: a link to no host went out", e.Outbox.Entries())
		}
		if item := e.userItem(t, newEmail); attrS(item, "ticketHash") != "" || e.Items(t, "SENDS#") != nil {
			t.Error("a ticket nobody can follow was stored or counted")
		}
		// Once the application has a url, the invitation goes out to the Pending user.
		if a := e.callUsers(t, e.admin(), http.MethodPatch, "/odata/Applications/"+bare, "", `{"url": "bare.localhost"}`); a.Status != http.StatusNoContent {
			t.Fatalf("patch url: %d %s", a.Status, a.Raw)
		}
		e.invite(t, inviteBody(newEmail, "Nina", bare))
		if _, host, _ := e.mailedTicket(t, newEmail); host != "bare.localhost" {
			t.Errorf("link to %s, want bare.localhost", host)
		}
	})

	t.Run("bad bodies", func(t *testing.T) {
		e := newAPIEnv(t)
		for _, tc := range []struct{ name, body, field string }{
			{"no user", `{}`, "user"},
			{"no email", `{"user": {"name": "Nina", "applications": ["` + demoMFA + `"]}}`, "email"},
			{"no name", `{"user": {"email": "new@example.com", "applications": ["` + demoMFA + `"]}}`, "name"},
			{"not an email", inviteBody("new.example.com", "Nina", demoMFA), "email"},
			{"status Activated", `{"user": {"email": "new@example.com", "name": "Nina", "status": "Activated", "applications": ["` + demoMFA + `"]}}`, "status"},
			{"unknown application", inviteBody(newEmail, "Nina", uuid.NewString()), "applications"},
			{"unknown language", `{"user": {"email": "new@example.com", "name": "Nina", "cultureInfo": "xx-YY", "applications": ["` + demoMFA + `"]}}`, "cultureInfo"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := e.callAccount(t, routeInvite, e.admin(), nil, tc.body)
				wantError(t, a, http.StatusBadRequest, httpapi.CodeInvalidRequest, "")
				wantMessageNames(t, a, tc.field)
			})
		}
		if e.userItem(t, newEmail) != nil || len(e.Outbox.Entries()) != 0 {
			t.Error("a refused invitation stored or sent something")
		}
	})
}

func TestChangePasswordByInvitation(t *testing.T) {
	t.Run("weak passwords leave the ticket usable", func(t *testing.T) {
		e := newAPIEnv(t)
		e.invite(t, inviteBody(newEmail, "Nina", demoMFA))
		ticket, _, _ := e.mailedTicket(t, newEmail)
		for _, tc := range []struct{ name, pw, reason string }{
			{"too short", "short-pass-1", "shorter than 15 characters"},
			{"common", "passwordpassword1", "easy to guess"},
			{"built from the email", "example-new-example-2031", "built from the email address"},
			{"built from the application name", "Demo-MFA-demo-mfa-2031!", "built from the application name"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := e.changePassword(t, ticket, tc.pw, nil)
				wantError(t, a, http.StatusBadRequest, httpapi.CodeWeakPassword, "")
				if msg, _ := a.Body["message"].(string); !strings.Contains(msg, tc.reason) || strings.Contains(msg, tc.pw) {
					t.Errorf("message %q, want the reason %q and never the password", msg, tc.reason)
				}
			})
		}
		item := e.userItem(t, newEmail)
		if attrS(item, "status") != "Pending" || attrS(item, "ticketHash") != auth.TokenID(ticket) || attrS(item, "passwordHash") != "" {
			t.Errorf("after weak passwords the user is %v, want Pending with its ticket and no password", item)
		}
		if a := e.changePassword(t, ticket, goodPassword, nil); a.Status != http.StatusForbidden {
			t.Errorf("a good password after weak ones: %d %s, want 403 with a challenge", a.Status, a.Raw)
		}
	})

	t.Run("MFA on: the user is Activated and gets a challenge", func(t *testing.T) {
		e := newAPIEnv(t)
		id := str(t, e.invite(t, inviteBody(newEmail, "Nina", demoMFA)).Body, "id")
		ticket, _, _ := e.mailedTicket(t, newEmail)
		a := e.callAccount(t, routeChangePassword, nil, nil, jsonOf(map[string]any{"password": goodPassword, "invite": true, "ticket": ticket}))
		if a.Status != http.StatusForbidden {
			t.Fatalf("changePassword: %d %s, want 403 with a challenge", a.Status, a.Raw)
		}
		wantKeys(t, a, "token", "authenticatorCode", "authenticator", "destination", "expiresIn")
		if a.Body["authenticatorCode"] != "Email" || a.Body["authenticator"] != "LocalOutbox" || a.Body["destination"] != "n***@example.com" {
			t.Errorf("challenge %s, want an email code to n***@example.com", a.Raw)
		}
		if n := num(t, a.Body, "expiresIn"); n != int64(auth.DefaultPolicy.CodeTTL/time.Second) {
			t.Errorf("expiresIn %d, want the code's lifetime", n)
		}
		item := e.userItem(t, newEmail)
		if attrS(item, "status") != "Activated" || attrS(item, "ticketHash") != "" || attrN(item, "sessionEpoch") != "1" {
			t.Errorf("user after the password set: status %q, ticket %q, epoch %q; want Activated, none, 1",
				attrS(item, "status"), attrS(item, "ticketHash"), attrN(item, "sessionEpoch"))
		}
		if ok, err := e.Hasher.Verify(goodPassword, attrS(item, "passwordHash")); err != nil || !ok {
			t.Errorf("stored hash does not verify the password: %v", err)
		}
		// The code goes first, then the user is told.
		mails := e.emailsTo(newEmail)
		if len(mails) != 3 || mails[2].Subject != "Your password was changed" {
			t.Fatalf("emails %+v, want the invitation, the code, the notification", mails)
		}
		v := e.verify(t, verifyBody(str(t, a.Body, "token"), "Email", e.LastCode(t)))
		if v.Status != http.StatusOK {
			t.Fatalf("verify: %d %s", v.Status, v.Raw)
		}
		bearer := str(t, v.Body, "token")
		if m := e.me(t, bearer, demoMFA); m.Status != http.StatusOK || m.Body["userId"] != id || m.Body["email"] != newEmail {
			t.Errorf("me with the new token: %d %s", m.Status, m.Raw)
		}
		// The ticket is used up.
		wantError(t, e.changePassword(t, ticket, otherPassword, nil), http.StatusUnauthorized, httpapi.CodeInvalidTicket, "")
	})

	t.Run("MFA off: an auth token at once", func(t *testing.T) {
		e := newAPIEnv(t)
		e.invite(t, inviteBody(newEmail, "Nina", demoPlain))
		ticket, _, _ := e.mailedTicket(t, newEmail)
		a := e.changePassword(t, ticket, goodPassword, nil)
		if a.Status != http.StatusOK {
			t.Fatalf("changePassword: %d %s, want 200", a.Status, a.Raw)
		}
		wantKeys(t, a, "token", "uniqueIdentifier", "name", "redirectUrl", "expiresIn")
		if a.Body["uniqueIdentifier"] != "demo" || a.Body["name"] != "Nina" || a.Body["redirectUrl"] != nil {
			t.Errorf("answer %s, want Demo's uniqueIdentifier, the user's name, redirectUrl null", a.Raw)
		}
		if n := num(t, a.Body, "expiresIn"); n != int64(auth.DefaultPolicy.AuthTokenTTL/time.Second) {
			t.Errorf("expiresIn %d, want the auth token's lifetime", n)
		}
		if m := e.me(t, str(t, a.Body, "token"), demoPlain); m.Status != http.StatusOK {
			t.Errorf("me with the token: %d %s", m.Status, m.Raw)
		}
		if got := e.tokenOf(t, newEmail, goodPassword, demoPlain); got == "" {
			t.Error("the new password does not log in")
		}
	})

	t.Run("the ticket as a bearer token", func(t *testing.T) {
		e := newAPIEnv(t)
		e.invite(t, inviteBody(newEmail, "Nina", demoPlain))
		ticket, _, _ := e.mailedTicket(t, newEmail)
		for _, scheme := range []string{"bearer", "BEARER"} {
			// A ticket that is no ticket first, in the same way: 401, nothing used.
			a := e.callAccount(t, routeChangePassword, nil, map[string]string{"authorization": scheme + " " + ticket[:40]},
				jsonOf(map[string]any{"password": goodPassword, "invite": true}))
			wantError(t, a, http.StatusUnauthorized, httpapi.CodeInvalidTicket, "")
		}
		a := e.callAccount(t, routeChangePassword, nil, map[string]string{"authorization": "Bearer " + ticket},
			jsonOf(map[string]any{"password": goodPassword, "invite": true}))
		if a.Status != http.StatusOK {
			t.Fatalf("changePassword with the ticket as bearer: %d %s, want 200", a.Status, a.Raw)
		}
		if attrS(e.userItem(t, newEmail), "status") != "Activated" {
			t.Error("the user is not Activated")
		}
	})

	t.Run("bad bodies", func(t *testing.T) {
		e := newAPIEnv(t)
		e.invite(t, inviteBody(newEmail, "Nina", demoPlain))
		ticket, _, _ := e.mailedTicket(t, newEmail)
		for _, tc := range []struct{ name, body, field string }{
			{"no ticket", `{"password": "` + goodPassword + `"}`, "ticket"},
			{"no password", `{"ticket": "` + ticket + `"}`, "password"},
			{"empty password", `{"password": "", "ticket": "` + ticket + `"}`, "password"},
			{"invite not a boolean", `{"password": "` + goodPassword + `", "invite": "yes", "ticket": "` + ticket + `"}`, "invite"},
			{"not JSON", `{"password": `, ""},
			{"unknown property", `{"password": "` + goodPassword + `", "ticket": "` + ticket + `", "extra": 1}`, "extra"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := e.callAccount(t, routeChangePassword, nil, nil, tc.body)
				wantError(t, a, http.StatusBadRequest, httpapi.CodeInvalidRequest, "")
				wantMessageNames(t, a, tc.field)
			})
		}
		if a := e.changePassword(t, ticket, goodPassword, nil); a.Status != http.StatusOK {
			t.Errorf("the ticket after bad bodies: %d %s, want 200", a.Status, a.Raw)
		}
	})
}

// forgedTicket is a ticket of the right shape for the user and application, with random bytes of its own.
func forgedTicket(t *testing.T, userID, appID string) string {
	t.Helper()
	b := make([]byte, 64)
	u, a := uuid.MustParse(userID), uuid.MustParse(appID)
	copy(b, u[:])
	copy(b[16:], a[:])
	if _, err := rand.Read(b[32:]); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestChangePasswordBadTickets(t *testing.T) {
	// Each case gets a fresh world with a live reset ticket of grace's for Demo (MFA off): the refused
	// one must leave it usable, unless the case is about what ended it.
	setup := func(t *testing.T) (*apiEnv, string) {
		e := newAPIEnv(t)
		e.forgot(t, graceEmail, "demo.localhost")
		ticket, _, page := e.mailedTicket(t, graceEmail)
		if page != "reset-password" {
			t.Fatalf("a forgotten password's link opens %s", page)
		}
		return e, ticket
	}
	refused := func(t *testing.T, a answer) {
		t.Helper()
		wantError(t, a, http.StatusUnauthorized, httpapi.CodeInvalidTicket, "")
	}
	stillUsable := func(t *testing.T, e *apiEnv, ticket string) {
		t.Helper()
		if a := e.changePassword(t, ticket, goodPassword, nil); a.Status != http.StatusOK {
			t.Errorf("the real ticket after the refusal: %d %s, want 200", a.Status, a.Raw)
		}
	}

	for _, tc := range []struct {
		name string
		bad  func(t *testing.T, e *apiEnv, ticket string) string
	}{
		{"forged: right user and application, other random part", func(t *testing.T, _ *apiEnv, _ string) string {
			return forgedTicket(t, graceID, demoPlain)
		}},
		{"another user's id with the random part", func(_ *testing.T, _ *apiEnv, ticket string) string {
			b, _ := base64.RawURLEncoding.DecodeString(ticket)
			ada := uuid.MustParse(adaID)
			copy(b, ada[:])
			return base64.RawURLEncoding.EncodeToString(b)
		}},
		{"another application's id with the random part", func(_ *testing.T, _ *apiEnv, ticket string) string {
			b, _ := base64.RawURLEncoding.DecodeString(ticket)
			mfa := uuid.MustParse(demoMFA)
			copy(b[16:], mfa[:])
			return base64.RawURLEncoding.EncodeToString(b)
		}},
		{"truncated", func(_ *testing.T, _ *apiEnv, ticket string) string { return ticket[:len(ticket)-1] }},
		{"one character more", func(_ *testing.T, _ *apiEnv, ticket string) string { return ticket + "A" }},
		{"not base64url", func(_ *testing.T, _ *apiEnv, ticket string) string { return ticket[:len(ticket)-1] + "=" }},
		{"an auth token", func(t *testing.T, e *apiEnv, _ string) string { return e.tokenOf(t, linusEmail, linusPass, demoPlain) }},
		{"a ticket of a user that does not exist", func(t *testing.T, _ *apiEnv, _ string) string {
			return forgedTicket(t, uuid.NewString(), demoPlain)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, ticket := setup(t)
			bad := tc.bad(t, e, ticket)
			before := e.tableItems(t)
			refused(t, e.changePassword(t, bad, goodPassword, nil))
			if after := e.tableItems(t); !reflect.DeepEqual(before, after) {
				t.Error("a refused ticket changed the table")
			}
			stillUsable(t, e, ticket)
		})
	}

	t.Run("another application's appId header", func(t *testing.T) {
		e, ticket := setup(t)
		refused(t, e.changePassword(t, ticket, goodPassword, appHeader(demoMFA)))
		refused(t, e.changePassword(t, ticket, goodPassword, appHeader("not-an-app")))
		if a := e.changePassword(t, ticket, goodPassword, appHeader(strings.ToUpper(demoPlain))); a.Status != http.StatusOK {
			t.Errorf("with the ticket's own appId: %d %s, want 200", a.Status, a.Raw)
		}
	})

	t.Run("used", func(t *testing.T) {
		e, ticket := setup(t)
		stillUsable(t, e, ticket)
		refused(t, e.changePassword(t, ticket, otherPassword, nil))
		if e.tokenOf(t, graceEmail, goodPassword, demoPlain) == "" {
			t.Error("the second use changed the password")
		}
	})

	t.Run("a reset ticket expires after an hour", func(t *testing.T) {
		e, ticket := setup(t)
		e.Clock.Advance(time.Hour - time.Second) // ForgotPasswordTime passed already: now the hour is up
		refused(t, e.changePassword(t, ticket, goodPassword, nil))

		e.forgot(t, graceEmail, "demo.localhost")
		fresh, _, _ := e.mailedTicket(t, graceEmail)
		e.Clock.Advance(time.Hour - 2*time.Second)
		stillUsable(t, e, fresh)
	})

	t.Run("an invitation expires after seven days", func(t *testing.T) {
		e := newAPIEnv(t)
		e.invite(t, inviteBody(newEmail, "Nina", demoPlain))
		ticket, _, _ := e.mailedTicket(t, newEmail)
		e.Clock.Advance(7*24*time.Hour - time.Millisecond)
		if a := e.changePassword(t, ticket, goodPassword, nil); a.Status != http.StatusOK {
			t.Errorf("an invitation just before seven days: %d %s, want 200", a.Status, a.Raw)
		}
		e.invite(t, inviteBody("late@example.com", "Late", demoPlain))
		late, _, _ := e.mailedTicket(t, "late@example.com")
		e.Clock.Advance(7 * 24 * time.Hour)
		refused(t, e.changePassword(t, late, goodPassword, nil))
		if attrS(e.userItem(t, "late@example.com"), "status") != "Pending" {
			t.Error("an expired invitation activated its user")
		}
	})

	t.Run("a new ticket kills the previous one", func(t *testing.T) {
		e, ticket := setup(t)
		e.forgot(t, graceEmail, "demo.localhost")
		fresh, _, _ := e.mailedTicket(t, graceEmail)
		refused(t, e.changePassword(t, ticket, goodPassword, nil))
		stillUsable(t, e, fresh)
	})

	t.Run("the user was blocked after the ticket", func(t *testing.T) {
		e, ticket := setup(t)
		if a := e.callUsers(t, e.admin(), http.MethodPatch, "/odata/users/"+graceID, "", `{"status": "Blocked"}`); a.Status != http.StatusNoContent {
			t.Fatalf("block: %d %s", a.Status, a.Raw)
		}
		// A block ends the ticket: a user who may not log in sets no password, and an unblock does not
		// bring the ticket back.
		if got := attrS(e.userItem(t, graceEmail), "ticketHash"); got != "" {
			t.Fatalf("blocking the user kept its ticket %q", got)
		}
		refused(t, e.changePassword(t, ticket, goodPassword, nil))
		if a := e.callUsers(t, e.admin(), http.MethodPost, "/odata/users/unblockUser", "", `{"userId": "`+graceID+`"}`); a.Status != http.StatusNoContent {
			t.Fatalf("unblock: %d %s", a.Status, a.Raw)
		}
		refused(t, e.changePassword(t, ticket, goodPassword, nil))
		if ok, _ := e.Hasher.Verify(gracePass, attrS(e.userItem(t, graceEmail), "passwordHash")); !ok {
			t.Error("a refused ticket changed the password")
		}
	})

	t.Run("the user was removed from the application", func(t *testing.T) {
		e, ticket := setup(t)
		a := e.callUsers(t, e.admin(), http.MethodPatch, "/odata/users/"+graceID, "", `{"applications": ["`+demoMFA+`"]}`)
		if a.Status != http.StatusNoContent {
			t.Fatalf("patch: %d %s", a.Status, a.Raw)
		}
		if attrS(e.userItem(t, graceEmail), "ticketHash") != auth.TokenID(ticket) {
			t.Fatal("the change dropped the ticket: the refusal below would prove nothing")
		}
		refused(t, e.changePassword(t, ticket, goodPassword, nil))
		if ok, _ := e.Hasher.Verify(gracePass, attrS(e.userItem(t, graceEmail), "passwordHash")); !ok {
			t.Error("a refused ticket changed the password")
		}
	})

	t.Run("the user was deleted", func(t *testing.T) {
		e, ticket := setup(t)
		if a := e.callUsers(t, e.admin(), http.MethodDelete, "/odata/users/"+graceID, "", ""); a.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", a.Status, a.Raw)
		}
		refused(t, e.changePassword(t, ticket, goodPassword, nil))
		if e.userItem(t, graceEmail) != nil {
			t.Error("a ticket of a deleted user brought it back")
		}
	})

	t.Run("the application was deleted", func(t *testing.T) {
		e, ticket := setup(t)
		a := e.callUsers(t, e.admin(), http.MethodDelete, "/odata/Applications/"+demoPlain, "", "")
		if a.Status != http.StatusNoContent {
			t.Fatalf("delete application: %d %s", a.Status, a.Raw)
		}
		refused(t, e.changePassword(t, ticket, goodPassword, nil))
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
