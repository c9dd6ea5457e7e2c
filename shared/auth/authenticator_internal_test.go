package auth

import (
	"context"
	"errors"
	"testing"
	"time"
)

// deviceCodes stands for an authenticator whose codes the user's own device makes: it sends
// nothing, checks codes its own way and cannot resend. Registered beside SMS and email, it shows the
// flows ask a challenge's authenticator rather than test its channel.
type deviceCodes struct{ started int }

func (*deviceCodes) Channel() Channel                                 { return "Device" }
func (*deviceCodes) Provider() string                                 { return "TestDevice" }
func (*deviceCodes) Address(User) (string, string)                    { return "device", "device" }
func (d *deviceCodes) Start(context.Context, Challenge, string) error { d.started++; return nil }
func (*deviceCodes) Check(_ Challenge, code string) bool              { return code == "424242" }
func (*deviceCodes) CanResend() bool                                  { return false }

// oneChallenge is a store holding one challenge; a call the test does not expect panics on the nil Store.
type oneChallenge struct {
	Store
	ch       Challenge
	rotated  bool
	consumed bool
}

func (s *oneChallenge) GetChallenge(context.Context, string) (Challenge, error) { return s.ch, nil }

func (s *oneChallenge) CountAttempt(_ context.Context, _ Challenge, channel Channel, now time.Time, maxAttempts int, _ WrongCodeStep) error {
	if err := s.ch.Verifiable(now, maxAttempts, channel); err != nil {
		return err
	}
	s.ch.Attempts++
	return nil
}

func (s *oneChallenge) Consume(context.Context, Challenge, Token, Channel, time.Time, int) error {
	s.consumed = true
	return nil
}

func (s *oneChallenge) RotateCode(context.Context, Challenge, Challenge, SendSlot, int) error {
	s.rotated = true
	return nil
}

func TestFlowsAskTheChallengesAuthenticator(t *testing.T) {
	now := time.Date(2031, 3, 4, 10, 0, 0, 0, time.UTC)
	mfa := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	newWorld := func() (*Service, *oneChallenge, *deviceCodes) {
		store := &oneChallenge{ch: Challenge{
			ID: TokenID(mfa), UserID: "0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b", Channel: "Device", Authenticator: "TestDevice",
			CodeExpiresAt: now.Add(5 * time.Minute), ExpiresAt: now.Add(15 * time.Minute), Sends: 1, LastSentAt: now.Add(-time.Hour),
		}}
		dev := &deviceCodes{}
		s := NewService(Deps{Store: store, Clock: func() time.Time { return now }, Secret: []byte("secret"), Policy: DefaultPolicy})
		s.authenticators[dev.Channel()] = dev
		return s, store, dev
	}

	t.Run("resend refused when the authenticator cannot resend", func(t *testing.T) {
		s, store, dev := newWorld()
		_, err := s.Resend(context.Background(), mfa)
		if !errors.Is(err, ErrChannelUnavailable) {
			t.Fatalf("Resend = %v, want ErrChannelUnavailable: the channel has nothing to send", err)
		}
		if store.rotated || dev.started != 0 {
			t.Errorf("rotated %v, started %d: a refused resend changed something", store.rotated, dev.started)
		}
	})
	t.Run("verify checks by the authenticator", func(t *testing.T) {
		s, store, _ := newWorld()
		_, err := s.Verify(context.Background(), mfa, "Device", "111111")
		var wrong *CodeError
		if !errors.As(err, &wrong) {
			t.Fatalf("Verify with a code the authenticator rejects = %v, want a CodeError", err)
		}
		v, err := s.Verify(context.Background(), mfa, "Device", "424242")
		if err != nil || !store.consumed {
			t.Fatalf("Verify with the authenticator's code = %v (consumed %v), want success", err, store.consumed)
		}
		if v.Channel != "Device" || v.Authenticator != "TestDevice" {
			t.Errorf("result = %+v, want the challenge's channel and authenticator", v)
		}
	})
	t.Run("a challenge on a channel nobody runs", func(t *testing.T) {
		s, store, _ := newWorld()
		store.ch.Channel = "Pigeon"
		if _, err := s.Verify(context.Background(), mfa, "", "424242"); err == nil || store.consumed {
			t.Errorf("Verify = %v (consumed %v), want an error and nothing consumed", err, store.consumed)
		}
	})
}
