package auth_test

// The account lifecycle service over the real store, with stores that take time or change the user
// between a read and a write: the forgotPassword answer's time, the failures it keeps to itself, and
// the password writes that meet a concurrent change.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/auth"
)

// slowLogins is the login store whose LoadLogin moves the clock, as a read that takes time.
type slowLogins struct {
	auth.Store
	advance func(time.Duration)
	read    time.Duration
	fail    error // LoadLogin's error instead of the read, when set
}

func (s slowLogins) LoadLogin(ctx context.Context, email string, app auth.AppRef) (auth.LoginRecord, error) {
	s.advance(s.read)
	if s.fail != nil {
		return auth.LoginRecord{}, s.fail
	}
	return s.Store.LoadLogin(ctx, email, app)
}

// accountsHook is the account store with a hook before each SetTicket and SetPassword: it may move the
// clock, or change the stored user behind the service's back.
type accountsHook struct {
	auth.AccountStore
	beforeTicket   func()
	beforePassword func(prev auth.User)
}

func (s accountsHook) SetTicket(ctx context.Context, prev, next auth.User, slot auth.SendSlot) error {
	if s.beforeTicket != nil {
		s.beforeTicket()
	}
	return s.AccountStore.SetTicket(ctx, prev, next, slot)
}

func (s accountsHook) SetPassword(ctx context.Context, prev, next auth.User, spare string) error {
	if s.beforePassword != nil {
		s.beforePassword(prev)
	}
	return s.AccountStore.SetPassword(ctx, prev, next, spare)
}

// accountsOver is the account lifecycle of the fixture over logins and accounts, its waits recorded
// into slept (and moving the clock).
func (f *fixture) accountsOver(logins auth.Store, accounts auth.AccountStore, slept *[]time.Duration) *auth.Accounts {
	d := f.Deps
	d.Store = logins
	return auth.NewAccounts(f.Users(), auth.NewService(d), accounts, f.Notifier(), auth.Links{}).
		WithSleep(func(_ context.Context, wait time.Duration) {
			*slept = append(*slept, wait)
			if wait > 0 {
				f.Clock.Advance(wait)
			}
		})
}

func TestForgotPasswordTakesItsTime(t *testing.T) {
	limit := auth.DefaultPolicy.ForgotPasswordTime
	for _, tc := range []struct {
		name        string
		email, app  string
		read, write time.Duration
		wantWait    time.Duration
		sent        bool
	}{
		{"known email", graceEmail, appPlain, 300 * time.Millisecond, 200 * time.Millisecond, limit - 500*time.Millisecond, true},
		{"unknown email", "nobody@example.com", appPlain, 300 * time.Millisecond, 200 * time.Millisecond, limit - 300*time.Millisecond, false},
		{"not a member", graceEmail, appOther, 300 * time.Millisecond, 0, limit - 300*time.Millisecond, false},
		// A read that leaves no time for the work: nothing is sent, and the answer takes the time
		// an unknown email's does.
		{"no time left for the work", graceEmail, appPlain, limit, 100 * time.Millisecond, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			var slept []time.Duration
			logins := slowLogins{Store: f.Store, advance: f.Clock.Advance, read: tc.read}
			accounts := accountsHook{AccountStore: f.Store, beforeTicket: func() { f.Clock.Advance(tc.write) }}
			acc := f.accountsOver(logins, accounts, &slept)
			start := f.Clock.Now()
			if err := acc.ForgotPassword(f.Ctx, tc.email, auth.AppRef{ID: tc.app}); err != nil {
				t.Fatalf("ForgotPassword: %v", err)
			}
			if len(slept) != 1 || slept[0] != tc.wantWait {
				t.Errorf("waits %v, want one of %v", slept, tc.wantWait)
			}
			write := tc.write
			if !tc.sent {
				write = 0 // no ticket is written
			}
			if got, want := f.Clock.Now().Sub(start), max(limit, tc.read+write); got != want {
				t.Errorf("the answer took %v, want %v", got, want)
			}
			if sent := len(f.Outbox.Entries()) == 1; sent != tc.sent {
				t.Errorf("outbox %+v, want a reset email: %v", f.Outbox.Entries(), tc.sent)
			}
		})
	}
}

