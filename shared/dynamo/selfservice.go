package dynamo

import (
	"context"
	"errors"

	"mfagateway/shared/auth"
)

// SetPendingMobile rewrites the user with the number waiting for its code and counts the code's SMS
// in the user's hourly slot and in the slot's shard of the SMS cap, in one transaction:
// auth.ErrSendLimit when the user's slot is full, auth.ErrSMSCap when the shard is, and then nothing
// is written.
func (s *Store) SetPendingMobile(ctx context.Context, prev, next auth.User, slot auth.SendSlot) error {
	return s.rewriteSending(ctx, "set pending mobile", prev, next, slot)
}

// rewriteSending writes next over prev, as UpdateUser does, and counts one send to the user in the
// hourly slot, in one transaction: auth.ErrSendLimit when the slot is full. Whatever a write sends to
// its user (a code, a ticket) is counted with it, so that a refused send leaves nothing behind.
func (s *Store) rewriteSending(ctx context.Context, what string, prev, next auth.User, slot auth.SendSlot) error {
	if prev.Email != next.Email || prev.ID != next.ID {
		return errors.New(what + ": email and user ID cannot change")
	}
	sends, err := s.countSends(slot)
	if err != nil {
		return err
	}
	err = s.rewriteUser(ctx, what, prev, next, sends...)
	var refused extraRefused
	if errors.As(err, &refused) {
		return sendRefusal(int(refused))
	}
	return err
}
