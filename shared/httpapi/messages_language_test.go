package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/seed"
)

// TestLoginMessagesInTheUsersLanguage: through the login and resend handlers on the embedded engine,
// a user whose cultureInfo is Belgian Dutch gets the SMS, and the email, in Dutch; one without a
// mobile number gets the login's email in Dutch.
func TestLoginMessagesInTheUsersLanguage(t *testing.T) {
	const (
		sanne, sannePass = "sanne@example.com", "sanne-demo-password-1"
		joost, joostPass = "joost@example.com", "joost-demo-password-1"
	)
	const body = "Uw inlogcode is %s. De code verloopt over 5 minuten. Deel hem met niemand."
	e := newAPIEnv(t)
	e.Seed(t, seed.File{Users: []seed.User{
		{Email: sanne, Name: "Sanne", Password: sannePass, Mobile: "+31687654321", Applications: []string{demoMFA}, CultureInfo: "nl-BE"},
		{Email: joost, Name: "Joost", Password: joostPass, Applications: []string{demoMFA}, CultureInfo: "nl-NL"},
	}})
	wantLast := func(t *testing.T, channel, to string) {
		t.Helper()
		entries := e.Outbox.Entries()
		last := entries[len(entries)-1]
		want := strings.Replace(body, "%s", e.LastCode(t), 1)
		if last.Channel != channel || last.To != to || last.Subject != "Uw inlogcode" || last.Body != want {
			t.Errorf("sent %+v; want %s to %s, Uw inlogcode: %q", last, channel, to, want)
		}
	}

	mfa, _ := e.challenge(t, sanne, sannePass)
	wantLast(t, "SMS", "+31687654321")
	e.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
	if a := e.resend(t, resendBody(mfa, `"authenticator": "Email"`)); a.Status != http.StatusOK {
		t.Fatalf("resend: %d %s", a.Status, a.Raw)
	}
	wantLast(t, "Email", sanne)

	e.challenge(t, joost, joostPass)
	wantLast(t, "Email", joost)
}
