package auth_test

// The users service on the real store over the embedded engine (newFixture's stack: applications
// appMFA, appPlain and appOther; users ada and grace). Where it matters, a change is also checked the
// way it is felt: by a login.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/password/strength"
	"mfagateway/shared/phone"
	"mfagateway/shared/testenv"
)

// admin is who acts in these tests; nobody is a non-admin session.
var (
	admin  = auth.Session{UserID: "u-operator", Admin: true}
	nobody = auth.Session{UserID: graceID}
)

// usersFixture is newFixture's stack with the users service over its store (or over a wrapper of it).
type usersFixture struct {
	*fixture
	users *auth.Users
}

func newUsersFixture(t *testing.T) *usersFixture {
	t.Helper()
	f := &usersFixture{fixture: newFixture(t)}
	f.users = f.Users()
	return f
}

// usersOver is the users service of Stack.Users over store, with mobile as the validator.
func (f *usersFixture) usersOver(store auth.UserStore, mobile func(string) (string, string, error)) *auth.Users {
	return auth.NewUsers(auth.UsersDeps{Store: store, Hasher: f.Hasher, Mobile: mobile, NewID: uuid.NewString, Log: f.Log,
		Passwords: auth.PasswordPolicy{Guessable: strength.Judge}})
}

func (f *usersFixture) stored(t *testing.T, email string) auth.User {
	t.Helper()
	u, err := f.Store.GetUser(f.Ctx, email)
	if err != nil {
		t.Fatalf("GetUser %s: %v", email, err)
	}
	slices.Sort(u.Applications)
	return u
}

func (f *usersFixture) noUser(t *testing.T, email string) {
	t.Helper()
	if u, err := f.Store.GetUser(f.Ctx, email); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("GetUser %s = %+v, %v; want no user", email, u, err)
	}
}

// sameStored compares users with applications as sets.
func sameStored(a, b auth.User) bool {
	a.Applications, b.Applications = slices.Sorted(slices.Values(a.Applications)), slices.Sorted(slices.Values(b.Applications))
	return a.ID == b.ID && a.Email == b.Email && a.Name == b.Name && a.PasswordHash == b.PasswordHash &&
		a.Mobile == b.Mobile && a.Admin == b.Admin && slices.Equal(a.Applications, b.Applications)
}

// canLogIn reports whether a password login to the plain application issues a token.
func (f *usersFixture) canLogIn(t *testing.T, email, pw string) bool {
	t.Helper()
	res, err := f.login(email, pw, appPlain)
	switch {
	case errors.Is(err, auth.ErrInvalidCredentials):
		return false
	case err != nil:
		t.Fatalf("login %s: %v", email, err)
	}
	return res.Token != ""
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s = %v, want %v", what, err, want)
	}
}

func wantMissing(t *testing.T, what string, err error, id string) {
	t.Helper()
	var missing *auth.MissingApplicationError
	if !errors.As(err, &missing) || missing.ID != id || !errors.Is(err, auth.ErrNotFound) || errors.Is(err, auth.ErrUserNotFound) {
		t.Errorf("%s = %v, want a MissingApplicationError for %s (an ErrNotFound, not an ErrUserNotFound)", what, err, id)
	}
}

