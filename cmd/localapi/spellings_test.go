package main

import (
	"net/http"
	"strings"
	"testing"

	"mfagateway/shared/httpapi"
)

// TestLocalLowerCaseSpellings goes through the MFA flow and the applications routes on their
// all-lower-case spellings only, as a platform client that spells them so would: each reaches its handler.
func TestLocalLowerCaseSpellings(t *testing.T) {
	s := startLocal(t, "", nil)
	status, login := s.loginStatus(t, "ada@example.com", "ada-demo-password-1", demoMFA)
	if status != http.StatusForbidden {
		t.Fatalf("login: %d %v, want 403 and a code", status, login)
	}
	mfa, _ := login["token"].(string)

	// Inside the cooldown: the resend handler's own 429, not a 404.
	if status, body := s.call(t, http.MethodPost, "/api/auth/resendmultifactorbindingcode", "", "", jsonBody(map[string]string{"token": mfa})); status != http.StatusTooManyRequests || body["code"] != "too_many_requests" {
		t.Fatalf("resend: %d %v, want 429 too_many_requests", status, body)
	}

	entries := s.outbox(t)
	if len(entries) == 0 {
		t.Fatal("no code in the outbox")
	}
	text, _ := entries[len(entries)-1]["body"].(string)
	code := sixDigits.FindString(text)
	status, verify := s.call(t, http.MethodPost, "/api/auth/verifymultifactorbindingcode", "", "",
		jsonBody(map[string]string{"token": mfa, "authenticatorCode": "SMS", "bindingCode": code}))
	if status != http.StatusOK {
		t.Fatalf("verify: %d %v", status, verify)
	}
	token, _ := verify["token"].(string)

	if status, app := s.call(t, http.MethodGet, "/odata/applications/"+demoMFA, token, demoMFA, ""); status != http.StatusOK || app["appId"] != demoMFA {
		t.Errorf("GET /odata/applications/{appId}: %d %v, want 200 and the application", status, app)
	}
	// Already on: the other tests' demo seed keeps its state.
	if status, body := s.call(t, http.MethodPatch, "/odata/applications/patch/"+demoMFA, token, demoMFA, `{"enableMultiFactorAuthentication": true}`); status != http.StatusNoContent {
		t.Errorf("PATCH /odata/applications/patch/{appId}: %d %v, want 204", status, body)
	}
}

// TestLocalOddCasings: a casing no row of the table spells is no route, as on API Gateway: 404 not_found,
// where a protected route it did spell would have been the gateway's 401 for the missing token.
func TestLocalOddCasings(t *testing.T) {
	s := startLocal(t, "", nil)
	type request struct{ method, path string }
	odd := []request{
		{http.MethodPost, "/API/AUTH/LOGIN"},
		{http.MethodPost, "/api/auth/Login"},
		{http.MethodPost, "/api/auth/VerifyMultifactorBindingCode"},
		{http.MethodPost, "/Api/auth/resendmultifactorbindingcode"},
		{http.MethodGet, "/api/auth/ME"},
		{http.MethodPost, "/odata/APPLICATIONS"},
		{http.MethodGet, "/ODATA/applications/" + demoPlain},
		{http.MethodPatch, "/odata/applications/Patch/" + demoPlain},
		{http.MethodPut, "/odata/Applications/put/" + demoPlain},
	}
	// And every spelling of every row in upper case (no row spells one so).
	for _, r := range httpapi.Routes() {
		for _, spelling := range r.Paths {
			odd = append(odd, request{r.Method, strings.ReplaceAll(strings.ToUpper(spelling), "{APPID}", demoPlain)})
		}
	}
	for _, rq := range odd {
		t.Run(rq.method+" "+rq.path, func(t *testing.T) {
			status, body := s.call(t, rq.method, rq.path, "", "", "{}")
			if code, _ := errorAt(rq.path, body); status != http.StatusNotFound || code != "not_found" {
				t.Errorf("%d %v, want 404 not_found", status, body)
			}
		})
	}
}
