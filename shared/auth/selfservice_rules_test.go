package auth_test

import (
	"errors"
	"testing"

	"mfagateway/shared/auth"
)

// TestNewCodeKeepsWrongCodes: a new code for the same waiting number does not give back the wrong
// codes tried against the last one.
func TestNewCodeKeepsWrongCodes(t *testing.T) {
	f := newSelfFixture(t)
	maxAttempts := auth.DefaultPolicy.MaxAttempts
	code := f.askMobile(t, adaSelf, newMobile, newMobile)
	wantCodeError(t, f.users.ConfirmMobile(f.Ctx, adaSelf, otherCode(code)), maxAttempts-1)
	wantCodeError(t, f.users.ConfirmMobile(f.Ctx, adaSelf, otherCode(code)), maxAttempts-2)
	f.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
	code = f.askMobile(t, adaSelf, newMobile, newMobile)
	wantCodeError(t, f.users.ConfirmMobile(f.Ctx, adaSelf, otherCode(code)), maxAttempts-3)
	if err := f.users.ConfirmMobile(f.Ctx, adaSelf, code); err != nil {
		t.Fatalf("ConfirmMobile with the right code: %v", err)
	}
}

// TestNewNumberOfACountryNotTexted: a waiting number must be one the session's application texts;
// another is refused before anything is stored or sent.
func TestNewNumberOfACountryNotTexted(t *testing.T) {
	f := newSelfFixture(t)
	prev, err := f.Store.GetApplication(f.Ctx, appMFA)
	if err != nil {
		t.Fatal(err)
	}
	next := prev
	next.SMSCountries = []string{"BE"}
	if err := f.Store.ReplaceApplication(f.Ctx, prev, next); err != nil {
		t.Fatal(err)
	}
	sent := len(f.Outbox.Entries())
	_, err = f.users.ChangeMe(f.Ctx, adaSelf, auth.UserPatch{Mobile: ptr(newMobile)})
	var prop *auth.PropertyError
	if !errors.As(err, &prop) || prop.Property != "mobilePhone" {
		t.Fatalf("ChangeMe with a Dutch number for an application texting Belgium: %v, want a mobilePhone refusal", err)
	}
	if n := len(f.Outbox.Entries()); n != sent {
		t.Errorf("%d messages sent for a refused number", n-sent)
	}
	if got := f.byID(t, adaID).PendingMobile; got != (auth.PendingMobile{}) {
		t.Errorf("a refused number waits: %+v", got)
	}
	f.askMobile(t, adaSelf, "+32470123456", "+32470123456") // a Belgian one is texted
}

// TestClientReinvitesOnlyItsOwnPendingUser: an application acting by its credentials may invite
// again a Pending user of it alone, not one another application shares (whose ticket it would replace).
func TestClientReinvitesOnlyItsOwnPendingUser(t *testing.T) {
	f := newSelfFixture(t)
	admin := auth.Session{Admin: true, UserID: adaID, AppID: appPlain}
	acc := f.Accounts()
	for _, tc := range []struct {
		email string
		apps  []string
		want  error
	}{
		{"shared@example.com", []string{appPlain, appMFA}, auth.ErrForbidden},
		{"own@example.com", []string{appPlain}, nil},
	} {
		if _, err := acc.Invite(f.Ctx, admin, auth.NewUser{Email: tc.email, Name: "Invitee", Applications: tc.apps}); err != nil {
			t.Fatalf("admin invites %s: %v", tc.email, err)
		}
		client := auth.Session{Client: true, AppID: appPlain}
		_, err := acc.Invite(f.Ctx, client, auth.NewUser{Email: tc.email, Name: "Invitee"})
		if !errors.Is(err, tc.want) {
			t.Errorf("the client invites %s again: %v, want %v", tc.email, err, tc.want)
		}
	}
}