func TestUsersCreate(t *testing.T) {
	f := newUsersFixture(t)
	in := auth.NewUser{Email: " New@Example.COM ", Name: " Nia ", Mobile: "+31 6 1234 5678", Admin: true,
		Applications: []string{appPlain, appMFA, appPlain}, Password: "  nia's password  "}

	checked, err := f.users.Check(f.Ctx, admin, in)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if checked.Email != "new@example.com" || checked.Name != "Nia" || checked.Mobile != "+31612345678" ||
		!slices.Equal(checked.Applications, []string{appPlain, appMFA}) {
		t.Errorf("Check normalised to %+v", checked)
	}
	f.noUser(t, "new@example.com") // Check writes nothing

	u, err := f.users.Create(f.Ctx, admin, in)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := uuid.Parse(u.ID); err != nil || u.PasswordHash != "" {
		t.Errorf("Create returned %+v: want a UUID and no password hash", u)
	}
	got := f.stored(t, "new@example.com")
	want := auth.User{ID: u.ID, Email: "new@example.com", Name: "Nia", PasswordHash: got.PasswordHash, Mobile: "+31612345678",
		Admin: true, Applications: []string{appMFA, appPlain}}
	if !sameStored(got, want) {
		t.Errorf("stored\n got %+v\nwant %+v", got, want)
	}
	if ok, err := f.Hasher.Verify(in.Password, got.PasswordHash); !ok || err != nil {
		t.Errorf("stored hash does not verify the password (spaces kept): %v, %v", ok, err)
	}
	if !f.canLogIn(t, "NEW@example.com", in.Password) {
		t.Error("the created user cannot log in")
	}
	if _, err := f.users.Create(f.Ctx, admin, auth.NewUser{Email: "bare@example.com", Name: "Bare", Password: strongPassword}); err != nil {
		t.Errorf("Create without mobile or applications: %v", err)
	}

	missing := uuid.NewString()
	valid := auth.NewUser{Email: "other@example.com", Name: "Other", Password: strongPassword}
	with := func(edit func(n *auth.NewUser)) auth.NewUser {
		n := valid
		edit(&n)
		return n
	}
	refusals := []struct {
		name      string
		who       auth.Session
		in        auth.NewUser
		want      error
		checkToo  bool // Check refuses it too (everything but the password)
		missingID string
	}{
		{"email taken", admin, with(func(n *auth.NewUser) { n.Email = "ADA@example.com" }), auth.ErrUserExists, true, ""},
		{"missing application", admin, with(func(n *auth.NewUser) { n.Applications = []string{appPlain, missing} }), auth.ErrNotFound, true, missing},
		{"not an email", admin, with(func(n *auth.NewUser) { n.Email = "other.example.com" }), auth.ErrInvalidEmail, true, ""},
		{"email with display name", admin, with(func(n *auth.NewUser) { n.Email = "Other <other@example.com>" }), auth.ErrInvalidEmail, true, ""},
		{"blank name", admin, with(func(n *auth.NewUser) { n.Name = " \t" }), auth.ErrNameRequired, true, ""},
		{"fixed-line mobile", admin, with(func(n *auth.NewUser) { n.Mobile = "+31201234567" }), auth.ErrInvalidMobile, true, ""},
		{"mobile without country code", admin, with(func(n *auth.NewUser) { n.Mobile = "0612345678" }), auth.ErrInvalidMobile, true, ""},
		{"blank password", admin, with(func(n *auth.NewUser) { n.Password = " \r\n" }), auth.ErrPasswordEmpty, false, ""},
		{"password too long", admin, with(func(n *auth.NewUser) { n.Password = strings.Repeat("x", auth.MaxPasswordBytes+1) }), auth.ErrPasswordTooLong, false, ""},
		{"not an admin", nobody, valid, auth.ErrForbidden, true, ""},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.users.Create(f.Ctx, tt.who, tt.in)
			wantErr(t, "Create", err, tt.want)
			_, cerr := f.users.Check(f.Ctx, tt.who, tt.in)
			if tt.checkToo {
				wantErr(t, "Check", cerr, tt.want)
			} else if cerr != nil {
				t.Errorf("Check = %v, want nil: it does not look at the password", cerr)
			}
			if tt.missingID != "" {
				wantMissing(t, "Create", err, tt.missingID)
				wantMissing(t, "Check", cerr, tt.missingID)
			}
			f.noUser(t, "other@example.com")
		})
	}
	if got := f.stored(t, adaEmail); got.Name != "Ada" || got.ID != adaID {
		t.Errorf("a refused create changed ada: %+v", got)
	}
}

