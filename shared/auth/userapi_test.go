package auth_test

// The users API's operations (by userId) on the real store over the embedded engine: who may do what,
// the status rules, and how a status, a deletion and an admin flag are felt by a login and a token.

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/odata"
)

// The fixture's userIds (fixtureSeed): UUIDs, as every userId is, since an auth token names its user by
// its UUID.
const (
	adaID   = "a0da0000-0000-4000-8000-00000000ada0"
	graceID = "9ace0000-0000-4000-8000-000000009ace"
)

// clientOf is an application acting by its own credentials.
func clientOf(appID string) auth.Session { return auth.Session{AppID: appID, Client: true} }

func ptr[T any](v T) *T { return &v }

// byID reads the stored user by userId, applications sorted.
func (f *usersFixture) byID(t *testing.T, id string) auth.User {
	t.Helper()
	u, err := f.Store.GetUserByID(f.Ctx, id)
	if err != nil {
		t.Fatalf("GetUserByID %s: %v", id, err)
	}
	slices.Sort(u.Applications)
	return u
}

// unchangedBy runs a refused change and checks that both items of the user are as before.
func (f *usersFixture) unchangedBy(t *testing.T, id string, change func() error, want error) {
	t.Helper()
	before, beforeByEmail := f.byID(t, id), f.stored(t, f.byID(t, id).Email)
	err := change()
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
	after := f.byID(t, id)
	if !sameStored(before, after) || before.State() != after.State() || before.UpdateDate != after.UpdateDate {
		t.Errorf("user by id %+v after a refusal, want %+v", after, before)
	}
	if got := f.stored(t, before.Email); !sameStored(beforeByEmail, got) || got.State() != beforeByEmail.State() {
		t.Errorf("user by email %+v after a refusal, want %+v", got, beforeByEmail)
	}
}

