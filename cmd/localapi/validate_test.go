package main

import (
	"net/http"
	"testing"
	"time"
)

// TestLocalValidateToken: the local gateway serves GET /api/auth/validateToken in both spellings
// behind the token authorizer, as API Gateway does.
func TestLocalValidateToken(t *testing.T) {
	s := startLocal(t, "", nil)
	status, body := s.loginStatus(t, "ada@example.com", "ada-demo-password-1", demoPlain)
	if status != http.StatusOK {
		t.Fatalf("login: %d %v", status, body)
	}
	token := body["token"].(string)
	_, me := s.call(t, http.MethodGet, "/api/auth/me", token, demoPlain, "")

	for _, path := range []string{"/api/auth/validateToken", "/api/auth/validatetoken"} {
		status, v := s.call(t, http.MethodGet, path, token, demoPlain, "")
		if status != http.StatusOK || v["valid"] != true || v["userId"] != me["userId"] || v["appId"] != demoPlain || v["expiresAt"] != me["expiresAt"] || len(v) != 4 {
			t.Errorf("%s: %d %v, want 200 {valid: true, userId, appId, expiresAt} as me answers them", path, status, v)
		}
	}
	if status, v := s.call(t, http.MethodGet, "/api/auth/validateToken", token, demoMFA, ""); status != http.StatusUnauthorized || v["code"] != "invalid_token" {
		t.Errorf("another application's appId: %d %v, want 401 invalid_token", status, v)
	}
	if status, v := s.call(t, http.MethodGet, "/api/auth/validateToken", "", demoPlain, ""); status != http.StatusUnauthorized || v["code"] != "invalid_token" {
		t.Errorf("no token: %d %v, want the function's 401 invalid_token", status, v)
	}
	if status, _ := s.call(t, http.MethodPost, "/api/auth/logout", token, demoPlain, ""); status != http.StatusNoContent {
		t.Fatalf("logout: %d", status)
	}
	if status, v := s.call(t, http.MethodGet, "/api/auth/validatetoken", token, demoPlain, ""); status != http.StatusUnauthorized || v["code"] != "invalid_token" {
		t.Errorf("after logout: %d %v, want 401 invalid_token", status, v)
	}
}

// TestLocalResendSwitch: a resend through the local gateway that asks for email sends the code to
// the outbox as an email, and the verify that names email takes it.
func TestLocalResendSwitch(t *testing.T) {
	s := startLocal(t, "", map[string]string{"RESEND_COOLDOWN": "1s"})
	login := s.do(t, http.MethodPost, "/api/auth/login", map[string]string{"appId": demoMFA},
		jsonBody(map[string]string{"email": "ada@example.com", "password": "ada-demo-password-1"}))
	if login.status != http.StatusForbidden || login.body["authenticatorCode"] != "SMS" {
		t.Fatalf("login: %d %s, want 403 by SMS", login.status, login.raw)
	}
	mfa := login.body["token"].(string)
	time.Sleep(1100 * time.Millisecond) // the cooldown; the local server reads the real clock
	r := s.do(t, http.MethodPost, "/api/auth/resendMultifactorBindingCode", nil,
		jsonBody(map[string]string{"token": mfa, "authenticator": "email"}))
	if r.status != http.StatusOK || r.body["authenticatorCode"] != "Email" || r.body["destination"] != "a***@example.com" {
		t.Fatalf("resend: %d %s, want 200 by Email to a***@example.com", r.status, r.raw)
	}
	entries := s.outbox(t)
	last := entries[len(entries)-1]
	if last["channel"] != "Email" || last["to"] != "ada@example.com" {
		t.Fatalf("last outbox entry %v, want an email to ada@example.com", last)
	}
	m := sixDigits.FindStringSubmatch(last["body"].(string))
	if m == nil {
		t.Fatalf("no code in %v", last)
	}
	v := s.do(t, http.MethodPost, "/api/auth/verifyMultifactorBindingCode", nil,
		jsonBody(map[string]string{"token": mfa, "authenticatorCode": "Email", "bindingCode": m[1]}))
	if v.status != http.StatusOK || v.body["authenticatorCode"] != "Email" {
		t.Errorf("verify: %d %s, want 200 by Email", v.status, v.raw)
	}
}