// TestForgotPasswordKeepsFailuresToItself: what goes wrong after the read (the email, the hourly cap)
// is logged and answered as success, after the same time; a read that fails is an error.
func TestForgotPasswordKeepsFailuresToItself(t *testing.T) {
	t.Run("the email cannot be sent", func(t *testing.T) {
		f := newFixture(t)
		f.Deps.Email = refusingSender{}
		var slept []time.Duration
		acc := f.accountsOver(f.Store, f.Store, &slept)
		if err := acc.ForgotPassword(f.Ctx, graceEmail, auth.AppRef{URL: urlPlain}); err != nil {
			t.Fatalf("ForgotPassword: %v, want the same answer as for any email", err)
		}
		if len(slept) != 1 || slept[0] != auth.DefaultPolicy.ForgotPasswordTime {
			t.Errorf("waits %v", slept)
		}
		if logs := f.Logs.String(); !strings.Contains(logs, `"msg":"ticket not sent"`) || !strings.Contains(logs, `"outcome":"delivery_failed"`) {
			t.Errorf("the failed send is not logged: %s", logs)
		}
	})

	t.Run("past the hourly cap", func(t *testing.T) {
		f := newFixture(t)
		var slept []time.Duration
		acc := f.accountsOver(f.Store, f.Store, &slept)
		for range auth.DefaultPolicy.SendsPerHour + 3 {
			if err := acc.ForgotPassword(f.Ctx, graceEmail, auth.AppRef{ID: appPlain}); err != nil {
				t.Fatalf("ForgotPassword: %v", err)
			}
		}
		if n := len(f.Outbox.Entries()); n != auth.DefaultPolicy.SendsPerHour {
			t.Errorf("%d emails, want the cap %d", n, auth.DefaultPolicy.SendsPerHour)
		}
		if n := strings.Count(f.Logs.String(), `"outcome":"send_limit"`); n != 3 {
			t.Errorf("%d refusals logged, want 3", n)
		}
	})

	t.Run("the read fails", func(t *testing.T) {
		f := newFixture(t)
		var slept []time.Duration
		broken := errors.New("the table is gone")
		acc := f.accountsOver(slowLogins{Store: f.Store, advance: f.Clock.Advance, fail: broken}, f.Store, &slept)
		if err := acc.ForgotPassword(f.Ctx, "nobody@example.com", auth.AppRef{ID: appPlain}); !errors.Is(err, broken) {
			t.Errorf("ForgotPassword: %v, want the read's error", err)
		}
		if len(slept) != 1 || slept[0] != auth.DefaultPolicy.ForgotPasswordTime {
			t.Errorf("waits %v: a failed read must take the same time too", slept)
		}
	})
}

// resetTicket is a reset ticket the fixture emailed to email for the application, from its link.
func (f *fixture) resetTicket(t *testing.T, acc *auth.Accounts, email, appID string) string {
	t.Helper()
	if err := acc.ForgotPassword(f.Ctx, email, auth.AppRef{ID: appID}); err != nil {
		t.Fatal(err)
	}
	entries := f.Outbox.Entries()
	_, ticket, ok := strings.Cut(entries[len(entries)-1].Body, "?ticket=")
	if !ok {
		t.Fatalf("no ticket in %q", entries[len(entries)-1].Body)
	}
	return ticket[:auth.TicketLen]
}

// rename is a change of the user's name written behind the service's back.
func (f *fixture) rename(t *testing.T, prev auth.User, name string) {
	t.Helper()
	next := prev
	next.Name = name
	if err := f.Store.UpdateUser(f.Ctx, prev, next); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
}

// renamingOnce is the fixture's account store renaming the user before the first password write;
// calls counts the password writes.
func (f *fixture) renamingOnce(t *testing.T, calls *int) accountsHook {
	return accountsHook{AccountStore: f.Store, beforePassword: func(prev auth.User) {
		if *calls++; *calls == 1 {
			f.rename(t, prev, "Grace Hopper")
		}
	}}
}

func TestChangePasswordAfterAConcurrentChange(t *testing.T) {
	f := newFixture(t)
	var slept []time.Duration
	calls := 0
	acc := f.accountsOver(f.Store, f.renamingOnce(t, &calls), &slept)
	ticket := f.resetTicket(t, acc, graceEmail, appPlain)
	set, err := acc.ChangePassword(f.Ctx, ticket, "copper-lantern-meadow-42", "")
	if err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	if calls != 2 {
		t.Errorf("%d password writes, want the one that met the change and its retry", calls)
	}
	u, err := f.Store.GetUser(f.Ctx, graceEmail)
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "Grace Hopper" || u.Epoch != 1 || u.Ticket != (auth.UserTicket{}) || set.Login.Name != "Grace Hopper" {
		t.Errorf("stored %+v, answered %q; want the concurrent name kept, epoch 1, no ticket", u, set.Login.Name)
	}
	if ok, _ := f.Hasher.Verify("copper-lantern-meadow-42", u.PasswordHash); !ok {
		t.Error("the password was not set")
	}
}

