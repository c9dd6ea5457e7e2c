package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// call makes one request and returns the status and the decoded JSON body (nil for an empty one).
func (s *localServer) call(t *testing.T, method, path, token, appID, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if appID != "" {
		req.Header.Set("appId", appID)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s %s: body %q is not a JSON object", method, path, raw)
		}
	}
	return resp.StatusCode, m
}

func (s *localServer) loginStatus(t *testing.T, email, password, appID string) (int, map[string]any) {
	t.Helper()
	return s.call(t, http.MethodPost, "/api/auth/login", "", appID,
		jsonBody(map[string]string{"email": email, "password": password}))
}

// TestLocalProtectedFlow is the admin's tour of the protected routes through the local gateway, which
// runs the token authorizer before each of them as API Gateway does.
func TestLocalProtectedFlow(t *testing.T) {
	s := startLocal(t, "", nil)
	status, body := s.loginStatus(t, "ada@example.com", "ada-demo-password-1", demoPlain)
	if status != http.StatusOK {
		t.Fatalf("admin login: %d %v", status, body)
	}
	admin := body["token"].(string)

	status, me := s.call(t, http.MethodGet, "/api/auth/me", admin, demoPlain, "")
	if status != http.StatusOK || me["email"] != "ada@example.com" || me["appId"] != demoPlain || me["name"] != "Ada" {
		t.Fatalf("me: %d %v", status, me)
	}
	if status, body := s.call(t, http.MethodGet, "/api/auth/me", admin, demoMFA, ""); status != http.StatusUnauthorized || body["code"] != "invalid_token" {
		t.Errorf("me with another application's appId: %d %v, want 401 invalid_token", status, body)
	}

	status, app := s.call(t, http.MethodGet, "/odata/Applications/"+demoPlain, admin, demoPlain, "")
	if status != http.StatusOK || app["enableMultiFactorAuthentication"] != false {
		t.Fatalf("read application: %d %v", status, app)
	}

	// MFA on: the very next login of anyone gets 403 and a code.
	if status, body := s.call(t, http.MethodPatch, "/odata/Applications/Patch/"+demoPlain, admin, demoPlain,
		`{"enableMultiFactorAuthentication": true}`); status != http.StatusNoContent {
		t.Fatalf("PATCH MFA on: %d %v", status, body)
	}
	if status, body := s.loginStatus(t, "linus@example.com", "linus-demo-password-1", demoPlain); status != http.StatusForbidden || body["authenticatorCode"] != "Email" {
		t.Fatalf("login after MFA on: %d %v, want 403 with a code by email", status, body)
	}

	// A plain user may not manage applications.
	status, body = s.loginStatus(t, "grace@example.com", "grace-demo-password-1", demoPlain)
	if status != http.StatusForbidden {
		t.Fatalf("grace login with MFA on: %d %v", status, body)
	}
	if status, body := s.loginStatus(t, "linus@example.com", "wrong", demoPlain); status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d %v", status, body)
	}

	// MFA off again (through the PUT alias, which resets what it does not name).
	if status, body := s.call(t, http.MethodPut, "/odata/Applications/Put/"+demoPlain, admin, demoPlain,
		`{"name": "Demo", "url": "demo.localhost", "uniqueIdentifier": "demo"}`); status != http.StatusNoContent {
		t.Fatalf("PUT MFA off: %d %v", status, body)
	}
	status, body = s.loginStatus(t, "linus@example.com", "linus-demo-password-1", demoPlain)
	if status != http.StatusOK {
		t.Fatalf("login after MFA off: %d %v, want 200", status, body)
	}
	plain := body["token"].(string)
	if status, body := s.call(t, http.MethodPatch, "/odata/Applications/"+demoPlain, plain, demoPlain,
		`{"enableMultiFactorAuthentication": true}`); status != http.StatusForbidden || odataCode(body) != "forbidden" {
		t.Errorf("plain user PATCH: %d %v, want 403 forbidden", status, body)
	}
	if status, body := s.call(t, http.MethodPost, "/odata/Applications", admin, demoPlain,
		`{"name": "Plant 7", "url": "https://Plant7.example.com/", "enableMultiFactorAuthentication": "yes"}`); status != http.StatusBadRequest || odataCode(body) != "invalid_request" {
		t.Errorf("non-boolean flag: %d %v, want 400 invalid_request", status, body)
	}
	status, created := s.call(t, http.MethodPost, "/odata/Applications", admin, demoPlain, `{"name": "Plant 7", "url": "https://Plant7.example.com/"}`)
	if status != http.StatusCreated || created["url"] != "plant7.example.com" || created["appId"] == "" {
		t.Errorf("create: %d %v", status, created)
	}
	if status, body := s.call(t, http.MethodPost, "/odata/Applications", admin, demoPlain, `{"name": "Copy", "url": "plant7.example.com"}`); status != http.StatusConflict || odataCode(body) != "conflict" {
		t.Errorf("duplicate url: %d %v, want 409 conflict", status, body)
	}

	// Logout kills the token for every later request.
	if status, body := s.call(t, http.MethodPost, "/api/auth/logout", admin, demoPlain, ""); status != http.StatusNoContent {
		t.Fatalf("logout: %d %v", status, body)
	}
	if status, body := s.call(t, http.MethodGet, "/api/auth/me", admin, demoPlain, ""); status != http.StatusUnauthorized || body["code"] != "invalid_token" {
		t.Errorf("me after logout: %d %v, want 401 invalid_token", status, body)
	}
	if status, body := s.call(t, http.MethodGet, "/odata/Applications/"+demoPlain, admin, demoPlain, ""); status != http.StatusUnauthorized {
		t.Errorf("applications after logout: %d %v, want 401", status, body)
	}
	// Without the headers the authorizer still runs (it has no identity sources): the function's 401.
	if status, body := s.call(t, http.MethodGet, "/api/auth/me", "", demoPlain, ""); status != http.StatusUnauthorized || body["code"] != "invalid_token" {
		t.Errorf("me without a token: %d %v, want 401 invalid_token", status, body)
	}
}
