package functions_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestRIEWebFunction runs the built web bootstrap under the RIE with the template's environment and
// no AWS at all: GET /login answers the page in the language asked for, under its policy, and a file
// of /assets/{file} its script.
func TestRIEWebFunction(t *testing.T) {
	rie := rieBinary(t)
	fn := startFunction(t, rie, "WebFunction", build(t, "WebFunction"), []string{"TABLE_NAME=unused", "PASSWORD_MIN_LENGTH=20", "RESEND_COOLDOWN=45s"})
	// get sends a GET as API Gateway does: the route's key, and the path parameter of /assets/{file}.
	get := func(path, query string) apiResponse {
		t.Helper()
		routeKey, params := "GET "+path, map[string]string{}
		if file, ok := strings.CutPrefix(path, "/assets/"); ok {
			routeKey, params["file"] = "GET /assets/{file}", file
		}
		ev, _ := json.Marshal(map[string]any{
			"version": "2.0", "routeKey": routeKey, "rawPath": path, "rawQueryString": query, "pathParameters": params,
			"headers":        map[string]string{"accept-language": "fr-FR,fr;q=0.9"},
			"requestContext": map[string]any{"http": map[string]any{"method": "GET", "path": path, "sourceIp": "192.0.2.1"}},
		})
		var out apiResponse
		if err := json.Unmarshal(fn.invokeRaw(t, ev), &out); err != nil || out.StatusCode == nil {
			t.Fatalf("GET %s: not an API Gateway response (%v)", path, err)
		}
		return out
	}
	page := get("/login", "url=demo.localhost")
	if *page.StatusCode != http.StatusOK || page.Headers["Content-Type"] != "text/html; charset=utf-8" || !strings.Contains(page.Body, `<html lang="fr">`) {
		t.Fatalf("GET /login: %d %q, want 200 and the French page", *page.StatusCode, page.Headers["Content-Type"])
	}
	if csp := page.Headers["Content-Security-Policy"]; !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if !strings.Contains(page.Body, `"minLength":20`) || !strings.Contains(page.Body, `"cooldown":45`) {
		t.Errorf("the page does not explain the deployment's PASSWORD_MIN_LENGTH and RESEND_COOLDOWN")
	}
	if js := get("/assets/gateway.js", ""); *js.StatusCode != http.StatusOK || !strings.HasPrefix(js.Headers["Content-Type"], "text/javascript") {
		t.Errorf("GET /assets/gateway.js: %d %q", *js.StatusCode, js.Headers["Content-Type"])
	}
	if missing := get("/assets/nothing.js", ""); *missing.StatusCode != http.StatusNotFound {
		t.Errorf("GET /assets/nothing.js: %d, want 404", *missing.StatusCode)
	}
}
