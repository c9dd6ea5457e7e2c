package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAccountPage: /account is a page of its own, in each language, that may show the enrolment's QR
// code (a data: URL) and runs its own script after the shared one.
func TestAccountPage(t *testing.T) {
	s := newSite(t)
	for _, lang := range []string{"en", "nl", "de", "fr"} {
		resp := get(t, s, "/account", "lang="+lang+"&url=app.example.com", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", lang, resp.StatusCode)
		}
		if got := directives(resp.Headers["Content-Security-Policy"])["img-src"]; got != "'self' data:" {
			t.Errorf("%s: img-src %q, want 'self' data: (the QR code)", lang, got)
		}
		d := pageData(t, resp.Body)
		if d["page"] != "account" || d["lang"] != lang {
			t.Errorf("%s: page %v lang %v", lang, d["page"], d["lang"])
		}
		if title := readTexts(t, lang)["account_title"]; title == "" || !strings.Contains(resp.Body, "<title>"+title+"</title>") {
			t.Errorf("%s: the title is not the account page's", lang)
		}
		for _, id := range []string{`id="login-form"`, `id="qr"`, `id="secret"`, `id="otpauth"`, `id="confirm-form"`, `id="recovery-codes"`, `id="copy-codes"`, `id="renew-form"`, `id="remove-form"`} {
			if !strings.Contains(resp.Body, id) {
				t.Errorf("%s: no %s", lang, id)
			}
		}
		gateway, account := strings.Index(resp.Body, "/assets/gateway.js"), strings.Index(resp.Body, "/assets/account.js")
		if gateway < 0 || account < gateway {
			t.Errorf("%s: the account script does not follow the shared one", lang)
		}
	}
}

// TestAccountHref: every page knows the account page of its application in its language, without what
// concerns only a sign-in's result (where a token goes) or a ticket.
func TestAccountHref(t *testing.T) {
	s := newSite(t)
	for _, path := range []string{"/login", "/reset-password", "/accept-invite", "/account"} {
		resp := get(t, s, path, "lang=de&url=app.example.com&appId=a-1&redirect_uri="+url.QueryEscape("https://app.example.com/cb")+"&state=s&ticket=t", nil)
		href, _ := pageData(t, resp.Body)["accountHref"].(string)
		u, err := url.Parse(href)
		if err != nil || u.Path != "/account" {
			t.Fatalf("%s: accountHref %q", path, href)
		}
		if got, want := u.Query(), (url.Values{"lang": {"de"}, "url": {"app.example.com"}, "appId": {"a-1"}}); got.Encode() != want.Encode() {
			t.Errorf("%s: accountHref's query %v, want %v", path, got, want)
		}
	}
}
