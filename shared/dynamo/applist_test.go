package dynamo_test

// The list index, the delete of an application and the authorizer's read of token and application,
// run by TestAdminStore on every engine (applicationStoreCases).

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"mfagateway/shared/auth"
)

// listApps stores n applications created a minute apart, out of order of creation, through both
// writes a table gets them by (a create and a seed's put); they are returned in the order of creation.
func listApps(t *testing.T, e storeEnv, n int) []auth.Application {
	t.Helper()
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	apps := make([]auth.Application, n)
	for i := range apps {
		at := base.Add(time.Duration(i) * time.Minute)
		apps[i] = auth.Application{ID: uuid.NewString(), Name: fmt.Sprintf("App %d", n-i), URL: fmt.Sprintf("app%d.example.com", i),
			CreateDate: at, UpdateDate: at}
	}
	for i := n - 1; i >= 0; i-- {
		write := e.Store.CreateApplication
		if i%2 == 1 {
			write = e.Store.PutApplication
		}
		if err := write(t.Context(), apps[i]); err != nil {
			t.Fatalf("store application %d: %v", i, err)
		}
	}
	return apps
}

func wantIDs(t *testing.T, what string, got, want []auth.Application) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d applications, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !sameApp(got[i], want[i]) {
			t.Errorf("%s[%d] = %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

func testApplicationsByCreateDate(t *testing.T, e storeEnv) {
	ctx := t.Context()
	if apps, more, err := e.Store.ApplicationsByCreateDate(ctx, 10); err != nil || len(apps) != 0 || more {
		t.Fatalf("empty table: %v, %v, %v; want none", apps, more, err)
	}
	apps := listApps(t, e, 5)
	got, more, err := e.Store.ApplicationsByCreateDate(ctx, 10)
	if err != nil || more {
		t.Fatalf("ApplicationsByCreateDate(10): more %v, %v", more, err)
	}
	wantIDs(t, "all (no url copies)", got, apps)

	got, more, err = e.Store.ApplicationsByCreateDate(ctx, 3)
	if err != nil || !more {
		t.Fatalf("ApplicationsByCreateDate(3): more %v, %v; want more", more, err)
	}
	wantIDs(t, "first 3", got, apps[:3])

	// A replace keeps the application in its place: the index key is the creation, not the change.
	next := apps[0]
	next.Name, next.UpdateDate, next.Version = "Renamed", apps[4].CreateDate.Add(time.Hour), 1
	if err := e.Store.ReplaceApplication(ctx, apps[0], next); err != nil {
		t.Fatalf("ReplaceApplication: %v", err)
	}
	got, _, err = e.Store.ApplicationsByCreateDate(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "after a replace", got, append([]auth.Application{next}, apps[1:]...))
}

func testDeleteApplication(t *testing.T, e storeEnv) {
	ctx := t.Context()
	apps := listApps(t, e, 2)
	gone := apps[0]

	stale := gone
	stale.Version = 7
	wantErrIs(t, "DeleteApplication at another version", e.Store.DeleteApplication(ctx, stale), auth.ErrConflict)
	if _, err := e.Store.GetApplication(ctx, gone.ID); err != nil {
		t.Fatalf("a refused delete removed the application: %v", err)
	}

	if err := e.Store.DeleteApplication(ctx, gone); err != nil {
		t.Fatalf("DeleteApplication: %v", err)
	}
	_, err := e.Store.GetApplication(ctx, gone.ID)
	wantErrIs(t, "GetApplication after delete", err, auth.ErrNotFound)
	_, err = e.Store.ApplicationByURL(ctx, gone.URL)
	wantErrIs(t, "ApplicationByURL after delete", err, auth.ErrNotFound)
	for _, ref := range []auth.AppRef{{ID: gone.ID}, {URL: gone.URL}} {
		if app := loginApp(t, e, ref); app != nil {
			t.Errorf("login by %+v after delete reads %+v, want none", ref, *app)
		}
	}
	listed, _, err := e.Store.ApplicationsByCreateDate(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "list after delete", listed, apps[1:])
	wantErrIs(t, "DeleteApplication again", e.Store.DeleteApplication(ctx, gone), auth.ErrConflict)

	// The url is free: another application takes it.
	heir := auth.Application{ID: uuid.NewString(), Name: "Heir", URL: gone.URL, CreateDate: gone.CreateDate, UpdateDate: gone.UpdateDate}
	if err := e.Store.CreateApplication(ctx, heir); err != nil {
		t.Fatalf("CreateApplication with the deleted application's url: %v", err)
	}
	wantLoginApp(t, e, heir)
}

func testTokenForApp(t *testing.T, e storeEnv) {
	ctx := t.Context()
	app := listApps(t, e, 1)[0]
	tok := contractToken(t, contractNow())
	tok.AppID = app.ID
	if err := e.Store.IssueToken(ctx, tok, ""); err != nil {
		t.Fatalf("IssueToken: %v", err)
	}
	rec, err := e.Store.TokenForApp(ctx, tok.ID, tok.UserID, app.ID)
	if err != nil || !rec.AppExists || rec.Revoked || rec.Token.UserID != tok.UserID || rec.Token.AppID != app.ID ||
		!rec.Token.ExpiresAt.Equal(tok.ExpiresAt) {
		t.Fatalf("TokenForApp = %+v, %v; want the token, its application there", rec, err)
	}
	if rec, err := e.Store.TokenForApp(ctx, tok.ID, tok.UserID, uuid.NewString()); err != nil || rec.AppExists {
		t.Errorf("TokenForApp naming an unknown application = %+v, %v; want the token, no application", rec, err)
	}
	if err := e.Store.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.DeleteApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	if rec, err := e.Store.TokenForApp(ctx, tok.ID, tok.UserID, app.ID); err != nil || rec.AppExists || !rec.Revoked {
		t.Errorf("TokenForApp after logout and delete = %+v, %v; want revoked, no application", rec, err)
	}
	_, err = e.Store.TokenForApp(ctx, contractID(t), tok.UserID, app.ID)
	wantErrIs(t, "TokenForApp of an unknown token", err, auth.ErrNotFound)
}
