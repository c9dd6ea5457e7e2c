package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/seed"
	"mfagateway/shared/testenv"
)

const appsOtherID = "7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10"

// clientWorld is the applications function and the authorizer over two applications, with the
// authorizer's verdict handed to the function as API Gateway hands it (through JSON).
type clientWorld struct {
	*testenv.Stack
	serve func(context.Context, httpapi.Request) (httpapi.Response, error)
	az    *httpapi.Authorizer
}

func newClientWorld(t *testing.T) *clientWorld {
	t.Helper()
	s := testenv.NewStack(t, testenv.WithClock(time.Now().UTC()))
	s.Seed(t, seed.File{Applications: []seed.Application{
		{AppID: appsTestID, Name: "Demo", URL: "demo.localhost", MFA: true},
		{AppID: appsOtherID, Name: "Other", URL: "other.localhost"},
	}})
	return &clientWorld{Stack: s, serve: httpapi.Function(httpapi.ApplicationsFunction, s.Handlers()).Serve, az: s.Authorizer()}
}

// secret issues a secret of the application through getAppSecret, as an admin, and checks the answer.
func (w *clientWorld) secret(t *testing.T, id, spelling string) string {
	t.Helper()
	resp, err := w.serve(w.Ctx, appsEvent(http.MethodGet, "/odata/applications/"+id+"/"+spelling, "", appsVerdict(true)))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("getAppSecret: %d %s (%v)", resp.StatusCode, resp.Body, err)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || len(body) != 1 || !auth.IsBearer(body["value"]) {
		t.Fatalf("getAppSecret answered %s, want {\"value\": <256 bits, base64url>}", resp.Body)
	}
	if resp.Headers["Cache-Control"] != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", resp.Headers["Cache-Control"])
	}
	return body["value"]
}

// call sends a request with the given headers through the authorizer and then the function.
func (w *clientWorld) call(t *testing.T, method, path string, headers map[string]string) (int, string) {
	t.Helper()
	verdict, err := w.az.Handle(w.Ctx, httpapi.AuthorizerRequest{Headers: headers})
	if err != nil {
		t.Fatalf("authorizer: %v", err)
	}
	raw, _ := json.Marshal(verdict.Context)
	var lambda map[string]any
	_ = json.Unmarshal(raw, &lambda)
	ev := appsEvent(method, path, "", lambda)
	for k, v := range headers {
		ev.Headers[k] = v
	}
	resp, err := w.serve(w.Ctx, ev)
	if err != nil {
		t.Fatalf("function: %v", err)
	}
	return resp.StatusCode, resp.Body
}

func creds(id, secret string) map[string]string {
	return map[string]string{"clientid": id, "clientsecret": secret}
}