func TestUsersAPIRights(t *testing.T) {
	plainClient, otherClient := clientOf(appPlain), clientOf(appOther)
	t.Run("reads", func(t *testing.T) {
		f := newUsersFixture(t)
		for _, tc := range []struct {
			name string
			who  auth.Session
			id   string
			want error
		}{
			{"admin reads anyone", admin, graceID, nil},
			{"client reads a member", plainClient, graceID, nil},
			{"client reads an admin member", plainClient, adaID, nil},
			{"client of another application", otherClient, graceID, auth.ErrForbidden},
			{"a plain user's token", nobody, graceID, auth.ErrForbidden},
			{"unknown user", admin, "u-nobody", auth.ErrUserNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				v, err := f.users.GetByID(f.Ctx, tc.who, tc.id)
				if !errors.Is(err, tc.want) {
					t.Fatalf("GetByID = %+v, %v; want %v", v, err, tc.want)
				}
				if err == nil && (v.User.ID != tc.id || v.User.PasswordHash != "") {
					t.Errorf("GetByID = %+v, want user %s without its hash", v.User, tc.id)
				}
			})
		}
	})
	t.Run("lists", func(t *testing.T) {
		f := newUsersFixture(t)
		q := odata.Query{Top: odata.DefaultTop}
		for _, tc := range []struct {
			name string
			who  auth.Session
			want []string
		}{
			{"admin", admin, []string{adaEmail, graceEmail}},
			{"client: its members", plainClient, []string{adaEmail, graceEmail}},
			{"client of an application without members", otherClient, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				page, err := f.users.ListPage(f.Ctx, tc.who, q)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, v := range page.Users {
					got = append(got, v.User.Email)
				}
				slices.Sort(got)
				if !slices.Equal(got, tc.want) || page.Matched != len(tc.want) {
					t.Errorf("list = %v (matched %d), want %v", got, page.Matched, tc.want)
				}
			})
		}
		if _, err := f.users.ListPage(f.Ctx, nobody, q); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("list by a plain user's token: %v, want ErrForbidden", err)
		}
	})
	t.Run("changes refused, nothing written", func(t *testing.T) {
		f := newUsersFixture(t)
		for _, tc := range []struct {
			name string
			who  auth.Session
			id   string
			p    auth.UserPatch
		}{
			{"client changes an admin user", plainClient, adaID, auth.UserPatch{Name: ptr("Eve")}},
			{"client makes an admin", plainClient, graceID, auth.UserPatch{Admin: ptr(true)}},
			{"client adds another application", plainClient, graceID, auth.UserPatch{Applications: &[]string{appMFA, appPlain, appOther}}},
			{"client removes another application", plainClient, graceID, auth.UserPatch{Applications: &[]string{appPlain}}},
			{"client changes a non-member", otherClient, graceID, auth.UserPatch{Name: ptr("Eve")}},
			{"a plain user's token", nobody, graceID, auth.UserPatch{Name: ptr("Eve")}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f.unchangedBy(t, tc.id, func() error {
					_, err := f.users.Change(f.Ctx, tc.who, "patch", tc.id, tc.p)
					return err
				}, auth.ErrForbidden)
			})
		}
		f.unchangedBy(t, graceID, func() error { return f.users.DeleteByID(f.Ctx, plainClient, graceID) }, auth.ErrForbidden)
		f.unchangedBy(t, adaID, func() error { return f.users.Unblock(f.Ctx, plainClient, adaID) }, auth.ErrForbidden)
	})
	t.Run("client changes its own membership", func(t *testing.T) {
		f := newUsersFixture(t)
		v, err := f.users.Change(f.Ctx, plainClient, "patch", graceID, auth.UserPatch{Applications: &[]string{appMFA}, Name: ptr("Grace H")})
		if err != nil {
			t.Fatalf("client removes its own appId: %v", err)
		}
		if got := f.byID(t, graceID); !slices.Equal(got.Applications, []string{appMFA}) || got.Name != "Grace H" || v.User.Name != "Grace H" {
			t.Errorf("stored %+v, want only appMFA and the new name", got)
		}
		// No longer a member: the client cannot reach her any more.
		if _, err := f.users.GetByID(f.Ctx, plainClient, graceID); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("read of a former member: %v, want ErrForbidden", err)
		}
	})
	t.Run("client creates", func(t *testing.T) {
		f := newUsersFixture(t)
		v, err := f.users.CreatePending(f.Ctx, plainClient, auth.NewUser{Email: "Ines@Example.com", Name: "Ines"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(v.User.Applications, []string{appPlain}) || v.User.State() != auth.StatusPending || v.User.Admin {
			t.Errorf("created %+v, want a Pending non-admin member of the client's application alone", v.User)
		}
		for _, n := range []auth.NewUser{
			{Email: "jo@example.com", Name: "Jo", Applications: []string{appPlain, appMFA}},
			{Email: "jo@example.com", Name: "Jo", Applications: []string{appMFA}},
			{Email: "jo@example.com", Name: "Jo", Admin: true},
		} {
			if _, err := f.users.CreatePending(f.Ctx, plainClient, n); !errors.Is(err, auth.ErrForbidden) {
				t.Errorf("client creates %+v: %v, want ErrForbidden", n, err)
			}
		}
		f.noUser(t, "jo@example.com")
		if _, err := f.users.CreatePending(f.Ctx, nobody, auth.NewUser{Email: "jo@example.com", Name: "Jo"}); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("a plain user's token creates: %v, want ErrForbidden", err)
		}
	})
	t.Run("me", func(t *testing.T) {
		f := newUsersFixture(t)
		v, err := f.users.Me(f.Ctx, auth.Session{UserID: graceID, AppID: appPlain})
		if err != nil || v.User.Email != graceEmail {
			t.Errorf("me = %+v, %v; want grace", v.User, err)
		}
		if _, err := f.users.Me(f.Ctx, plainClient); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("me of a Client session: %v, want ErrForbidden", err)
		}
	})
}

