package main

import (
	"net"
	"net/http"
	"testing"

	"mfagateway/shared/auth"
)

// from is the local server as a client on the loopback address ip sees it: its requests leave from
// ip (all of 127.0.0.0/8 is loopback on Linux), so the server's peer address is ip.
func (s *localServer) from(t *testing.T, ip string) *localServer {
	t.Helper()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: dialer.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &localServer{url: s.url, stdout: s.stdout, client: &http.Client{Transport: tr}}
}

// TestLocalLoginCountsByPeerNetwork: the local gateway gives the handlers the peer's address as the
// event's sourceIp, as API Gateway does, and no header can claim another: five wrong passwords from
// 127.0.1.1 back 127.0.1.0/24 off, while the owner logs in from 127.0.2.1.
func TestLocalLoginCountsByPeerNetwork(t *testing.T) {
	s := startLocal(t, "", nil)
	attacker, owner := s.from(t, "127.0.1.1"), s.from(t, "127.0.2.1")
	const email, password = "linus@example.com", "linus-demo-password-1"
	login := func(c *localServer, pw string) reply {
		t.Helper()
		// The forwarded header names the owner's address: the gateway must not believe it.
		return c.do(t, http.MethodPost, "/api/auth/login", map[string]string{"appId": demoPlain, "X-Forwarded-For": "127.0.2.1"},
			jsonBody(map[string]string{"email": email, "password": pw}))
	}
	for i := range auth.DefaultPolicy.LoginMaxFailures {
		if r := login(attacker, "not-linus's-password"); r.status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d from 127.0.1.1: %d %s, want 401", i+1, r.status, r.raw)
		}
	}
	if r := login(attacker, password); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("right password from 127.0.1.1 after five wrong ones: %d %s Retry-After %q, want 429 with Retry-After",
			r.status, r.raw, r.header.Get("Retry-After"))
	}
	if r := login(owner, password); r.status != http.StatusOK || r.body["token"] == nil {
		t.Errorf("right password from 127.0.2.1: %d %s, want 200 with a token", r.status, r.raw)
	}
}
