package dynamo_test

import (
	"errors"
	"testing"
	"time"

	"mfagateway/shared/auth"
)

// contractSwitched is next, moved to email: what a resend that switches channel writes.
func contractSwitched(next auth.Challenge) auth.Challenge {
	next.Channel, next.Authenticator = auth.ChannelEmail, "AmazonSES"
	next.To, next.Destination = contractEmail, "a***@example.com"
	return next
}

// contractSwitchChallenge stores a live SMS challenge that knows the user's mobile number, with a send
// slot of its own, and returns it as read back.
func contractSwitchChallenge(t *testing.T, e storeEnv, now time.Time) (auth.Challenge, auth.SendSlot) {
	t.Helper()
	c := contractChallenge(t, now.Add(-time.Minute))
	c.UserID = "user-" + contractID(t)[:12]
	c.Mobile = contractMobile
	slot := contractSlot(c.UserID, now, 10)
	if err := e.Store.CreateChallenge(t.Context(), c, slot, ""); err != nil {
		t.Fatalf("CreateChallenge: %v", err)
	}
	got := contractGet(t, e, c.ID)
	contractSame(t, "the challenge as stored, mobile number included", got, c)
	return got, slot
}

// contractRotateCodeSwitchesChannel: RotateCode writes the new channel, provider and address with the
// new code, in the same conditional write, and keeps the user's mobile number for a switch back.
func contractRotateCodeSwitchesChannel(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()
	prev, slot := contractSwitchChallenge(t, e, now)
	next := contractSwitched(contractNext(prev, now, "222222"))
	if err := e.Store.RotateCode(ctx, prev, next, slot, contractMaxAttempts); err != nil {
		t.Fatalf("RotateCode to email: %v", err)
	}
	contractSame(t, "after the switch to email", contractGet(t, e, prev.ID), next)
	item := e.Item(t, "MFA#"+prev.ID)
	if contractS(item, "channel") != "Email" || contractS(item, "to") != contractEmail || contractS(item, "mobile") != contractMobile {
		t.Errorf("stored channel %q, to %q, mobile %q; want Email, %s, %s",
			contractS(item, "channel"), contractS(item, "to"), contractS(item, "mobile"), contractEmail, contractMobile)
	}

	back := contractNext(next, now.Add(time.Minute), "333333")
	back.Channel, back.Authenticator, back.To, back.Destination = prev.Channel, prev.Authenticator, prev.To, prev.Destination
	if err := e.Store.RotateCode(ctx, next, back, slot, contractMaxAttempts); err != nil {
		t.Fatalf("RotateCode back to SMS: %v", err)
	}
	contractSame(t, "after the switch back to SMS", contractGet(t, e, prev.ID), back)
	if n := contractSends(t, e, slot); n != 3 {
		t.Errorf("sends counted = %d, want 3: each switch is a send", n)
	}
	// A verify counts against the channel the challenge names now.
	if err := e.Store.CountAttempt(ctx, back, auth.ChannelEmail, now.Add(time.Minute), contractMaxAttempts, contractStep(back)); !errors.Is(err, auth.ErrChannelMismatch) {
		t.Errorf("CountAttempt naming Email after the switch back: %v, want ErrChannelMismatch", err)
	}
	if err := e.Store.CountAttempt(ctx, back, auth.ChannelSMS, now.Add(time.Minute), contractMaxAttempts, contractStep(back)); err != nil {
		t.Errorf("CountAttempt naming SMS: %v", err)
	}
}

// contractRotateCodeSwitchOwnRetry: a switching RotateCode whose answer was lost and which is sent
// again is still its own success: nil, the send counted once, the challenge switched; a rotate to
// another channel from the same read loses and changes nothing.
func contractRotateCodeSwitchOwnRetry(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()
	prev, slot := contractSwitchChallenge(t, e, now)
	next := contractSwitched(contractNext(prev, now, "222222"))
	if err := e.Store.RotateCode(ctx, prev, next, slot, contractMaxAttempts); err != nil {
		t.Fatalf("RotateCode: %v", err)
	}
	if err := e.Store.RotateCode(ctx, prev, next, slot, contractMaxAttempts); err != nil {
		t.Errorf("the switching RotateCode again, its first answer lost: %v, want nil", err)
	}
	if n := contractSends(t, e, slot); n != 2 {
		t.Errorf("sends counted = %d, want 2: the retry counted a send", n)
	}
	contractSame(t, "after the retried switch", contractGet(t, e, prev.ID), next)

	other := contractNext(prev, now, "333333") // SMS, from the same read
	err := e.Store.RotateCode(ctx, prev, other, slot, contractMaxAttempts)
	contractErrIs(t, "RotateCode to SMS from the read before the switch", err, auth.ErrConflict)
	contractSame(t, "after the losing rotate", contractGet(t, e, prev.ID), next)
}
