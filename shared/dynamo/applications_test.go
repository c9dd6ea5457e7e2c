package dynamo_test

// The application writes of the application service, run by TestAdminStore on every engine. An
// application is stored twice, by appId and by url (the copy a login by url reads in the same round
// trip as the user), so each case checks both copies, through LoadLogin as a login sees them.

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"mfagateway/shared/auth"
)

func applicationStoreCases() []contractCase {
	return []contractCase{
		{"ReplaceApplication updates the url copy", testReplaceApplicationURLCopy},
		{"ReplaceApplication moves the url", testReplaceApplicationMovesURL},
		{"ReplaceApplication refusals", testReplaceApplicationRefusals},
		{"ApplicationByURL", testApplicationByURL},
		{"ApplicationsByCreateDate", testApplicationsByCreateDate},
		{"DeleteApplication", testDeleteApplication},
		{"TokenForApp", testTokenForApp},
	}
}

// loginApp is the application a login naming ref reads (nil when none), with a user that exists, so
// the read is the login's own.
func loginApp(t *testing.T, e storeEnv, ref auth.AppRef) *auth.Application {
	t.Helper()
	rec, err := e.Store.LoadLogin(t.Context(), "ada@example.com", ref)
	if err != nil {
		t.Fatalf("LoadLogin %+v: %v", ref, err)
	}
	return rec.App
}

// wantLoginApp asserts that a login by appId and by url each read want.
func wantLoginApp(t *testing.T, e storeEnv, want auth.Application) {
	t.Helper()
	for _, ref := range []auth.AppRef{{ID: want.ID}, {URL: want.URL}} {
		got := loginApp(t, e, ref)
		if got == nil {
			t.Errorf("login by %+v reads no application, want %+v", ref, want)
			continue
		}
		if !sameApp(*got, want) {
			t.Errorf("login by %+v reads\n %+v\nwant %+v", ref, *got, want)
		}
	}
}

func sameApp(a, b auth.Application) bool {
	return a.ID == b.ID && a.Name == b.Name && a.URL == b.URL && a.UniqueIdentifier == b.UniqueIdentifier &&
		a.MFA == b.MFA && a.Version == b.Version && a.CreateDate.Equal(b.CreateDate) && a.UpdateDate.Equal(b.UpdateDate)
}

func replaceApp(t *testing.T, e storeEnv, prev auth.Application, edit func(*auth.Application)) auth.Application {
	t.Helper()
	next := prev
	edit(&next)
	if err := e.Store.ReplaceApplication(t.Context(), prev, next); err != nil {
		t.Fatalf("ReplaceApplication: %v", err)
	}
	next.Version = prev.Version + 1
	return next
}

// A change must reach the url copy too: it carries the MFA flag a login by url goes by.
func testReplaceApplicationURLCopy(t *testing.T, e storeEnv) {
	addTestUser(t, e, testUser("ada@example.com"))
	app := addTestApp(t, e, "Plant", "plant.example.com")
	wantLoginApp(t, e, app)

	steps := []struct {
		name string
		edit func(*auth.Application)
	}{
		{"MFA on", func(a *auth.Application) { a.MFA = true }},
		{"renamed", func(a *auth.Application) { a.Name, a.UniqueIdentifier = "Plant 7", "plant-7" }},
		{"MFA off", func(a *auth.Application) { a.MFA = false; a.UpdateDate = userNow.Add(time.Hour) }},
	}
	for _, s := range steps {
		app = replaceApp(t, e, app, s.edit)
		wantLoginApp(t, e, app)
		if t.Failed() {
			t.Fatalf("after %s", s.name)
		}
	}
}

// A url change frees the old url at once: it names no application and another one may take it.
func testReplaceApplicationMovesURL(t *testing.T, e storeEnv) {
	ctx := t.Context()
	addTestUser(t, e, testUser("ada@example.com"))
	app := addTestApp(t, e, "Plant", "old.example.com")
	app = replaceApp(t, e, app, func(a *auth.Application) { a.URL, a.MFA = "new.example.com", true })

	wantLoginApp(t, e, app)
	if got := loginApp(t, e, auth.AppRef{URL: "old.example.com"}); got != nil {
		t.Errorf("login by the old url reads %+v, want no application", *got)
	}
	if item := e.Item(t, "APPURL#old.example.com"); item != nil {
		t.Errorf("the old url copy is still stored: %v", item)
	}

	other := addTestApp(t, e, "Other", "old.example.com")
	wantLoginApp(t, e, other)
	err := e.Store.CreateApplication(ctx, auth.Application{ID: uuid.NewString(), Name: "Third", URL: "new.example.com"})
	wantErrIs(t, "CreateApplication with the moved-to url", err, auth.ErrURLTaken)
	wantLoginApp(t, e, app)

	// Moving back is refused now that the old url is the other application's, and changes nothing.
	back := app
	back.URL = "old.example.com"
	wantErrIs(t, "ReplaceApplication onto a taken url", e.Store.ReplaceApplication(ctx, app, back), auth.ErrURLTaken)
	wantLoginApp(t, e, app)
	wantLoginApp(t, e, other)
}

func testReplaceApplicationRefusals(t *testing.T, e storeEnv) {
	ctx := t.Context()
	addTestUser(t, e, testUser("ada@example.com"))
	app := addTestApp(t, e, "Plant", "plant.example.com")
	current := replaceApp(t, e, app, func(a *auth.Application) { a.Name = "Plant 7" })

	t.Run("stale version", func(t *testing.T) {
		next := app // read before the rename: version 0, while 1 is stored
		next.MFA, next.URL = true, "elsewhere.example.com"
		wantErrIs(t, "ReplaceApplication", e.Store.ReplaceApplication(ctx, app, next), auth.ErrConflict)
		if got := loginApp(t, e, auth.AppRef{URL: "elsewhere.example.com"}); got != nil {
			t.Errorf("a refused replace left a url copy: %+v", *got)
		}
	})
	t.Run("gone", func(t *testing.T) {
		ghost := auth.Application{ID: uuid.NewString(), Name: "Ghost", URL: "ghost.example.com"}
		wantErrIs(t, "ReplaceApplication", e.Store.ReplaceApplication(ctx, ghost, ghost), auth.ErrConflict)
		if got := loginApp(t, e, auth.AppRef{URL: ghost.URL}); got != nil {
			t.Errorf("replacing a missing application stored %+v", *got)
		}
	})
	wantLoginApp(t, e, current)
}