func TestUsersChangeEmail(t *testing.T) {
	const newEmail = "ada@example.org"
	tests := []struct {
		name     string
		who      auth.Session
		from, to string
		want     error
	}{
		{"new email taken", admin, adaEmail, graceEmail, auth.ErrUserExists},
		{"same email", admin, adaEmail, " ADA@example.com", auth.ErrSameEmail},
		{"no such user", admin, "nobody@example.com", "somebody@example.com", auth.ErrUserNotFound},
		{"new email invalid", admin, adaEmail, "ada", auth.ErrInvalidEmail},
		{"not an admin", nobody, adaEmail, newEmail, auth.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newUsersFixture(t)
			before := f.stored(t, adaEmail)
			wantErr(t, "ChangeEmail", f.users.ChangeEmail(f.Ctx, tt.who, tt.from, tt.to), tt.want)
			if got := f.stored(t, adaEmail); !sameStored(got, before) {
				t.Errorf("a refused move changed ada: %+v", got)
			}
			f.noUser(t, newEmail)
		})
	}

	t.Run("moved", func(t *testing.T) {
		f := newUsersFixture(t)
		before := f.stored(t, adaEmail)
		if err := f.users.ChangeEmail(f.Ctx, admin, "Ada@Example.com", "ADA@example.ORG"); err != nil {
			t.Fatalf("ChangeEmail: %v", err)
		}
		f.noUser(t, adaEmail)
		moved := before
		moved.Email = newEmail
		if got := f.stored(t, newEmail); !sameStored(got, moved) {
			t.Errorf("moved user\n got %+v\nwant %+v", got, moved)
		}
		if f.canLogIn(t, adaEmail, adaPassword) || !f.canLogIn(t, newEmail, adaPassword) {
			t.Error("after the move the old email should not log in and the new one should")
		}
		// The old email is free at once; the new one is taken.
		if _, err := f.users.Create(f.Ctx, admin, auth.NewUser{Email: adaEmail, Name: "Another Ada", Password: strongPassword}); err != nil {
			t.Errorf("Create with the freed email: %v", err)
		}
		wantErr(t, "moving grace onto the new email", f.users.ChangeEmail(f.Ctx, admin, graceEmail, newEmail), auth.ErrUserExists)
	})
}

func TestUsersSetMobile(t *testing.T) {
	f := newUsersFixture(t)
	steps := []struct {
		name        string
		users       *auth.Users
		mobile      string
		changed     bool
		want        error
		storedAfter string
	}{
		{"validated and normalised", f.users, "+31 (0)6-87654321", true, nil, "+31687654321"},
		{"same number", f.users, "+31687654321", false, nil, "+31687654321"},
		{"fixed line", f.users, "+31201234567", false, auth.ErrInvalidMobile, "+31687654321"},
		{"cleared", f.users, "", true, nil, ""},
		{"cleared again", f.users, " ", false, nil, ""},
		// Without a validator only numbers already in E.164 pass.
		{"E.164 without a validator", f.usersOver(f.Store, nil), "+31612345678", true, nil, "+31612345678"},
		{"not E.164 without a validator", f.usersOver(f.Store, nil), "+31 6 12345678", false, auth.ErrInvalidMobile, "+31612345678"},
		{"no + without a validator", f.usersOver(f.Store, nil), "31612345678", false, auth.ErrInvalidMobile, "+31612345678"},
	}
	for _, s := range steps {
		changed, err := s.users.SetMobile(f.Ctx, admin, adaEmail, s.mobile)
		if s.want != nil {
			wantErr(t, s.name, err, s.want)
		} else if err != nil || changed != s.changed {
			t.Errorf("%s: SetMobile = %v, %v; want %v", s.name, changed, err, s.changed)
		}
		if got := f.stored(t, adaEmail); got.Mobile != s.storedAfter || got.Name != "Ada" || !got.Admin {
			t.Fatalf("%s: stored %+v, want mobile %q and the rest kept", s.name, got, s.storedAfter)
		}
	}
	_, err := f.users.SetMobile(f.Ctx, admin, "nobody@example.com", "+31612345678")
	wantErr(t, "SetMobile of nobody", err, auth.ErrUserNotFound)
	_, err = f.users.SetMobile(f.Ctx, nobody, adaEmail, "")
	wantErr(t, "SetMobile by a non-admin", err, auth.ErrForbidden)
}

