package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"mfagateway/shared/httpapi"
	"mfagateway/shared/seed"
	"mfagateway/shared/testenv"
)

const appsTestID = "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90"

// appsEvent is what API Gateway hands the applications function after the authorizer: the route, and
// the authorizer's verdict in the context (nil: no context at all).
func appsEvent(method, path, body string, verdict map[string]any) httpapi.Request {
	ev := httpapi.Request{
		Version: "2.0", RouteKey: "$default", RawPath: path, Body: body, // the router matches method and path
		Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path},
		},
	}
	if verdict != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: verdict}
	}
	return ev
}

func appsVerdict(admin bool) map[string]any {
	return map[string]any{"valid": true, "tokenId": "t", "userId": "u", "email": "ada@example.com",
		"appId": appsTestID, "admin": admin, "expiresAt": float64(time.Now().Add(time.Hour).Unix())}
}

func TestApplicationsHandler(t *testing.T) {
	// The clock starts at the real now: appsVerdict expires an hour from it.
	s := testenv.NewStack(t, testenv.WithClock(time.Now().UTC()))
	s.Seed(t, seed.File{Applications: []seed.Application{
		{AppID: appsTestID, Name: "Demo", URL: "demo.localhost", MFA: true},
		{AppID: "7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10", Name: "Other", URL: "other.localhost"},
	}})
	ctx, store := s.Ctx, s.Store
	h := httpapi.Function(httpapi.ApplicationsFunction, s.Handlers()).Serve
	one := "/odata/Applications/" + appsTestID

	for _, tc := range []struct {
		name, method, path, body string
		verdict                  map[string]any
		status                   int
		code                     string
	}{
		{"no authorizer context", http.MethodGet, one, "", nil, 401, "invalid_token"},
		{"bad verdict", http.MethodGet, one, "", map[string]any{"valid": false}, 401, "invalid_token"},
		{"plain user", http.MethodGet, one, "", appsVerdict(false), 403, "forbidden"},
		{"unknown application", http.MethodGet, "/odata/Applications/" + uuid.NewString(), "", appsVerdict(true), 404, "not_found"},
		{"implausible id", http.MethodGet, "/odata/Applications/" + strings.Repeat("x", 200), "", appsVerdict(true), 404, "not_found"},
		{"null flag on PATCH", http.MethodPatch, one, `{"enableMultiFactorAuthentication": null}`, appsVerdict(true), 400, "invalid_request"},
		{"null flag on PUT", http.MethodPut, "/odata/Applications/Put/" + appsTestID, `{"name": "Demo", "enableMultiFactorAuthentication": null}`, appsVerdict(true), 400, "invalid_request"},
		{"string flag", http.MethodPatch, one, `{"enableMultiFactorAuthentication": "false"}`, appsVerdict(true), 400, "invalid_request"},
		{"unknown property", http.MethodPatch, "/odata/Applications/Patch/" + appsTestID, `{"parentId": "x"}`, appsVerdict(true), 400, "invalid_request"},
		{"PUT without name", http.MethodPut, one, `{"url": "demo.localhost"}`, appsVerdict(true), 400, "invalid_request"},
		{"url of another application", http.MethodPatch, one, `{"url": "https://Other.localhost/"}`, appsVerdict(true), 409, "conflict"},
		{"create with a taken url", http.MethodPost, "/odata/Applications", `{"name": "X", "url": "demo.localhost"}`, appsVerdict(true), 409, "conflict"},
		{"unknown route", http.MethodPost, one, "", appsVerdict(true), 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := h(ctx, appsEvent(tc.method, tc.path, tc.body, tc.verdict))
			if err != nil || resp.StatusCode != tc.status {
				t.Fatalf("%s %s: %d %s (%v), want %d", tc.method, tc.path, resp.StatusCode, resp.Body, err, tc.status)
			}
			if tc.code != "" {
				if code, msg := errorOf(t, tc.path, resp.Body); code != tc.code || msg == "" {
					t.Errorf("body %s, want code %q", resp.Body, tc.code)
				}
			}
		})
	}
	// The refused changes (whichever of them ran) left the application as it was.
	if app, err := store.GetApplication(ctx, appsTestID); err != nil || !app.MFA || app.URL != "demo.localhost" {
		t.Fatalf("after the refused changes: %+v, %v; want MFA on, url unchanged", app, err)
	}

	// The PATCH alias and what it did, as one unit.
	t.Run("PATCH alias switches MFA off", func(t *testing.T) {
		resp, err := h(ctx, appsEvent(http.MethodPatch, "/odata/Applications/Patch/"+appsTestID, `{"enableMultiFactorAuthentication": false}`, appsVerdict(true)))
		if err != nil || resp.StatusCode != 204 {
			t.Fatalf("PATCH alias: %d %s (%v), want 204", resp.StatusCode, resp.Body, err)
		}
		if app, err := store.GetApplication(ctx, appsTestID); err != nil || app.MFA || app.URL != "demo.localhost" {
			t.Errorf("after the PATCH: %+v, %v; want MFA off, url unchanged", app, err)
		}
	})

	// Create ignores an appId in the body: the server assigns one.
	resp, _ := h(ctx, appsEvent(http.MethodPost, "/odata/Applications", `{"appId": "mine", "name": "New", "url": "https://New.example.com/"}`, appsVerdict(true)))
	var created struct{ AppID, URL string }
	if resp.StatusCode != 201 || json.Unmarshal([]byte(resp.Body), &created) != nil || uuid.Validate(created.AppID) != nil || created.URL != "new.example.com" {
		t.Errorf("create: %d %s", resp.StatusCode, resp.Body)
	}
	if loc := resp.Headers["Location"]; loc != "/odata/Applications/"+created.AppID {
		t.Errorf("Location = %q", loc)
	}
}
