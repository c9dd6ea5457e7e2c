package main

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	qrcode "github.com/skip2/go-qrcode"

	"mfagateway/shared/auth"
	"mfagateway/shared/qr"
)

// otpAt is the authenticator app's code for secret at t, as a phone would show it.
func otpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatalf("code of the secret: %v", err)
	}
	return code
}

// qrHolds fails unless dataURI is a PNG data URI of a qr.Size square whose modules, read at their
// centres, are dark exactly where the QR code of text has a dark module: what a phone's camera reads
// is text.
func qrHolds(t *testing.T, dataURI, text string) {
	t.Helper()
	raw, ok := strings.CutPrefix(dataURI, "data:image/png;base64,")
	if !ok {
		t.Fatalf("qrCode %.40q… is not a data:image/png;base64 URI", dataURI)
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		t.Fatalf("qrCode's base64: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("qrCode does not decode as a PNG: %v", err)
	}
	side := img.Bounds()
	if side.Dx() != qr.Size || side.Dy() != qr.Size {
		t.Fatalf("QR image %v, want %d×%d", side, qr.Size, qr.Size)
	}
	want, err := qrcode.New(text, qr.Level)
	if err != nil {
		t.Fatal(err)
	}
	grid := want.Bitmap() // quiet zone included, as drawn over the whole image
	at := func(i int) int { return side.Min.X + (2*i+1)*qr.Size/(2*len(grid)) }
	for row, line := range grid {
		for col, wantDark := range line {
			red, _, _, _ := img.At(at(col), at(row)).RGBA()
			if dark := red < 0x8000; dark != wantDark {
				t.Fatalf("QR module (%d, %d): dark %v, the code of the otpauth URI has %v", col, row, dark, wantDark)
			}
		}
	}
}

// TestLocalSecondFactorWalk walks through the second factor as a new user meets it against the local
// gateway (make run): Ada logs in by SMS, enrols an authenticator app from its QR code, confirms it
// with a code of the secret and gets ten recovery codes; her logins then ask for the app and send
// nothing; a code is accepted once, on one challenge only; a recovery code once; ten wrong codes back
// her second factor off, which a right password then cannot pass and which she is told of once; and
// five wrong passwords from one network back only that network off.
func TestLocalSecondFactorWalk(t *testing.T) {
	s := startLocal(t, "", nil)
	const email, password, mobile = "ada@example.com", "ada-demo-password-1", "+31612345678"
	login := func(t *testing.T) reply {
		t.Helper()
		return s.do(t, http.MethodPost, "/api/auth/login", map[string]string{"appId": demoMFA},
			jsonBody(map[string]string{"email": email, "password": password}))
	}
	verify := func(t *testing.T, mfa, channel, code string) reply {
		t.Helper()
		return s.do(t, http.MethodPost, "/api/auth/verifyMultifactorBindingCode", nil,
			jsonBody(map[string]string{"token": mfa, "authenticatorCode": channel, "bindingCode": code}))
	}
	// otpLogin logs Ada in to a challenge on her authenticator app, which sends nothing.
	otpLogin := func(t *testing.T) string {
		t.Helper()
		before := len(s.outbox(t))
		r := login(t)
		if r.status != http.StatusForbidden || r.body["authenticatorCode"] != "OTP" || r.body["authenticator"] != auth.ProviderAuthenticatorApp {
			t.Fatalf("login with a confirmed authenticator app: %d %s, want 403 OTP AuthenticatorApp", r.status, r.raw)
		}
		if d, ok := r.body["destination"]; ok {
			t.Errorf("an authenticator app challenge names a destination %v", d)
		}
		if n := len(s.outbox(t)); n != before {
			t.Fatalf("a login asking for the authenticator app sent %d messages: %v", n-before, s.outbox(t)[before:])
		}
		return r.body["token"].(string)
	}

	// Ada logs in; the code goes by SMS to her number.
	r := login(t)
	if r.status != http.StatusForbidden || r.body["authenticatorCode"] != "SMS" || r.body["destination"] != "+31******78" {
		t.Fatalf("first login: %d %s, want 403 with a code by SMS to +31******78", r.status, r.raw)
	}
	sms := s.lastMessage(t, mobile)
	code := sixDigits.FindString(sms["body"].(string))
	if sms["channel"] != "SMS" || code == "" {
		t.Fatalf("the code by SMS: %v", sms)
	}
	v := verify(t, r.body["token"].(string), "SMS", code)
	if v.status != http.StatusOK {
		t.Fatalf("verify the SMS code: %d %s", v.status, v.raw)
	}
	ada := platformClient{s: s, token: v.body["token"].(string), appID: demoMFA}

	// With that fresh token she enrols an authenticator app: the QR code holds the otpauth URI, and the
	// URI the secret.
	e := ada.do(t, http.MethodPost, "/api/auth/mfa/authenticators", `{"authenticatorCode": "OTP"}`, nil)
	if e.status != http.StatusCreated || e.body["authenticatorCode"] != "OTP" {
		t.Fatalf("enrol: %d %s, want 201", e.status, e.raw)
	}
	uriText, _ := e.body["otpauthUri"].(string)
	uri, err := url.Parse(uriText)
	if err != nil {
		t.Fatalf("otpauthUri %q: %v", uriText, err)
	}
	q := uri.Query()
	secret := q.Get("secret")
	if uri.Scheme != "otpauth" || uri.Host != "totp" || uri.Path != "/Demo (MFA):"+email || q.Get("issuer") != "Demo (MFA)" ||
		q.Get("digits") != "6" || q.Get("period") != "30" || secret == "" || secret != e.body["secret"] {
		t.Fatalf("otpauthUri %s: want otpauth://totp/Demo (MFA):%s with the answer's secret, the issuer, 6 digits and 30 s", uriText, email)
	}
	qrCode, _ := e.body["qrCode"].(string)
	qrHolds(t, qrCode, uriText)

	// A code of the secret confirms it: ten recovery codes, all different, and an email telling her.
	confirmedAt := time.Now()
	before := len(s.outbox(t))
	c := ada.do(t, http.MethodPost, "/api/auth/mfa/authenticators/confirm",
		jsonBody(map[string]string{"authenticatorCode": "OTP", "bindingCode": otpAt(t, secret, confirmedAt)}), nil)
	if c.status != http.StatusOK {
		t.Fatalf("confirm: %d %s", c.status, c.raw)
	}
	var recovery []string
	for _, x := range c.body["recoveryCodes"].([]any) {
		recovery = append(recovery, x.(string))
	}
	if slices.Sort(recovery); len(slices.Compact(slices.Clone(recovery))) != 10 {
		t.Fatalf("recoveryCodes %v, want 10 different codes", c.body["recoveryCodes"])
	}
	if box := s.outbox(t); len(box) != before+1 || box[before]["to"] != email || box[before]["channel"] != "Email" {
		t.Errorf("confirming sent %v, want one email to %s", box[before:], email)
	}

	if r := ada.do(t, http.MethodPost, "/api/auth/logout", "", nil); r.status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.status, r.raw)
	}
	if r := ada.do(t, http.MethodGet, "/api/auth/me", "", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("me after logout: %d %s, want 401", r.status, r.raw)
	}

	// The next login asks for the app. The confirming code's time step is spent, so the phone's next
	// code is the one (accepted one step ahead: no waiting for it).
	next := otpAt(t, secret, confirmedAt.Add(30*time.Second))
	if v := verify(t, otpLogin(t), "OTP", next); v.status != http.StatusOK || v.body["authenticatorCode"] != "OTP" || !auth.IsAuthToken(v.body["token"].(string)) {
		t.Fatalf("verify a code of the app: %d %s, want 200 with an auth token", v.status, v.raw)
	}
	// The same code again, on a new challenge: refused.
	mfa := otpLogin(t)
	if v := verify(t, mfa, "OTP", next); v.status != http.StatusUnauthorized || v.body["code"] != "invalid_code" {
		t.Fatalf("the same code on a new challenge: %d %s, want 401 invalid_code", v.status, v.raw)
	}

	// A recovery code gets in, once; she is told by email.
	before = len(s.outbox(t))
	if v := verify(t, mfa, "RecoveryCode", recovery[0]); v.status != http.StatusOK || v.body["recoveryCodesRemaining"] != float64(9) {
		t.Fatalf("a recovery code: %d %s, want 200 with recoveryCodesRemaining 9", v.status, v.raw)
	}
	if box := s.outbox(t); len(box) != before+1 || box[before]["to"] != email {
		t.Errorf("using a recovery code sent %v, want one email to %s", box[before:], email)
	}
	mfa = otpLogin(t)
	if v := verify(t, mfa, "RecoveryCode", recovery[0]); v.status != http.StatusUnauthorized || v.body["code"] != "invalid_code" {
		t.Fatalf("a used recovery code: %d %s, want 401 invalid_code", v.status, v.raw)
	}
	// Another one gets in, which ends the run of wrong codes that the used one began.
	if v := verify(t, mfa, "RecoveryCode", recovery[1]); v.status != http.StatusOK || v.body["recoveryCodesRemaining"] != float64(8) {
		t.Fatalf("a second recovery code: %d %s, want 200 with recoveryCodesRemaining 8", v.status, v.raw)
	}

	// Ten wrong codes in a row, across two challenges (each allows five), back her second factor off.
	// A wrong code: none of the app's codes from a minute ago to a minute ahead.
	var near []string
	for k := -2; k <= 2; k++ {
		near = append(near, otpAt(t, secret, time.Now().Add(time.Duration(k)*30*time.Second)))
	}
	wrong := "000000"
	for slices.Contains(near, wrong) {
		wrong = strings.Repeat(string(wrong[0]+1), 6)
	}
	before = len(s.outbox(t))
	for n := 0; n < auth.DefaultPolicy.AccountMaxFailures; {
		mfa := otpLogin(t)
		for left := auth.DefaultPolicy.MaxAttempts - 1; left >= 0; left-- {
			n++
			v := verify(t, mfa, "OTP", wrong)
			if v.status != http.StatusUnauthorized || v.body["code"] != "invalid_code" || v.body["attemptsRemaining"] != float64(left) {
				t.Fatalf("wrong code %d: %d %s, want 401 invalid_code with attemptsRemaining %d", n, v.status, v.raw, left)
			}
		}
		if n < auth.DefaultPolicy.AccountMaxFailures {
			if v := verify(t, mfa, "OTP", wrong); v.status != http.StatusTooManyRequests || v.body["code"] != "too_many_attempts" {
				t.Fatalf("a sixth code on a challenge: %d %s, want 429 too_many_attempts", v.status, v.raw)
			}
		}
	}
	for i := range 2 {
		r := login(t)
		if r.status != http.StatusTooManyRequests || r.body["code"] != "too_many_requests" || !retryAfterIn(r.header.Get("Retry-After"), 1, 60) {
			t.Fatalf("login %d with the right password in the backoff: %d %s Retry-After %q, want 429 too_many_requests and 1..60 s",
				i+1, r.status, r.raw, r.header.Get("Retry-After"))
		}
	}
	box := s.outbox(t)
	if len(box) != before+1 || box[before]["to"] != email || box[before]["channel"] != "Email" ||
		box[before]["subject"] != "Repeated failed logins to your account" {
		t.Fatalf("from the first wrong code to the logins in the backoff the outbox got %v, want the one notice of the backoff to %s", box[before:], email)
	}

	// Five wrong passwords from 127.0.1.1 back that network off; Grace still logs in from 127.0.2.1.
	attacker, owner := s.from(t, "127.0.1.1"), s.from(t, "127.0.2.1")
	const grace, gracePassword = "grace@example.com", "grace-demo-password-1"
	graceLogin := func(c *localServer, pw string) reply {
		t.Helper()
		return c.do(t, http.MethodPost, "/api/auth/login", map[string]string{"appId": demoMFA}, jsonBody(map[string]string{"email": grace, "password": pw}))
	}
	for i := range auth.DefaultPolicy.LoginMaxFailures {
		if r := graceLogin(attacker, "not grace's password at all"); r.status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d from 127.0.1.1: %d %s, want 401", i+1, r.status, r.raw)
		}
	}
	if r := graceLogin(attacker, gracePassword); r.status != http.StatusTooManyRequests || !retryAfterIn(r.header.Get("Retry-After"), 1, 900) {
		t.Errorf("right password from 127.0.1.1 after five wrong ones: %d %s Retry-After %q, want 429 with Retry-After",
			r.status, r.raw, r.header.Get("Retry-After"))
	}
	if r := graceLogin(owner, gracePassword); r.status != http.StatusForbidden || r.body["authenticatorCode"] != "Email" {
		t.Errorf("right password from 127.0.2.1: %d %s, want 403 with a code by email", r.status, r.raw)
	}
}