func TestUsersSetAdmin(t *testing.T) {
	f := newUsersFixture(t)
	for _, s := range []struct {
		on, changed bool
	}{{false, true}, {false, false}, {true, true}, {true, false}} {
		changed, err := f.users.SetAdmin(f.Ctx, admin, adaEmail, s.on)
		if err != nil || changed != s.changed {
			t.Errorf("SetAdmin %v = %v, %v; want %v", s.on, changed, err, s.changed)
		}
		if got := f.stored(t, adaEmail); got.Admin != s.on || got.Mobile != adaMobile {
			t.Errorf("after SetAdmin %v: stored %+v", s.on, got)
		}
	}
	_, err := f.users.SetAdmin(f.Ctx, admin, "nobody@example.com", true)
	wantErr(t, "SetAdmin of nobody", err, auth.ErrUserNotFound)
	_, err = f.users.SetAdmin(f.Ctx, nobody, graceEmail, true)
	wantErr(t, "SetAdmin by a non-admin", err, auth.ErrForbidden)
	if f.stored(t, graceEmail).Admin {
		t.Error("a non-admin made grace an admin")
	}
}

func TestUsersApplications(t *testing.T) {
	f := newUsersFixture(t)
	missing := uuid.NewString()
	steps := []struct {
		name    string
		add     bool
		ids     []string
		changed bool
		want    error
		after   []string
	}{
		{"add one", true, []string{appOther}, true, nil, []string{appMFA, appPlain, appOther}},
		{"add a member's again", true, []string{appOther, appPlain}, false, nil, []string{appMFA, appPlain, appOther}},
		{"remove two", false, []string{appMFA, appOther}, true, nil, []string{appPlain}},
		{"remove a non-member", false, []string{appMFA}, false, nil, []string{appPlain}},
		{"add with a missing one", true, []string{appMFA, missing}, false, auth.ErrNotFound, []string{appPlain}},
		{"remove the last", false, []string{appPlain}, true, nil, nil},
		{"add to none", true, []string{appMFA, appOther}, true, nil, []string{appMFA, appOther}},
	}
	for _, s := range steps {
		var changed bool
		var err error
		if s.add {
			changed, err = f.users.AddApplications(f.Ctx, admin, graceEmail, s.ids...)
		} else {
			changed, err = f.users.RemoveApplications(f.Ctx, admin, graceEmail, s.ids...)
		}
		if s.want != nil {
			wantMissing(t, s.name, err, missing)
		} else if err != nil || changed != s.changed {
			t.Errorf("%s = %v, %v; want %v", s.name, changed, err, s.changed)
		}
		if got := f.stored(t, graceEmail).Applications; !slices.Equal(got, slices.Sorted(slices.Values(s.after))) {
			t.Fatalf("%s: applications %v, want %v", s.name, got, s.after)
		}
	}
	if f.canLogIn(t, graceEmail, gracePass) {
		t.Error("grace, removed from the plain application, still logs in to it")
	}

	// An application deleted behind the user's back can still be removed from it.
	u := f.stored(t, graceEmail)
	u.Applications = append(u.Applications, missing)
	if err := f.Store.PutUser(f.Ctx, u); err != nil {
		t.Fatalf("PutUser: %v", err)
	}
	if changed, err := f.users.RemoveApplications(f.Ctx, admin, graceEmail, missing); err != nil || !changed {
		t.Errorf("removing a dangling appId = %v, %v; want removed", changed, err)
	}
	_, err := f.users.AddApplications(f.Ctx, admin, "nobody@example.com", appMFA)
	wantErr(t, "AddApplications to nobody", err, auth.ErrUserNotFound)
	_, err = f.users.AddApplications(f.Ctx, nobody, graceEmail, appPlain)
	wantErr(t, "AddApplications by a non-admin", err, auth.ErrForbidden)
}

