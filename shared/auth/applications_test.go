package auth_test

// The application service on the real store, its changes checked the way a login feels them.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"mfagateway/shared/auth"
)

// jsonLog is a JSON logger writing to w, as the functions log.
func jsonLog(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (f *fixture) applications(store auth.ApplicationStore) *auth.Applications {
	return auth.NewApplications(store, f.Clock.Now, uuid.NewString, nil)
}

// loginByURL logs ada in naming the application by url and reports whether a challenge started.
func (f *fixture) loginByURL(t *testing.T, url string) (mfa bool, err error) {
	t.Helper()
	res, err := f.svc.Login(f.Ctx, auth.LoginInput{Email: adaEmail, Password: adaPassword, App: auth.AppRef{URL: url}})
	if err != nil {
		return false, err
	}
	return res.MFA != nil, nil
}

// A login by url must go by the MFA flag as last changed: the url copy of the application changes
// with it, whichever way the change came.
func TestApplicationsChangeReachesLoginByURL(t *testing.T) {
	f := newFixture(t)
	apps := f.applications(f.Store)
	on, off := true, false
	errOf := func(_ auth.Application, err error) error { return err }
	steps := []struct {
		name    string
		change  func() error
		url     string
		wantMFA bool
	}{
		{"patch MFA on", func() error { return errOf(apps.Patch(f.Ctx, admin, appPlain, auth.ApplicationPatch{MFA: &on})) }, urlPlain, true},
		{"patch MFA off", func() error { return errOf(apps.Patch(f.Ctx, admin, appPlain, auth.ApplicationPatch{MFA: &off})) }, urlPlain, false},
		{"replace with MFA on", func() error {
			return errOf(apps.Replace(f.Ctx, admin, appPlain, auth.Application{Name: "Plain", URL: urlPlain, MFA: true}))
		}, urlPlain, true},
		{"move the url, MFA off", func() error {
			url := "HTTPS://Moved.Example.com/"
			return errOf(apps.Patch(f.Ctx, admin, appPlain, auth.ApplicationPatch{URL: &url, MFA: &off}))
		}, "moved.example.com", false},
	}
	for _, s := range steps {
		if err := s.change(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		mfa, err := f.loginByURL(t, s.url)
		if err != nil || mfa != s.wantMFA {
			t.Fatalf("%s: login by url %s = MFA %v, %v; want MFA %v", s.name, s.url, mfa, err, s.wantMFA)
		}
	}
	// The url it moved from names no application any more, and another application may take it.
	if _, err := f.loginByURL(t, urlPlain); !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Errorf("login by the old url = %v, want %v", err, auth.ErrInvalidCredentials)
	}
	if _, err := apps.Create(f.Ctx, admin, auth.Application{Name: "New", URL: urlPlain}); err != nil {
		t.Errorf("Create with the freed url: %v", err)
	}
}

// interferingApps slips another change of the application in between the service's read and its
// write, the first times times it writes.
type interferingApps struct {
	auth.ApplicationStore
	times  int32
	writes atomic.Int32
}

func (s *interferingApps) ReplaceApplication(ctx context.Context, prev, next auth.Application) error {
	if s.writes.Add(1) <= s.times {
		cur, err := s.ApplicationStore.GetApplication(ctx, prev.ID)
		if err != nil {
			return err
		}
		renamed := cur
		renamed.Name += " (renamed)"
		if err := s.ApplicationStore.ReplaceApplication(ctx, cur, renamed); err != nil {
			return err
		}
	}
	return s.ApplicationStore.ReplaceApplication(ctx, prev, next)
}

// A patch that meets a concurrent change is retried on a fresh read: both changes are kept.
func TestApplicationsConflictRetried(t *testing.T) {
	f := newFixture(t)
	store := &interferingApps{ApplicationStore: f.Store, times: 1}
	on := true
	if _, err := f.applications(store).Patch(f.Ctx, admin, appPlain, auth.ApplicationPatch{MFA: &on}); err != nil {
		t.Fatalf("Patch with one concurrent change: %v", err)
	}
	if got := store.writes.Load(); got != 2 {
		t.Errorf("%d writes, want 2: the conflict, then the retry", got)
	}
	got, err := f.Store.GetApplication(f.Ctx, appPlain)
	if err != nil {
		t.Fatalf("GetApplication: %v", err)
	}
	if !got.MFA || got.Name != "Plain (renamed)" || got.Version != 2 {
		t.Errorf("stored %+v, want MFA on, the concurrent rename kept, version 2", got)
	}
	if mfa, err := f.loginByURL(t, urlPlain); err != nil || !mfa {
		t.Errorf("login by url after the retried patch = MFA %v, %v; want a challenge", mfa, err)
	}

	t.Run("gives up", func(t *testing.T) {
		f := newFixture(t)
		store := &interferingApps{ApplicationStore: f.Store, times: 1000}
		_, err := f.applications(store).Patch(f.Ctx, admin, appPlain, auth.ApplicationPatch{MFA: &on})
		wantErr(t, "Patch under endless changes", err, auth.ErrConflict)
		if got := store.writes.Load(); got != 4 {
			t.Errorf("%d writes, want 4 before giving up", got)
		}
		if got, _ := f.Store.GetApplication(f.Ctx, appPlain); got.MFA {
			t.Error("a patch that gave up was written")
		}
	})
}

// noLister is an application store that cannot list.
type noLister struct{ auth.ApplicationStore }

func TestApplicationsList(t *testing.T) {
	f := newFixture(t)
	apps, err := f.applications(f.Store).List(f.Ctx, admin)
	if err != nil || len(apps) != 3 || apps[0].ID != appMFA || apps[1].ID != appOther || apps[2].ID != appPlain {
		t.Errorf("List = %+v, %v; want MFA, Other, Plain by name", apps, err)
	}
	_, err = f.applications(f.Store).List(f.Ctx, nobody)
	wantErr(t, "List by a non-admin", err, auth.ErrForbidden)
	if _, err := f.applications(noLister{f.Store}).List(f.Ctx, admin); err == nil {
		t.Error("List over a store that cannot list succeeded")
	}
}