func TestUsersAPIStatus(t *testing.T) {
	t.Run("created Pending, no password, login refused as a bad password", func(t *testing.T) {
		f := newUsersFixture(t)
		v, err := f.users.CreatePending(f.Ctx, admin, auth.NewUser{Email: "ines@example.com", Name: "Ines",
			Mobile: "+31 6 1234 5678", CultureInfo: "nl_nl", Applications: []string{appPlain}})
		if err != nil {
			t.Fatal(err)
		}
		u := f.byID(t, v.User.ID)
		if u.State() != auth.StatusPending || u.PasswordHash != "" || u.Mobile != "+31612345678" || u.CultureInfo != "nl-NL" ||
			u.CreateDate.IsZero() || !u.CreateDate.Equal(u.UpdateDate) {
			t.Errorf("stored %+v, want Pending, no hash, +31612345678, nl-NL, dates set", u)
		}
		h := f.countHashes()
		if _, err := f.login("ines@example.com", "whatever-it-is-1", appPlain); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf("login of a Pending user: %v, want ErrInvalidCredentials", err)
		}
		if h.verify.Load() != 0 || h.dummy.Load() != 1 {
			t.Errorf("verifications %d, dummy %d; want the dummy one, as for an unknown email", h.verify.Load(), h.dummy.Load())
		}
		if _, err := f.users.CreatePending(f.Ctx, admin, auth.NewUser{Email: "INES@example.com", Name: "Ines"}); !errors.Is(err, auth.ErrUserExists) {
			t.Errorf("email taken: %v, want ErrUserExists", err)
		}
		// A user without a password cannot be Activated by a change.
		f.unchangedBy(t, v.User.ID, func() error {
			_, err := f.users.Change(f.Ctx, admin, "patch", v.User.ID, auth.UserPatch{Status: ptr(auth.StatusActivated)})
			var perr *auth.PropertyError
			if !errors.As(err, &perr) || perr.Property != "status" {
				t.Errorf("err %v, want a status PropertyError", err)
			}
			return err
		}, auth.ErrInvalidApplication)
	})
	t.Run("Pending is never set", func(t *testing.T) {
		f := newUsersFixture(t)
		f.unchangedBy(t, graceID, func() error {
			_, err := f.users.Change(f.Ctx, admin, "patch", graceID, auth.UserPatch{Status: ptr(auth.StatusPending)})
			var perr *auth.PropertyError
			if !errors.As(err, &perr) || perr.Property != "status" {
				t.Errorf("err %v, want a status PropertyError", err)
			}
			return err
		}, auth.ErrInvalidApplication)
	})
	t.Run("blocked: login and token refused, unblock restores both", func(t *testing.T) {
		f := newUsersFixture(t)
		res, err := f.login(graceEmail, gracePass, appPlain)
		if err != nil {
			t.Fatal(err)
		}
		sessions := f.Sessions()
		if _, err := sessions.Authorize(f.Ctx, res.Token, appPlain); err != nil {
			t.Fatalf("token before the block: %v", err)
		}
		// A client may block only a user that is a member of its application alone.
		if _, err := f.users.Change(f.Ctx, admin, "patch", graceID, auth.UserPatch{Applications: &[]string{appPlain}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.users.Change(f.Ctx, clientOf(appPlain), "patch", graceID, auth.UserPatch{Status: ptr(auth.StatusBlocked)}); err != nil {
			t.Fatalf("client blocks a member: %v", err)
		}
		if _, err := sessions.Authorize(f.Ctx, res.Token, appPlain); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("token of a blocked user: %v, want ErrInvalidToken", err)
		}
		h := f.countHashes()
		if _, err := f.login(graceEmail, gracePass, appPlain); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf("login of a blocked user: %v, want ErrInvalidCredentials", err)
		}
		if _, err := f.login(graceEmail, "wrong-password-1", appPlain); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf("wrong password: %v, want ErrInvalidCredentials", err)
		}
		if h.verify.Load() != 2 || h.dummy.Load() != 0 {
			t.Errorf("verifications %d, dummy %d; want the real hash verified each time", h.verify.Load(), h.dummy.Load())
		}
		if a, _ := f.Store.GetLoginAttempts(f.Ctx, graceEmail); a.Failures == 0 {
			t.Fatalf("failed passwords %+v, want some counted", a)
		}
		if err := f.users.Unblock(f.Ctx, admin, graceID); err != nil {
			t.Fatal(err)
		}
		if a, _ := f.Store.GetLoginAttempts(f.Ctx, graceEmail); a.Failures != 0 {
			t.Errorf("failed passwords after unblock %+v, want none", a)
		}
		if u := f.byID(t, graceID); u.State() != auth.StatusActivated || u.UpdateDate.IsZero() {
			t.Errorf("after unblock %+v, want Activated", u)
		}
		if _, err := sessions.Authorize(f.Ctx, res.Token, appPlain); err != nil {
			t.Errorf("token after unblock: %v", err)
		}
		if !f.canLogIn(t, graceEmail, gracePass) {
			t.Error("login after unblock refused")
		}
		if !strings.Contains(f.Logs.String(), `"outcome":"user_blocked"`) {
			t.Error("no log line with outcome user_blocked")
		}
	})
	t.Run("deleted: token refused, second delete not found", func(t *testing.T) {
		f := newUsersFixture(t)
		res, err := f.login(graceEmail, gracePass, appPlain)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.users.DeleteByID(f.Ctx, admin, graceID); err != nil {
			t.Fatal(err)
		}
		f.noUser(t, graceEmail)
		if _, err := f.Store.GetUserByID(f.Ctx, graceID); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("copy by id after delete: %v, want ErrNotFound", err)
		}
		if _, err := f.Sessions().Authorize(f.Ctx, res.Token, appPlain); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("token of a deleted user: %v, want ErrInvalidToken", err)
		}
		if !strings.Contains(f.Logs.String(), `"reason":"user deleted"`) {
			t.Error("no log line with reason user deleted")
		}
		if err := f.users.DeleteByID(f.Ctx, admin, graceID); !errors.Is(err, auth.ErrUserNotFound) {
			t.Errorf("second delete: %v, want ErrUserNotFound", err)
		}
	})
	t.Run("the session takes the user's current admin flag, email and name", func(t *testing.T) {
		f := newUsersFixture(t)
		res, err := f.login(adaEmail, adaPassword, appPlain)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.users.Change(f.Ctx, admin, "patch", adaID, auth.UserPatch{Admin: ptr(false), Email: ptr("ada@example.org"), Name: ptr("Ada L")}); err != nil {
			t.Fatal(err)
		}
		sess, err := f.Sessions().Authorize(f.Ctx, res.Token, appPlain)
		if err != nil || sess.Admin || sess.Email != "ada@example.org" || sess.Name != "Ada L" {
			t.Errorf("session %+v, %v; want not admin, the new email and name", sess, err)
		}
		f.noUser(t, adaEmail)
		if u := f.stored(t, "ada@example.org"); u.ID != adaID || u.Admin {
			t.Errorf("moved user %+v", u)
		}
	})
	t.Run("email taken on change", func(t *testing.T) {
		f := newUsersFixture(t)
		f.unchangedBy(t, graceID, func() error {
			_, err := f.users.Change(f.Ctx, admin, "patch", graceID, auth.UserPatch{Email: ptr(adaEmail)})
			return err
		}, auth.ErrUserExists)
	})
}

