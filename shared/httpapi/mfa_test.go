package httpapi_test

// The authenticator app end to end over the demo seed: enrolment and its QR code, confirmation and
// recovery codes on the account function's router behind the real authorizer, then logins that ask
// for its codes and verifies that accept each time step once.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/qr"
)

const (
	mfaAuthenticators = "/api/auth/mfa/authenticators"
	mfaConfirm        = "/api/auth/mfa/authenticators/confirm"
	mfaRecoveryCodes  = "/api/auth/mfa/recoveryCodes"
	mfaRemoveOTP      = "/api/auth/mfa/authenticators/OTP"
)

// signIn logs email in to Demo (MFA off) and returns the authorizer's verdict for the auth token, as
// API Gateway hands it to a protected function.
func (e *apiEnv) signIn(t *testing.T, email, pw string) map[string]any {
	t.Helper()
	a := e.login(t, appHeader(demoPlain), loginBody(email, pw))
	if a.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, a.Status, a.Raw)
	}
	res, err := e.Authorizer().Handle(e.Ctx, httpapi.AuthorizerRequest{Headers: map[string]string{
		"authorization": "Bearer " + str(t, a.Body, "token"), "appid": demoPlain,
	}})
	if err != nil {
		t.Fatalf("authorizer: %v", err)
	}
	// Through JSON, as API Gateway passes the context on: numbers arrive as float64.
	var verdict map[string]any
	b, _ := json.Marshal(res.Context)
	if err := json.Unmarshal(b, &verdict); err != nil {
		t.Fatal(err)
	}
	return verdict
}

// callMFA sends method path with body to the account function as API Gateway's $default route
// would, with the verdict, and decodes the answer.
func (e *apiEnv) callMFA(t *testing.T, verdict map[string]any, method, path, body string) answer {
	t.Helper()
	resp := e.callProtected(t, httpapi.AccountFunction, verdict, method, path, "", body)
	a := answer{Status: resp.StatusCode, Headers: resp.Headers, Raw: resp.Body}
	if resp.Body != "" {
		dec := json.NewDecoder(strings.NewReader(resp.Body))
		dec.UseNumber()
		if err := dec.Decode(&a.Body); err != nil {
			t.Fatalf("body %q: %v", resp.Body, err)
		}
	}
	return a
}

// verifyAtOnce sends the verify bodies all at once, and counts the answers 200.
func (e *apiEnv) verifyAtOnce(bodies []string) int {
	statuses := make([]int, len(bodies))
	var wg sync.WaitGroup
	for i, body := range bodies {
		wg.Go(func() {
			resp, err := e.routers[httpapi.VerifyFunction].Serve(e.Ctx, event(httpapi.RouteVerify, nil, body))
			if err == nil {
				statuses[i] = resp.StatusCode
			}
		})
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		if s == http.StatusOK {
			ok++
		}
	}
	return ok
}

// enrol starts ada's authenticator app and returns the answer's secret.
func (e *apiEnv) enrol(t *testing.T, verdict map[string]any) (string, answer) {
	t.Helper()
	a := e.callMFA(t, verdict, http.MethodPost, mfaAuthenticators, `{"authenticatorCode": "OTP"}`)
	if a.Status != http.StatusCreated {
		t.Fatalf("enrol: %d %s", a.Status, a.Raw)
	}
	return str(t, a.Body, "secret"), a
}

// otpCode is the authenticator app's code for secret at the stack's clock plus offset.
func (e *apiEnv) otpCode(t *testing.T, secret string, offset time.Duration) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, e.Clock.Now().Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// confirmApp confirms the app with its current code and returns the recovery codes.
func (e *apiEnv) confirmApp(t *testing.T, verdict map[string]any, secret string) []string {
	t.Helper()
	a := e.callMFA(t, verdict, http.MethodPost, mfaConfirm, jsonOf(map[string]string{
		"authenticatorCode": "OTP", "bindingCode": e.otpCode(t, secret, 0)}))
	if a.Status != http.StatusOK {
		t.Fatalf("confirm: %d %s", a.Status, a.Raw)
	}
	return recoveryCodes(t, a)
}

