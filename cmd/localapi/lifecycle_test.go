package main

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// ticketLink is a ticket link in a message body; the ticket is 86 characters of base64url.
var ticketLink = regexp.MustCompile(`(http://[^\s/]+)/(accept-invite|reset-password)\?ticket=([A-Za-z0-9_-]{86})`)

// lastMessage is the newest outbox entry to the address, failing when there is none.
func (s *localServer) lastMessage(t *testing.T, to string) map[string]any {
	t.Helper()
	return s.lastMessageWith(t, to, anyBody)
}

// anyBody matches every message body.
var anyBody = regexp.MustCompile(``)

// lastMessageWith is the newest outbox entry to the address whose body matches re.
func (s *localServer) lastMessageWith(t *testing.T, to string, re *regexp.Regexp) map[string]any {
	t.Helper()
	box := s.outbox(t)
	for i := len(box) - 1; i >= 0; i-- {
		if body, _ := box[i]["body"].(string); box[i]["to"] == to && re.MatchString(body) {
			return box[i]
		}
	}
	t.Fatalf("no message to %s matching %s in the outbox: %v", to, re, box)
	return nil
}

// ticketIn is the ticket of the link in m's body, which must point at this server's page.
func (s *localServer) ticketIn(t *testing.T, m map[string]any, page string) string {
	t.Helper()
	body, _ := m["body"].(string)
	got := ticketLink.FindStringSubmatch(body)
	if got == nil || got[1] != s.url || got[2] != page {
		t.Fatalf("want a %s/%s?ticket= link in %q", s.url, page, body)
	}
	return got[3]
}

