package auth_test

// A user's own profile (Users.ChangeMe, Users.ConfirmMobile) on the real store over the embedded
// engine: a new mobile number waits for the code texted to it and is not used by a login until it is
// confirmed; the confirmation counts its attempts, and the hourly send cap and the resend cooldown
// hold. Also the notices an admin's change sends.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/mask"
	"mfagateway/shared/notify"
	"mfagateway/shared/phone"
	"mfagateway/shared/testenv"
)

// The fixture users' own sessions, by a token of an application each is a member of.
var (
	adaSelf   = auth.Session{UserID: adaID, Email: adaEmail, AppID: appMFA, Admin: true}
	graceSelf = auth.Session{UserID: graceID, Email: graceEmail, AppID: appPlain}
)

// newMobile is the number the tests move ada to; otherMobile another one.
const (
	newMobile   = "+31687654321"
	otherMobile = "+31611122233"
)

func newSelfFixture(t *testing.T, opts ...testenv.Option) *usersFixture {
	t.Helper()
	f := &usersFixture{fixture: newFixture(t, opts...)}
	f.users = f.Users()
	return f
}

// askMobile has who ask for the number raw and returns the code texted to it.
func (f *usersFixture) askMobile(t *testing.T, who auth.Session, raw, want string) string {
	t.Helper()
	before := len(f.Outbox.Entries())
	if _, err := f.users.ChangeMe(f.Ctx, who, auth.UserPatch{Mobile: ptr(raw)}); err != nil {
		t.Fatalf("ChangeMe mobile %s: %v", raw, err)
	}
	sent := f.Outbox.Entries()[before:]
	if len(sent) != 1 || sent[0].Channel != "SMS" || sent[0].To != want {
		t.Fatalf("sent %+v, want one SMS to %s", sent, want)
	}
	return testenv.CodeIn(t, sent[0].Body)
}

// newest is the newest outbox message, which must be on channel.
func (f *usersFixture) newest(t *testing.T, channel string) notify.Entry {
	t.Helper()
	entries := f.Outbox.Entries()
	if len(entries) == 0 || entries[len(entries)-1].Channel != channel {
		t.Fatalf("outbox %+v, want a newest %s", entries, channel)
	}
	return entries[len(entries)-1]
}

// loginTexts logs ada in to the MFA application and returns the number her code went to.
func (f *usersFixture) loginTexts(t *testing.T) string {
	t.Helper()
	res, err := f.login(adaEmail, adaPassword, appMFA)
	if err != nil || res.MFA == nil {
		t.Fatalf("login = %+v, %v; want a challenge", res, err)
	}
	return f.newest(t, "SMS").To
}

func TestChangeMePendsANewNumber(t *testing.T) {
	f := newSelfFixture(t)
	code := f.askMobile(t, adaSelf, "+31 6 8765 4321", newMobile)

	u := f.byID(t, adaID)
	p := u.PendingMobile
	if u.Mobile != adaMobile || p.Number != newMobile || p.Country != "NL" || p.Attempts != 0 ||
		!p.SentAt.Equal(t0) || !p.CodeExpiresAt.Equal(t0.Add(auth.DefaultPolicy.CodeTTL)) || p.CodeHash == "" {
		t.Errorf("stored %+v (mobile %s), want %s pending since %v, ada's number unchanged", p, u.Mobile, newMobile, t0)
	}
	if byEmail := f.stored(t, adaEmail).PendingMobile; byEmail.Number != p.Number || byEmail.CodeHash != p.CodeHash {
		t.Errorf("the item by email has %+v pending, the item by id %+v", byEmail, p)
	}
	for _, item := range f.Items(t, "") {
		var m map[string]any
		if err := attributevalue.UnmarshalMap(item, &m); err != nil {
			t.Fatal(err)
		}
		for name, v := range m {
			if v == code {
				t.Errorf("%v holds the code in plain, as %s", m["pk"], name)
			}
		}
	}
	if to := f.loginTexts(t); to != adaMobile {
		t.Errorf("a login texted %s while %s waits for its code, want the number ada has: %s", to, newMobile, adaMobile)
	}
}