func recoveryCodes(t *testing.T, a answer) []string {
	t.Helper()
	raw, _ := a.Body["recoveryCodes"].([]any)
	var codes []string
	for _, c := range raw {
		s, _ := c.(string)
		codes = append(codes, s)
	}
	if len(codes) != auth.RecoveryCodeCount {
		t.Fatalf("recoveryCodes = %v, want %d", a.Body["recoveryCodes"], auth.RecoveryCodeCount)
	}
	return codes
}

// withApp is a stack where ada has a confirmed authenticator app: its secret and recovery codes. The
// clock then moves on a step, so the step of the confirming code is behind.
func withApp(t *testing.T) (*apiEnv, string, []string) {
	t.Helper()
	e := newAPIEnv(t)
	verdict := e.signIn(t, adaEmail, adaPassword)
	secret, _ := e.enrol(t, verdict)
	codes := e.confirmApp(t, verdict, secret)
	e.Clock.Advance(30 * time.Second)
	return e, secret, codes
}

// otpChallenge logs ada in to Demo (MFA) and returns the MFA token of the challenge.
func (e *apiEnv) otpChallenge(t *testing.T) string {
	t.Helper()
	before := len(e.Outbox.Entries())
	a := e.login(t, appHeader(demoMFA), loginBody(adaEmail, adaPassword))
	if a.Status != http.StatusForbidden {
		t.Fatalf("login: %d %s, want 403", a.Status, a.Raw)
	}
	if got := str(t, a.Body, "authenticatorCode"); got != "OTP" {
		t.Fatalf("authenticatorCode %q, want OTP (%s)", got, a.Raw)
	}
	if n := len(e.Outbox.Entries()); n != before {
		t.Fatalf("an OTP login sent %d messages", n-before)
	}
	return str(t, a.Body, "token")
}

