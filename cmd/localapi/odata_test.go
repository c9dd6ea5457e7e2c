package main

import (
	"net/http"
	"strings"
	"testing"
)

// errorAt is the code and message of an error body answered for path, in the format of the routes
// under it: {"error": {"code", "message"}} under /odata, {"code", "message"} elsewhere. A body of the
// other shape (or API Gateway's own {"message"}) has no code.
func errorAt(path string, body map[string]any) (code, message string) {
	if strings.HasPrefix(strings.ToLower(path), "/odata/") { // the format follows the first segment, in any case
		inner, ok := body["error"].(map[string]any)
		if !ok || len(body) != 1 {
			return "", ""
		}
		body = inner
	}
	code, _ = body["code"].(string)
	message, _ = body["message"].(string)
	return code, message
}

// TestLocalApplicationByURL: the local gateway serves the public url lookup without a token and
// without running the authorizer, in both spellings, with OData's error format for a miss.
func TestLocalApplicationByURL(t *testing.T) {
	s := startLocal(t, "", nil)
	for _, path := range []string{"/odata/Applications/url", "/odata/applications/url"} {
		status, body := s.call(t, http.MethodPost, path, "", "", `{"url": "https://Demo.localhost/"}`)
		if status != http.StatusOK || body["appId"] != demoPlain || body["name"] != "Demo" || len(body) != 5 {
			t.Errorf("%s: %d %v, want 200 with Demo's appId, name, url, MFA flag and allowedOrigins only", path, status, body)
		}
		status, body = s.call(t, http.MethodPost, path, "", "", `{"url": "nobody.example.com"}`)
		if code, _ := errorAt(path, body); status != http.StatusNotFound || code != "not_found" {
			t.Errorf("%s, unknown url: %d %v, want 404 not_found in OData's format", path, status, body)
		}
	}
	// A token is not needed, and a bad one does not matter: no authorizer runs for a public route.
	status, body := s.call(t, http.MethodPost, "/odata/Applications/url", "not-a-token", demoPlain, `{"url": "demo-mfa.localhost"}`)
	if status != http.StatusOK || body["appId"] != demoMFA || body["enableMultiFactorAuthentication"] != true {
		t.Errorf("with a bad token: %d %v, want 200 with Demo (MFA)", status, body)
	}
	// Under /odata, even a path no row serves answers in OData's format.
	status, body = s.call(t, http.MethodPost, "/odata/Applications/url/more", "", "", "{}")
	if code, msg := errorAt("/odata/", body); status != http.StatusNotFound || code != "not_found" || msg != "No such route." {
		t.Errorf("a path below the url route: %d %v, want the 404 of no such route, in OData's format", status, body)
	}
	status, body = s.call(t, http.MethodPost, "/api/auth/nothing", "", "", "{}")
	if code, _ := errorAt("/api/", body); status != http.StatusNotFound || code != "not_found" {
		t.Errorf("an unknown /api path: %d %v, want the plain 404", status, body)
	}
}

// odataCode is the code of an error body in OData's format; "" for any other shape.
func odataCode(body map[string]any) string {
	code, _ := errorAt("/odata/", body)
	return code
}