func TestClientCredentialsThroughTheAuthorizer(t *testing.T) {
	w := newClientWorld(t)
	secret := w.secret(t, appsTestID, "getAppSecret")
	otherSecret := w.secret(t, appsOtherID, "getappsecret")
	own, other := "/odata/Applications/"+appsTestID, "/odata/applications/"+appsOtherID
	for _, c := range []struct {
		name, method, path string
		headers            map[string]string
		status             int
		code               string
	}{
		{"own application", http.MethodGet, own, creds(appsTestID, secret), 200, ""},
		{"header names as a client writes them", http.MethodGet, own, map[string]string{"ClientId": appsTestID, "CLIENTSECRET": secret}, 200, ""},
		{"another application", http.MethodGet, other, creds(appsTestID, secret), 403, "forbidden"},
		{"the list", http.MethodGet, "/odata/Applications", creds(appsTestID, secret), 403, "forbidden"},
		{"delete itself", http.MethodDelete, own, creds(appsTestID, secret), 403, "forbidden"},
		{"its own secret", http.MethodGet, "/odata/applications/" + appsTestID + "/getAppSecret", creds(appsTestID, secret), 403, "forbidden"},
		{"wrong secret", http.MethodGet, own, creds(appsTestID, strings.Repeat("A", 43)), 401, "invalid_token"},
		{"another application's secret", http.MethodGet, own, creds(appsTestID, otherSecret), 401, "invalid_token"},
		{"ClientId without ClientSecret", http.MethodGet, own, map[string]string{"clientid": appsTestID}, 401, "invalid_token"},
		{"ClientSecret without ClientId", http.MethodGet, own, map[string]string{"clientsecret": secret}, 401, "invalid_token"},
		{"a token's headers as well", http.MethodGet, own, map[string]string{"clientid": appsTestID, "clientsecret": secret, "appid": appsTestID}, 401, "invalid_token"},
		{"an overlong ClientId", http.MethodGet, own, creds(strings.Repeat("a", 4096), secret), 401, "invalid_token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := w.call(t, c.method, c.path, c.headers)
			if status != c.status {
				t.Fatalf("%d %s, want %d", status, body, c.status)
			}
			if c.code != "" {
				if code, _ := errorOf(t, c.path, body); code != c.code {
					t.Errorf("body %s, want code %q", body, c.code)
				}
			}
		})
	}

	// A deleted application's credentials stop at once: there is no authorizer cache.
	resp, err := w.serve(w.Ctx, appsEvent(http.MethodDelete, other, "", appsVerdict(true)))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d %s (%v)", resp.StatusCode, resp.Body, err)
	}
	if status, body := w.call(t, http.MethodGet, other, creds(appsOtherID, otherSecret)); status != http.StatusUnauthorized {
		t.Errorf("deleted application: %d %s, want 401", status, body)
	}
}

// The secret and its hash appear in no answer but getAppSecret's: not in the entity, not in a list,
// not in the public url lookup, not in the authorizer's context.
func TestAppSecretStaysOutOfAnswers(t *testing.T) {
	w := newClientWorld(t)
	secret := w.secret(t, appsTestID, "getAppSecret")
	hash := auth.TokenID(secret)
	leaks := func(text string) bool {
		return strings.Contains(text, secret[:12]) || strings.Contains(text, hash[:12])
	}
	look := func(what, text string) {
		t.Helper()
		if leaks(text) || strings.Contains(strings.ToLower(text), "secret") {
			t.Errorf("%s shows the secret, its hash or a secret property: %s", what, text)
		}
	}
	for _, path := range []string{"/odata/Applications/" + appsTestID, "/odata/Applications"} {
		resp, _ := w.serve(w.Ctx, appsEvent(http.MethodGet, path, "", appsVerdict(true)))
		look("GET "+path, resp.Body)
	}
	resp, _ := w.serve(w.Ctx, appsEvent(http.MethodPost, "/odata/applications/url", `{"url": "demo.localhost"}`, nil))
	look("the url lookup", resp.Body)
	verdict, _ := w.az.Handle(w.Ctx, httpapi.AuthorizerRequest{Headers: creds(appsTestID, secret)})
	if raw, _ := json.Marshal(verdict); leaks(string(raw)) {
		t.Errorf("the authorizer's answer holds the secret or its hash: %s", raw)
	}
	if logs := w.Logs.String(); leaks(logs) || !strings.Contains(logs, `"outcome":"issued"`) {
		t.Errorf("the log holds the secret or its hash, or has no issuance: %s", logs)
	}
}

