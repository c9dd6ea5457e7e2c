package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/fault/faulttest"
	"mfagateway/shared/httpapi"
)

// TestAuthorizerTransientFault: when AWS fails the authorizer for a moment, the client gets 503
// unavailable with Retry-After (not API Gateway's bare 500), and since API Gateway may serve that
// verdict from its cache, a guard that can read tokens checks the token itself instead of refusing it
// for the cache's lifetime. A permanent fault stays the authorizer's error (500).
func TestAuthorizerTransientFault(t *testing.T) {
	throttled := faulttest.Fault{Name: "throttling", Status: 400, Code: "ThrottlingException", Transient: true}
	missing := faulttest.Fault{Name: "missing table", Status: 400, Code: "ResourceNotFoundException"}
	anyToken := base64.RawURLEncoding.EncodeToString(make([]byte, 48)) // an auth token's shape: a UUID and 256 bits
	authorize := func(t *testing.T, f faulttest.Fault) (httpapi.AuthorizerResponse, error) {
		e, _ := faultEnv(t, f)
		return httpapi.NewAuthorizer(auth.NewSessions(e.Store, e.Clock.Now, e.Log)).Handle(e.Ctx, httpapi.AuthorizerRequest{
			Headers: map[string]string{"authorization": "Bearer " + anyToken, "appid": demoPlain}})
	}

	t.Run("transient fault: allowed with an unavailable verdict", func(t *testing.T) {
		res, err := authorize(t, throttled)
		if err != nil || !res.IsAuthorized || res.Context["valid"] != false || res.Context["unavailable"] != true {
			t.Fatalf("verdict %+v, error %v; want isAuthorized with valid false and unavailable true", res, err)
		}
	})
	t.Run("permanent fault: the authorizer fails", func(t *testing.T) {
		if _, err := authorize(t, missing); err == nil {
			t.Fatal("want an error (API Gateway answers 500)")
		}
	})

	// A real token of Ada's for the plain application, on a working store.
	good := newAPIEnv(t)
	login := good.login(t, appHeader(demoPlain), loginBody(adaEmail, adaPassword))
	if login.Status != http.StatusOK {
		t.Fatalf("login: %d %s", login.Status, login.Raw)
	}
	token := str(t, login.Body, "token")
	meEvent := func(bearer string) httpapi.Request {
		req := appsEvent(http.MethodGet, "/api/auth/me", "", map[string]any{"valid": false, "unavailable": true})
		req.Headers["authorization"], req.Headers["appid"] = "Bearer "+bearer, demoPlain
		return req
	}
	serve := func(t *testing.T, g *httpapi.Guard, req httpapi.Request) answer {
		t.Helper()
		me := g.Wrap(httpapi.RouteMe, httpapi.NewSession(nil, good.Log).Me)
		resp, err := me(good.Ctx, req)
		if err != nil {
			t.Fatalf("handler error: %v", err)
		}
		a := answer{Status: resp.StatusCode, Headers: resp.Headers, Raw: resp.Body}
		if err := json.Unmarshal([]byte(resp.Body), &a.Body); err != nil {
			t.Fatalf("body %q: %v", resp.Body, err)
		}
		return a
	}

	t.Run("guard that cannot read tokens: 503 for the cache's lifetime", func(t *testing.T) {
		a := serve(t, httpapi.NewGuard(good.Clock.Now, good.Log), meEvent(token))
		wantError(t, a, http.StatusServiceUnavailable, "unavailable", strconv.Itoa(httpapi.UnavailableRetryAfter))
	})
	t.Run("rechecking guard: a good token is served", func(t *testing.T) {
		g := httpapi.NewGuard(good.Clock.Now, good.Log).Rechecking(auth.NewSessions(good.Store, good.Clock.Now, good.Log))
		a := serve(t, g, meEvent(token))
		if a.Status != http.StatusOK || str(t, a.Body, "email") != adaEmail {
			t.Fatalf("%d %s, want 200 with Ada's email", a.Status, a.Raw)
		}
	})
	t.Run("rechecking guard: a bad token is 401", func(t *testing.T) {
		g := httpapi.NewGuard(good.Clock.Now, good.Log).Rechecking(auth.NewSessions(good.Store, good.Clock.Now, good.Log))
		wantError(t, serve(t, g, meEvent(anyToken)), http.StatusUnauthorized, "invalid_token", "")
	})
	t.Run("rechecking guard: AWS still failing is 503 with Retry-After", func(t *testing.T) {
		bad, _ := faultEnv(t, throttled)
		g := httpapi.NewGuard(good.Clock.Now, good.Log).Rechecking(auth.NewSessions(bad.Store, good.Clock.Now, good.Log))
		wantError(t, serve(t, g, meEvent(token)), http.StatusServiceUnavailable, "unavailable", "1")
	})
}
