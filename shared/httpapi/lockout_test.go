package httpapi_test

import (
	"net/http"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
)

// TestLoginCountsBySourceNetwork: the login handler counts failed passwords by the network of the
// event's sourceIp. Five wrong passwords from one /24 back that network off, the right password
// included, with 429 and Retry-After; the owner logs in from another network meanwhile; an event
// without a source address counts on a network of its own.
func TestLoginCountsBySourceNetwork(t *testing.T) {
	e := newAPIEnv(t)
	from := func(ip, pw string) answer {
		req := event(httpapi.RouteLogin, appHeader(demoPlain), loginBody(graceEmail, pw))
		req.RequestContext.HTTP.SourceIP = ip
		return e.serve(t, req)
	}
	for i := range auth.DefaultPolicy.LoginMaxFailures {
		if a := from("127.0.1.1", "not-grace's-password"); a.Status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d from 127.0.1.1: %d %s, want 401", i+1, a.Status, a.Raw)
		}
	}
	a := from("127.0.1.200", gracePass)
	if a.Status != http.StatusTooManyRequests || a.Body["code"] != "too_many_requests" || a.Headers["Retry-After"] != "1" {
		t.Errorf("right password from the same /24 = %d %s Retry-After %q, want 429 too_many_requests, Retry-After 1",
			a.Status, a.Raw, a.Headers["Retry-After"])
	}
	if a := from("127.0.2.1", gracePass); a.Status != http.StatusOK || a.Body["token"] == nil {
		t.Errorf("right password from 127.0.2.1 = %d %s, want 200 with a token", a.Status, a.Raw)
	}
	if a := from("", "not-grace's-password"); a.Status != http.StatusUnauthorized {
		t.Errorf("wrong password without a source address = %d %s, want 401", a.Status, a.Raw)
	}
}
