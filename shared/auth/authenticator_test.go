package auth_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/testenv"
)

func TestParseChannel(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want auth.Channel
		ok   bool
	}{
		{"SMS", auth.ChannelSMS, true},
		{"sms", auth.ChannelSMS, true},
		{"Email", auth.ChannelEmail, true},
		{"EMAIL", auth.ChannelEmail, true},
		{"", "", false},
		{" SMS", "", false},
		{"Fax", "", false},
		{"OTP", "", false},
	} {
		t.Run(strconv.Quote(tc.in), func(t *testing.T) {
			got, ok := auth.ParseChannel(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ParseChannel(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
	if got := auth.ChannelNames(); got != "SMS or Email" {
		t.Errorf("ChannelNames() = %q, want %q", got, "SMS or Email")
	}
}

// fixtureDeps returns a fixture and the Deps its service was built from, for building other services over
// the same table, clock and secret.
func fixtureDeps(t *testing.T, opts ...testenv.Option) (*fixture, auth.Deps) {
	t.Helper()
	f := newFixture(t, opts...)
	return f, f.Deps
}

// TestVerifyNeedsNoSender: the verify function is built without senders and without a password
// hasher, and checks codes that a service with senders sent, on either channel.
func TestVerifyNeedsNoSender(t *testing.T) {
	for _, tc := range []struct {
		name, email, pw string
		channel         auth.Channel
	}{
		{"SMS", adaEmail, adaPassword, auth.ChannelSMS},
		{"Email", graceEmail, gracePass, auth.ChannelEmail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, d := fixtureDeps(t)
			d.SMS, d.Email, d.Hasher = nil, nil, nil
			verifier := auth.NewService(d)
			mfa, code := f.challenge(t, tc.email, tc.pw)
			_, err := verifier.Verify(f.Ctx, mfa, tc.channel, otherCode(code))
			wantCodeError(t, err, auth.DefaultPolicy.MaxAttempts-1)
			v, err := verifier.Verify(f.Ctx, mfa, tc.channel, code)
			if err != nil {
				t.Fatalf("Verify without senders: %v", err)
			}
			if v.Channel != tc.channel || v.Authenticator != "LocalOutbox" {
				t.Errorf("result = %+v, want %s by LocalOutbox (as the challenge recorded it)", v, tc.channel)
			}
		})
	}
}

// TestCodeHashIsUnchanged pins how a binding code is kept: hex HMAC-SHA256 under the secret of the
// challenge ID, the send number and the code, NUL-separated. Challenges stored before a release must
// still verify after it, so this is computed here independently of the service.
func TestCodeHashIsUnchanged(t *testing.T) {
	f, d := fixtureDeps(t)
	want := func(id string, send int, code string) string {
		m := hmac.New(sha256.New, d.Secret)
		m.Write([]byte(id + "\x00" + strconv.Itoa(send) + "\x00" + code))
		return hex.EncodeToString(m.Sum(nil))
	}
	mfa, code := f.challenge(t, adaEmail, adaPassword)
	ch := f.getChallenge(t, mfa)
	if ch.CodeHash != want(auth.TokenID(mfa), 1, code) {
		t.Errorf("first send: stored hash %s, want %s", ch.CodeHash, want(auth.TokenID(mfa), 1, code))
	}
	f.Clock.Advance(time.Minute)
	if _, err := f.svc.Resend(f.Ctx, mfa); err != nil {
		t.Fatalf("Resend: %v", err)
	}
	code = f.LastCode(t)
	if ch := f.getChallenge(t, mfa); ch.Sends != 2 || ch.CodeHash != want(ch.ID, 2, code) {
		t.Errorf("second send: stored sends %d hash %s, want 2 and %s", ch.Sends, ch.CodeHash, want(ch.ID, 2, code))
	}
	if _, err := f.svc.Verify(f.Ctx, mfa, "", code); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}
