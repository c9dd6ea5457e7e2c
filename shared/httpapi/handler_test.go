package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/testenv"
)

// bearerPattern is an MFA token's shape, authTokenPattern an auth token's: a UUID and 256 random bits.
var (
	bearerPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	authTokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{64}$`)
)

func TestLoginSuccess(t *testing.T) {
	e := newAPIEnv(t)
	padded := func(body string, size int) string { // a body of exactly size bytes
		return body[:len(body)-1] + strings.Repeat(" ", size-len(body)) + "}"
	}
	adaPlain := loginBody(adaEmail, adaPassword)
	tests := []struct {
		name        string
		headers     map[string]string
		body        string
		base64      bool
		wantMFA     bool
		channel     string
		destination string
	}{
		{name: "MFA off, appid header", headers: appHeader(demoPlain), body: adaPlain},
		{name: "MFA off, url", body: jsonOf(map[string]any{"email": adaEmail, "password": adaPassword, "url": "demo.localhost"})},
		{name: "url with https://, upper case and trailing slash", body: jsonOf(map[string]any{"email": adaEmail, "password": adaPassword, "url": "https://DEMO.Localhost/"})},
		{name: "url with http://", body: jsonOf(map[string]any{"email": adaEmail, "password": adaPassword, "url": "http://demo.localhost"})},
		{name: "appId header in mixed case", headers: map[string]string{"AppId": demoPlain}, body: adaPlain},
		{name: "APPID header", headers: map[string]string{"APPID": demoPlain}, body: adaPlain},
		{name: "appId wins over url", headers: appHeader(demoPlain), body: jsonOf(map[string]any{"email": adaEmail, "password": adaPassword, "url": "demo-mfa.localhost"})},
		{name: "appId wins over an unknown url", headers: appHeader(demoPlain), body: jsonOf(map[string]any{"email": adaEmail, "password": adaPassword, "url": "nowhere.example"})},
		{name: "email trimmed and case-folded", headers: appHeader(demoPlain), body: loginBody("  Ada@EXAMPLE.com ", adaPassword)},
		{name: "property names in other case", headers: appHeader(demoPlain), body: `{"Email":"ada@example.com","PASSWORD":"ada-demo-password-1"}`},
		{name: "base64 body", headers: appHeader(demoPlain), body: base64.StdEncoding.EncodeToString([]byte(adaPlain)), base64: true},
		{name: "body of exactly 16 KiB", headers: appHeader(demoPlain), body: padded(adaPlain, 16<<10)},
		{name: "base64 body of exactly 16 KiB", headers: appHeader(demoPlain), body: base64.StdEncoding.EncodeToString([]byte(padded(adaPlain, 16<<10))), base64: true},
		{name: "MFA on, code by SMS", headers: appHeader(demoMFA), body: adaPlain, wantMFA: true, channel: "SMS", destination: "+31******78"},
		{name: "MFA on by url", body: jsonOf(map[string]any{"email": adaEmail, "password": adaPassword, "url": "https://Demo-MFA.localhost/"}), wantMFA: true, channel: "SMS", destination: "+31******78"},
		{name: "MFA on, no mobile, code by email", headers: appHeader(demoMFA), body: loginBody(graceEmail, gracePass), wantMFA: true, channel: "Email", destination: "g***@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Clock.Advance(time.Minute) // clear of the previous case's resend cooldown and hourly window
			req := event(httpapi.RouteLogin, tt.headers, tt.body)
			req.IsBase64Encoded = tt.base64
			a := e.serve(t, req)
			if hasHeader(a.Headers, "Retry-After") {
				t.Errorf("Retry-After on a success")
			}
			if !tt.wantMFA {
				if a.Status != http.StatusOK {
					t.Fatalf("status = %d %s, want 200", a.Status, a.Raw)
				}
				wantKeys(t, a, "name", "token", "redirectUrl", "expiresIn")
				if v, ok := a.Body["redirectUrl"]; !ok || v != nil {
					t.Errorf("redirectUrl = %#v, want null", v)
				}
				if got := str(t, a.Body, "name"); got != "Ada" {
					t.Errorf("name = %q", got)
				}
				if got := num(t, a.Body, "expiresIn"); got != 36000 {
					t.Errorf("expiresIn = %d, want 36000 (10 h)", got)
				}
				tok := str(t, a.Body, "token")
				if !authTokenPattern.MatchString(tok) || !auth.IsAuthToken(tok) || !e.hasToken(t, tok) {
					t.Errorf("token %q is not a stored 64-character base64url auth token", tok)
				}
				return
			}
			if a.Status != http.StatusForbidden {
				t.Fatalf("status = %d %s, want 403", a.Status, a.Raw)
			}
			wantKeys(t, a, "token", "authenticatorCode", "authenticator", "destination", "expiresIn")
			if got := str(t, a.Body, "authenticatorCode"); got != tt.channel {
				t.Errorf("authenticatorCode = %q, want %q", got, tt.channel)
			}
			if got := str(t, a.Body, "authenticator"); got != "LocalOutbox" {
				t.Errorf("authenticator = %q, want LocalOutbox", got)
			}
			if got := str(t, a.Body, "destination"); got != tt.destination {
				t.Errorf("destination = %q, want %q", got, tt.destination)
			}
			if got := num(t, a.Body, "expiresIn"); got != 300 {
				t.Errorf("expiresIn = %d, want 300", got)
			}
			tok := str(t, a.Body, "token")
			if !bearerPattern.MatchString(tok) {
				t.Errorf("MFA token %q is not 43 characters of base64url", tok)
			}
			if e.hasToken(t, tok) {
				t.Errorf("the MFA token is also an auth token")
			}
			if strings.Contains(a.Raw, adaMobile) || strings.Contains(a.Raw, graceEmail) {
				t.Errorf("unmasked address in %s", a.Raw)
			}
		})
	}
}

func TestLoginRefused(t *testing.T) {
	e := newAPIEnv(t)
	body := func(fields map[string]any) string { return jsonOf(fields) }
	ada := map[string]any{"email": adaEmail, "password": adaPassword}
	with := func(k string, v any) map[string]any {
		m := map[string]any{"email": adaEmail, "password": "wrong-but-irrelevant"}
		m[k] = v
		return m
	}
	without := func(k string) map[string]any {
		m := map[string]any{"email": adaEmail, "password": "irrelevant"}
		delete(m, k)
		return m
	}
	mfa := appHeader(demoMFA)
	big := strings.Repeat("a", 1<<20)
	tests := []struct {
		name    string
		headers map[string]string
		body    string
		base64  bool
		status  int
		code    string
		field   string // the message must name it
	}{
		// 401: one body for all causes.
		{name: "unknown email", headers: mfa, body: loginBody("nobody@example.com", adaPassword), status: 401, code: "invalid_credentials"},
		{name: "wrong password", headers: mfa, body: loginBody(graceEmail, "wrong"), status: 401, code: "invalid_credentials"},
		{name: "password in other case", headers: mfa, body: loginBody(linusEmail, strings.ToUpper(linusPass)), status: 401, code: "invalid_credentials"},
		{name: "not a member", headers: mfa, body: loginBody(linusEmail, linusPass), status: 401, code: "invalid_credentials"},
		{name: "unknown appId", headers: appHeader("00000000-0000-4000-8000-000000000000"), body: loginBody(linusEmail, linusPass), status: 401, code: "invalid_credentials"},
		{name: "appId not a UUID", headers: appHeader("demo"), body: loginBody(linusEmail, linusPass), status: 401, code: "invalid_credentials"},
		{name: "unknown url", body: body(map[string]any{"email": linusEmail, "password": linusPass, "url": "nowhere.localhost"}), status: 401, code: "invalid_credentials"},
		{name: "url with a path the app lacks", body: body(map[string]any{"email": linusEmail, "password": linusPass, "url": "demo.localhost/sub"}), status: 401, code: "invalid_credentials"},
		{name: "unicode address", headers: mfa, body: loginBody("jörg@exämple.com", "pw"), status: 401, code: "invalid_credentials"},
		{name: "CJK address", headers: mfa, body: loginBody("用户@例子.广告", "pw"), status: 401, code: "invalid_credentials"},
		{name: "zero-width space in address", headers: mfa, body: loginBody("ada\u200b@example.com", adaPassword), status: 401, code: "invalid_credentials"},
		{name: "invalid UTF-8 in password", headers: mfa, body: "{\"email\":\"nobody@example.com\",\"password\":\"\xff\xfe\"}", status: 401, code: "invalid_credentials"},
		{name: "appId with control character", headers: appHeader(demoMFA[:8] + "\x00" + demoMFA[9:]), body: loginBody(adaEmail, adaPassword), status: 401, code: "invalid_credentials"},
		{name: "huge appId", headers: appHeader(strings.Repeat("7", 4096)), body: loginBody(adaEmail, adaPassword), status: 401, code: "invalid_credentials"},
		{name: "url with control character", body: body(map[string]any{"email": adaEmail, "password": adaPassword, "url": "demo.localhost\x00"}), status: 401, code: "invalid_credentials"},
		{name: "huge url", body: body(map[string]any{"email": adaEmail, "password": adaPassword, "url": strings.Repeat("u", 8000)}), status: 401, code: "invalid_credentials"},
		{name: "254-character address", headers: mfa, body: loginBody(strings.Repeat("a", 64)+"@"+strings.Repeat("b", 185)+".com", "pw"), status: 401, code: "invalid_credentials"},

		// 400: malformed.
		{name: "broken JSON", headers: mfa, body: `{"email": "ada@example.com", "password": `, status: 400, code: "invalid_request"},
		{name: "not JSON at all", headers: mfa, body: `email=ada@example.com&password=x`, status: 400, code: "invalid_request"},
		{name: "empty body", headers: mfa, body: ``, status: 400, code: "invalid_request"},
		{name: "blank body", headers: mfa, body: " \n\t ", status: 400, code: "invalid_request"},
		{name: "email is a number", headers: mfa, body: `{"email": 123, "password": "x"}`, status: 400, code: "invalid_request", field: "email"},
		{name: "password is a boolean", headers: mfa, body: `{"email": "ada@example.com", "password": true}`, status: 400, code: "invalid_request", field: "password"},
		{name: "password is an object", headers: mfa, body: `{"email": "ada@example.com", "password": {"a": 1}}`, status: 400, code: "invalid_request", field: "password"},
		{name: "url is a number", body: `{"email": "ada@example.com", "password": "x", "url": 5}`, status: 400, code: "invalid_request", field: "url"},
		{name: "body is an array", headers: mfa, body: `[{"email": "ada@example.com", "password": "x"}]`, status: 400, code: "invalid_request"},
		{name: "body is a string", headers: mfa, body: `"ada@example.com"`, status: 400, code: "invalid_request"},
		{name: "body is a number", headers: mfa, body: `42`, status: 400, code: "invalid_request"},
		{name: "body is null", headers: mfa, body: `null`, status: 400, code: "invalid_request"},
		{name: "trailing data", headers: mfa, body: body(ada) + ` x`, status: 400, code: "invalid_request"},
		{name: "two objects", headers: mfa, body: body(ada) + body(ada), status: 400, code: "invalid_request"},
		{name: "missing email", headers: mfa, body: body(without("email")), status: 400, code: "invalid_request", field: "email"},
		{name: "empty email", headers: mfa, body: body(with("email", "")), status: 400, code: "invalid_request", field: "email"},
		{name: "blank email", headers: mfa, body: body(with("email", "   ")), status: 400, code: "invalid_request", field: "email"},
		{name: "null email", headers: mfa, body: body(with("email", nil)), status: 400, code: "invalid_request", field: "email"},
		{name: "missing password", headers: mfa, body: body(without("password")), status: 400, code: "invalid_request", field: "password"},
		{name: "empty password", headers: mfa, body: body(with("password", "")), status: 400, code: "invalid_request", field: "password"},
		{name: "email without @", headers: mfa, body: body(with("email", "ada")), status: 400, code: "invalid_request", field: "email"},
		{name: "email without domain", headers: mfa, body: body(with("email", "ada@")), status: 400, code: "invalid_request", field: "email"},
		{name: "email without local part", headers: mfa, body: body(with("email", "@example.com")), status: 400, code: "invalid_request", field: "email"},
		{name: "email with two @", headers: mfa, body: body(with("email", "ada@@example.com")), status: 400, code: "invalid_request", field: "email"},
		{name: "email with display name", headers: mfa, body: body(with("email", "Ada <ada@example.com>")), status: 400, code: "invalid_request", field: "email"},
		{name: "email in angle brackets", headers: mfa, body: body(with("email", "<ada@example.com>")), status: 400, code: "invalid_request", field: "email"},
		{name: "two addresses", headers: mfa, body: body(with("email", "ada@example.com, grace@example.com")), status: 400, code: "invalid_request", field: "email"},
		{name: "email with NUL", headers: mfa, body: body(with("email", "ada\x00@example.com")), status: 400, code: "invalid_request", field: "email"},
		{name: "email with newline", headers: mfa, body: body(with("email", "ada@example.com\nBcc: x@example.com")), status: 400, code: "invalid_request", field: "email"},
		{name: "email with tab", headers: mfa, body: body(with("email", "ada\t@example.com")), status: 400, code: "invalid_request", field: "email"},
		{name: "email with DEL", headers: mfa, body: body(with("email", "ada\x7f@example.com")), status: 400, code: "invalid_request", field: "email"},
		{name: "email with C1 control", headers: mfa, body: body(with("email", "ada\u0085@example.com")), status: 400, code: "invalid_request", field: "email"},
		{name: "email with comment", headers: mfa, body: body(with("email", "ada(x)@example.com")), status: 400, code: "invalid_request", field: "email"},
		{name: "huge email", headers: mfa, body: body(with("email", strings.Repeat("a", 10000)+"@example.com")), status: 400, code: "invalid_request", field: "email"},
		{name: "255-character email", headers: mfa, body: body(with("email", strings.Repeat("a", 64)+"@"+strings.Repeat("b", 186)+".com")), status: 400, code: "invalid_request", field: "email"},
		{name: "huge password", headers: mfa, body: body(with("password", strings.Repeat("p", 10000))), status: 400, code: "invalid_request", field: "password"},
		{name: "invalid base64", headers: mfa, body: "not base64!", base64: true, status: 400, code: "invalid_request"},

		// 400 application_required.
		{name: "no appId and no url", body: body(ada), status: 400, code: "application_required"},
		{name: "empty url", body: body(map[string]any{"email": adaEmail, "password": adaPassword, "url": ""}), status: 400, code: "application_required"},
		{name: "url of only a scheme", body: body(map[string]any{"email": adaEmail, "password": adaPassword, "url": "https://"}), status: 400, code: "application_required"},
		{name: "blank appId header and no url", headers: appHeader("  "), body: body(ada), status: 400, code: "application_required"},
		{name: "other header only", headers: map[string]string{"x-app-id": demoMFA}, body: body(ada), status: 400, code: "application_required"},

		// 413.
		{name: "1 MiB body", headers: mfa, body: `{"email":"` + big + `"}`, status: 413, code: "payload_too_large"},
		{name: "16 KiB + 1 body", headers: mfa, body: `{"email":"` + strings.Repeat("a", 16<<10+1-len(`{"email":""}`)) + `"}`, status: 413, code: "payload_too_large"},
		{name: "1 MiB base64 body", headers: mfa, body: base64.StdEncoding.EncodeToString([]byte(big)), base64: true, status: 413, code: "payload_too_large"},
		{name: "16 KiB + 1 base64 body", headers: mfa, body: base64.StdEncoding.EncodeToString([]byte(strings.Repeat(" ", 16<<10+1))), base64: true, status: 413, code: "payload_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Clock.Advance(time.Hour) // past any password backoff the earlier cases caused
			sent := len(e.Outbox.Entries())
			req := event(httpapi.RouteLogin, tt.headers, tt.body)
			req.IsBase64Encoded = tt.base64
			a := e.serve(t, req)
			wantError(t, a, tt.status, tt.code, "")
			wantMessageNames(t, a, tt.field)
			if len(e.Outbox.Entries()) != sent {
				t.Errorf("a code was sent")
			}
		})
	}
	// Self-contained: it sends every credential failure of the table itself, so it does not depend on
	// which of the subtests above ran.
	t.Run("one body for every credential failure", func(t *testing.T) {
		var bodies, names []string
		for _, tt := range tests {
			if tt.code != "invalid_credentials" {
				continue
			}
			e.Clock.Advance(time.Hour) // past any password backoff the earlier cases caused
			req := event(httpapi.RouteLogin, tt.headers, tt.body)
			req.IsBase64Encoded = tt.base64
			a := e.serve(t, req)
			wantError(t, a, tt.status, tt.code, "")
			bodies = append(bodies, a.Raw)
			names = append(names, tt.name)
		}
		if len(bodies) < 2 {
			t.Fatalf("%d credential failures to compare, want at least 2", len(bodies))
		}
		for i, b := range bodies[1:] {
			if b != bodies[0] {
				t.Errorf("bodies differ: %q gave %s, %q gave %s", names[0], bodies[0], names[i+1], b)
			}
		}
	})
}

func TestLoginTooManyFailures(t *testing.T) {
	tests := []struct{ name, email string }{
		{"known account", adaEmail},
		{"unknown account", "nobody@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newAPIEnv(t)
			for i := range 5 {
				a := e.login(t, appHeader(demoPlain), loginBody(tt.email, "wrong"))
				if a.Status != http.StatusUnauthorized {
					t.Fatalf("failure %d: %d %s", i+1, a.Status, a.Raw)
				}
			}
			for _, want := range []string{"1", "2", "4"} {
				a := e.login(t, appHeader(demoPlain), loginBody(tt.email, adaPassword))
				wantError(t, a, http.StatusTooManyRequests, "too_many_requests", want)
				s, _ := strconv.Atoi(want)
				e.Clock.Advance(time.Duration(s) * time.Second)
				a = e.login(t, appHeader(demoPlain), loginBody(tt.email, "wrong"))
				wantError(t, a, http.StatusUnauthorized, "invalid_credentials", "")
			}
			e.Clock.Advance(500 * time.Millisecond)
			a := e.login(t, appHeader(demoPlain), loginBody(tt.email, "wrong"))
			wantError(t, a, http.StatusTooManyRequests, "too_many_requests", "8") // 7.5 s rounds up
			e.Clock.Advance(15 * time.Minute)
			a = e.login(t, appHeader(demoPlain), loginBody(tt.email, adaPassword))
			if tt.email == adaEmail && a.Status != http.StatusOK {
				t.Errorf("after the lock: %d %s, want 200", a.Status, a.Raw)
			}
		})
	}
}

func TestLoginHourlySendCap(t *testing.T) {
	e := newAPIEnv(t)
	e.Clock.Advance(59*time.Minute + 59*time.Second + 500*time.Millisecond) // half a second before the hour ends
	for range 10 {
		e.challenge(t, adaEmail, adaPassword)
	}
	a := e.login(t, appHeader(demoMFA), loginBody(adaEmail, adaPassword))
	wantError(t, a, http.StatusTooManyRequests, "too_many_requests", "1") // at least 1
}

func TestLoginDeliveryFailed(t *testing.T) {
	e := newAPIEnv(t, testenv.WithDeps(func(d *auth.Deps) {
		d.SMS, d.Email = brokenSender{"AmazonSNS"}, brokenSender{"AmazonSES"}
	}))
	for _, user := range []struct{ email, pw string }{{adaEmail, adaPassword}, {graceEmail, gracePass}} {
		t.Run(user.email, func(t *testing.T) {
			a := e.serveWith(t, event(httpapi.RouteLogin, appHeader(demoMFA), loginBody(user.email, user.pw)), true)
			wantError(t, a, http.StatusServiceUnavailable, "delivery_failed", "")
		})
	}
}

func TestLoginWithFallback(t *testing.T) {
	e := newAPIEnv(t, testenv.WithDeps(func(d *auth.Deps) { d.SMS = brokenSender{"AmazonSNS"} }))
	a := e.login(t, appHeader(demoMFA), loginBody(adaEmail, adaPassword))
	if a.Status != http.StatusForbidden {
		t.Fatalf("%d %s, want 403", a.Status, a.Raw)
	}
	if ch, by, to := str(t, a.Body, "authenticatorCode"), str(t, a.Body, "authenticator"), str(t, a.Body, "destination"); ch != "Email" || by != "LocalOutbox" || to != "a***@example.com" {
		t.Errorf("answer says %s by %s to %s, want Email by LocalOutbox to a***@example.com", ch, by, to)
	}
	mfa, code := str(t, a.Body, "token"), e.LastCode(t)
	wantError(t, e.verify(t, verifyBody(mfa, "SMS", code)), 400, "invalid_request", "")
	v := e.verify(t, verifyBody(mfa, "Email", code))
	if v.Status != http.StatusOK || str(t, v.Body, "authenticatorCode") != "Email" {
		t.Errorf("verify: %d %s", v.Status, v.Raw)
	}
}

func TestVerifySuccess(t *testing.T) {
	tests := []struct {
		name, email, pw, channel, wantChannel, wantName string
	}{
		{"SMS, authenticatorCode given", adaEmail, adaPassword, "SMS", "SMS", "Ada"},
		{"SMS, authenticatorCode omitted", adaEmail, adaPassword, "", "SMS", "Ada"},
		{"Email, authenticatorCode given", graceEmail, gracePass, "Email", "Email", "Grace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newAPIEnv(t)
			mfa, code := e.challenge(t, tt.email, tt.pw)
			e.Clock.Advance(4 * time.Minute)
			a := e.verify(t, verifyBody(mfa, tt.channel, " "+code+" "))
			if a.Status != http.StatusOK {
				t.Fatalf("%d %s, want 200", a.Status, a.Raw)
			}
			wantKeys(t, a, "token", "authenticatorCode", "authenticator", "name", "redirectUrl", "expiresIn")
			tok := str(t, a.Body, "token")
			if !authTokenPattern.MatchString(tok) || !auth.IsAuthToken(tok) || tok == mfa || !e.hasToken(t, tok) {
				t.Errorf("token %q is not a new stored auth token", tok)
			}
			if got := str(t, a.Body, "authenticatorCode"); got != tt.wantChannel {
				t.Errorf("authenticatorCode = %q", got)
			}
			if got := str(t, a.Body, "authenticator"); got != "LocalOutbox" {
				t.Errorf("authenticator = %q", got)
			}
			if got := str(t, a.Body, "name"); got != tt.wantName {
				t.Errorf("name = %q", got)
			}
			if v, ok := a.Body["redirectUrl"]; !ok || v != nil {
				t.Errorf("redirectUrl = %#v, want null", v)
			}
			if got := num(t, a.Body, "expiresIn"); got != 36000 {
				t.Errorf("expiresIn = %d, want 36000", got)
			}
			// Used.
			wantError(t, e.verify(t, verifyBody(mfa, tt.channel, code)), 401, "invalid_mfa_token", "")
			e.Clock.Advance(time.Minute)
			wantError(t, e.resend(t, jsonOf(map[string]string{"token": mfa})), 401, "invalid_mfa_token", "")
		})
	}
}

func TestVerifyWrongCodes(t *testing.T) {
	e := newAPIEnv(t)
	mfa, code := e.challenge(t, adaEmail, adaPassword)
	for want := int64(4); want >= 0; want-- {
		a := e.verify(t, verifyBody(mfa, "SMS", wrongCode(code)))
		wantError(t, a, http.StatusUnauthorized, "invalid_code", "", "attemptsRemaining")
		if got := num(t, a.Body, "attemptsRemaining"); got != want {
			t.Errorf("attemptsRemaining = %d, want %d", got, want)
		}
	}
	t.Run("the right code after the attempts are used up", func(t *testing.T) {
		wantError(t, e.verify(t, verifyBody(mfa, "SMS", code)), http.StatusTooManyRequests, "too_many_attempts", "")
	})
	t.Run("every later verify", func(t *testing.T) {
		wantError(t, e.verify(t, verifyBody(mfa, "", wrongCode(code))), http.StatusTooManyRequests, "too_many_attempts", "")
	})
	t.Run("resend", func(t *testing.T) {
		e.Clock.Advance(time.Minute)
		wantError(t, e.resend(t, jsonOf(map[string]string{"token": mfa})), http.StatusTooManyRequests, "too_many_attempts", "")
	})
}

func TestVerifyExpiry(t *testing.T) {
	e := newAPIEnv(t)
	mfa, code := e.challenge(t, adaEmail, adaPassword)
	e.Clock.Advance(5 * time.Minute)
	t.Run("code past its lifetime", func(t *testing.T) {
		wantError(t, e.verify(t, verifyBody(mfa, "SMS", code)), http.StatusUnauthorized, "code_expired", "")
		wantError(t, e.verify(t, verifyBody(mfa, "", wrongCode(code))), http.StatusUnauthorized, "code_expired", "")
		if n := e.attempts(t, mfa); n != 0 {
			t.Errorf("attempts = %d, want 0", n)
		}
	})
	t.Run("a resend gets a new code", func(t *testing.T) {
		a := e.resend(t, jsonOf(map[string]string{"token": mfa}))
		if a.Status != http.StatusOK {
			t.Fatalf("resend: %d %s", a.Status, a.Raw)
		}
		if v := e.verify(t, verifyBody(mfa, "SMS", e.LastCode(t))); v.Status != http.StatusOK {
			t.Fatalf("verify new code: %d %s", v.Status, v.Raw)
		}
	})
	t.Run("MFA token past its lifetime", func(t *testing.T) {
		mfa, code := e.challenge(t, graceEmail, gracePass)
		e.Clock.Advance(15 * time.Minute)
		wantError(t, e.verify(t, verifyBody(mfa, "Email", code)), http.StatusUnauthorized, "invalid_mfa_token", "")
		wantError(t, e.resend(t, jsonOf(map[string]string{"token": mfa})), http.StatusUnauthorized, "invalid_mfa_token", "")
	})
}

func TestVerifyMalformed(t *testing.T) {
	e := newAPIEnv(t)
	mfa, code := e.challenge(t, adaEmail, adaPassword)
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		field  string
	}{
		{"broken JSON", `{"token": "` + mfa + `", "bindingCode": `, 400, "invalid_request", ""},
		{"empty body", ``, 400, "invalid_request", ""},
		{"body is an array", `[]`, 400, "invalid_request", ""},
		{"body is null", `null`, 400, "invalid_request", ""},
		{"trailing data", verifyBody(mfa, "SMS", code) + `]`, 400, "invalid_request", ""},
		{"missing token", jsonOf(map[string]string{"bindingCode": code}), 400, "invalid_request", "token"},
		{"empty token", verifyBody("", "SMS", code), 400, "invalid_request", "token"},
		{"token is a number", `{"token": 1, "bindingCode": "` + code + `"}`, 400, "invalid_request", "token"},
		{"missing bindingCode", jsonOf(map[string]string{"token": mfa}), 400, "invalid_request", "bindingCode"},
		{"empty bindingCode", verifyBody(mfa, "SMS", ""), 400, "invalid_request", "bindingCode"},
		{"blank bindingCode", verifyBody(mfa, "SMS", "      "), 400, "invalid_request", "bindingCode"},
		{"bindingCode is a number", `{"token": "` + mfa + `", "bindingCode": 123456}`, 400, "invalid_request", "bindingCode"},
		{"5-digit bindingCode", verifyBody(mfa, "SMS", code[:5]), 400, "invalid_request", "bindingCode"},
		{"7-digit bindingCode", verifyBody(mfa, "SMS", code+"0"), 400, "invalid_request", "bindingCode"},
		{"non-digit bindingCode", verifyBody(mfa, "SMS", code[:5]+"a"), 400, "invalid_request", "bindingCode"},
		{"bindingCode with inner space", verifyBody(mfa, "SMS", code[:3]+" "+code[3:5]), 400, "invalid_request", "bindingCode"},
		{"full-width digits", verifyBody(mfa, "SMS", "１２３４５６"), 400, "invalid_request", "bindingCode"},
		{"Arabic-Indic digits", verifyBody(mfa, "SMS", "١٢٣٤٥٦"), 400, "invalid_request", "bindingCode"},
		{"huge bindingCode", verifyBody(mfa, "SMS", strings.Repeat("1", 10000)), 400, "invalid_request", "bindingCode"},
		{"negative bindingCode", verifyBody(mfa, "SMS", "-12345"), 400, "invalid_request", "bindingCode"},
		{"authenticatorCode Fax", verifyBody(mfa, "Fax", code), 400, "invalid_request", "authenticatorCode"},
		{"authenticatorCode a number", `{"token": "` + mfa + `", "authenticatorCode": 1, "bindingCode": "` + code + `"}`, 400, "invalid_request", "authenticatorCode"},
		{"wrong channel", verifyBody(mfa, "Email", code), 400, "invalid_request", "authenticatorCode"},
		{"wrong channel, wrong code", verifyBody(mfa, "Email", wrongCode(code)), 400, "invalid_request", "authenticatorCode"},
		{"1 MiB body", `{"token": "` + strings.Repeat("a", 1<<20) + `"}`, 413, "payload_too_large", ""},
		{"unknown token", verifyBody(base64.RawURLEncoding.EncodeToString(make([]byte, 32)), "SMS", code), 401, "invalid_mfa_token", ""},
		{"malformed token", verifyBody("abc", "SMS", code), 401, "invalid_mfa_token", ""},
		{"placeholder token", verifyBody("REPLACE_WITH_MFA_TOKEN", "SMS", code), 401, "invalid_mfa_token", ""},
		{"huge token", verifyBody(strings.Repeat("A", 10000), "SMS", code), 401, "invalid_mfa_token", ""},
		{"token with control characters", verifyBody("\x00\x01"+mfa[2:], "SMS", code), 401, "invalid_mfa_token", ""},
		{"token hash instead of token", verifyBody(auth.TokenID(mfa), "SMS", code), 401, "invalid_mfa_token", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.verify(t, tt.body)
			wantError(t, a, tt.status, tt.code, "")
			wantMessageNames(t, a, tt.field)
		})
	}
	// No attempt went to the malformed requests (whichever of them ran), and the right code still works.
	if n := e.attempts(t, mfa); n != 0 {
		t.Errorf("attempts = %d, want 0", n)
	}
	if a := e.verify(t, verifyBody(mfa, "SMS", code)); a.Status != http.StatusOK {
		t.Fatalf("right code after malformed requests: %d %s", a.Status, a.Raw)
	}
}

// TestResend walks a challenge through its resends: the cooldown, the second send, the code it
// replaces, the third send and the per-challenge cap. Each subtest logs in on its own handler and makes
// the sends it starts from.
func TestResend(t *testing.T) {
	resendBody := func(mfa string) string { return jsonOf(map[string]string{"token": mfa}) }
	// resent logs in for a challenge, is refused a resend inside the cooldown (a refusal is no send),
	// and after the 30 s cooldown has the code sent a second time. It returns the handler, the MFA token
	// and the first code.
	resent := func(t *testing.T) (*apiEnv, string, string) {
		t.Helper()
		e := newAPIEnv(t)
		mfa, old := e.challenge(t, adaEmail, adaPassword)
		wantError(t, e.resend(t, resendBody(mfa)), http.StatusTooManyRequests, "too_many_requests", "30")
		e.Clock.Advance(30 * time.Second)
		if a := e.resend(t, resendBody(mfa)); a.Status != http.StatusOK {
			t.Fatalf("second send: %d %s", a.Status, a.Raw)
		}
		return e, mfa, old
	}
	t.Run("inside the cooldown", func(t *testing.T) {
		e := newAPIEnv(t)
		mfa, _ := e.challenge(t, adaEmail, adaPassword)
		tok := resendBody(mfa)
		wantError(t, e.resend(t, tok), http.StatusTooManyRequests, "too_many_requests", "30")
		e.Clock.Advance(10 * time.Second)
		wantError(t, e.resend(t, tok), http.StatusTooManyRequests, "too_many_requests", "20")
		e.Clock.Advance(19*time.Second + 900*time.Millisecond)
		wantError(t, e.resend(t, tok), http.StatusTooManyRequests, "too_many_requests", "1") // 0.1 s rounds up
	})
	t.Run("after the cooldown", func(t *testing.T) {
		e := newAPIEnv(t)
		mfa, _ := e.challenge(t, adaEmail, adaPassword)
		e.Clock.Advance(30 * time.Second)
		a := e.resend(t, resendBody(mfa))
		if a.Status != http.StatusOK {
			t.Fatalf("%d %s, want 200", a.Status, a.Raw)
		}
		wantKeys(t, a, "token", "authenticatorCode", "authenticator", "destination", "expiresIn")
		if str(t, a.Body, "token") != mfa || str(t, a.Body, "authenticatorCode") != "SMS" || str(t, a.Body, "authenticator") != "LocalOutbox" ||
			str(t, a.Body, "destination") != "+31******78" || num(t, a.Body, "expiresIn") != 300 {
			t.Errorf("resend answer = %s", a.Raw)
		}
		if hasHeader(a.Headers, "Retry-After") {
			t.Errorf("Retry-After on a success")
		}
	})
	t.Run("the previous code stops working", func(t *testing.T) {
		e, mfa, old := resent(t)
		if e.LastCode(t) == old {
			t.Skip("the new code happens to equal the old one")
		}
		a := e.verify(t, verifyBody(mfa, "SMS", old))
		wantError(t, a, http.StatusUnauthorized, "invalid_code", "", "attemptsRemaining")
	})
	t.Run("third send, then the per-challenge cap", func(t *testing.T) {
		e, mfa, _ := resent(t)
		e.Clock.Advance(30 * time.Second)
		if a := e.resend(t, resendBody(mfa)); a.Status != http.StatusOK {
			t.Fatalf("third send: %d %s", a.Status, a.Raw)
		}
		for _, wait := range []time.Duration{0, 30 * time.Second, 5 * time.Minute} {
			e.Clock.Advance(wait)
			a := e.resend(t, resendBody(mfa))
			wantError(t, a, http.StatusTooManyRequests, "too_many_requests", "")
			if msg := str(t, a.Body, "message"); !strings.Contains(strings.ToLower(msg), "log in again") {
				t.Errorf("message %q does not say to log in again", msg)
			}
		}
	})
	t.Run("the newest code works", func(t *testing.T) {
		e, mfa, _ := resent(t)
		a := e.verify(t, verifyBody(mfa, "SMS", e.LastCode(t)))
		if a.Status != http.StatusOK {
			t.Fatalf("verify: %d %s", a.Status, a.Raw)
		}
	})
}

func TestResendHourlyCap(t *testing.T) {
	e := newAPIEnv(t)
	e.Clock.Advance(50 * time.Minute)
	first, _ := e.challenge(t, adaEmail, adaPassword)
	for range 9 {
		e.challenge(t, adaEmail, adaPassword)
	}
	e.Clock.Advance(30 * time.Second)
	a := e.resend(t, jsonOf(map[string]string{"token": first}))
	wantError(t, a, http.StatusTooManyRequests, "too_many_requests", "570") // 9.5 min to the next clock hour
}

func TestResendMalformed(t *testing.T) {
	e := newAPIEnv(t)
	mfa, _ := e.challenge(t, adaEmail, adaPassword)
	e.Clock.Advance(time.Minute)
	tests := []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"broken JSON", `{"token": `, 400, "invalid_request", ""},
		{"empty body", ``, 400, "invalid_request", ""},
		{"body is a string", `"` + mfa + `"`, 400, "invalid_request", ""},
		{"missing token", `{}`, 400, "invalid_request", "token"},
		{"empty token", `{"token": ""}`, 400, "invalid_request", "token"},
		{"token is a number", `{"token": 5}`, 400, "invalid_request", "token"},
		{"trailing data", `{"token": "` + mfa + `"} {}`, 400, "invalid_request", ""},
		{"unknown token", jsonOf(map[string]string{"token": base64.RawURLEncoding.EncodeToString(make([]byte, 32))}), 401, "invalid_mfa_token", ""},
		{"malformed token", `{"token": "abc"}`, 401, "invalid_mfa_token", ""},
		{"1 MiB body", `{"token": "` + strings.Repeat("a", 1<<20) + `"}`, 413, "payload_too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.resend(t, tt.body)
			wantError(t, a, tt.status, tt.code, "")
			wantMessageNames(t, a, tt.field)
		})
	}
	if n := len(e.Outbox.Entries()); n != 1 {
		t.Errorf("%d codes sent, want only the login's", n)
	}
}

func TestUnknownRoute(t *testing.T) {
	e := newAPIEnv(t)
	body := loginBody(adaEmail, adaPassword)
	tests := []struct {
		name     string
		req      httpapi.Request
		function string
	}{
		{"GET login", event("GET /api/auth/login", appHeader(demoPlain), ""), "login"},
		{"unknown path", event("POST /api/auth/nope", appHeader(demoPlain), body), "login"},
		{"verify on the login function", event(httpapi.RouteVerify, nil, `{}`), "login"},
		{"login on the verify function", event(httpapi.RouteLogin, appHeader(demoPlain), body), "verify"},
		{"resend on the verify function", event(httpapi.RouteResend, nil, `{}`), "verify"},
		{"path in other case", event("POST /API/auth/login", appHeader(demoPlain), body), "login"},
		{"trailing slash", event("POST /api/auth/login/", appHeader(demoPlain), body), "login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := e.routers[httpapi.LoginFunction].Serve
			if tt.function == "verify" {
				fn = e.routers[httpapi.VerifyFunction].Serve
			}
			resp, err := fn(e.Ctx, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatalf("body %q: %v", resp.Body, err)
			}
			wantError(t, answer{Status: resp.StatusCode, Headers: resp.Headers, Raw: resp.Body, Body: body}, http.StatusNotFound, "not_found", "")
		})
	}
	t.Run("$default route key falls back to method and path", func(t *testing.T) {
		req := event(httpapi.RouteLogin, appHeader(demoPlain), body)
		req.RouteKey = "$default"
		if a := e.serve(t, req); a.Status != http.StatusOK {
			t.Errorf("%d %s, want 200", a.Status, a.Raw)
		}
	})
}

// TestStorageFaultStaysInternal: when storage fails for good (a missing table), the client gets 500
// internal with a plain message, and the AWS error code goes to the log only.
func TestStorageFaultStaysInternal(t *testing.T) {
	broken := newAPIEnv(t)
	// A table that does not exist: every call fails the way a misconfigured deployment's would.
	broken.rebuild(func(d *auth.Deps) { d.Store = dynamo.New(broken.Client, "no-such-table") })
	tests := []struct {
		name string
		req  httpapi.Request
	}{
		{"login", event(httpapi.RouteLogin, appHeader(demoMFA), loginBody(adaEmail, adaPassword))},
		{"verify", event(httpapi.RouteVerify, nil, verifyBody(base64.RawURLEncoding.EncodeToString(make([]byte, 32)), "SMS", "123456"))},
		{"resend", event(httpapi.RouteResend, nil, jsonOf(map[string]string{"token": base64.RawURLEncoding.EncodeToString(make([]byte, 32))}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := broken.serveWith(t, tt.req, true)
			wantError(t, a, http.StatusInternalServerError, "internal", "")
			if strings.Contains(a.Raw, "no-such-table") {
				t.Errorf("table name reached the client: %s", a.Raw)
			}
		})
	}
	if logs := broken.Logs.String(); !strings.Contains(logs, `"awsCode":"ResourceNotFoundException"`) || strings.Contains(logs, "no-such-table") {
		t.Errorf("the log should name the fault by its AWS code, and not the table:\n%s", logs)
	}
}

// TestLogsHoldNoSecrets runs every flow and checks the log for passwords, codes, tokens and unmasked addresses.
func TestLogsHoldNoSecrets(t *testing.T) {
	e := newAPIEnv(t)
	var secrets []string
	a := e.login(t, appHeader(demoPlain), loginBody(adaEmail, adaPassword))
	secrets = append(secrets, str(t, a.Body, "token"))
	e.login(t, appHeader(demoPlain), loginBody(adaEmail, "a-wrong-password"))
	e.login(t, appHeader(demoPlain), loginBody("nobody@example.com", "another-wrong-password"))
	mfa, code := e.challenge(t, adaEmail, adaPassword)
	e.verify(t, verifyBody(mfa, "SMS", wrongCode(code)))
	e.Clock.Advance(30 * time.Second)
	e.resend(t, jsonOf(map[string]string{"token": mfa}))
	code2 := e.LastCode(t)
	v := e.verify(t, verifyBody(mfa, "SMS", code2))
	secrets = append(secrets, mfa, code, code2, wrongCode(code), str(t, v.Body, "token"), adaPassword, "a-wrong-password", "another-wrong-password")
	mfa2, code3 := e.challenge(t, graceEmail, gracePass)
	e.verify(t, verifyBody(mfa2, "", code3))
	secrets = append(secrets, mfa2, code3, gracePass)
	logs := e.Logs.String()
	if logs == "" {
		t.Fatal("nothing was logged")
	}
	for _, s := range secrets {
		if regexp.MustCompile(`(^|[^0-9A-Za-z_-])` + regexp.QuoteMeta(s) + `($|[^0-9A-Za-z_-])`).MatchString(logs) {
			t.Errorf("secret %q is in the log", s)
		}
		if len(s) >= 43 && strings.Contains(logs, s[:16]) {
			t.Errorf("part of token %q is in the log", s)
		}
	}
	for _, addr := range []string{adaMobile, "612345678", adaEmail, graceEmail, "nobody@example.com"} {
		if strings.Contains(logs, addr) {
			t.Errorf("unmasked address %q is in the log", addr)
		}
	}
}
