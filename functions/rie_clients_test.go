package functions_test

import (
	"bytes"
	"net/http"
	"testing"
)

const (
	appSecretPlaceholder = "REPLACE_WITH_APP_SECRET"              // the secret in the events with application credentials
	demoMFAApp           = "7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10" // the demo seed's application with MFA
)

// withAppSecret puts a real application secret where the sample event has the placeholder.
func withAppSecret(event []byte, secret string) []byte {
	return bytes.ReplaceAll(event, []byte(appSecretPlaceholder), []byte(secret))
}

// testClientCredentials runs application credentials through the built bootstraps: getAppSecret
// issues secrets, the authorizer accepts the two newest for their application only, and the
// applications function lets the application read itself and nothing else.
func testClientCredentials(t *testing.T, g *gateway) {
	issue := func(t *testing.T) string {
		t.Helper()
		r := g.invoke(t, readEvent(t, "applications-secret.json"))
		r.want(t, http.StatusOK, "")
		return r.str(t, "value")
	}
	first, second := issue(t), issue(t)
	v := g.authorize(t, withAppSecret(readEvent(t, "authorizer-client-credentials.json"), second))
	if !*v.IsAuthorized || !v.valid() || v.Context["client"] != true || v.Context["appId"] != demoMFAApp {
		t.Fatalf("the newest secret: isAuthorized %v, context %v; want valid, client, appId %s", *v.IsAuthorized, v.Context, demoMFAApp)
	}
	for field := range v.Context {
		if field != "valid" && field != "client" && field != "appId" && field != "expiresAt" {
			t.Errorf("context.%s = %v: an application's session carries its appId and nothing of a user or token", field, v.Context[field])
		}
	}
	g.invoke(t, withAuthorizerContext(t, readEvent(t, "applications-client-get.json"), v.Context)).want(t, http.StatusOK, "")
	g.invoke(t, withAuthorizerContext(t, readEvent(t, "applications-client-list.json"), v.Context)).want(t, http.StatusForbidden, "forbidden")

	third := issue(t)
	for _, c := range []struct {
		name, secret string
		valid        bool
	}{{"oldest of three", first, false}, {"second", second, true}, {"newest", third, true}, {"placeholder", appSecretPlaceholder, false}} {
		got := g.authorize(t, withAppSecret(readEvent(t, "authorizer-client-credentials.json"), c.secret))
		if got.valid() != c.valid {
			t.Errorf("%s secret: context.valid %v, want %v; context %v", c.name, got.valid(), c.valid, got.Context)
		}
	}
}