func TestConfirmMobile(t *testing.T) {
	max := auth.DefaultPolicy.MaxAttempts
	t.Run("right code", func(t *testing.T) {
		f := newSelfFixture(t)
		code := f.askMobile(t, adaSelf, newMobile, newMobile)
		if err := f.users.ConfirmMobile(f.Ctx, adaSelf, code); err != nil {
			t.Fatalf("ConfirmMobile: %v", err)
		}
		u := f.byID(t, adaID)
		if u.Mobile != newMobile || u.MobileCountry != "NL" || u.PendingMobile != (auth.PendingMobile{}) {
			t.Errorf("stored mobile %s (%s), pending %+v; want %s confirmed, nothing pending", u.Mobile, u.MobileCountry, u.PendingMobile, newMobile)
		}
		notice := f.newest(t, "Email")
		if notice.To != adaEmail || !strings.Contains(notice.Body, mask.Phone(newMobile)) || strings.Contains(notice.Body, newMobile) {
			t.Errorf("notice to %s:\n%s\nwant one to %s naming %s masked", notice.To, notice.Body, adaEmail, newMobile)
		}
		if to := f.loginTexts(t); to != newMobile {
			t.Errorf("a login texted %s, want the confirmed %s", to, newMobile)
		}
		wantErr(t, "ConfirmMobile again", f.users.ConfirmMobile(f.Ctx, adaSelf, code), auth.ErrNoPendingMobile)
	})

	t.Run("wrong codes, then the number is dropped", func(t *testing.T) {
		f := newSelfFixture(t)
		code := f.askMobile(t, adaSelf, newMobile, newMobile)
		for i := 1; i <= max; i++ {
			wantCodeError(t, f.users.ConfirmMobile(f.Ctx, adaSelf, otherCode(code)), max-i)
			if got := f.byID(t, adaID).PendingMobile.Attempts; got != i {
				t.Fatalf("after %d wrong codes %d attempts are stored", i, got)
			}
		}
		err := f.users.ConfirmMobile(f.Ctx, adaSelf, code) // right, but too late
		if !errors.Is(err, auth.ErrPendingMobileDropped) || !errors.Is(err, auth.ErrTooManyAttempts) {
			t.Fatalf("try after %d wrong codes = %v, want ErrPendingMobileDropped", max, err)
		}
		if u := f.byID(t, adaID); u.Mobile != adaMobile || u.PendingMobile.Number != "" {
			t.Errorf("stored mobile %s, pending %+v; want ada's number kept and nothing pending", u.Mobile, u.PendingMobile)
		}
		wantErr(t, "ConfirmMobile after the drop", f.users.ConfirmMobile(f.Ctx, adaSelf, code), auth.ErrNoPendingMobile)
	})

	t.Run("expired", func(t *testing.T) {
		f := newSelfFixture(t)
		code := f.askMobile(t, adaSelf, newMobile, newMobile)
		f.Clock.Advance(auth.DefaultPolicy.CodeTTL)
		wantErr(t, "ConfirmMobile after the code's life", f.users.ConfirmMobile(f.Ctx, adaSelf, code), auth.ErrCodeExpired)
		if u := f.byID(t, adaID); u.Mobile != adaMobile || u.PendingMobile.Attempts != 0 {
			t.Errorf("stored mobile %s, %d attempts; want ada's number and no attempt used", u.Mobile, u.PendingMobile.Attempts)
		}
	})

	t.Run("nothing pending", func(t *testing.T) {
		f := newSelfFixture(t)
		wantErr(t, "ConfirmMobile", f.users.ConfirmMobile(f.Ctx, graceSelf, "123456"), auth.ErrNoPendingMobile)
	})

	t.Run("malformed codes use no attempt", func(t *testing.T) {
		f := newSelfFixture(t)
		f.askMobile(t, adaSelf, newMobile, newMobile)
		for _, code := range []string{"", "12345", "1234567", "12345a", "１２３４５６"} {
			var prop *auth.PropertyError
			if err := f.users.ConfirmMobile(f.Ctx, adaSelf, code); !errors.As(err, &prop) || prop.Property != "bindingCode" {
				t.Errorf("ConfirmMobile(%q) = %v, want a PropertyError on bindingCode", code, err)
			}
		}
		if n := f.byID(t, adaID).PendingMobile.Attempts; n != 0 {
			t.Errorf("%d attempts used by malformed codes", n)
		}
	})

	t.Run("an application has no profile", func(t *testing.T) {
		f := newSelfFixture(t)
		wantErr(t, "ConfirmMobile by a client", f.users.ConfirmMobile(f.Ctx, clientOf(appPlain), "123456"), auth.ErrForbidden)
		_, err := f.users.ChangeMe(f.Ctx, clientOf(appPlain), auth.UserPatch{Name: ptr("App")})
		wantErr(t, "ChangeMe by a client", err, auth.ErrForbidden)
	})

	t.Run("two confirmations at once", func(t *testing.T) {
		f := newSelfFixture(t, cryptoRandom())
		for round, number := range []string{newMobile, otherMobile, adaMobile, newMobile} {
			code := f.askMobile(t, adaSelf, number, number)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Go(func() { errs[i] = f.users.ConfirmMobile(f.Ctx, adaSelf, code) })
			}
			wg.Wait()
			ok, none := 0, 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.Is(err, auth.ErrNoPendingMobile):
					none++
				default:
					t.Errorf("round %d: ConfirmMobile = %v", round, err)
				}
			}
			if ok != 1 || none != 1 {
				t.Errorf("round %d: %d confirmed, %d found nothing pending; want one each (%v)", round, ok, none, errs)
			}
			if u := f.byID(t, adaID); u.Mobile != number || u.PendingMobile.Number != "" {
				t.Errorf("round %d: stored %s, pending %q; want %s confirmed", round, u.Mobile, u.PendingMobile.Number, number)
			}
		}
	})
}