func TestAuthenticatorAppEnrolment(t *testing.T) {
	t.Run("the QR code is a PNG of the otpauth URI, which holds the secret", func(t *testing.T) {
		e := newAPIEnv(t)
		secret, a := e.enrol(t, e.signIn(t, adaEmail, adaPassword))
		wantKeys(t, a, "authenticatorCode", "secret", "otpauthUri", "qrCode")
		uri, err := url.Parse(str(t, a.Body, "otpauthUri"))
		if err != nil {
			t.Fatal(err)
		}
		q := uri.Query()
		if uri.Scheme != "otpauth" || uri.Host != "totp" || uri.Path != "/Demo:"+adaEmail ||
			q.Get("secret") != secret || q.Get("issuer") != "Demo" || q.Get("digits") != "6" || q.Get("period") != "30" {
			t.Errorf("otpauthUri %s: want otpauth://totp/Demo:%s with the secret, issuer, 6 digits and 30 s", uri, adaEmail)
		}
		raw, ok := strings.CutPrefix(str(t, a.Body, "qrCode"), "data:image/png;base64,")
		if !ok {
			t.Fatalf("qrCode is not a PNG data URI")
		}
		b, err := base64.StdEncoding.DecodeString(raw)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("qrCode does not decode as a PNG: %v", err)
		}
		if r := img.Bounds(); r.Dx() != qr.Size || r.Dy() != qr.Size {
			t.Errorf("QR image %v, want %d×%d", r, qr.Size, qr.Size)
		}
		if want, _ := qr.PNG(str(t, a.Body, "otpauthUri")); !bytes.Equal(b, want) {
			t.Error("the QR code is not the one of the otpauth URI")
		}
		if strings.Contains(e.Logs.String(), secret) {
			t.Error("the log holds the secret")
		}
	})
	t.Run("not used for logins until confirmed", func(t *testing.T) {
		e := newAPIEnv(t)
		e.enrol(t, e.signIn(t, adaEmail, adaPassword))
		a := e.login(t, appHeader(demoMFA), loginBody(adaEmail, adaPassword))
		if a.Status != http.StatusForbidden || str(t, a.Body, "authenticatorCode") != "SMS" {
			t.Fatalf("login with an unconfirmed app: %d %s, want an SMS challenge", a.Status, a.Raw)
		}
	})
	t.Run("confirm gives ten recovery codes and an email", func(t *testing.T) {
		e := newAPIEnv(t)
		verdict := e.signIn(t, adaEmail, adaPassword)
		secret, _ := e.enrol(t, verdict)
		codes := e.confirmApp(t, verdict, secret)
		seen := map[string]bool{}
		for _, c := range codes {
			if !auth.IsRecoveryCode(c) || len(c) != 19 || seen[c] {
				t.Errorf("recovery code %q: want XXXX-XXXX-XXXX-XXXX, each once", c)
			}
			seen[c] = true
			if strings.Contains(e.Logs.String(), c) {
				t.Errorf("the log holds recovery code %s", c)
			}
		}
		entries := e.Outbox.Entries()
		if last := entries[len(entries)-1]; last.Channel != "Email" || last.To != adaEmail {
			t.Errorf("newest message %+v, want the notice of an added authenticator to %s", last, adaEmail)
		}
		list := e.callMFA(t, verdict, http.MethodGet, mfaAuthenticators, "")
		if list.Status != http.StatusOK || num(t, list.Body, "recoveryCodesRemaining") != 10 || !strings.Contains(list.Raw, `"authenticatorCode":"OTP","confirmed":true`) {
			t.Errorf("list: %d %s", list.Status, list.Raw)
		}
	})
	t.Run("a second enrolment replaces an unconfirmed one; with a confirmed one it is 409", func(t *testing.T) {
		e := newAPIEnv(t)
		verdict := e.signIn(t, adaEmail, adaPassword)
		first, _ := e.enrol(t, verdict)
		second, _ := e.enrol(t, verdict)
		if first == second {
			t.Fatal("the second enrolment has the first one's secret")
		}
		a := e.callMFA(t, verdict, http.MethodPost, mfaConfirm, jsonOf(map[string]string{"bindingCode": e.otpCode(t, first, 0)}))
		wantError(t, a, http.StatusUnauthorized, httpapi.CodeInvalidCode, "", "attemptsRemaining")
		e.confirmApp(t, verdict, second)
		wantError(t, e.callMFA(t, verdict, http.MethodPost, mfaAuthenticators, `{"authenticatorCode": "OTP"}`), http.StatusConflict, httpapi.CodeConflict, "")
	})
	t.Run("a token older than 10 minutes may not enrol or confirm", func(t *testing.T) {
		e := newAPIEnv(t)
		verdict := e.signIn(t, adaEmail, adaPassword)
		secret, _ := e.enrol(t, verdict)
		e.Clock.Advance(auth.ReauthenticationWindow + time.Second)
		wantError(t, e.callMFA(t, verdict, http.MethodPost, mfaAuthenticators, `{"authenticatorCode": "OTP"}`),
			http.StatusForbidden, httpapi.CodeReauthentication, "")
		wantError(t, e.callMFA(t, verdict, http.MethodPost, mfaConfirm, jsonOf(map[string]string{"bindingCode": e.otpCode(t, secret, 0)})),
			http.StatusForbidden, httpapi.CodeReauthentication, "")
	})
	t.Run("an application acting by its credentials has no second factors", func(t *testing.T) {
		e := newAPIEnv(t)
		client := map[string]any{"valid": true, "client": true, "appId": demoPlain, "expiresAt": float64(e.Clock.Now().Unix() + 3600)}
		wantError(t, e.callMFA(t, client, http.MethodGet, mfaAuthenticators, ""), http.StatusForbidden, httpapi.CodeForbidden, "")
	})
	t.Run("malformed codes are refused without a try", func(t *testing.T) {
		e := newAPIEnv(t)
		verdict := e.signIn(t, adaEmail, adaPassword)
		secret, _ := e.enrol(t, verdict)
		for _, code := range []string{"12345", "1234567", "12a456", "ABCD-EFGH-IJKL-MNOP"} {
			a := e.callMFA(t, verdict, http.MethodPost, mfaConfirm, jsonOf(map[string]string{"bindingCode": code}))
			wantError(t, a, http.StatusBadRequest, httpapi.CodeInvalidRequest, "")
		}
		wantError(t, e.callMFA(t, verdict, http.MethodPost, mfaAuthenticators, `{"authenticatorCode": "SMS"}`),
			http.StatusBadRequest, httpapi.CodeInvalidRequest, "")
		// Five wrong codes are allowed: none of the refusals above used one.
		for i := range 5 {
			a := e.callMFA(t, verdict, http.MethodPost, mfaConfirm, jsonOf(map[string]string{"bindingCode": wrongCode(e.otpCode(t, secret, 0))}))
			wantError(t, a, http.StatusUnauthorized, httpapi.CodeInvalidCode, "", "attemptsRemaining")
			if got := num(t, a.Body, "attemptsRemaining"); got != int64(4-i) {
				t.Errorf("wrong code %d: attemptsRemaining %d, want %d", i+1, got, 4-i)
			}
		}
		wantError(t, e.callMFA(t, verdict, http.MethodPost, mfaConfirm, jsonOf(map[string]string{"bindingCode": e.otpCode(t, secret, 0)})),
			http.StatusTooManyRequests, httpapi.CodeTooManyRequests, "900")
		e.Clock.Advance(15 * time.Minute)
		verdict = e.signIn(t, adaEmail, adaPassword)
		e.confirmApp(t, verdict, secret)
	})
}

