package auth_test

// A user's applications are bounded (each one is a condition of the write's one transaction), and a
// user shared by applications is not any one application's to redirect: what a Client session may
// change of it.

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"mfagateway/shared/auth"
)

// extraApps creates n applications besides the fixture's and returns their appIds.
func (f *usersFixture) extraApps(t *testing.T, n int) []string {
	t.Helper()
	apps := f.applications(f.Store)
	ids := make([]string, n)
	for i := range ids {
		a, err := apps.Create(f.Ctx, admin, auth.Application{Name: fmt.Sprintf("App %d", i), URL: fmt.Sprintf("app%d.example.com", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = a.ID
	}
	return ids
}

// wantAppsRefused checks that err is the applications rule's refusal, which the API answers 400.
func wantAppsRefused(t *testing.T, what string, err error) {
	t.Helper()
	var perr *auth.PropertyError
	if !errors.As(err, &perr) || perr.Property != "applications" || !errors.Is(err, auth.ErrInvalidApplication) {
		t.Errorf("%s: %v, want an applications PropertyError", what, err)
	}
}

func TestUserApplicationsBounded(t *testing.T) {
	f := newUsersFixture(t)
	fifty := append(f.extraApps(t, auth.MaxUserApplications), appPlain)[1:]
	fiftyOne := append(slices.Clone(fifty), appMFA)
	if len(fifty) != 50 || auth.MaxUserApplications != 50 {
		t.Fatalf("%d applications, bound %d", len(fifty), auth.MaxUserApplications)
	}

	t.Run("create", func(t *testing.T) {
		_, err := f.users.Create(f.Ctx, admin, auth.NewUser{Email: "cli@example.com", Name: "Cli", Password: strongPassword, Applications: fiftyOne})
		wantAppsRefused(t, "CLI create with 51", err)
		_, err = f.users.CreatePending(f.Ctx, admin, auth.NewUser{Email: "api@example.com", Name: "Api", Applications: fiftyOne})
		wantAppsRefused(t, "API create with 51", err)
		f.noUser(t, "cli@example.com")
		f.noUser(t, "api@example.com")
		if _, err := f.users.Create(f.Ctx, admin, auth.NewUser{Email: "cli@example.com", Name: "Cli", Password: strongPassword, Applications: fifty}); err != nil {
			t.Errorf("CLI create with 50: %v", err)
		}
		v, err := f.users.CreatePending(f.Ctx, admin, auth.NewUser{Email: "api@example.com", Name: "Api", Applications: fifty})
		if err != nil {
			t.Fatalf("API create with 50: %v", err)
		}
		if got := f.byID(t, v.User.ID); len(got.Applications) != 50 {
			t.Errorf("stored %d applications, want 50", len(got.Applications))
		}
	})
	t.Run("patch", func(t *testing.T) {
		f.unchangedBy(t, graceID, func() error {
			_, err := f.users.Change(f.Ctx, admin, "patch", graceID, auth.UserPatch{Applications: &fiftyOne})
			wantAppsRefused(t, "patch with 51", err)
			return err
		}, auth.ErrInvalidApplication)
		// The same appId twice counts once.
		doubled := append(slices.Clone(fifty), fifty[0])
		if _, err := f.users.Change(f.Ctx, admin, "patch", graceID, auth.UserPatch{Applications: &doubled}); err != nil {
			t.Fatalf("patch with 50: %v", err)
		}
		if got := f.byID(t, graceID); len(got.Applications) != 50 {
			t.Errorf("stored %d applications, want 50", len(got.Applications))
		}
	})
	t.Run("CLI add-app", func(t *testing.T) {
		// ada is a member of appMFA and appPlain; 48 more make 50, 49 more 51.
		f.unchangedBy(t, adaID, func() error {
			_, err := f.users.AddApplications(f.Ctx, admin, adaEmail, fifty[:49]...)
			wantAppsRefused(t, "add-app to 51", err)
			return err
		}, auth.ErrInvalidApplication)
		if changed, err := f.users.AddApplications(f.Ctx, admin, adaEmail, fifty[:48]...); err != nil || !changed {
			t.Fatalf("add-app to 50: %v, %v", changed, err)
		}
		if got := f.byID(t, adaID); len(got.Applications) != 50 {
			t.Errorf("stored %d applications, want 50", len(got.Applications))
		}
		if changed, err := f.users.AddApplications(f.Ctx, admin, adaEmail, appPlain); err != nil || changed {
			t.Errorf("add-app of a member's own application at 50: %v, %v; want unchanged", changed, err)
		}
	})
}

func TestClientChangesOfSharedUsers(t *testing.T) {
	plainClient := clientOf(appPlain)
	t.Run("a member of another application too: refused, nothing written", func(t *testing.T) {
		f := newUsersFixture(t) // grace is a member of appMFA and appPlain
		for _, tc := range []struct {
			name string
			p    auth.UserPatch
		}{
			{"email", auth.UserPatch{Email: ptr("grace@attacker.example")}},
			{"mobilePhone", auth.UserPatch{Mobile: ptr("+31 6 1234 5679")}},
			{"status", auth.UserPatch{Status: ptr(auth.StatusBlocked)}},
			{"email with a name", auth.UserPatch{Email: ptr("grace@attacker.example"), Name: ptr("Grace")}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f.unchangedBy(t, graceID, func() error {
					_, err := f.users.Change(f.Ctx, plainClient, "patch", graceID, tc.p)
					return err
				}, auth.ErrForbidden)
			})
		}
		if _, err := f.users.Change(f.Ctx, admin, "patch", graceID, auth.UserPatch{Status: ptr(auth.StatusBlocked)}); err != nil {
			t.Fatal(err)
		}
		f.unchangedBy(t, graceID, func() error { return f.users.Unblock(f.Ctx, plainClient, graceID) }, auth.ErrForbidden)
	})
	t.Run("a member of another application too: name, cultureInfo, its own membership", func(t *testing.T) {
		f := newUsersFixture(t)
		if _, err := f.users.Change(f.Ctx, plainClient, "patch", graceID, auth.UserPatch{Name: ptr("Grace H"), CultureInfo: ptr("nl-NL"),
			Email: ptr(graceEmail)}); err != nil {
			t.Fatalf("name, cultureInfo and the same email: %v", err)
		}
		if _, err := f.users.Change(f.Ctx, plainClient, "patch", graceID, auth.UserPatch{Applications: &[]string{appMFA}}); err != nil {
			t.Fatalf("removing its own appId: %v", err)
		}
		if got := f.byID(t, graceID); got.Name != "Grace H" || got.CultureInfo != "nl-NL" || !slices.Equal(got.Applications, []string{appMFA}) {
			t.Errorf("stored %+v", got)
		}
	})
	t.Run("a member of its application alone: everything a client may", func(t *testing.T) {
		f := newUsersFixture(t)
		v, err := f.users.CreatePending(f.Ctx, plainClient, auth.NewUser{Email: "ines@example.com", Name: "Ines"})
		if err != nil {
			t.Fatal(err)
		}
		id := v.User.ID
		if _, err := f.users.Change(f.Ctx, plainClient, "patch", id, auth.UserPatch{Email: ptr("ines@example.org"),
			Mobile: ptr("+31 6 1234 5678"), Status: ptr(auth.StatusBlocked)}); err != nil {
			t.Fatalf("email, mobilePhone, status: %v", err)
		}
		if err := f.users.Unblock(f.Ctx, plainClient, id); err != nil {
			t.Fatalf("unblock: %v", err)
		}
		if got := f.byID(t, id); got.Email != "ines@example.org" || got.Mobile != "+31612345678" || got.State() != auth.StatusPending {
			t.Errorf("stored %+v, want the new email and number, Pending again", got)
		}
		// Once a member of another application too, the same change is refused.
		if _, err := f.users.Change(f.Ctx, admin, "patch", id, auth.UserPatch{Applications: &[]string{appPlain, appMFA}}); err != nil {
			t.Fatal(err)
		}
		f.unchangedBy(t, id, func() error {
			_, err := f.users.Change(f.Ctx, plainClient, "patch", id, auth.UserPatch{Mobile: ptr("")})
			return err
		}, auth.ErrForbidden)
	})
}
