package seed_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pquerna/otp/totp"

	"mfagateway/shared/auth"
	"mfagateway/shared/seed"
	"mfagateway/shared/testenv"
)

const otpSeed = `{
  "applications": [{"appId": "` + plainApp + `", "name": "Plain", "url": "plain.example.com", "enableMultiFactorAuthentication": true}],
  "users": [
    {"email": "ada@example.com", "name": "Ada", "password": "pw-ada-violet-anchor-marble", "applications": ["` + plainApp + `"],
     "totpSecret": "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp"}
  ]
}`

// A seeded totpSecret is a confirmed authenticator app: the login asks for its code, which verifies.
func TestSeedTOTPSecret(t *testing.T) {
	f, err := seed.ParseBytes([]byte(otpSeed))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Users[0].TOTPSecret; got != "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" {
		t.Errorf("totpSecret read as %q, want it upper case without spaces", got)
	}
	s := testenv.NewStack(t)
	s.Seed(t, f)
	ctx := context.Background()
	res, err := s.Service().Login(ctx, auth.LoginInput{Email: "ada@example.com", Password: "pw-ada-violet-anchor-marble", App: auth.AppRef{ID: plainApp}})
	if err != nil || res.MFA == nil || res.MFA.Channel != auth.ChannelOTP {
		t.Fatalf("login: %+v, %v; want a challenge of the authenticator app", res, err)
	}
	code, _ := totp.GenerateCode(f.Users[0].TOTPSecret, s.Clock.Now())
	if _, err := s.Service().Verify(ctx, res.MFA.Token, auth.ChannelOTP, code); err != nil {
		t.Errorf("verify the app's code: %v", err)
	}
	if strings.Contains(s.Logs.String(), f.Users[0].TOTPSecret) {
		t.Error("the log holds the secret")
	}
}

func TestSeedTOTPSecretRefused(t *testing.T) {
	for _, c := range []struct{ secret, why string }{
		{"not base32!", "base32"},
		{"JBSWY3DPEHPK3PXP", "128 bits"},
	} {
		_, err := seed.ParseBytes([]byte(strings.Replace(otpSeed, "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp", c.secret, 1)))
		if err == nil || !strings.Contains(err.Error(), "users[0] (ada@example.com): totpSecret:") || !strings.Contains(err.Error(), c.why) {
			t.Errorf("secret %q: %v, want an error naming the entry, the field and %s", c.secret, err, c.why)
		}
	}
}