func TestChangeMeLimits(t *testing.T) {
	t.Run("cooldown for the same number", func(t *testing.T) {
		f := newSelfFixture(t)
		first := f.askMobile(t, adaSelf, newMobile, newMobile)
		cooldown := auth.DefaultPolicy.ResendCooldown
		f.Clock.Advance(10 * time.Second)
		_, err := f.users.ChangeMe(f.Ctx, adaSelf, auth.UserPatch{Mobile: ptr(newMobile)})
		wantRateLimit(t, err, cooldown-10*time.Second)
		f.Clock.Advance(cooldown - 10*time.Second)
		second := f.askMobile(t, adaSelf, newMobile, newMobile)
		if first != second {
			wantCodeError(t, f.users.ConfirmMobile(f.Ctx, adaSelf, first), auth.DefaultPolicy.MaxAttempts-1)
		}
		if err := f.users.ConfirmMobile(f.Ctx, adaSelf, second); err != nil {
			t.Fatalf("ConfirmMobile with the newer code: %v", err)
		}
	})

	t.Run("another number sends at once", func(t *testing.T) {
		f := newSelfFixture(t)
		f.askMobile(t, adaSelf, newMobile, newMobile)
		code := f.askMobile(t, adaSelf, otherMobile, otherMobile)
		if err := f.users.ConfirmMobile(f.Ctx, adaSelf, code); err != nil {
			t.Fatalf("ConfirmMobile: %v", err)
		}
		if got := f.byID(t, adaID).Mobile; got != otherMobile {
			t.Errorf("confirmed %s, want the newest number asked for, %s", got, otherMobile)
		}
	})

	t.Run("hourly send cap, shared with login codes", func(t *testing.T) {
		f := newSelfFixture(t, testenv.WithPolicy(func(p *auth.Policy) { p.SendsPerHour = 3 }))
		f.loginTexts(t) // one send
		f.askMobile(t, adaSelf, newMobile, newMobile)
		f.Clock.Advance(time.Minute)
		f.askMobile(t, adaSelf, otherMobile, otherMobile)
		before := f.byID(t, adaID)
		sent := len(f.Outbox.Entries())
		_, err := f.users.ChangeMe(f.Ctx, adaSelf, auth.UserPatch{Mobile: ptr(newMobile), Name: ptr("Ada L.")})
		wantRateLimit(t, err, time.Hour-time.Minute)
		if after := f.byID(t, adaID); after.PendingMobile != before.PendingMobile || after.Name != before.Name {
			t.Errorf("a refused change wrote %+v over %+v", after, before)
		}
		if n := len(f.Outbox.Entries()); n != sent {
			t.Errorf("%d messages sent past the cap", n-sent)
		}
		if got := f.sendCount(t, adaID); got != "3" {
			t.Errorf("send count %s, want 3", got)
		}
	})
}

