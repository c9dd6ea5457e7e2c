package auth_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/odata"
)

// renamingApps renames the application between the service's read and its delete, the first times
// times it deletes, so that the delete meets a version it did not read.
type renamingApps struct {
	auth.ApplicationStore
	times   int32
	deletes atomic.Int32
}

func (s *renamingApps) DeleteApplication(ctx context.Context, a auth.Application) error {
	if s.deletes.Add(1) <= s.times {
		name := a.Name + " (renamed)"
		if _, err := auth.NewApplications(s.ApplicationStore, nil, nil, nil).Patch(ctx, admin, a.ID, auth.ApplicationPatch{Name: &name}); err != nil {
			return err
		}
	}
	return s.ApplicationStore.DeleteApplication(ctx, a)
}

func TestApplicationsDelete(t *testing.T) {
	t.Run("a concurrent change is retried, then logins fail", func(t *testing.T) {
		f := newFixture(t)
		store := &renamingApps{ApplicationStore: f.Store, times: 1}
		if err := f.applications(store).Delete(f.Ctx, admin, appPlain); err != nil {
			t.Fatalf("Delete with one concurrent change: %v", err)
		}
		if got := store.deletes.Load(); got != 2 {
			t.Errorf("%d deletes, want 2: the conflict, then the retry", got)
		}
		if _, err := f.loginByURL(t, urlPlain); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf("login by url after the delete = %v, want %v", err, auth.ErrInvalidCredentials)
		}
		_, err := f.svc.Login(f.Ctx, auth.LoginInput{Email: adaEmail, Password: adaPassword, App: auth.AppRef{ID: appPlain}})
		wantErr(t, "login by appId after the delete", err, auth.ErrInvalidCredentials)
		wantErr(t, "Delete again", f.applications(f.Store).Delete(f.Ctx, admin, appPlain), auth.ErrNotFound)
	})
	t.Run("only admins", func(t *testing.T) {
		f := newFixture(t)
		wantErr(t, "Delete by a non-admin", f.applications(f.Store).Delete(f.Ctx, nobody, appPlain), auth.ErrForbidden)
		if _, err := f.Store.GetApplication(f.Ctx, appPlain); err != nil {
			t.Errorf("a refused delete removed the application: %v", err)
		}
		_, err := f.applications(f.Store).ListPage(f.Ctx, nobody, odata.Query{Top: odata.DefaultTop})
		wantErr(t, "ListPage by a non-admin", err, auth.ErrForbidden)
	})
}

// cappedApps holds more applications than a list reads: it answers with the first ones and more.
type cappedApps struct{ auth.ApplicationStore }

func (s cappedApps) ApplicationsByCreateDate(ctx context.Context, limit int) ([]auth.Application, bool, error) {
	apps, _, err := s.ApplicationStore.ApplicationsByCreateDate(ctx, limit)
	return apps, true, err
}

func TestApplicationsListPage(t *testing.T) {
	f := newFixture(t)
	page, err := f.applications(f.Store).ListPage(f.Ctx, admin, odata.Query{Top: 1, Count: true})
	if err != nil || len(page.Apps) != 1 || page.Matched < 2 || !page.More || page.Capped {
		t.Fatalf("ListPage top 1 = %+v, %v; want one of several, more, not capped", page, err)
	}
	byName := []odata.Order{{Property: "name"}} // an order other than creation is read in memory
	page, err = f.applications(cappedApps{f.Store}).ListPage(f.Ctx, admin, odata.Query{Top: odata.MaxTop, OrderBy: byName})
	if err != nil || !page.Capped || page.More {
		t.Errorf("ListPage over a store with more than it reads = %+v, %v; want capped, no further page", page, err)
	}
}
