package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"mfagateway/shared/httpapi"
)

// urlEvent is a url lookup as API Gateway hands it over: a public route, so no authorizer context.
func urlEvent(path, body string) httpapi.Request {
	return event("POST "+path, nil, body)
}

// TestApplicationByURL: POST /odata/Applications/url, public, answers the appId, name, url, MFA flag and allowedOrigins
// of the application at the body's url (normalised as for a login), and nothing else; 404 for a url no
// application has; 400 for a body without a url.
func TestApplicationByURL(t *testing.T) {
	e := newAPIEnv(t)
	serve := e.routers[httpapi.ApplicationsFunction].Serve
	for _, tc := range []struct {
		name, path, body string
		appID            string // the application answered; "" for an error
		status           int
		code, names      string
	}{
		{"exact url", "/odata/Applications/url", `{"url": "demo-mfa.localhost"}`, demoMFA, 200, "", ""},
		{"lower-case path", "/odata/applications/url", `{"url": "demo.localhost"}`, demoPlain, 200, "", ""},
		{"scheme, case and trailing slash ignored", "/odata/Applications/url", `{"url": " HTTPS://Demo-MFA.LocalHost/ "}`, demoMFA, 200, "", ""},
		{"http scheme", "/odata/applications/url", `{"url": "http://demo.localhost"}`, demoPlain, 200, "", ""},
		{"property name in other case", "/odata/Applications/url", `{"Url": "demo.localhost"}`, demoPlain, 200, "", ""},
		{"an annotation is ignored", "/odata/Applications/url", `{"url": "demo.localhost", "@odata.type": "x"}`, demoPlain, 200, "", ""},
		{"unknown url", "/odata/Applications/url", `{"url": "nobody.example.com"}`, "", 404, "not_found", ""},
		{"a url path no application has", "/odata/Applications/url", `{"url": "demo.localhost/sub"}`, "", 404, "not_found", ""},
		{"missing url", "/odata/Applications/url", `{}`, "", 400, "invalid_request", "url"},
		{"empty url", "/odata/Applications/url", `{"url": ""}`, "", 400, "invalid_request", "url"},
		{"only a scheme", "/odata/Applications/url", `{"url": "https://"}`, "", 400, "invalid_request", "url"},
		{"null url", "/odata/Applications/url", `{"url": null}`, "", 400, "invalid_request", "url"},
		{"url not a string", "/odata/Applications/url", `{"url": 5}`, "", 400, "invalid_request", "url"},
		{"url too long", "/odata/Applications/url", `{"url": "` + strings.Repeat("a", 513) + `"}`, "", 400, "invalid_request", "url"},
		{"url with a control character", "/odata/Applications/url", `{"url": "demo\u0000.localhost"}`, "", 400, "invalid_request", "url"},
		{"url with a space", "/odata/Applications/url", `{"url": "demo .localhost"}`, "", 400, "invalid_request", "url"},
		{"unknown property", "/odata/Applications/url", `{"url": "demo.localhost", "appId": "x"}`, "", 400, "invalid_request", `"appId"`},
		{"url twice", "/odata/Applications/url", `{"url": "demo.localhost", "URL": "x"}`, "", 400, "invalid_request", `"URL"`},
		{"not JSON", "/odata/Applications/url", `{"url": `, "", 400, "invalid_request", ""},
		{"no body", "/odata/Applications/url", ``, "", 400, "invalid_request", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := callAnswer(t, serve, urlEvent(tc.path, tc.body))
			if tc.status != http.StatusOK {
				a = odataAnswer(t, a)
				wantError(t, a, tc.status, tc.code, "")
				wantMessageNames(t, a, tc.names)
				return
			}
			if a.Status != http.StatusOK {
				t.Fatalf("%d %s, want 200", a.Status, a.Raw)
			}
			wantKeys(t, a, "appId", "name", "url", "enableMultiFactorAuthentication", "allowedOrigins")
			want := map[string]map[string]any{
				demoMFA:   {"name": "Demo (MFA)", "url": "demo-mfa.localhost", "enableMultiFactorAuthentication": true},
				demoPlain: {"name": "Demo", "url": "demo.localhost", "enableMultiFactorAuthentication": false},
			}[tc.appID]
			want["appId"] = tc.appID
			for k, v := range want {
				if a.Body[k] != v {
					t.Errorf("%s = %v, want %v (%s)", k, a.Body[k], v, a.Raw)
				}
			}
			if ct := header(a.Headers, "Cache-Control"); ct != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", ct)
			}
		})
	}

	t.Run("via the $default route", func(t *testing.T) {
		req := urlEvent("/odata/applications/url", `{"url": "demo.localhost"}`)
		req.RouteKey, req.RequestContext.RouteKey = "$default", "$default"
		if a := callAnswer(t, serve, req); a.Status != http.StatusOK || a.Body["appId"] != demoPlain {
			t.Errorf("%d %s, want 200 with Demo", a.Status, a.Raw)
		}
	})
	t.Run("a change of the application shows at once", func(t *testing.T) {
		e := newAPIEnv(t)
		patch := callAnswer(t, e.appsRouter(), appsEvent(http.MethodPatch, "/odata/Applications/"+demoPlain,
			`{"url": "https://Moved.example.com", "enableMultiFactorAuthentication": true}`, appsVerdict(true)))
		if patch.Status != http.StatusNoContent {
			t.Fatalf("PATCH: %d %s", patch.Status, patch.Raw)
		}
		serve := e.routers[httpapi.ApplicationsFunction].Serve
		if a := callAnswer(t, serve, urlEvent("/odata/Applications/url", `{"url": "moved.example.com"}`)); a.Status != http.StatusOK ||
			a.Body["appId"] != demoPlain || a.Body["enableMultiFactorAuthentication"] != true {
			t.Errorf("the new url: %d %s, want Demo with MFA on", a.Status, a.Raw)
		}
		if a := callAnswer(t, serve, urlEvent("/odata/Applications/url", `{"url": "demo.localhost"}`)); a.Status != http.StatusNotFound {
			t.Errorf("the old url: %d %s, want 404", a.Status, a.Raw)
		}
	})
}

// TestApplicationByURLRoundTrips: a url lookup is one GetItem (on the url copy), found or not.
func TestApplicationByURLRoundTrips(t *testing.T) {
	e := newAPIEnv(t)
	router, counter := e.countedAppsRouter()
	for _, tc := range []struct {
		url    string
		status int
	}{{"https://demo.localhost/", http.StatusOK}, {"nobody.example.com", http.StatusNotFound}} {
		var a answer
		calls := counter.Measure(func() {
			a = callAnswer(t, router.Serve, urlEvent("/odata/Applications/url", `{"url": "`+tc.url+`"}`))
		})
		if a.Status != tc.status {
			t.Fatalf("%s: %d %s, want %d", tc.url, a.Status, a.Raw, tc.status)
		}
		if calls.N() != 1 || calls.Operations[0] != "GetItem" {
			t.Errorf("%s: %s, want 1 (GetItem)", tc.url, calls)
		}
		t.Logf("url lookup, %d: %s", tc.status, calls)
	}
	// A body refused before the store costs nothing.
	if calls := counter.Measure(func() { _, _ = router.Serve(e.Ctx, urlEvent("/odata/Applications/url", `{}`)) }); calls.N() != 0 {
		t.Errorf("a refused body cost %s, want 0", calls)
	}
}
