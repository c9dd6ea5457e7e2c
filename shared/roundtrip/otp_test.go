package roundtrip_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/pquerna/otp/totp"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/roundtrip"
	"mfagateway/shared/seed"
	"mfagateway/shared/testenv"
)

// The flows of a user with an authenticator app. A login asks for its code at the cost of any login
// with MFA on, one write fewer in its transaction (no send is counted); a verify of its code costs
// what any verify costs, since the challenge carries the sealed secret; a recovery code costs one
// read more, of the codes left, beside the transaction.
var (
	loginOTP       = cost{3, 2} // UpdateItem admit ∥ BatchGetItem; TransactWriteItems {challenge, forget attempts}
	verifyOTP      = cost{2, 2} // UpdateItem attempts+1; TransactWriteItems {challenge used, token, epoch, last step}
	verifyRecovery = cost{3, 2} // UpdateItem attempts+1; TransactWriteItems {challenge used, token, epoch, code used} ∥ GetItem codes left
)

const (
	otpApp    = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a"
	otpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	otpEmail  = "ada@example.com"
	otpPass   = "correct horse battery staple 42"
)

func TestAuthenticatorAppRoundTrips(t *testing.T) {
	counter := roundtrip.New()
	latent := func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, roundtrip.Latency(latency)) }
	s := testenv.NewStack(t, testenv.WithTable(table), testenv.WithClientOptions(counter.Attach, latent))
	s.Seed(t, seed.File{
		Applications: []seed.Application{{AppID: otpApp, Name: "OTP", URL: "otp.example.com", MFA: true}},
		Users: []seed.User{{Email: otpEmail, Name: "Ada", Password: otpPass, Mobile: "+31612345678",
			Applications: []string{otpApp}, TOTPSecret: otpSecret}},
	})
	h := s.Routers(httpapi.LoginFunction, httpapi.VerifyFunction)
	check := func(t *testing.T, flow string, want cost, calls roundtrip.Calls) {
		t.Helper()
		if calls.N() != want.ops || calls.Sequential != want.sequential {
			t.Errorf("%s: %s DynamoDB operations, want exactly %d in %d sequential round trips", flow, calls, want.ops, want.sequential)
		}
	}
	loginReq := apiEvent(t, readEvent(t, "login-mfa-header.json"), map[string]string{"email": otpEmail, "password": otpPass})
	loginReq.Headers["appid"] = otpApp
	login := func(t *testing.T) string {
		t.Helper()
		resp, err := h[httpapi.LoginFunction].Serve(s.Ctx, loginReq)
		body := answer(t, resp, err, 403)
		if body["authenticatorCode"] != "OTP" {
			t.Fatalf("login asks for %v, want OTP", body["authenticatorCode"])
		}
		return body["token"].(string)
	}
	verify := func(t *testing.T, mfa, channel, code string) {
		t.Helper()
		req := apiEvent(t, readEvent(t, "verify.json"), map[string]string{"token": mfa, "authenticatorCode": channel, "bindingCode": code})
		resp, err := h[httpapi.VerifyFunction].Serve(s.Ctx, req)
		answer(t, resp, err, 200)
	}

	t.Run("login", func(t *testing.T) {
		check(t, "login asking for the authenticator app", loginOTP, counter.Measure(func() { login(t) }))
	})
	t.Run("verify", func(t *testing.T) {
		mfa := login(t)
		s.Clock.Advance(30 * time.Second) // a step no other subtest used
		code, _ := totp.GenerateCode(otpSecret, s.Clock.Now())
		check(t, "verify of the authenticator app's code", verifyOTP, counter.Measure(func() { verify(t, mfa, "OTP", code) }))
	})
	t.Run("verify with a recovery code", func(t *testing.T) {
		codes, err := s.SecondFactors().ResetRecoveryCodesFor(s.Ctx, auth.Session{UserID: "test", Admin: true}, otpEmail)
		if err != nil {
			t.Fatal(err)
		}
		mfa := login(t)
		check(t, "verify of a recovery code", verifyRecovery, counter.Measure(func() { verify(t, mfa, "RecoveryCode", codes[0]) }))
	})
}
