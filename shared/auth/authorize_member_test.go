package auth_test

// What the authorizer reads and logs beyond a token's shape: the token's user must still be a member
// of the token's application, and a header that is no appId (a secret sent in the wrong header) is
// refused unread and never logged.

import (
	"errors"
	"strings"
	"testing"

	"mfagateway/shared/auth"
)

func TestAuthorizeNeedsMembership(t *testing.T) {
	for _, tc := range []struct {
		name   string
		remove func(f *usersFixture) error
	}{
		{"removed by the CLI", func(f *usersFixture) error {
			_, err := f.users.RemoveApplications(f.Ctx, admin, graceEmail, appPlain)
			return err
		}},
		{"removed by a PATCH of applications", func(f *usersFixture) error {
			_, err := f.users.Change(f.Ctx, admin, "patch", graceID, auth.UserPatch{Applications: &[]string{appOther}})
			return err
		}},
		{"removed by a PUT", func(f *usersFixture) error {
			_, err := f.users.Change(f.Ctx, admin, "put", graceID, auth.UserPatch{Email: ptr(graceEmail), Name: ptr("Grace"),
				Mobile: ptr(""), CultureInfo: ptr(""), Admin: ptr(false), Applications: &[]string{appOther}})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tf := newTokenFixture(t)
			f := &usersFixture{fixture: tf.fixture, users: tf.Users()}
			if _, err := f.users.AddApplications(f.Ctx, admin, graceEmail, appOther); err != nil {
				t.Fatal(err)
			}
			plain := tf.loginToken(t, graceEmail, gracePass)
			other, err := f.login(graceEmail, gracePass, appOther)
			if err != nil || other.Token == "" {
				t.Fatalf("login to appOther: %+v, %v", other, err)
			}
			if err := tc.remove(f); err != nil {
				t.Fatal(err)
			}
			mark := len(f.Logs.String())
			_, calls, err := tf.authorize(plain)
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("token of an application the user was removed from: %v, want ErrInvalidToken", err)
			}
			tf.wantOneRead(t, plain, graceID, calls)
			if logs := f.Logs.String()[mark:]; !strings.Contains(logs, `"reason":"not a member"`) {
				t.Errorf("log %s, want reason not a member", logs)
			}
			if sess, err := tf.sessions.Authorize(f.Ctx, other.Token, appOther); err != nil || sess.UserID != graceID {
				t.Errorf("token of an application the user is still a member of: %+v, %v; want grace's session", sess, err)
			}
		})
	}
}

func TestAuthorizeRefusesNonAppIDsUnread(t *testing.T) {
	f := newTokenFixture(t)
	secret := f.issue(t, f.applications(f.Store), appPlain)
	bearer := f.loginToken(t, graceEmail, gracePass)
	for _, tc := range []struct{ name, id string }{
		{"the secret in ClientId", secret},
		{"the token in appId", bearer},
		{"appId without hyphens", strings.ReplaceAll(appPlain, "-", "")},
		{"appId in braces", "{" + appPlain + "}"},
		{"appId as a URN", "urn:uuid:" + appPlain},
		{"empty", ""},
		{"128 bytes", strings.Repeat("a", 128)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mark := len(f.Logs.String())
			f.counter.Reset()
			if _, err := f.sessions.AuthorizeClient(f.Ctx, auth.ClientCredentials{ID: tc.id, Secret: secret}); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("credentials: %v, want ErrInvalidToken", err)
			}
			if _, err := f.sessions.Authorize(f.Ctx, bearer, tc.id); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("token: %v, want ErrInvalidToken", err)
			}
			if calls := f.counter.Calls(); calls.N() != 0 {
				t.Errorf("the checks made %s, want no read", calls)
			}
			logs := f.Logs.String()[mark:]
			if strings.Count(logs, `"appId":"(not an appId)"`) != 2 {
				t.Errorf("log %s, want both refusals to name no appId", logs)
			}
			for _, s := range []string{secret, secret[:12], bearer[22:40]} {
				if strings.Contains(logs, s) {
					t.Errorf("log holds %q of a secret: %s", s, logs)
				}
			}
		})
	}
	if sess, err := f.sessions.AuthorizeClient(f.Ctx, auth.ClientCredentials{ID: appPlain, Secret: secret}); err != nil || sess.AppID != appPlain {
		t.Errorf("the right pair: %+v, %v", sess, err)
	}
	if _, err := f.sessions.Authorize(f.Ctx, bearer, appPlain); err != nil {
		t.Errorf("the token with its appId: %v", err)
	}
}
