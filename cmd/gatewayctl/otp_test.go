package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/seed"
)

// otpEnv is an env seeded with an application with MFA on and ada, who has an authenticator app.
func otpEnv(t *testing.T) (env, map[string]string) {
	t.Helper()
	e := newEnv(t)
	e.Seed(t, seed.File{
		Applications: []seed.Application{{AppID: otpAppID, Name: "OTP app", URL: "otp.example.com", MFA: true}},
		Users: []seed.User{{Email: "ada@example.com", Name: "Ada", Password: "correct horse battery staple 42",
			Applications: []string{otpAppID}, TOTPSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}},
	})
	return e, map[string]string{"CODE_HMAC_SECRET": string(e.Deps.Secret)}
}

const otpAppID = "6a1f3c2e-8b4d-4e5f-9a6b-7c8d9e0f1a2b"

// cliWith runs the command line against the env's table with environ.
func (e env) cliWith(t *testing.T, environ map[string]string, args ...string) result {
	t.Helper()
	return invoke(t, environ, "", append([]string{"--endpoint", e.URL, "--table", e.Table}, args...)...)
}

// challenge logs ada in and returns the MFA token, which must ask for the authenticator app.
func (e env) challenge(t *testing.T, wantChannel auth.Channel) string {
	t.Helper()
	res, err := e.Service().Login(context.Background(), auth.LoginInput{Email: "ada@example.com",
		Password: "correct horse battery staple 42", App: auth.AppRef{ID: otpAppID}})
	if err != nil || res.MFA == nil {
		t.Fatalf("login: %+v, %v", res, err)
	}
	if res.MFA.Channel != wantChannel {
		t.Fatalf("login asks for %s, want %s", res.MFA.Channel, wantChannel)
	}
	return res.MFA.Token
}

func TestUserRecoveryReset(t *testing.T) {
	t.Run("prints ten codes that log in once each", func(t *testing.T) {
		e, environ := otpEnv(t)
		r := e.cliWith(t, environ, "user", "recovery", "reset", "ada@example.com")
		codes := strings.Fields(r.stdout)
		if r.code != exitOK || len(codes) != auth.RecoveryCodeCount || r.stderr != "" {
			t.Fatalf("exit %d, stdout %q, stderr %q: want %d codes on stdout alone", r.code, r.stdout, r.stderr, auth.RecoveryCodeCount)
		}
		res, err := e.Service().Verify(context.Background(), e.challenge(t, auth.ChannelOTP), auth.ChannelRecoveryCode, codes[0])
		if err != nil || *res.RecoveryCodesRemaining != auth.RecoveryCodeCount-1 {
			t.Fatalf("verify with a printed code: %+v, %v", res, err)
		}
		_, err = e.Service().Verify(context.Background(), e.challenge(t, auth.ChannelOTP), auth.ChannelRecoveryCode, codes[0])
		var wrong *auth.CodeError
		if !errors.As(err, &wrong) {
			t.Errorf("the same code again: %v, want a wrong code", err)
		}
	})
	t.Run("without the server secret nothing is written", func(t *testing.T) {
		e, _ := otpEnv(t)
		e.cliWith(t, nil, "user", "recovery", "reset", "ada@example.com").want(t, exitUsage, "CODE_HMAC_SECRET")
	})
	t.Run("a user without an authenticator app has no recovery codes", func(t *testing.T) {
		e, environ := otpEnv(t)
		e.cliWith(t, environ, "user", "otp", "remove", "ada@example.com")
		e.cliWith(t, environ, "user", "recovery", "reset", "ada@example.com").want(t, exitFailure, "no confirmed authenticator app")
		e.cliWith(t, environ, "user", "recovery", "reset", "nobody@example.com").want(t, exitFailure, "no user has email")
	})
}

func TestUserOTPRemove(t *testing.T) {
	e, environ := otpEnv(t)
	r := e.cliWith(t, environ, "user", "otp", "remove", "ada@example.com")
	if r.code != exitOK || !strings.Contains(r.stdout, "removed") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if u := e.user(t, "ada@example.com"); u.OTP != "" {
		t.Error("the user still holds the authenticator app's secret")
	}
	e.challenge(t, auth.ChannelEmail)
	r = e.cliWith(t, environ, "user", "otp", "remove", "ada@example.com")
	if r.code != exitOK || !strings.Contains(r.stdout, "no authenticator app") {
		t.Errorf("again: exit %d, stdout %q", r.code, r.stdout)
	}
}