func TestUpdatePasswordAfterAConcurrentChange(t *testing.T) {
	session := func(t *testing.T, f *fixture) auth.Session {
		t.Helper()
		res, err := f.login(graceEmail, gracePass, appPlain)
		if err != nil {
			t.Fatal(err)
		}
		who, err := f.Sessions().Authorize(f.Ctx, res.Token, appPlain)
		if err != nil {
			t.Fatal(err)
		}
		return who
	}

	t.Run("another property changed: retried", func(t *testing.T) {
		f := newFixture(t)
		var slept []time.Duration
		calls := 0
		acc := f.accountsOver(f.Store, f.renamingOnce(t, &calls), &slept)
		who := session(t, f)
		if err := acc.UpdatePassword(f.Ctx, who, gracePass, "copper-lantern-meadow-42", ""); err != nil {
			t.Fatalf("UpdatePassword: %v", err)
		}
		u, _ := f.Store.GetUser(f.Ctx, graceEmail)
		if ok, _ := f.Hasher.Verify("copper-lantern-meadow-42", u.PasswordHash); !ok || u.Name != "Grace Hopper" || calls != 2 {
			t.Errorf("stored %+v after %d writes; want the new password and the concurrent name", u, calls)
		}
	})

	t.Run("the password changed: the old one is no longer the user's", func(t *testing.T) {
		f := newFixture(t)
		var slept []time.Duration
		meanwhile := ""
		hook := accountsHook{AccountStore: f.Store, beforePassword: func(prev auth.User) {
			if meanwhile != "" {
				return
			}
			next := prev
			phc, err := f.Hasher.Hash("violet-harbor-tundra-77")
			if err != nil {
				t.Fatal(err)
			}
			next.PasswordHash, meanwhile = phc, phc
			if err := f.Store.UpdateUser(f.Ctx, prev, next); err != nil {
				t.Fatal(err)
			}
		}}
		acc := f.accountsOver(f.Store, hook, &slept)
		who := session(t, f)
		if err := acc.UpdatePassword(f.Ctx, who, gracePass, "copper-lantern-meadow-42", ""); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("UpdatePassword: %v, want ErrInvalidCredentials", err)
		}
		if u, _ := f.Store.GetUser(f.Ctx, graceEmail); u.PasswordHash != meanwhile {
			t.Error("the change overwrote the password set meanwhile")
		}
	})
}

// TestTicketLinks: a ticket's link follows INVITE_URL and PASSWORD_RESET_URL, or the defaults built
// on the application's url; a template that needs a url the application lacks stores and sends nothing.
func TestTicketLinks(t *testing.T) {
	bare := auth.Application{ID: "44444444-4444-4444-8444-444444444444", Name: "Bare"}
	for _, tc := range []struct {
		name   string
		links  auth.Links
		appID  string
		prefix string // of the link; "" for none sent
	}{
		{"default, the application's url", auth.Links{}, appPlain, "https://" + urlPlain + "/reset-password?ticket="},
		{"set, with the url", auth.Links{Reset: "https://{url}/account/reset?t={ticket}"}, appPlain, "https://" + urlPlain + "/account/reset?t="},
		{"set, without the url", auth.Links{Reset: "http://127.0.0.1:3000/reset-password?ticket={ticket}"}, bare.ID, "http://127.0.0.1:3000/reset-password?ticket="},
		{"the invitation's template is not the reset's", auth.Links{Invite: "https://login.example.com/{ticket}"}, bare.ID, ""},
		{"default, an application without a url", auth.Links{}, bare.ID, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if err := f.Store.CreateApplication(f.Ctx, bare); err != nil {
				t.Fatal(err)
			}
			if _, err := f.Users().AddApplications(f.Ctx, admin, graceEmail, bare.ID); err != nil {
				t.Fatal(err)
			}
			acc := auth.NewAccounts(f.Users(), f.svc, f.Store, f.Notifier(), tc.links).WithSleep(func(context.Context, time.Duration) {})
			// The ticket is for the application of the admin's session, of which grace is a member.
			err := acc.ResetPassword(f.Ctx, auth.Session{UserID: adaID, Admin: true, AppID: tc.appID}, graceID, "")
			entries := f.Outbox.Entries()
			u, _ := f.Store.GetUser(f.Ctx, graceEmail)
			if tc.prefix == "" {
				var prop *auth.PropertyError
				if !errors.As(err, &prop) || prop.Property != "url" {
					t.Errorf("ResetPassword: %v, want a PropertyError for the url", err)
				}
				if len(entries) != 0 || u.Ticket != (auth.UserTicket{}) || len(f.Items(t, "SENDS#")) != 0 {
					t.Errorf("outbox %+v, ticket %+v: a link to no host was stored, counted or sent", entries, u.Ticket)
				}
				return
			}
			if err != nil {
				t.Fatalf("ResetPassword: %v", err)
			}
			if len(entries) != 1 || !strings.Contains(entries[0].Body, tc.prefix) {
				t.Fatalf("outbox %+v, want a link starting %s", entries, tc.prefix)
			}
			_, rest, _ := strings.Cut(entries[0].Body, tc.prefix)
			if ticket := rest[:auth.TicketLen]; auth.TokenID(ticket) != u.Ticket.Hash {
				t.Errorf("the link's ticket is not the stored one")
			}
		})
	}
}