func TestChangeMeProfile(t *testing.T) {
	t.Run("name and cultureInfo at once", func(t *testing.T) {
		f := newSelfFixture(t)
		f.Clock.Advance(time.Minute)
		v, err := f.users.ChangeMe(f.Ctx, graceSelf, auth.UserPatch{Name: ptr(" Grace H. "), CultureInfo: ptr("nl_nl")})
		if err != nil {
			t.Fatalf("ChangeMe: %v", err)
		}
		u := f.byID(t, graceID)
		if u.Name != "Grace H." || u.CultureInfo != "nl-NL" || !u.UpdateDate.Equal(t0.Add(time.Minute)) || v.User.Name != u.Name {
			t.Errorf("stored %+v, answered %+v", u, v.User)
		}
		if n := len(f.Outbox.Entries()); n != 0 {
			t.Errorf("%d messages sent for a name", n)
		}
	})

	t.Run("what a user may not change, given as stored", func(t *testing.T) {
		f := newSelfFixture(t)
		u := f.byID(t, adaID)
		st := u.State()
		_, err := f.users.ChangeMe(f.Ctx, adaSelf, auth.UserPatch{Email: ptr("ADA@example.com"), Status: &st, Admin: ptr(true),
			Applications: &[]string{appPlain, appMFA}, Mobile: ptr(adaMobile), Name: ptr(u.Name)})
		if err != nil {
			t.Fatalf("ChangeMe with the stored values: %v", err)
		}
		if after := f.byID(t, adaID); !after.UpdateDate.Equal(u.UpdateDate) || after.PendingMobile.Number != "" {
			t.Errorf("a change to nothing wrote %+v", after)
		}
	})

	t.Run("what a user may not change", func(t *testing.T) {
		blocked := auth.StatusBlocked
		for name, p := range map[string]auth.UserPatch{
			"email":        {Email: ptr("grace.h@example.com")},
			"status":       {Status: &blocked},
			"admin":        {Admin: ptr(true)},
			"applications": {Applications: &[]string{appPlain}},
			"with a name":  {Name: ptr("Grace H."), Admin: ptr(true)},
		} {
			t.Run(name, func(t *testing.T) {
				f := newSelfFixture(t)
				f.unchangedBy(t, graceID, func() error {
					_, err := f.users.ChangeMe(f.Ctx, graceSelf, p)
					return err
				}, auth.ErrForbidden)
			})
		}
	})

	t.Run("the number the user has", func(t *testing.T) {
		f := newSelfFixture(t)
		if _, err := f.users.ChangeMe(f.Ctx, adaSelf, auth.UserPatch{Mobile: ptr("+31 6 1234 5678")}); err != nil {
			t.Fatalf("ChangeMe: %v", err)
		}
		if u := f.byID(t, adaID); u.PendingMobile.Number != "" || len(f.Outbox.Entries()) != 0 {
			t.Errorf("pending %+v, outbox %+v; want nothing", u.PendingMobile, f.Outbox.Entries())
		}
	})

	t.Run("removing the number", func(t *testing.T) {
		f := newSelfFixture(t)
		f.askMobile(t, adaSelf, newMobile, newMobile)
		if _, err := f.users.ChangeMe(f.Ctx, adaSelf, auth.UserPatch{Mobile: ptr("")}); err != nil {
			t.Fatalf("ChangeMe: %v", err)
		}
		if u := f.byID(t, adaID); u.Mobile != "" || u.MobileCountry != "" || u.PendingMobile != (auth.PendingMobile{}) {
			t.Errorf("stored mobile %q, pending %+v; want neither", u.Mobile, u.PendingMobile)
		}
		if notice := f.newest(t, "Email"); notice.To != adaEmail || !strings.Contains(notice.Body, "removed") {
			t.Errorf("notice to %s:\n%s\nwant one to %s saying the number was removed", notice.To, notice.Body, adaEmail)
		}
	})

	t.Run("a number the validator refuses", func(t *testing.T) {
		f := newSelfFixture(t)
		f.unchangedBy(t, adaID, func() error {
			_, err := f.users.ChangeMe(f.Ctx, adaSelf, auth.UserPatch{Mobile: ptr("+31 6")})
			return err
		}, auth.ErrInvalidMobile)
	})
}

