package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"mfagateway/shared/httpapi"
)

// TestApplicationAllowedOrigins: an admin sets an application's allowedOrigins; they are stored as
// browsers write origins, shown by a read and by the public url lookup, and a value that is not an
// origin is 400 naming the property, the application unchanged.
func TestApplicationAllowedOrigins(t *testing.T) {
	e := newAPIEnv(t)
	serve := e.routers[httpapi.ApplicationsFunction].Serve
	patch := func(body string) answer {
		return callAnswer(t, e.appsRouter(), withHeader(appsEvent(http.MethodPatch, "/odata/Applications/"+demoPlain, body, appsVerdict(true)), "prefer", "return=representation"))
	}
	a := patch(`{"allowedOrigins": ["HTTPS://App.Example.com:443/", "http://127.0.0.1:8080"]}`)
	want := []any{"https://app.example.com", "http://127.0.0.1:8080"}
	if a.Status != http.StatusOK || !slices.Equal(anyList(a.Body["allowedOrigins"]), want) {
		t.Fatalf("PATCH: %d %s, want 200 and %v", a.Status, a.Raw, want)
	}
	if got := e.getApp(t, demoPlain); !slices.Equal(anyList(got.Body["allowedOrigins"]), want) {
		t.Errorf("GET after PATCH: %s", got.Raw)
	}
	lookup := callAnswer(t, serve, urlEvent("/odata/applications/url", `{"url": "demo.localhost"}`))
	if lookup.Status != http.StatusOK || !slices.Equal(anyList(lookup.Body["allowedOrigins"]), want) {
		t.Errorf("url lookup: %d %s, want the origins", lookup.Status, lookup.Raw)
	}
	for _, bad := range []string{`["https://app.example.com/cb"]`, `["*"]`, `"https://app.example.com"`, `null`, `[5]`} {
		a := odataAnswer(t, patch(`{"allowedOrigins": `+bad+`}`))
		wantError(t, a, http.StatusBadRequest, "invalid_request", "")
		wantMessageNames(t, a, "allowedOrigins")
	}
	if got := e.getApp(t, demoPlain); !slices.Equal(anyList(got.Body["allowedOrigins"]), want) {
		t.Errorf("a refused PATCH changed the origins: %s", got.Raw)
	}
	// A PUT without them leaves none; the lookup then shows an empty list, not null.
	put := callAnswer(t, e.appsRouter(), appsEvent(http.MethodPut, "/odata/Applications/"+demoPlain, `{"name": "Demo", "url": "demo.localhost"}`, appsVerdict(true)))
	if put.Status != http.StatusNoContent {
		t.Fatalf("PUT: %d %s", put.Status, put.Raw)
	}
	lookup = callAnswer(t, serve, urlEvent("/odata/applications/url", `{"url": "demo.localhost"}`))
	if l, ok := lookup.Body["allowedOrigins"].([]any); !ok || len(l) != 0 {
		t.Errorf("url lookup after PUT: %s, want allowedOrigins []", lookup.Raw)
	}
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}