func TestAuthenticatorAppLogin(t *testing.T) {
	t.Run("login asks for the code, sends nothing, and the code verifies", func(t *testing.T) {
		e, secret, _ := withApp(t)
		a := e.login(t, appHeader(demoMFA), loginBody(adaEmail, adaPassword))
		wantKeys(t, a, "token", "authenticatorCode", "authenticator", "expiresIn")
		if str(t, a.Body, "authenticator") != auth.ProviderAuthenticatorApp || num(t, a.Body, "expiresIn") != int64(auth.DefaultPolicy.MFATokenTTL/time.Second) {
			t.Errorf("challenge %s: want the authenticator app for the MFA token's life", a.Raw)
		}
		v := e.verify(t, verifyBody(str(t, a.Body, "token"), "OTP", e.otpCode(t, secret, 0)))
		if v.Status != http.StatusOK || str(t, v.Body, "authenticatorCode") != "OTP" {
			t.Fatalf("verify: %d %s", v.Status, v.Raw)
		}
	})
	t.Run("a code is accepted once, even on a new challenge", func(t *testing.T) {
		e, secret, _ := withApp(t)
		code := e.otpCode(t, secret, 0)
		if v := e.verify(t, verifyBody(e.otpChallenge(t), "", code)); v.Status != http.StatusOK {
			t.Fatalf("first verify: %d %s", v.Status, v.Raw)
		}
		wantError(t, e.verify(t, verifyBody(e.otpChallenge(t), "OTP", code)), http.StatusUnauthorized, httpapi.CodeInvalidCode, "", "attemptsRemaining")
	})
	t.Run("one step either side is accepted, two are not", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			offset time.Duration
			status int
		}{
			{"previous step", -30 * time.Second, http.StatusOK},
			{"next step", 30 * time.Second, http.StatusOK},
			{"two steps back", -60 * time.Second, http.StatusUnauthorized},
			{"two steps ahead", 60 * time.Second, http.StatusUnauthorized},
		} {
			t.Run(c.name, func(t *testing.T) {
				e, secret, _ := withApp(t)
				e.Clock.Advance(time.Minute) // the confirming code's steps are all behind
				v := e.verify(t, verifyBody(e.otpChallenge(t), "OTP", e.otpCode(t, secret, c.offset)))
				if v.Status != c.status {
					t.Errorf("verify: %d %s, want %d", v.Status, v.Raw, c.status)
				}
			})
		}
	})
	t.Run("100 verifies at once with one good code yield one token", func(t *testing.T) {
		e, secret, _ := withApp(t)
		mfa := e.otpChallenge(t)
		bodies := make([]string, 100)
		for i := range bodies {
			bodies[i] = verifyBody(mfa, "OTP", e.otpCode(t, secret, 0))
		}
		ok := e.verifyAtOnce(bodies)
		if ok != 1 || len(e.Items(t, "TOKEN#")) != 2 { // ada's sign-in to Demo and this one
			t.Errorf("%d answers 200 and %d tokens, want exactly one of each beside the sign-in", ok, len(e.Items(t, "TOKEN#")))
		}
	})
	t.Run("resend: Default is refused, SMS switches the challenge", func(t *testing.T) {
		e, _, _ := withApp(t)
		mfa := e.otpChallenge(t)
		wantError(t, e.resend(t, jsonOf(map[string]string{"token": mfa})), http.StatusBadRequest, httpapi.CodeChannelUnavailable, "")
		a := e.resend(t, jsonOf(map[string]string{"token": mfa, "authenticator": "SMS"}))
		if a.Status != http.StatusOK || str(t, a.Body, "authenticatorCode") != "SMS" {
			t.Fatalf("resend by SMS: %d %s", a.Status, a.Raw)
		}
		if v := e.verify(t, verifyBody(mfa, "SMS", e.LastCode(t))); v.Status != http.StatusOK {
			t.Errorf("verify the texted code: %d %s", v.Status, v.Raw)
		}
	})
	t.Run("wrong length, non-digits or another channel are 400 and use no attempt", func(t *testing.T) {
		e, _, _ := withApp(t)
		mfa := e.otpChallenge(t)
		for _, code := range []string{"12345", "1234567", "12 456", "abcdef"} {
			wantError(t, e.verify(t, verifyBody(mfa, "OTP", code)), http.StatusBadRequest, httpapi.CodeInvalidRequest, "")
		}
		for _, code := range []string{"123456", "ABCD-EFGH-IJKL", "ABCD-EFGH-IJKL-MNO1"} {
			wantError(t, e.verify(t, verifyBody(mfa, "RecoveryCode", code)), http.StatusBadRequest, httpapi.CodeInvalidRequest, "")
		}
		wantError(t, e.verify(t, verifyBody(mfa, "SMS", "123456")), http.StatusBadRequest, httpapi.CodeInvalidRequest, "")
		if n := e.attempts(t, mfa); n != 0 {
			t.Errorf("attempts %d, want 0", n)
		}
	})
}