func TestUsersUnlock(t *testing.T) {
	f := newUsersFixture(t)
	// Failures from many networks pass the account's hourly limit: it backs off everywhere. An unlock
	// forgets the account's count (each network's own count keeps its short backoff).
	from := func(email, pw string, network int) error {
		_, err := f.svc.Login(f.Ctx, auth.LoginInput{Email: email, Password: pw, App: auth.AppRef{ID: appPlain},
			SourceIP: fmt.Sprintf("198.51.%d.7", network)})
		return err
	}
	for i := range f.svc.Policy.LoginAccountMaxFailures + 1 {
		if err := from(graceEmail, "wrong", i); err == nil {
			t.Fatal("login with a wrong password succeeded")
		}
	}
	var rate *auth.RateLimitError
	if err := from(graceEmail, gracePass, 200); !errors.As(err, &rate) {
		t.Fatalf("login from a new network after the failures = %v, want the account's lock", err)
	}

	tests := []struct {
		email   string
		cleared bool
	}{{"Grace@Example.com", true}, {graceEmail, false}, {"nobody@example.com", false}}
	for _, tt := range tests {
		if cleared, err := f.users.Unlock(f.Ctx, admin, tt.email); err != nil || cleared != tt.cleared {
			t.Errorf("Unlock %s = %v, %v; want %v", tt.email, cleared, err, tt.cleared)
		}
	}
	if err := from(graceEmail, gracePass, 200); err != nil {
		t.Errorf("grace cannot log in after the unlock: %v", err)
	}
	_, err := f.users.Unlock(f.Ctx, admin, "grace")
	wantErr(t, "Unlock of a bad email", err, auth.ErrInvalidEmail)
	_, err = f.users.Unlock(f.Ctx, nobody, graceEmail)
	wantErr(t, "Unlock by a non-admin", err, auth.ErrForbidden)
}

func TestUsersDelete(t *testing.T) {
	f := newUsersFixture(t)
	wantErr(t, "Delete by a non-admin", f.users.Delete(f.Ctx, nobody, graceEmail), auth.ErrForbidden)
	if err := f.users.Delete(f.Ctx, admin, "GRACE@example.com"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	f.noUser(t, graceEmail)
	if f.canLogIn(t, graceEmail, gracePass) {
		t.Error("a deleted user logs in")
	}
	wantErr(t, "Delete again", f.users.Delete(f.Ctx, admin, graceEmail), auth.ErrUserNotFound)
	if _, err := f.users.Create(f.Ctx, admin, auth.NewUser{Email: graceEmail, Name: "Grace 2", Password: strongPassword}); err != nil {
		t.Errorf("Create with a deleted user's email: %v", err)
	}
	if got := f.stored(t, adaEmail); got.ID != adaID {
		t.Errorf("bystander changed: %+v", got)
	}
}

func TestUsersShow(t *testing.T) {
	f := newUsersFixture(t)
	ghost := uuid.NewString()
	u := f.stored(t, adaEmail)
	u.Applications = append(u.Applications, ghost)
	if err := f.Store.PutUser(f.Ctx, u); err != nil { // only a raw write leaves a dangling appId
		t.Fatalf("PutUser: %v", err)
	}
	if _, err := f.login(adaEmail, "wrong", appPlain); !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Fatalf("wrong password: %v", err)
	}

	d, err := f.users.Show(f.Ctx, admin, "ADA@example.com")
	if err != nil {
		t.Fatalf("Show: %v", err)
	}
	if d.User.ID != adaID || d.User.Email != adaEmail || d.User.Mobile != adaMobile || !d.User.Admin || d.User.PasswordHash != "" {
		t.Errorf("Show user %+v: want ada without the hash", d.User)
	}
	ids := slices.Sorted(slices.Values([]string{appMFA, appPlain, ghost}))
	if len(d.Applications) != len(ids) {
		t.Fatalf("Show applications %+v, want %v", d.Applications, ids)
	}
	for i, m := range d.Applications {
		switch {
		case m.ID != ids[i]:
			t.Errorf("application %d is %s, want %s (ordered by appId)", i, m.ID, ids[i])
		case m.ID == ghost && m.App != nil:
			t.Errorf("a missing application shows as %+v", *m.App)
		case m.ID == appMFA && (m.App == nil || !m.App.MFA || m.App.URL != urlMFA):
			t.Errorf("appMFA shows as %+v", m.App)
		}
	}
	if d.Attempts.Failures != 1 {
		t.Errorf("Show attempts %+v, want 1 failure", d.Attempts)
	}
	if got, err := f.users.Get(f.Ctx, admin, adaEmail); err != nil || got.PasswordHash != "" || got.ID != adaID {
		t.Errorf("Get = %+v, %v; want ada without the hash", got, err)
	}
	_, err = f.users.Show(f.Ctx, admin, "nobody@example.com")
	wantErr(t, "Show of nobody", err, auth.ErrUserNotFound)
	_, err = f.users.Get(f.Ctx, nobody, adaEmail)
	wantErr(t, "Get by a non-admin", err, auth.ErrForbidden)
}