// TestLocalAccountLifecycle walks through the account lifecycle as a new user meets it against the
// local gateway (make run): an invitation in the outbox, its link to the local server, a weak password
// refused with the reason, a good one activating the user and, with MFA on, answered by a challenge
// whose code verifies; forgotPassword answering a known and an unknown email alike; a reset ending the
// tokens the user had; and a Dutch user reading Dutch.
func TestLocalAccountLifecycle(t *testing.T) {
	s := startLocal(t, "", nil)
	status, login := s.loginStatus(t, "ada@example.com", "ada-demo-password-1", demoPlain)
	if status != http.StatusOK {
		t.Fatalf("admin login: %d %v", status, login)
	}
	admin := platformClient{s: s, token: login["token"].(string), appID: demoPlain}

	// The admin invites a new user of Demo (MFA), who reads Dutch.
	r := admin.do(t, http.MethodPost, "/odata/users/invite", jsonBody(map[string]any{"user": map[string]any{
		"email": "new@example.com", "name": "Nieuw", "cultureInfo": "nl-NL", "applications": []string{demoMFA}}}), nil)
	if r.status != http.StatusCreated || r.body["status"] != "Pending" {
		t.Fatalf("invite: %d %s, want 201 and a Pending user", r.status, r.raw)
	}
	invitation := s.lastMessage(t, "new@example.com")
	if invitation["channel"] != "Email" || !strings.Contains(invitation["subject"].(string), "Demo (MFA)") {
		t.Errorf("invitation: %v, want an email naming the application", invitation)
	}
	if body := invitation["body"].(string); !strings.Contains(body, "uitgenodigd") {
		t.Errorf("invitation to a nl-NL user is not in Dutch: %q", body)
	}
	ticket := s.ticketIn(t, invitation, "accept-invite")

	// Before the password is set the invited user cannot log in.
	if st, _ := s.loginStatus(t, "new@example.com", "a password nobody set", demoMFA); st != http.StatusUnauthorized {
		t.Fatalf("a Pending user's login: %d, want 401", st)
	}
	change := func(password string) reply {
		return s.do(t, http.MethodPost, "/odata/users/changePassword", nil,
			jsonBody(map[string]any{"password": password, "invite": true, "ticket": ticket}))
	}
	r = change("new@example.com")
	if r.status != http.StatusBadRequest || odataCode(r.body) != "weak_password" {
		t.Fatalf("weak password: %d %s, want 400 weak_password", r.status, r.raw)
	}
	if _, msg := errorAt("/odata/users/changePassword", r.body); !strings.Contains(msg, "shorter than 15") && !strings.Contains(msg, "email") {
		t.Errorf("weak password message %q says no reason", msg)
	}
	// The ticket survives the refusal: a good password activates the user, and MFA is on, so the answer
	// is a challenge, never a token.
	r = change("copper kettle under a quiet bridge")
	if r.status != http.StatusForbidden || r.body["authenticatorCode"] != "Email" || r.body["token"] == "" {
		t.Fatalf("changePassword with MFA on: %d %s, want 403 with an email challenge", r.status, r.raw)
	}
	// The code comes first, then the notice of the password set.
	codeMsg := s.lastMessageWith(t, "new@example.com", sixDigits)
	code := sixDigits.FindString(codeMsg["body"].(string))
	if code == "" || !strings.Contains(codeMsg["body"].(string), "inlogcode") {
		t.Fatalf("the challenge's code message %q: want a Dutch login code", codeMsg["body"])
	}
	st, verified := s.call(t, http.MethodPost, "/api/auth/verifyMultifactorBindingCode", "", "",
		jsonBody(map[string]string{"token": r.body["token"].(string), "bindingCode": code}))
	if st != http.StatusOK || verified["token"] == "" {
		t.Fatalf("verify: %d %v, want 200 and an auth token", st, verified)
	}
	// The new user gives a mobile number: it waits for the code texted to it, and login codes keep
	// going by email until it is confirmed; confirmed, the user's email gets the notice.
	self := platformClient{s: s, token: verified["token"].(string), appID: demoMFA}
	if r := self.do(t, http.MethodPatch, "/odata/users/me", jsonBody(map[string]any{"mobilePhone": "+31 6 2345 6789"}), nil); r.status != http.StatusNoContent {
		t.Fatalf("PATCH /odata/users/me: %d %s, want 204", r.status, r.raw)
	}
	sms := s.lastMessage(t, "+31623456789")
	mobileCode := sixDigits.FindString(sms["body"].(string))
	if sms["channel"] != "SMS" || mobileCode == "" {
		t.Fatalf("the code to the new number: %v", sms)
	}
	if me := self.do(t, http.MethodGet, "/odata/users/me", "", nil); me.body["mobilePhone"] != nil || me.body["pendingMobilePhone"] != "+31******89" {
		t.Fatalf("before confirming: mobilePhone %v, pendingMobilePhone %v; want none and the waiting one masked", me.body["mobilePhone"], me.body["pendingMobilePhone"])
	}
	if r := self.do(t, http.MethodPost, "/odata/users/me/confirmMobile", jsonBody(map[string]string{"bindingCode": mobileCode}), nil); r.status != http.StatusNoContent {
		t.Fatalf("confirmMobile: %d %s, want 204", r.status, r.raw)
	}
	if notice := s.lastMessage(t, "new@example.com"); !strings.Contains(notice["body"].(string), "+31******89") || strings.Contains(notice["body"].(string), "+31623456789") {
		t.Errorf("the notice of the new number: %v, want it masked and in the user's mailbox", notice)
	}
	if st, ch := s.loginStatus(t, "new@example.com", "copper kettle under a quiet bridge", demoMFA); st != http.StatusForbidden || ch["authenticatorCode"] != "SMS" {
		t.Errorf("a login after confirming: %d %v, want 403 with the code by SMS", st, ch)
	}

	if again := change("another long passphrase for this"); again.status != http.StatusUnauthorized || odataCode(again.body) != "invalid_ticket" {
		t.Fatalf("a used ticket: %d %s, want 401 invalid_ticket", again.status, again.raw)
	}

	// forgotPassword answers a known and an unknown email byte for byte alike; only the known one is sent a link.
	before := len(s.outbox(t))
	forgot := func(email string) reply {
		return s.do(t, http.MethodPost, "/odata/users/forgotPassword", nil, jsonBody(map[string]string{"email": email, "url": "demo.localhost"}))
	}
	known, unknown := forgot("grace@example.com"), forgot("nobody-here@example.com")
	if known.status != http.StatusOK || unknown.status != http.StatusOK || !bytes.Equal(known.raw, unknown.raw) {
		t.Fatalf("forgotPassword: known %d %s, unknown %d %s: want the same 200", known.status, known.raw, unknown.status, unknown.raw)
	}
	if box := s.outbox(t); len(box) != before+1 || box[len(box)-1]["to"] != "grace@example.com" {
		t.Fatalf("forgotPassword sent %d messages (want 1, to grace): %v", len(box)-before, box[before:])
	}

	// Grace has a token; the reset ends it.
	st, graceLogin := s.loginStatus(t, "grace@example.com", "grace-demo-password-1", demoPlain)
	if st != http.StatusOK {
		t.Fatalf("grace's login: %d %v", st, graceLogin)
	}
	old := graceLogin["token"].(string)
	if st, _ := s.call(t, http.MethodGet, "/api/auth/me", old, demoPlain, ""); st != http.StatusOK {
		t.Fatalf("grace's token before the reset: %d", st)
	}
	reset := s.ticketIn(t, s.lastMessage(t, "grace@example.com"), "reset-password")
	r = s.do(t, http.MethodPost, "/odata/users/changePassword", map[string]string{"Authorization": "Bearer " + reset},
		jsonBody(map[string]any{"password": "seven lanterns over a frozen canal"}))
	if r.status != http.StatusOK || r.body["token"] == "" || r.body["uniqueIdentifier"] != "demo" || r.body["redirectUrl"] != nil {
		t.Fatalf("reset with MFA off: %d %s, want 200 with a token and the application's uniqueIdentifier", r.status, r.raw)
	}
	if st, _ := s.call(t, http.MethodGet, "/api/auth/me", old, demoPlain, ""); st != http.StatusUnauthorized {
		t.Fatalf("grace's old token after the reset: %d, want 401", st)
	}
	if st, _ := s.call(t, http.MethodGet, "/api/auth/me", r.body["token"].(string), demoPlain, ""); st != http.StatusOK {
		t.Fatalf("the token the reset answered: %d, want 200", st)
	}
	if st, _ := s.loginStatus(t, "grace@example.com", "grace-demo-password-1", demoPlain); st != http.StatusUnauthorized {
		t.Fatalf("grace's old password after the reset: %d, want 401", st)
	}
	if m := s.lastMessage(t, "grace@example.com"); !strings.Contains(strings.ToLower(m["subject"].(string)), "password") {
		t.Errorf("grace's last message %v, want the password-changed notice", m)
	}
}