// countHashes swaps the fixture's login service for one whose hasher counts verifications.
func (f *usersFixture) countHashes() *abuseCountingHasher {
	h := &abuseCountingHasher{inner: f.Hasher}
	d := f.Deps
	d.Hasher = h
	f.svc = auth.NewService(d)
	return h
}

func TestUserListFilters(t *testing.T) {
	f := newUsersFixture(t)
	if _, err := f.users.Change(f.Ctx, admin, "patch", graceID, auth.UserPatch{Status: ptr(auth.StatusBlocked)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		filter, orderby string
		want            []string
	}{
		{"status eq 'Blocked'", "", []string{graceEmail}},
		{"status ne 'Blocked'", "", []string{adaEmail}},
		{"admin eq true", "", []string{adaEmail}},
		{"appId eq '" + appMFA + "'", "email desc", []string{graceEmail, adaEmail}},
		{"appId eq '" + appOther + "'", "", nil},
		{"appId ne '" + appOther + "' and email eq 'ada@example.com'", "", []string{adaEmail}},
		{"email eq 'ada@example.com'''", "", nil},
		{`email eq 'a\d@example.com'`, "", nil},
		{"email eq 'ädä@example.com'", "", nil},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			raw := "$filter=" + tc.filter
			values := url.Values{"$filter": {tc.filter}}
			if tc.orderby != "" {
				raw += "&$orderby=" + tc.orderby
				values.Set("$orderby", tc.orderby)
			}
			q, err := odata.Parse(values, auth.UserSchema)
			if err != nil {
				t.Fatalf("%s: %v", raw, err)
			}
			page, err := f.users.ListPage(f.Ctx, admin, q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range page.Users {
				got = append(got, v.User.Email)
			}
			if !slices.Equal(got, tc.want) {
				b, _ := json.Marshal(got)
				t.Errorf("%s: %s, want %v", raw, b, tc.want)
			}
		})
	}
}
