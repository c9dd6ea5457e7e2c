package dynamo_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/roundtrip"
)

// ApplicationByURL reads the url copy with one GetItem and follows every change of the application:
// a replace is seen at once, a moved url frees the old one, and an application without a url has none.
func testApplicationByURL(t *testing.T, e storeEnv) {
	ctx := t.Context()
	counter := roundtrip.New()
	store := dynamo.New(dynamodb.New(e.Client.Options(), counter.Attach), e.Table)
	byURL := func(t *testing.T, url string) (auth.Application, error) {
		t.Helper()
		var app auth.Application
		var err error
		calls := counter.Measure(func() { app, err = store.ApplicationByURL(ctx, url) })
		if calls.N() != 1 || calls.Operations[0] != "GetItem" {
			t.Errorf("ApplicationByURL(%q) cost %s, want 1 (GetItem)", url, calls)
		}
		return app, err
	}

	app := addTestApp(t, e, "Plant", "plant.example.com")
	got, err := byURL(t, "plant.example.com")
	if err != nil || !sameApp(got, app) {
		t.Fatalf("ApplicationByURL = %+v, %v; want %+v", got, err, app)
	}
	_, err = byURL(t, "nobody.example.com")
	wantErrIs(t, "ApplicationByURL of an unknown url", err, auth.ErrNotFound)

	moved := replaceApp(t, e, app, func(a *auth.Application) { a.URL, a.MFA = "moved.example.com", true })
	if got, err := byURL(t, "moved.example.com"); err != nil || !sameApp(got, moved) {
		t.Errorf("after the move: %+v, %v; want %+v", got, err, moved)
	}
	_, err = byURL(t, "plant.example.com")
	wantErrIs(t, "ApplicationByURL of the url moved from", err, auth.ErrNotFound)

	// No url, no url copy: nothing to read, and nothing answers the empty url.
	addTestApp(t, e, "Nameless", "")
	if calls := counter.Measure(func() { _, err = store.ApplicationByURL(ctx, "") }); calls.N() != 0 {
		t.Errorf("ApplicationByURL of the empty url cost %s, want 0", calls)
	}
	wantErrIs(t, "ApplicationByURL of the empty url", err, auth.ErrNotFound)
}
