package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"mfagateway/shared/httpapi"
)

var corsHeaders = []string{
	"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
	"Access-Control-Max-Age", "Access-Control-Expose-Headers", "Access-Control-Allow-Credentials",
}

// noCORS fails the test when r carries any CORS header.
func noCORS(t *testing.T, what string, r reply) {
	t.Helper()
	for _, h := range corsHeaders {
		if v := r.header.Get(h); v != "" {
			t.Errorf("%s: %s: %q, want none", what, h, v)
		}
	}
}

func preflight(t *testing.T, s *localServer, path, origin string) reply {
	t.Helper()
	return s.do(t, http.MethodOptions, path, map[string]string{
		"Origin": origin, "Access-Control-Request-Method": http.MethodPost,
		"Access-Control-Request-Headers": "authorization,appid,content-type",
	}, "")
}

// TestCORS: with CORS_ALLOWED_ORIGINS, the local gateway answers preflights itself as API Gateway
// does, 204, with the allowed methods and headers for a listed Origin and nothing for another, and
// lets a listed Origin read every answer (Retry-After too), a refusal of the authorizer included.
// Credentials are never allowed.
func TestCORS(t *testing.T) {
	s := startLocal(t, "", map[string]string{"CORS_ALLOWED_ORIGINS": "https://app.example.com,http://localhost:8080"})
	for _, origin := range []string{"https://app.example.com", "http://localhost:8080"} {
		for _, path := range []string{"/api/auth/login", "/api/auth/me", "/odata/users/me", "/no/such/route"} {
			r := preflight(t, s, path, origin)
			if r.status != http.StatusNoContent || len(r.raw) != 0 {
				t.Errorf("preflight %s from %s: %d %q, want 204 and no body", path, origin, r.status, r.raw)
			}
			for h, want := range map[string]string{
				"Access-Control-Allow-Origin":  origin,
				"Access-Control-Allow-Methods": strings.Join(httpapi.CORSAllowMethods(), ","),
				"Access-Control-Allow-Headers": strings.Join(httpapi.CORSAllowHeaders(), ","),
				"Access-Control-Max-Age":       strconv.Itoa(httpapi.CORSMaxAge),
				"Vary":                         "Origin",
			} {
				if got := r.header.Get(h); got != want {
					t.Errorf("preflight %s from %s: %s %q, want %q", path, origin, h, got, want)
				}
			}
			if v := r.header.Get("Access-Control-Allow-Credentials"); v != "" {
				t.Errorf("preflight from %s: Access-Control-Allow-Credentials %q, want none", origin, v)
			}
		}
	}
	for _, h := range []string{"Authorization", "appId", "ClientId", "ClientSecret", "Content-Type", "Prefer"} {
		if !strings.Contains(","+preflight(t, s, "/odata/users", "https://app.example.com").header.Get("Access-Control-Allow-Headers")+",", ","+strings.ToLower(h)+",") {
			t.Errorf("the preflight does not allow the %s header", h)
		}
	}

	for _, other := range []string{"https://evil.example.net", "https://app.example.com:8443", "http://app.example.com", "null"} {
		r := preflight(t, s, "/api/auth/login", other)
		if r.status != http.StatusNoContent {
			t.Errorf("preflight from %s: %d, want 204", other, r.status)
		}
		noCORS(t, "preflight from "+other, r)
		noCORS(t, "POST from "+other, s.do(t, http.MethodPost, "/odata/applications/url", map[string]string{"Origin": other}, `{"url":"demo-mfa.localhost"}`))
	}

	r := s.do(t, http.MethodPost, "/odata/applications/url", map[string]string{"Origin": "https://app.example.com"}, `{"url":"demo-mfa.localhost"}`)
	if r.status != http.StatusOK || r.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		r.header.Get("Access-Control-Expose-Headers") != "retry-after" || r.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("POST from an allowed origin: %d, Allow-Origin %q, Expose-Headers %q, Allow-Credentials %q",
			r.status, r.header.Get("Access-Control-Allow-Origin"), r.header.Get("Access-Control-Expose-Headers"), r.header.Get("Access-Control-Allow-Credentials"))
	}
	// A refused token is an answer the browser client must be able to read, to sign in again.
	r = s.do(t, http.MethodGet, "/api/auth/me", map[string]string{"Origin": "http://localhost:8080", "Authorization": "Bearer nope", "appId": demoMFA}, "")
	if r.status < 400 || r.header.Get("Access-Control-Allow-Origin") != "http://localhost:8080" {
		t.Errorf("a refused token from an allowed origin: %d, Allow-Origin %q", r.status, r.header.Get("Access-Control-Allow-Origin"))
	}
	// Without an Origin (not a browser's cross-origin request) nothing changes.
	noCORS(t, "POST without Origin", s.do(t, http.MethodPost, "/odata/applications/url", nil, `{"url":"demo-mfa.localhost"}`))
}

// TestCORSWildcard: "*" lets every origin in, still without credentials.
func TestCORSWildcard(t *testing.T) {
	s := startLocal(t, "", map[string]string{"CORS_ALLOWED_ORIGINS": "*"})
	r := preflight(t, s, "/api/auth/login", "https://anyone.example.org")
	if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != "*" || r.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight: %d, Allow-Origin %q, Allow-Credentials %q; want 204, *, none",
			r.status, r.header.Get("Access-Control-Allow-Origin"), r.header.Get("Access-Control-Allow-Credentials"))
	}
}

// TestCORSOff: without CORS_ALLOWED_ORIGINS there is no CORS: an OPTIONS request is a route like any
// other, and none exists.
func TestCORSOff(t *testing.T) {
	s := startLocal(t, "", nil)
	r := preflight(t, s, "/api/auth/login", "https://app.example.com")
	if r.status != http.StatusNotFound {
		t.Errorf("preflight without CORS: %d, want 404", r.status)
	}
	noCORS(t, "preflight without CORS", r)
	noCORS(t, "POST without CORS", s.do(t, http.MethodPost, "/odata/applications/url", map[string]string{"Origin": "https://app.example.com"}, `{"url":"demo-mfa.localhost"}`))
}

// TestCORSBadOrigins: a list that is not one of origins stops the start, naming the variable.
func TestCORSBadOrigins(t *testing.T) {
	for _, bad := range []string{"app.example.com", "https://app.example.com/", "https://App.example.com", "*,https://a.example.com",
		"https://a.example.com, https://b.example.com", "ftp://a.example.com", "https://u@a.example.com", "https://a.example.com?x"} {
		a, err := newApp(context.Background(), "", envOf(map[string]string{"CORS_ALLOWED_ORIGINS": bad}), io.Discard, io.Discard)
		if err == nil {
			a.close()
			t.Errorf("CORS_ALLOWED_ORIGINS=%q: started", bad)
			continue
		}
		if !strings.Contains(err.Error(), "CORS_ALLOWED_ORIGINS") {
			t.Errorf("CORS_ALLOWED_ORIGINS=%q: %v, want the variable named", bad, err)
		}
	}
}
