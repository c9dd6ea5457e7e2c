package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/auth"
)

// resendBody is a resend body with the MFA token and the given authenticator property, raw JSON after
// the token ("" for none).
func resendBody(mfa, authenticator string) string {
	body := `{"token": "` + mfa + `"`
	if authenticator != "" {
		body += ", " + authenticator
	}
	return body + "}"
}

// TestResendAuthenticator: the resend's authenticator is the platform's enum Default, SMS or Email
// in any letter case, property name included; absent, empty or null is Default. Any other value is
// 400 invalid_request naming the allowed values, and nothing is sent or counted.
func TestResendAuthenticator(t *testing.T) {
	sent := []struct {
		name, property string
		channel        string
	}{
		{"absent", "", "SMS"},
		{"Default", `"authenticator": "Default"`, "SMS"},
		{"default in lower case", `"authenticator": "default"`, "SMS"},
		{"empty", `"authenticator": ""`, "SMS"},
		{"null", `"authenticator": null`, "SMS"},
		{"its own channel", `"authenticator": "sms"`, "SMS"},
		{"Email", `"authenticator": "Email"`, "Email"},
		{"EMAIL, property name in upper case", `"AUTHENTICATOR": "EMAIL"`, "Email"},
		{"with the properties platform clients send", `"authenticator": "Email", "email": "ada@example.com", "url": "demo-mfa.localhost"`, "Email"},
	}
	for _, tt := range sent {
		t.Run(tt.name, func(t *testing.T) {
			e := newAPIEnv(t)
			mfa, _ := e.challenge(t, adaEmail, adaPassword)
			e.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
			a := e.resend(t, resendBody(mfa, tt.property))
			if a.Status != http.StatusOK {
				t.Fatalf("status %d %s, want 200", a.Status, a.Raw)
			}
			if got := str(t, a.Body, "authenticatorCode"); got != tt.channel {
				t.Errorf("authenticatorCode %q, want %q", got, tt.channel)
			}
			entries := e.Outbox.Entries()
			if last := entries[len(entries)-1]; last.Channel != tt.channel {
				t.Errorf("the code went by %s, want %s", last.Channel, tt.channel)
			}
		})
	}

	refused := []struct {
		name, property, names string
	}{
		{"not of the enum", `"authenticator": "Fax"`, "authenticator must be Default, SMS or Email."},
		{"a provider, not an authenticator", `"authenticator": "AmazonSES"`, "authenticator must be Default, SMS or Email."},
		{"OTP, which this gateway has not", `"authenticator": "OTP"`, "authenticator must be Default, SMS or Email."},
		{"not a string", `"authenticator": 2`, "authenticator must be a string."},
		{"named twice", `"authenticator": "SMS", "Authenticator": "Email"`, `"Authenticator" is given more than once`},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			e := newAPIEnv(t)
			mfa, _ := e.challenge(t, adaEmail, adaPassword)
			e.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
			before := len(e.Outbox.Entries())
			a := e.resend(t, resendBody(mfa, tt.property))
			wantError(t, a, http.StatusBadRequest, "invalid_request", "")
			if msg := str(t, a.Body, "message"); !strings.Contains(msg, tt.names) {
				t.Errorf("message %q, want it to say %q", msg, tt.names)
			}
			if n := len(e.Outbox.Entries()); n != before {
				t.Errorf("%d codes sent for a refused resend", n-before)
			}
			if ch := e.challengeOf(t, mfa); ch.Sends != 1 || !ch.LastSentAt.Equal(epoch) {
				t.Errorf("sends %d, last sent %s: the refused resend was counted", ch.Sends, ch.LastSentAt)
			}
		})
	}
}

func (e *apiEnv) challengeOf(t *testing.T, mfa string) auth.Challenge {
	t.Helper()
	ch, err := e.Store.GetChallenge(e.Ctx, auth.TokenID(mfa))
	if err != nil {
		t.Fatalf("get challenge: %v", err)
	}
	return ch
}

// TestResendSwitchAnswers: the answers of a resend that switches channel: the channel, provider and
// masked destination the new code went by, a verify that must name the new channel, and
// channel_unavailable for a channel the user has no address on.
func TestResendSwitchAnswers(t *testing.T) {
	t.Run("switched to email", func(t *testing.T) {
		e := newAPIEnv(t)
		mfa, _ := e.challenge(t, adaEmail, adaPassword)
		e.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
		a := e.resend(t, resendBody(mfa, `"authenticator": "Email"`))
		if a.Status != http.StatusOK {
			t.Fatalf("status %d %s, want 200", a.Status, a.Raw)
		}
		wantKeys(t, a, "token", "authenticatorCode", "authenticator", "destination", "expiresIn")
		if str(t, a.Body, "token") != mfa || str(t, a.Body, "authenticatorCode") != "Email" || str(t, a.Body, "authenticator") != "LocalOutbox" ||
			str(t, a.Body, "destination") != "a***@example.com" || num(t, a.Body, "expiresIn") != int64(auth.DefaultPolicy.CodeTTL/time.Second) {
			t.Errorf("answer %s, want the same MFA token, Email by LocalOutbox to a***@example.com, 300 s", a.Raw)
		}
		code := e.LastCode(t)
		wantError(t, e.verify(t, verifyBody(mfa, "SMS", code)), http.StatusBadRequest, "invalid_request", "")
		v := e.verify(t, verifyBody(mfa, "Email", code))
		if v.Status != http.StatusOK || str(t, v.Body, "authenticatorCode") != "Email" {
			t.Fatalf("verify: %d %s, want 200 by Email", v.Status, v.Raw)
		}
	})

	t.Run("SMS for a user without a mobile number", func(t *testing.T) {
		e := newAPIEnv(t)
		mfa, _ := e.challenge(t, graceEmail, gracePass)
		e.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
		before := len(e.Outbox.Entries())
		a := e.resend(t, resendBody(mfa, `"authenticator": "SMS"`))
		wantError(t, a, http.StatusBadRequest, "channel_unavailable", "")
		if n := len(e.Outbox.Entries()); n != before {
			t.Errorf("%d codes sent", n-before)
		}
		if ch := e.challengeOf(t, mfa); ch.Channel != auth.ChannelEmail || ch.Sends != 1 {
			t.Errorf("challenge %s with %d sends, want Email with 1: nothing written", ch.Channel, ch.Sends)
		}
	})

	t.Run("switch inside the cooldown", func(t *testing.T) {
		e := newAPIEnv(t)
		mfa, _ := e.challenge(t, adaEmail, adaPassword)
		e.Clock.Advance(10 * time.Second)
		wantError(t, e.resend(t, resendBody(mfa, `"authenticator": "Email"`)), http.StatusTooManyRequests, "too_many_requests", "20")
	})
}