// TestChangeNotifies: an admin's change of a user's email tells the old address, of the number tells
// the user's email; neither tells anything of a change to other properties.
func TestChangeNotifies(t *testing.T) {
	t.Run("email", func(t *testing.T) {
		f := newSelfFixture(t)
		if _, err := f.users.Change(f.Ctx, admin, "patch", graceID, auth.UserPatch{Email: ptr("grace.h@example.org")}); err != nil {
			t.Fatalf("Change: %v", err)
		}
		notice := f.newest(t, "Email")
		if notice.To != graceEmail || !strings.Contains(notice.Body, mask.Email("grace.h@example.org")) ||
			strings.Contains(notice.Body, "grace.h@example.org") {
			t.Errorf("notice to %s:\n%s\nwant one to the old %s naming the new address masked", notice.To, notice.Body, graceEmail)
		}
	})

	t.Run("mobile", func(t *testing.T) {
		f := newSelfFixture(t)
		f.askMobile(t, adaSelf, otherMobile, otherMobile)
		if _, err := f.users.Change(f.Ctx, admin, "patch", adaID, auth.UserPatch{Mobile: ptr(newMobile)}); err != nil {
			t.Fatalf("Change: %v", err)
		}
		notice := f.newest(t, "Email")
		if notice.To != adaEmail || !strings.Contains(notice.Body, mask.Phone(newMobile)) {
			t.Errorf("notice to %s:\n%s\nwant one to %s naming %s masked", notice.To, notice.Body, adaEmail, newMobile)
		}
		if u := f.byID(t, adaID); u.Mobile != newMobile || u.PendingMobile.Number != "" {
			t.Errorf("stored %s, pending %q; want the admin's number and the user's pending one dropped", u.Mobile, u.PendingMobile.Number)
		}
	})

	t.Run("an operator's number drops the pending one", func(t *testing.T) {
		f := newSelfFixture(t)
		code := f.askMobile(t, adaSelf, otherMobile, otherMobile)
		if _, err := f.users.SetMobile(f.Ctx, admin, adaEmail, newMobile); err != nil {
			t.Fatalf("SetMobile: %v", err)
		}
		wantErr(t, "ConfirmMobile after SetMobile", f.users.ConfirmMobile(f.Ctx, adaSelf, code), auth.ErrNoPendingMobile)
		if u := f.byID(t, adaID); u.Mobile != newMobile {
			t.Errorf("stored %s, want the operator's %s", u.Mobile, newMobile)
		}
	})

	t.Run("both", func(t *testing.T) {
		f := newSelfFixture(t)
		if _, err := f.users.Change(f.Ctx, admin, "patch", graceID, auth.UserPatch{Email: ptr("grace.h@example.org"), Mobile: ptr(newMobile)}); err != nil {
			t.Fatalf("Change: %v", err)
		}
		var to []string
		for _, e := range f.Outbox.Entries() {
			to = append(to, e.Channel+" "+e.To)
		}
		if fmt.Sprint(to) != fmt.Sprint([]string{"Email " + graceEmail, "Email " + graceEmail}) {
			t.Errorf("sent %v, want both notices to the old address", to)
		}
	})

	t.Run("nothing to tell", func(t *testing.T) {
		f := newSelfFixture(t)
		if _, err := f.users.Change(f.Ctx, admin, "patch", graceID, auth.UserPatch{Name: ptr("Grace H."), Mobile: ptr("")}); err != nil {
			t.Fatalf("Change: %v", err)
		}
		if n := len(f.Outbox.Entries()); n != 0 {
			t.Errorf("%d messages sent, want none", n)
		}
	})
}

