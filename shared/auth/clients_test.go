package auth_test

// Application credentials on the real store: secrets issued by the applications service, checked by
// the sessions, and what a session made from them may do.

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"mfagateway/shared/auth"
)

// countingClients counts the application reads of a credential check.
type countingClients struct {
	auth.TokenStore
	apps  auth.ApplicationStore
	reads atomic.Int32
}

func (c *countingClients) GetApplication(ctx context.Context, id string) (auth.Application, error) {
	c.reads.Add(1)
	return c.apps.GetApplication(ctx, id)
}

func (f *fixture) issue(t *testing.T, apps *auth.Applications, id string) string {
	t.Helper()
	secret, err := apps.IssueSecret(f.Ctx, admin, id)
	if err != nil {
		t.Fatalf("IssueSecret(%s): %v", id, err)
	}
	if !auth.IsBearer(secret) {
		t.Fatalf("secret %d characters, want 256 bits in base64url without padding (43)", len(secret))
	}
	return secret
}

func TestAppSecretsKeepTheTwoNewest(t *testing.T) {
	f := newFixture(t)
	apps, sessions := f.applications(f.Store), f.Sessions()
	first, second, third := f.issue(t, apps, appPlain), f.issue(t, apps, appPlain), f.issue(t, apps, appPlain)
	for _, c := range []struct {
		name, secret string
		ok           bool
	}{{"first of three", first, false}, {"second", second, true}, {"newest", third, true}} {
		sess, err := sessions.AuthorizeClient(f.Ctx, auth.ClientCredentials{ID: appPlain, Secret: c.secret})
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: %v, want a session", c.name, err)
		case c.ok && (!sess.Client || sess.AppID != appPlain || sess.Admin || sess.UserID != "" || sess.TokenID != ""):
			t.Errorf("%s: session %+v, want Client of %s with no user, token or admin", c.name, sess, appPlain)
		case c.ok && !f.Clock.Now().Before(sess.ExpiresAt):
			t.Errorf("%s: session expires %v, not after now", c.name, sess.ExpiresAt)
		case !c.ok && !errors.Is(err, auth.ErrInvalidToken):
			t.Errorf("%s: %v, want ErrInvalidToken", c.name, err)
		}
	}
	app, err := f.Store.GetApplication(f.Ctx, appPlain)
	if err != nil || len(app.SecretHashes) != auth.MaxAppSecrets || app.SecretHashes[1] != auth.TokenID(third) {
		t.Errorf("stored hashes %v (%v), want the SHA-256 of the two newest, newest last", app.SecretHashes, err)
	}
}