func TestRecoveryCodes(t *testing.T) {
	t.Run("a recovery code works once, on any challenge, and tells the user", func(t *testing.T) {
		e, _, codes := withApp(t)
		v := e.verify(t, verifyBody(e.otpChallenge(t), "RecoveryCode", strings.ToLower(codes[0])))
		if v.Status != http.StatusOK || num(t, v.Body, "recoveryCodesRemaining") != 9 {
			t.Fatalf("verify with a recovery code: %d %s", v.Status, v.Raw)
		}
		entries := e.Outbox.Entries()
		if last := entries[len(entries)-1]; last.Channel != "Email" || !strings.Contains(last.Body, "9") {
			t.Errorf("newest message %+v, want the notice of a used recovery code, 9 left", last)
		}
		wantError(t, e.verify(t, verifyBody(e.otpChallenge(t), "RecoveryCode", codes[0])), http.StatusUnauthorized, httpapi.CodeInvalidCode, "", "attemptsRemaining")
	})
	t.Run("a recovery code used at once by many yields one token", func(t *testing.T) {
		e, _, codes := withApp(t)
		bodies := make([]string, 5)
		for i := range bodies {
			bodies[i] = verifyBody(e.otpChallenge(t), "RecoveryCode", codes[1])
		}
		if ok := e.verifyAtOnce(bodies); ok != 1 {
			t.Errorf("%d verifies answered 200, want exactly one", ok)
		}
	})
	t.Run("new codes need a current code; the old ones die", func(t *testing.T) {
		e, secret, codes := withApp(t)
		verdict := e.signIn(t, adaEmail, adaPassword)
		a := e.callMFA(t, verdict, http.MethodPost, mfaRecoveryCodes, jsonOf(map[string]string{"bindingCode": e.otpCode(t, secret, 0)}))
		if a.Status != http.StatusOK {
			t.Fatalf("new recovery codes: %d %s", a.Status, a.Raw)
		}
		fresh := recoveryCodes(t, a)
		wantError(t, e.verify(t, verifyBody(e.otpChallenge(t), "RecoveryCode", codes[2])), http.StatusUnauthorized, httpapi.CodeInvalidCode, "", "attemptsRemaining")
		if v := e.verify(t, verifyBody(e.otpChallenge(t), "RecoveryCode", fresh[0])); v.Status != http.StatusOK {
			t.Errorf("a new code: %d %s", v.Status, v.Raw)
		}
	})
}