// beforeWrite is the store with hook run once, on the real store, before the service's nth UpdateUser.
type beforeWrite struct {
	auth.UserStore
	n      int
	hook   func(ctx context.Context)
	writes int
}

func (s *beforeWrite) UpdateUser(ctx context.Context, prev, next auth.User) error {
	if s.writes++; s.writes == s.n {
		s.hook(ctx)
	}
	return s.UserStore.UpdateUser(ctx, prev, next)
}

// selfOver is Stack.Users over store.
func (f *usersFixture) selfOver(store auth.UserStore) *auth.Users {
	return auth.NewUsers(auth.UsersDeps{Store: store, Mobile: phone.Parse, NewID: uuid.NewString, Clock: f.Clock.Now, Log: f.Log,
		SMS: f.Deps.SMS, Secret: f.Deps.Secret, Random: f.Deps.Random, Policy: f.Deps.Policy, Notifier: f.Notifier()})
}

// TestConfirmMobileMeetsAnother: between a confirmation's counted attempt and its move of the number,
// another confirmation moves it first (the first finds nothing pending), or another attempt is counted
// (the first, its code already found right, moves the number on a fresh read).
func TestConfirmMobileMeetsAnother(t *testing.T) {
	for _, tc := range []struct {
		name  string
		other func(code string) string // the code the other confirmation sends
		want  error
	}{
		{"a right code first", func(code string) string { return code }, auth.ErrNoPendingMobile},
		{"a wrong code meanwhile", otherCode, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newSelfFixture(t)
			code := f.askMobile(t, adaSelf, newMobile, newMobile)
			var otherErr error
			store := &beforeWrite{UserStore: f.Store, n: 2, hook: func(ctx context.Context) {
				otherErr = f.users.ConfirmMobile(ctx, adaSelf, tc.other(code))
			}}
			err := f.selfOver(store).ConfirmMobile(f.Ctx, adaSelf, code)
			if !errors.Is(err, tc.want) || err != nil && tc.want == nil {
				t.Fatalf("ConfirmMobile = %v, want %v (the other: %v)", err, tc.want, otherErr)
			}
			if tc.want == nil {
				wantCodeError(t, otherErr, auth.DefaultPolicy.MaxAttempts-2)
			} else if otherErr != nil {
				t.Fatalf("the other confirmation: %v", otherErr)
			}
			if u := f.byID(t, adaID); u.Mobile != newMobile || u.PendingMobile.Number != "" {
				t.Errorf("stored %s, pending %q; want %s confirmed once", u.Mobile, u.PendingMobile.Number, newMobile)
			}
		})
	}
}

// TestSelfServiceLogs: each decision is one line of event "users" with its action and outcome; the
// numbers in them are masked and no code appears.
func TestSelfServiceLogs(t *testing.T) {
	f := newSelfFixture(t)
	code := f.askMobile(t, adaSelf, newMobile, newMobile)
	wrong := "975318" // no run of digits of the fixture's IDs
	if wrong == code {
		wrong = "864297"
	}
	wantCodeError(t, f.users.ConfirmMobile(f.Ctx, adaSelf, wrong), auth.DefaultPolicy.MaxAttempts-1)
	if err := f.users.ConfirmMobile(f.Ctx, adaSelf, code); err != nil {
		t.Fatalf("ConfirmMobile: %v", err)
	}
	var decisions []string
	for line := range strings.Lines(f.Logs.String()) {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		delete(l, "time") // the wall clock's digits could hold anything
		text, _ := json.Marshal(l)
		for _, secret := range []string{code, wrong, newMobile, strings.TrimPrefix(newMobile, "+")} {
			if strings.Contains(string(text), secret) {
				t.Errorf("a log line holds %q: %s", secret, text)
			}
		}
		if l["event"] == "users" {
			decisions = append(decisions, fmt.Sprint(l["action"], " ", l["outcome"], " ", l["mobile"]))
		}
	}
	want := []string{"me_patch code_sent " + mask.Phone(newMobile), "confirm_mobile invalid_code <nil>", "confirm_mobile confirmed " + mask.Phone(newMobile)}
	if !slices.Equal(decisions, want) {
		t.Errorf("decisions logged %q, want %q", decisions, want)
	}
}
