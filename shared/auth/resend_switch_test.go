package auth_test

import (
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/roundtrip"
	"mfagateway/shared/testenv"
)

func TestParseResendChannel(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want auth.Channel
		ok   bool
	}{
		{"", "", true},
		{"Default", "", true},
		{"default", "", true},
		{"DEFAULT", "", true},
		{"SMS", auth.ChannelSMS, true},
		{"sms", auth.ChannelSMS, true},
		{"Email", auth.ChannelEmail, true},
		{"eMaIl", auth.ChannelEmail, true},
		{"OTP", "", false},
		{"AmazonSNS", "", false},
		{" Email", "", false},
		{"Defaults", "", false},
	} {
		t.Run(strconv.Quote(tc.in), func(t *testing.T) {
			got, ok := auth.ParseResendChannel(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ParseResendChannel(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
	if got, want := auth.ResendChannelNames(), "Default, SMS or Email"; got != want {
		t.Errorf("ResendChannelNames() = %q, want %q", got, want)
	}
}

// resendVia resends after the cooldown by via and fails the test unless a code was sent.
func (f *fixture) resendVia(t *testing.T, mfa string, via auth.Channel) auth.ChallengeResult {
	t.Helper()
	f.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
	r, err := f.svc.ResendVia(f.Ctx, mfa, via)
	if err != nil {
		t.Fatalf("ResendVia(%q): %v", via, err)
	}
	if r.Token != mfa {
		t.Errorf("the resend answered another MFA token")
	}
	return r
}

// wantResent checks a resend's answer and the one message it sent: by channel, through the outbox,
// to `to` in full, shown masked as destination.
func (f *fixture) wantResent(t *testing.T, r auth.ChallengeResult, before int, channel auth.Channel, to, destination string) {
	t.Helper()
	if r.Channel != channel || r.Authenticator != "LocalOutbox" || r.Destination != destination {
		t.Errorf("resend = %s by %s to %s; want %s by LocalOutbox to %s", r.Channel, r.Authenticator, r.Destination, channel, destination)
	}
	entries := f.Outbox.Entries()
	if len(entries) != before+1 {
		t.Fatalf("%d messages sent, want 1", len(entries)-before)
	}
	if last := entries[len(entries)-1]; last.Channel != string(channel) || last.To != to {
		t.Errorf("message by %s to %s, want by %s to %s", last.Channel, last.To, channel, to)
	}
}

// wantUnchanged checks that a refused resend wrote nothing and sent nothing: the challenge as it was,
// the hourly send count as it was, the outbox as it was.
func (f *fixture) wantUnchanged(t *testing.T, mfa string, was auth.Challenge, sends string, before int) {
	t.Helper()
	if got := f.getChallenge(t, mfa); got.Channel != was.Channel || got.To != was.To || got.Sends != was.Sends ||
		got.CodeHash != was.CodeHash || !got.LastSentAt.Equal(was.LastSentAt) {
		t.Errorf("challenge after the refusal = %+v, want it as it was, %+v", got, was)
	}
	if got := f.sendCount(t, was.UserID); got != sends {
		t.Errorf("sends counted this hour = %s, want %s", got, sends)
	}
	if n := len(f.Outbox.Entries()); n != before {
		t.Errorf("%d messages sent, want none", n-before)
	}
}

// sendCount is the user's hourly send counter as stored.
func (f *fixture) sendCount(t *testing.T, userID string) string {
	t.Helper()
	item := f.Item(t, "SENDS#"+userID+"#"+strconv.FormatInt(f.Clock.Now().Unix()/3600, 10))
	if item == nil {
		return "0"
	}
	return numberAttr(t, item, "n")
}

// TestResendSwitchesChannel: a resend that names another channel than the challenge's sends the code
// there and moves the challenge to it, as one send under the usual limits; a channel the user has no
// address on is refused before anything is sent or written.
func TestResendSwitchesChannel(t *testing.T) {
	t.Run("SMS to Email", func(t *testing.T) {
		f := newFixture(t)
		mfa, old := f.challenge(t, adaEmail, adaPassword)
		before := len(f.Outbox.Entries())
		r := f.resendVia(t, mfa, auth.ChannelEmail)
		f.wantResent(t, r, before, auth.ChannelEmail, adaEmail, "a***@example.com")
		code := f.LastCode(t)
		stored := f.getChallenge(t, mfa)
		if stored.Channel != auth.ChannelEmail || stored.To != adaEmail || stored.Destination != "a***@example.com" ||
			stored.Authenticator != "LocalOutbox" || stored.Mobile != adaMobile || stored.Sends != 2 {
			t.Errorf("stored challenge = %+v, want switched to Email with the mobile number kept and 2 sends", stored)
		}
		// The code went by email now: naming SMS is the wrong channel, and uses no attempt.
		_, err := f.svc.Verify(f.Ctx, mfa, auth.ChannelSMS, code)
		wantIs(t, err, auth.ErrChannelMismatch)
		if code != old {
			_, err = f.svc.Verify(f.Ctx, mfa, "", old)
			wantCodeError(t, err, auth.DefaultPolicy.MaxAttempts-1)
		}
		v, err := f.svc.Verify(f.Ctx, mfa, auth.ChannelEmail, code)
		if err != nil {
			t.Fatalf("Verify the emailed code: %v", err)
		}
		if v.Channel != auth.ChannelEmail || v.Authenticator != "LocalOutbox" {
			t.Errorf("verify reports %s by %s, want Email by LocalOutbox", v.Channel, v.Authenticator)
		}
	})

	t.Run("Email to SMS when the user has a mobile number", func(t *testing.T) {
		f := newFixture(t)
		mfa, _ := f.challenge(t, adaEmail, adaPassword)
		f.resendVia(t, mfa, auth.ChannelEmail)
		before := len(f.Outbox.Entries())
		r := f.resendVia(t, mfa, auth.ChannelSMS)
		f.wantResent(t, r, before, auth.ChannelSMS, adaMobile, "+31******78")
		v, err := f.svc.Verify(f.Ctx, mfa, auth.ChannelSMS, f.LastCode(t))
		if err != nil {
			t.Fatalf("Verify the texted code: %v", err)
		}
		if v.Channel != auth.ChannelSMS {
			t.Errorf("verify reports %s, want SMS", v.Channel)
		}
	})

	t.Run("SMS without a mobile number", func(t *testing.T) {
		f := newFixture(t)
		mfa, code := f.challenge(t, graceEmail, gracePass)
		f.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
		was, before := f.getChallenge(t, mfa), len(f.Outbox.Entries())
		_, err := f.svc.ResendVia(f.Ctx, mfa, auth.ChannelSMS)
		wantIs(t, err, auth.ErrChannelUnavailable)
		f.wantUnchanged(t, mfa, was, "1", before)
		if _, err := f.svc.Verify(f.Ctx, mfa, auth.ChannelEmail, code); err != nil {
			t.Errorf("the code from before the refusal: %v, want it still good", err)
		}
	})

	t.Run("a challenge stored without the mobile number", func(t *testing.T) {
		f := newFixture(t, testenv.WithPolicy(func(p *auth.Policy) { p.MaxSends = 4 }))
		mfa, _ := f.challenge(t, adaEmail, adaPassword)
		// Written whole, as the store wrote challenges before it kept the number (the embedded engine
		// does not apply an UpdateItem REMOVE).
		item := f.Item(t, "MFA#"+auth.TokenID(mfa))
		delete(item, "mobile")
		if _, err := f.Raw.PutItem(f.Ctx, &dynamodb.PutItemInput{TableName: aws.String(f.Table), Item: item}); err != nil {
			t.Fatalf("drop the mobile number: %v", err)
		}
		if got := f.getChallenge(t, mfa).Mobile; got != "" {
			t.Fatalf("the stored challenge still has the mobile number %q", got)
		}
		// Its own channel it still has: the address is the one its code went to.
		before := len(f.Outbox.Entries())
		f.wantResent(t, f.resendVia(t, mfa, auth.ChannelSMS), before, auth.ChannelSMS, adaMobile, "+31******78")
		f.resendVia(t, mfa, auth.ChannelEmail)
		f.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
		was, before := f.getChallenge(t, mfa), len(f.Outbox.Entries())
		_, err := f.svc.ResendVia(f.Ctx, mfa, auth.ChannelSMS)
		wantIs(t, err, auth.ErrChannelUnavailable)
		f.wantUnchanged(t, mfa, was, "3", before)
	})

	t.Run("Default keeps the channel", func(t *testing.T) {
		f := newFixture(t, testenv.WithPolicy(func(p *auth.Policy) { p.MaxSends = 4 }))
		mfa, _ := f.challenge(t, adaEmail, adaPassword)
		before := len(f.Outbox.Entries())
		f.wantResent(t, f.resendVia(t, mfa, ""), before, auth.ChannelSMS, adaMobile, "+31******78")
		// After a switch, Default is the channel switched to.
		f.resendVia(t, mfa, auth.ChannelEmail)
		before = len(f.Outbox.Entries())
		f.wantResent(t, f.resendVia(t, mfa, ""), before, auth.ChannelEmail, adaEmail, "a***@example.com")
	})

	t.Run("cooldown", func(t *testing.T) {
		f := newFixture(t)
		mfa, _ := f.challenge(t, adaEmail, adaPassword)
		f.Clock.Advance(10 * time.Second)
		was, before := f.getChallenge(t, mfa), len(f.Outbox.Entries())
		_, err := f.svc.ResendVia(f.Ctx, mfa, auth.ChannelEmail)
		wantRateLimit(t, err, auth.DefaultPolicy.ResendCooldown-10*time.Second)
		f.wantUnchanged(t, mfa, was, "1", before)
	})

	t.Run("sends per challenge", func(t *testing.T) {
		f := newFixture(t)
		mfa, _ := f.challenge(t, adaEmail, adaPassword) // send 1 of 3
		f.resendVia(t, mfa, auth.ChannelEmail)          // 2
		f.resendVia(t, mfa, auth.ChannelSMS)            // 3
		f.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
		was, before := f.getChallenge(t, mfa), len(f.Outbox.Entries())
		_, err := f.svc.ResendVia(f.Ctx, mfa, auth.ChannelEmail)
		wantRateLimit(t, err, 0)
		f.wantUnchanged(t, mfa, was, "3", before)
	})

	t.Run("sends per user per hour", func(t *testing.T) {
		f := newFixture(t, testenv.WithPolicy(func(p *auth.Policy) { p.SendsPerHour = 1 }))
		mfa, code := f.challenge(t, adaEmail, adaPassword)
		f.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
		was, before := f.getChallenge(t, mfa), len(f.Outbox.Entries())
		_, err := f.svc.ResendVia(f.Ctx, mfa, auth.ChannelEmail)
		wantRateLimit(t, err, time.Hour-auth.DefaultPolicy.ResendCooldown)
		f.wantUnchanged(t, mfa, was, "1", before)
		// The refused switch left the challenge on SMS: its code and channel still verify.
		if _, err := f.svc.Verify(f.Ctx, mfa, auth.ChannelSMS, code); err != nil {
			t.Errorf("Verify the SMS code after the refused switch: %v", err)
		}
	})

	t.Run("used challenge", func(t *testing.T) {
		f := newFixture(t)
		mfa, code := f.challenge(t, adaEmail, adaPassword)
		if _, err := f.svc.Verify(f.Ctx, mfa, "", code); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		f.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
		_, err := f.svc.ResendVia(f.Ctx, mfa, auth.ChannelEmail)
		wantIs(t, err, auth.ErrInvalidMFAToken)
	})
}

// TestResendSwitchCostsTwoRequests: a switch reads the challenge and writes code and channel together,
// as any resend does; refusing a channel the user lacks costs only the read.
func TestResendSwitchCostsTwoRequests(t *testing.T) {
	for _, tc := range []struct {
		name  string
		email string
		pw    string
		via   auth.Channel
		err   error
		ops   []string
	}{
		{"SMS to Email", adaEmail, adaPassword, auth.ChannelEmail, nil, []string{"GetItem", "TransactWriteItems"}},
		{"Email to SMS, no mobile number", graceEmail, gracePass, auth.ChannelSMS, auth.ErrChannelUnavailable, []string{"GetItem"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, d := fixtureDeps(t)
			counter := roundtrip.New()
			d.Store = dynamo.New(dynamodb.New(f.Raw.Options(), counter.Attach), f.Table)
			counted := auth.NewService(d)
			mfa, _ := f.challenge(t, tc.email, tc.pw)
			f.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
			var err error
			calls := counter.Measure(func() { _, err = counted.ResendVia(f.Ctx, mfa, tc.via) })
			if !errors.Is(err, tc.err) {
				t.Fatalf("ResendVia(%s): %v, want %v", tc.via, err, tc.err)
			}
			if !slices.Equal(calls.Operations, tc.ops) {
				t.Errorf("resend by %s made %s, want exactly %v", tc.via, calls, tc.ops)
			}
		})
	}
}
