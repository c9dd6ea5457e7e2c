package auth_test

import (
	"context"
	"testing"
	"time"

	"mfagateway/shared/auth"
)

// lostAnswer is the account store whose password writes land but answer as lost to a concurrent
// change, as an engine that does not make a retried transaction idempotent answers the SDK's retry.
type lostAnswer struct {
	auth.AccountStore
	writes *int
}

func (s lostAnswer) SetPassword(ctx context.Context, prev, next auth.User, spare string) error {
	*s.writes++
	if err := s.AccountStore.SetPassword(ctx, prev, next, spare); err != nil {
		return err
	}
	return auth.ErrConflict
}

// TestPasswordWriteWhoseAnswerWasLost: a password write that landed though its answer said otherwise
// is this request's own, known by its freshly salted hash: ChangePassword answers as a login, and
// UpdatePassword succeeds, instead of refusing the ticket or the old password on the next round.
func TestPasswordWriteWhoseAnswerWasLost(t *testing.T) {
	const newPass = "copper-lantern-meadow-42"
	t.Run("changePassword", func(t *testing.T) {
		f := newFixture(t)
		var slept []time.Duration
		writes := 0
		acc := f.accountsOver(f.Store, lostAnswer{f.Store, &writes}, &slept)
		ticket := f.resetTicket(t, acc, graceEmail, appPlain)
		set, err := acc.ChangePassword(f.Ctx, ticket, newPass, "")
		if err != nil || set.Login.Token == "" {
			t.Fatalf("ChangePassword = %+v, %v; want a login's token", set, err)
		}
		if writes != 1 {
			t.Errorf("%d password writes, want 1", writes)
		}
		u, _ := f.Store.GetUser(f.Ctx, graceEmail)
		if ok, _ := f.Hasher.Verify(newPass, u.PasswordHash); !ok || u.Epoch != 1 {
			t.Errorf("stored epoch %d, new password set %v; want 1 and true", u.Epoch, ok)
		}
	})
	t.Run("updatePassword", func(t *testing.T) {
		f := newFixture(t)
		var slept []time.Duration
		writes := 0
		acc := f.accountsOver(f.Store, lostAnswer{f.Store, &writes}, &slept)
		res, err := f.login(graceEmail, gracePass, appPlain)
		if err != nil {
			t.Fatal(err)
		}
		who, err := f.Sessions().Authorize(f.Ctx, res.Token, appPlain)
		if err != nil {
			t.Fatal(err)
		}
		if err := acc.UpdatePassword(f.Ctx, who, gracePass, newPass, ""); err != nil {
			t.Fatalf("UpdatePassword: %v", err)
		}
		if writes != 1 {
			t.Errorf("%d password writes, want 1", writes)
		}
		if _, err := f.Sessions().Authorize(f.Ctx, res.Token, appPlain); err != nil {
			t.Errorf("the caller's token after the change: %v, want it kept", err)
		}
	})
}
