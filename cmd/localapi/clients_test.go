package main

import (
	"net/http"
	"testing"
)

// TestLocalClientCredentials: the local gateway hands ClientId and ClientSecret to the authorizer
// as API Gateway does (every header, in the client's letter case), so an application's secret reads
// its own record and nothing else.
func TestLocalClientCredentials(t *testing.T) {
	s := startLocal(t, "", nil)
	status, login := s.loginStatus(t, "ada@example.com", "ada-demo-password-1", demoPlain)
	if status != http.StatusOK {
		t.Fatalf("admin login: %d %v", status, login)
	}
	token, _ := login["token"].(string)
	issued := s.do(t, http.MethodGet, "/odata/applications/"+demoMFA+"/getAppSecret",
		map[string]string{"Authorization": "Bearer " + token, "appId": demoPlain}, "")
	secret, _ := issued.body["value"].(string)
	if issued.status != http.StatusOK || len(secret) != 43 {
		t.Fatalf("getAppSecret: %d %s", issued.status, issued.raw)
	}
	creds := map[string]string{"ClientId": demoMFA, "ClientSecret": secret}
	if r := s.do(t, http.MethodGet, "/odata/Applications/"+demoMFA, creds, ""); r.status != http.StatusOK || r.body["appId"] != demoMFA {
		t.Errorf("own application: %d %s, want 200", r.status, r.raw)
	}
	for _, path := range []string{"/odata/Applications/" + demoPlain, "/odata/Applications", "/api/auth/me"} {
		if r := s.do(t, http.MethodGet, path, creds, ""); r.status != http.StatusForbidden {
			t.Errorf("%s: %d %s, want 403", path, r.status, r.raw)
		}
	}
	wrong := map[string]string{"clientid": demoMFA, "clientsecret": "A" + secret[1:]}
	if secret[0] == 'A' {
		wrong["clientsecret"] = "B" + secret[1:]
	}
	if r := s.do(t, http.MethodGet, "/odata/Applications/"+demoMFA, wrong, ""); r.status != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d %s, want 401", r.status, r.raw)
	}
}