func TestRemoveAuthenticatorApp(t *testing.T) {
	t.Run("without a code it is 400", func(t *testing.T) {
		e, _, _ := withApp(t)
		verdict := e.signIn(t, adaEmail, adaPassword)
		wantError(t, e.callMFA(t, verdict, http.MethodDelete, mfaRemoveOTP, `{}`), http.StatusBadRequest, httpapi.CodeInvalidRequest, "")
	})
	t.Run("with a recovery code it goes, and logins text again", func(t *testing.T) {
		e, _, codes := withApp(t)
		verdict := e.signIn(t, adaEmail, adaPassword)
		if a := e.callMFA(t, verdict, http.MethodDelete, "/api/auth/mfa/authenticators/otp", jsonOf(map[string]string{"bindingCode": codes[3]})); a.Status != http.StatusNoContent {
			t.Fatalf("remove: %d %s", a.Status, a.Raw)
		}
		if e.Item(t, "OTP#"+adaID) != nil {
			t.Error("the authenticator app's item is still there")
		}
		if _, ok := e.Item(t, "USER#"+adaEmail)["otp"]; ok {
			t.Error("the user's item still holds the sealed secret")
		}
		a := e.login(t, appHeader(demoMFA), loginBody(adaEmail, adaPassword))
		if a.Status != http.StatusForbidden || str(t, a.Body, "authenticatorCode") != "SMS" {
			t.Errorf("login after the removal: %d %s, want an SMS challenge", a.Status, a.Raw)
		}
	})
	t.Run("with a current code it goes", func(t *testing.T) {
		e, secret, _ := withApp(t)
		verdict := e.signIn(t, adaEmail, adaPassword)
		if a := e.callMFA(t, verdict, http.MethodDelete, mfaRemoveOTP, jsonOf(map[string]string{"bindingCode": e.otpCode(t, secret, 0)})); a.Status != http.StatusNoContent {
			t.Fatalf("remove: %d %s", a.Status, a.Raw)
		}
		list := e.callMFA(t, verdict, http.MethodGet, mfaAuthenticators, "")
		if strings.Contains(list.Raw, `"OTP"`) {
			t.Errorf("list after the removal: %s", list.Raw)
		}
	})
}