// interferingUsers is the store with another operator's change slipped in between the service's read
// and its write: before each of the first times writes, change runs on the real store.
type interferingUsers struct {
	auth.UserStore
	times  int32
	change func(ctx context.Context) error
	writes atomic.Int32
}

func (s *interferingUsers) interfere(ctx context.Context) error {
	if s.writes.Add(1) <= s.times {
		return s.change(ctx)
	}
	return nil
}

func (s *interferingUsers) UpdateUser(ctx context.Context, prev, next auth.User) error {
	if err := s.interfere(ctx); err != nil {
		return err
	}
	return s.UserStore.UpdateUser(ctx, prev, next)
}

func (s *interferingUsers) ChangeEmail(ctx context.Context, u auth.User, to string) error {
	if err := s.interfere(ctx); err != nil {
		return err
	}
	return s.UserStore.ChangeEmail(ctx, u, to)
}

func (s *interferingUsers) DeleteUser(ctx context.Context, u auth.User) error {
	if err := s.interfere(ctx); err != nil {
		return err
	}
	return s.UserStore.DeleteUser(ctx, u)
}

// A change that meets another one is retried on a fresh read, and both are kept.
func TestUsersConflictRetried(t *testing.T) {
	// renameAda is the other operator's change: a new name, read and written on its own.
	renameAda := func(f *usersFixture, n *atomic.Int32) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			prev, err := f.Store.GetUser(ctx, adaEmail)
			if err != nil {
				return err
			}
			next := prev
			next.Name = "Ada " + strings.Repeat("I", int(n.Add(1)))
			return f.Store.UpdateUser(ctx, prev, next)
		}
	}
	tests := []struct {
		name  string
		run   func(f *usersFixture, users *auth.Users) error
		check func(t *testing.T, f *usersFixture)
	}{
		{"SetAdmin", func(f *usersFixture, users *auth.Users) error {
			_, err := users.SetAdmin(f.Ctx, admin, adaEmail, false)
			return err
		}, func(t *testing.T, f *usersFixture) {
			if got := f.stored(t, adaEmail); got.Admin || got.Name != "Ada I" {
				t.Errorf("stored %+v, want admin off and the concurrent rename kept", got)
			}
		}},
		{"AddApplications", func(f *usersFixture, users *auth.Users) error {
			_, err := users.AddApplications(f.Ctx, admin, adaEmail, appOther)
			return err
		}, func(t *testing.T, f *usersFixture) {
			if got := f.stored(t, adaEmail); !slices.Contains(got.Applications, appOther) || got.Name != "Ada I" {
				t.Errorf("stored %+v, want appOther added and the concurrent rename kept", got)
			}
		}},
		{"ChangeEmail", func(f *usersFixture, users *auth.Users) error {
			return users.ChangeEmail(f.Ctx, admin, adaEmail, "ada@example.org")
		}, func(t *testing.T, f *usersFixture) {
			f.noUser(t, adaEmail)
			if got := f.stored(t, "ada@example.org"); got.Name != "Ada I" {
				t.Errorf("moved %+v, want the concurrent rename kept", got)
			}
		}},
		{"Delete", func(f *usersFixture, users *auth.Users) error {
			return users.Delete(f.Ctx, admin, adaEmail)
		}, func(t *testing.T, f *usersFixture) { f.noUser(t, adaEmail) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newUsersFixture(t)
			var renames atomic.Int32
			store := &interferingUsers{UserStore: f.Store, times: 1, change: renameAda(f, &renames)}
			if err := tt.run(f, f.usersOver(store, phone.Parse)); err != nil {
				t.Fatalf("%s with one concurrent change: %v", tt.name, err)
			}
			if got := store.writes.Load(); got != 2 {
				t.Errorf("%d writes, want 2: the conflict, then the retry", got)
			}
			tt.check(t, f)
		})
	}

	t.Run("gives up", func(t *testing.T) {
		f := newUsersFixture(t)
		var renames atomic.Int32
		store := &interferingUsers{UserStore: f.Store, times: 1000, change: renameAda(f, &renames)}
		_, err := f.usersOver(store, phone.Parse).SetAdmin(f.Ctx, admin, adaEmail, false)
		wantErr(t, "SetAdmin under endless changes", err, auth.ErrConflict)
		if got := store.writes.Load(); got != 4 {
			t.Errorf("%d writes, want 4 before giving up", got)
		}
		if got := f.stored(t, adaEmail); !got.Admin {
			t.Error("a change that gave up was written")
		}
	})
}