func TestGetAppSecretRefusals(t *testing.T) {
	w := newClientWorld(t)
	client := map[string]any{"valid": true, "client": true, "appId": appsTestID, "expiresAt": float64(time.Now().Add(time.Minute).Unix())}
	for _, c := range []struct {
		name, id string
		verdict  map[string]any
		status   int
		code     string
	}{
		{"no verdict", appsTestID, nil, 401, "invalid_token"},
		{"not an admin", appsTestID, appsVerdict(false), 403, "forbidden"},
		{"the application itself", appsTestID, client, 403, "forbidden"},
		{"a Client verdict that says admin", appsTestID, map[string]any{"valid": true, "client": true, "appId": appsTestID, "admin": true,
			"expiresAt": float64(time.Now().Add(time.Minute).Unix())}, 403, "forbidden"},
		{"unknown application", "00000000-0000-4000-8000-000000000000", appsVerdict(true), 404, "not_found"},
		{"implausible id", strings.Repeat("x", 200), appsVerdict(true), 404, "not_found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := "/odata/applications/" + c.id + "/getAppSecret"
			resp, err := w.serve(w.Ctx, appsEvent(http.MethodGet, path, "", c.verdict))
			if err != nil || resp.StatusCode != c.status {
				t.Fatalf("%d %s (%v), want %d", resp.StatusCode, resp.Body, err, c.status)
			}
			if code, _ := errorOf(t, path, resp.Body); code != c.code {
				t.Errorf("body %s, want code %q", resp.Body, c.code)
			}
		})
	}
	if app, err := w.Store.GetApplication(w.Ctx, appsTestID); err != nil || len(app.SecretHashes) != 0 {
		t.Errorf("after the refusals: hashes %v (%v), want none issued", app.SecretHashes, err)
	}
}

// The guard that rechecks (the local server's, and every function's when the authorizer met an AWS
// fault) rechecks application credentials too; a Client session is refused the token routes.
func TestGuardRechecksClientCredentials(t *testing.T) {
	w := newClientWorld(t)
	secret := w.secret(t, appsTestID, "getAppSecret")
	unavailable := map[string]any{"valid": false, "unavailable": true}
	resp, err := w.serve(w.Ctx, appsEvent(http.MethodGet, "/odata/Applications/"+appsTestID, "", unavailable))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("recheck without credentials: %d %s (%v), want 401", resp.StatusCode, resp.Body, err)
	}
	ev := appsEvent(http.MethodGet, "/odata/Applications/"+appsTestID, "", unavailable)
	ev.Headers["clientid"], ev.Headers["clientsecret"] = appsTestID, secret
	if resp, err := w.serve(w.Ctx, ev); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("recheck of good credentials: %d %s (%v), want 200", resp.StatusCode, resp.Body, err)
	}
	ev.Headers["clientsecret"] = strings.Repeat("B", 43)
	if resp, err := w.serve(w.Ctx, ev); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("recheck of a wrong secret: %d %s (%v), want 401", resp.StatusCode, resp.Body, err)
	}

	login := httpapi.Function(httpapi.LoginFunction, w.Handlers()).Serve
	client := map[string]any{"valid": true, "client": true, "appId": appsTestID, "expiresAt": float64(time.Now().Add(time.Minute).Unix())}
	for _, route := range []string{httpapi.RouteMe, httpapi.RouteValidateToken, httpapi.RouteLogout} {
		method, path, _ := strings.Cut(route, " ")
		ev := appsEvent(method, path, "", client)
		resp, err := login(w.Ctx, ev)
		if err != nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s with a Client session: %d %s (%v), want 403", route, resp.StatusCode, resp.Body, err)
		}
	}
	expired := map[string]any{"valid": true, "client": true, "appId": appsTestID, "expiresAt": float64(time.Now().Add(-time.Minute).Unix())}
	if resp, _ := w.serve(w.Ctx, appsEvent(http.MethodGet, "/odata/Applications/"+appsTestID, "", expired)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an expired Client verdict: %d, want 401", resp.StatusCode)
	}
	noApp := map[string]any{"valid": true, "client": true, "expiresAt": float64(time.Now().Add(time.Minute).Unix())}
	if resp, _ := w.serve(w.Ctx, appsEvent(http.MethodGet, "/odata/Applications/"+appsTestID, "", noApp)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a Client verdict without an appId: %d, want 401", resp.StatusCode)
	}
}