// A change of the application by any route keeps its secrets: PATCH and PUT edit what they name.
func TestAppSecretsSurviveChanges(t *testing.T) {
	f := newFixture(t)
	apps, sessions := f.applications(f.Store), f.Sessions()
	secret := f.issue(t, apps, appPlain)
	on := true
	if _, err := apps.Patch(f.Ctx, admin, appPlain, auth.ApplicationPatch{MFA: &on}); err != nil {
		t.Fatal(err)
	}
	if _, err := apps.Replace(f.Ctx, admin, appPlain, auth.Application{Name: "Plain again", URL: "moved.example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.AuthorizeClient(f.Ctx, auth.ClientCredentials{ID: appPlain, Secret: secret}); err != nil {
		t.Errorf("after a patch and a replace: %v, want the secret to work", err)
	}
	if byURL, err := apps.ByURL(f.Ctx, "moved.example.com"); err != nil || byURL.SecretHashes != nil {
		t.Errorf("url copy: hashes %v (%v), want none on the copy", byURL.SecretHashes, err)
	}
	created, err := apps.Create(f.Ctx, admin, auth.Application{Name: "New", URL: "new.example.com", SecretHashes: []string{auth.TokenID(secret)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.AuthorizeClient(f.Ctx, auth.ClientCredentials{ID: created.ID, Secret: secret}); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("a created application with hashes given: %v, want no secret until one is issued", err)
	}
}

func TestAuthorizeClientRefusals(t *testing.T) {
	f := newFixture(t)
	apps := f.applications(f.Store)
	secretPlain, secretMFA := f.issue(t, apps, appPlain), f.issue(t, apps, appMFA)
	if err := apps.Delete(f.Ctx, admin, appMFA); err != nil {
		t.Fatal(err)
	}
	store := &countingClients{TokenStore: f.Store, apps: f.Store}
	sessions := auth.NewSessions(store, f.Clock.Now, nil)
	for _, c := range []struct {
		name  string
		cred  auth.ClientCredentials
		reads int32
	}{
		{"wrong secret", auth.ClientCredentials{ID: appPlain, Secret: strings.Repeat("A", 43)}, 1},
		{"another application's secret", auth.ClientCredentials{ID: appOther, Secret: secretPlain}, 1},
		{"unknown application", auth.ClientCredentials{ID: "00000000-0000-4000-8000-000000000000", Secret: secretPlain}, 1},
		{"deleted application", auth.ClientCredentials{ID: appMFA, Secret: secretMFA}, 1},
		{"no secret", auth.ClientCredentials{ID: appPlain}, 0},
		{"no id", auth.ClientCredentials{Secret: secretPlain}, 0},
		{"secret too long", auth.ClientCredentials{ID: appPlain, Secret: secretPlain + "A"}, 0},
		{"secret with a control character", auth.ClientCredentials{ID: appPlain, Secret: secretPlain[:42] + "\x00"}, 0},
		{"id too long", auth.ClientCredentials{ID: strings.Repeat("a", 129), Secret: secretPlain}, 0},
		{"id with a control character", auth.ClientCredentials{ID: appPlain + "\n", Secret: secretPlain}, 0},
		{"a token as well", auth.ClientCredentials{ID: appPlain, Secret: secretPlain, AlsoToken: true}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := store.reads.Load()
			if _, err := sessions.AuthorizeClient(f.Ctx, c.cred); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("%v, want ErrInvalidToken", err)
			}
			if got := store.reads.Load() - before; got != c.reads {
				t.Errorf("%d application reads, want %d", got, c.reads)
			}
		})
	}
	if _, err := sessions.AuthorizeClient(f.Ctx, auth.ClientCredentials{ID: appPlain, Secret: secretPlain}); err != nil {
		t.Errorf("the right pair after the refusals: %v", err)
	}
}

func TestIssueSecretRefusals(t *testing.T) {
	f := newFixture(t)
	apps := f.applications(f.Store)
	client := auth.Session{Client: true, AppID: appPlain}
	for _, c := range []struct {
		name string
		who  auth.Session
		id   string
		want error
	}{
		{"unknown application", admin, "00000000-0000-4000-8000-000000000000", auth.ErrNotFound},
		{"not an admin", nobody, appPlain, auth.ErrForbidden},
		{"the application itself", client, appPlain, auth.ErrForbidden},
		{"a Client session claiming admin", auth.Session{Client: true, AppID: appPlain, Admin: true}, appPlain, auth.ErrForbidden},
	} {
		if _, err := apps.IssueSecret(f.Ctx, c.who, c.id); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// A Client session may read, patch and replace its own application, and nothing else.
func TestClientSessionRights(t *testing.T) {
	f := newFixture(t)
	apps := f.applications(f.Store)
	client := auth.Session{Client: true, AppID: appPlain}
	name := "Renamed by itself"
	own := []struct {
		name string
		call func(id string) error
	}{
		{"get", func(id string) error { _, err := apps.Get(f.Ctx, client, id); return err }},
		{"patch", func(id string) error {
			_, err := apps.Patch(f.Ctx, client, id, auth.ApplicationPatch{Name: &name})
			return err
		}},
		{"put", func(id string) error {
			_, err := apps.Replace(f.Ctx, client, id, auth.Application{Name: name, URL: urlPlain})
			return err
		}},
	}
	for _, c := range own {
		if err := c.call(appPlain); err != nil {
			t.Errorf("%s of its own application: %v", c.name, err)
		}
		if err := c.call(appOther); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("%s of another application: %v, want ErrForbidden", c.name, err)
		}
		if err := c.call("00000000-0000-4000-8000-000000000000"); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("%s of an unknown application: %v, want ErrForbidden (nothing told about other appIds)", c.name, err)
		}
	}
	if _, err := apps.List(f.Ctx, client); !errors.Is(err, auth.ErrForbidden) {
		t.Errorf("list: %v, want ErrForbidden", err)
	}
	if _, err := apps.Create(f.Ctx, client, auth.Application{Name: "Mine too", URL: "mine.example.com"}); !errors.Is(err, auth.ErrForbidden) {
		t.Errorf("create: %v, want ErrForbidden", err)
	}
	if err := apps.Delete(f.Ctx, client, appPlain); !errors.Is(err, auth.ErrForbidden) {
		t.Errorf("delete of itself: %v, want ErrForbidden", err)
	}
	if _, err := apps.IssueSecret(f.Ctx, client, appPlain); !errors.Is(err, auth.ErrForbidden) {
		t.Errorf("getAppSecret of itself: %v, want ErrForbidden", err)
	}
}

// SecretMatches compares every stored hash, whichever matches, and only a whole hash matches.
func TestSecretMatches(t *testing.T) {
	a, b := auth.TokenID("a"), auth.TokenID("b")
	for _, c := range []struct {
		stored []string
		hash   string
		want   bool
	}{
		{[]string{a, b}, a, true}, {[]string{a, b}, b, true}, {[]string{a}, b, false},
		{nil, a, false}, {[]string{a}, a[:63], false}, {[]string{a + "0"}, a, false}, {[]string{""}, "", false},
	} {
		if got := auth.SecretMatches(c.stored, c.hash); got != c.want {
			t.Errorf("SecretMatches(%v, %q) = %v, want %v", c.stored, c.hash, got, c.want)
		}
	}
}