// Every decision is one log line, with emails masked and no password or hash.
func TestUsersLog(t *testing.T) {
	f := newUsersFixture(t)
	const secret = "a-secret-password"
	u, err := f.users.Create(f.Ctx, admin, auth.NewUser{Email: "logged@example.com", Name: "Lo", Password: secret})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	_, _ = f.users.Create(f.Ctx, admin, auth.NewUser{Email: "logged@example.com", Name: "Lo", Password: secret})
	_, _ = f.users.SetAdmin(f.Ctx, admin, "logged@example.com", false)
	_, _ = f.users.SetAdmin(f.Ctx, nobody, "logged@example.com", true)

	out := f.Logs.String()
	hash := f.stored(t, "logged@example.com").PasswordHash
	for _, leak := range []string{"logged@example.com", secret, hash} {
		if strings.Contains(out, leak) {
			t.Errorf("log holds %q:\n%s", leak, out)
		}
	}
	var outcomes []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["event"] != "users" || rec["email"] != "l***@example.com" {
			t.Errorf("log line %v: want event users and the masked email", rec)
		}
		outcomes = append(outcomes, rec["action"].(string)+" "+rec["outcome"].(string))
		if rec["outcome"] == "created" && rec["userId"] != u.ID {
			t.Errorf("created line %v: want userId %s", rec, u.ID)
		}
	}
	want := []string{"create created", "create user_exists", "set-admin unchanged", "set-admin forbidden"}
	if !slices.Equal(outcomes, want) {
		t.Errorf("log outcomes %v, want %v", outcomes, want)
	}
}

// The functions link this package; the numbering plan tables stay out of them, the login function's
// above all.
func TestUsersLinkNoNumberingPlan(t *testing.T) {
	for _, pkg := range []string{"mfagateway/shared/auth", "mfagateway/functions/login"} {
		for _, dep := range linked(t, pkg) {
			if strings.Contains(dep, "phonenumbers") || dep == "mfagateway/shared/phone" {
				t.Errorf("%s links %s", pkg, dep)
			}
		}
	}
}

// linked is every package pkg links, as go list names them.
func linked(t *testing.T, pkg string) []string {
	t.Helper()
	goBin := testenv.RequireTool(t, "go", "lists what the functions link")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goBin, "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}
