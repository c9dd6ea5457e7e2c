package dynamo_test

import (
	"sync"
	"testing"
	"time"

	"mfagateway/shared/auth"
)

// The authenticator app's part of the store contract: its enrolment, confirmation and removal with
// the user's two items, the per-user tries, and the verifies that move its last step or use up a
// recovery code in the transaction that consumes the challenge.

const contractSealed = "v1.sealed-secret-of-ada" // the store compares sealed secrets, never opens them

// contractAppUser stores a user of its own for the (sub)test and a confirmed authenticator app of the
// user's with recovery codes, and returns both as stored.
func contractAppUser(t *testing.T, e storeEnv, recovery ...string) (auth.User, auth.AuthenticatorApp) {
	t.Helper()
	ctx := t.Context()
	id := contractID(t)[:12]
	u := auth.User{ID: "user-" + id, Email: id + "@example.com", Name: "Ada", PasswordHash: "$argon2id$v=19$a"}
	if err := e.Store.PutUser(ctx, u); err != nil {
		t.Fatalf("PutUser: %v", err)
	}
	app := auth.AuthenticatorApp{UserID: u.ID, Secret: contractSealed, CreateDate: contractNow().Truncate(time.Second)}
	if err := e.Store.PutAuthenticatorApp(ctx, app); err != nil {
		t.Fatalf("PutAuthenticatorApp: %v", err)
	}
	if err := e.Store.ConfirmAuthenticatorApp(ctx, app, u, 100, recovery); err != nil {
		t.Fatalf("ConfirmAuthenticatorApp: %v", err)
	}
	rec, err := e.Store.SecondFactors(ctx, u.ID, "")
	if err != nil || rec.User == nil || rec.App == nil {
		t.Fatalf("SecondFactors: %+v, %v", rec, err)
	}
	return *rec.User, *rec.App
}

// contractAppChallenge is a live challenge on the authenticator app of u.
func contractAppChallenge(t *testing.T, e storeEnv, now time.Time, u auth.User) auth.Challenge {
	t.Helper()
	c := contractChallenge(t, now)
	c.UserID, c.Email = u.ID, u.Email
	c.Channel, c.Authenticator, c.To, c.Destination, c.OTP = auth.ChannelOTP, auth.ProviderAuthenticatorApp, "", "", contractSealed
	if err := e.Store.CreateChallenge(t.Context(), c, auth.SendSlot{}, ""); err != nil {
		t.Fatalf("CreateChallenge: %v", err)
	}
	return c
}

// contractRace runs consume on ten challenges of u at once and wants exactly one to succeed.
func contractRace(t *testing.T, e storeEnv, now time.Time, u auth.User, consume func(auth.Challenge) error) {
	t.Helper()
	challenges := make([]auth.Challenge, 10)
	for i := range challenges {
		challenges[i] = contractAppChallenge(t, e, now, u)
	}
	errs := make([]error, len(challenges))
	var wg sync.WaitGroup
	for i, c := range challenges {
		wg.Go(func() { errs[i] = consume(c) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		}
	}
	if won != 1 {
		t.Errorf("%d consumes won (%v), want exactly one", won, errs)
	}
}

func contractOTP(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()

	t.Run("confirmation copies the sealed secret to both user items", func(t *testing.T) {
		u, app := contractAppUser(t, e, "h1", "h2")
		if u.OTP != contractSealed || !app.Confirmed || app.LastStep != 100 || len(app.Recovery) != 2 {
			t.Errorf("user OTP %q, app %+v: want the sealed secret, confirmed at step 100 with 2 recovery codes", u.OTP, app)
		}
		rec, err := e.Store.LoadLogin(ctx, u.Email, auth.AppRef{ID: "app-1"})
		if err != nil || rec.User == nil || rec.User.OTP != contractSealed {
			t.Errorf("LoadLogin: %+v, %v; want the login to see the sealed secret", rec.User, err)
		}
		contractErrIs(t, "enrolling over a confirmed app", e.Store.PutAuthenticatorApp(ctx, auth.AuthenticatorApp{UserID: u.ID, Secret: "v1.other"}),
			auth.ErrAuthenticatorAppConfirmed)
		// A user changed behind the read: the user's condition refuses the write.
		if err := e.Store.UpdateUser(ctx, u, func() auth.User { n := u; n.Name = "Ada L."; return n }()); err != nil {
			t.Fatal(err)
		}
		contractErrIs(t, "removal over a changed user", e.Store.RemoveAuthenticatorApp(ctx, app, u, auth.AppProof{}), auth.ErrConflict)
	})
	t.Run("the user's other writes keep the sealed secret, and meet its changes", func(t *testing.T) {
		u, _ := contractAppUser(t, e)
		before := u
		before.OTP = ""
		next := before
		next.Name = "Ada L."
		contractErrIs(t, "a write over the user as before the confirmation", e.Store.UpdateUser(ctx, before, next), auth.ErrConflict)
		next = u
		next.Name = "Ada L."
		if err := e.Store.UpdateUser(ctx, u, next); err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
		if got, _ := e.Store.GetUser(ctx, u.Email); got.OTP != contractSealed {
			t.Errorf("after a change of name the user's sealed secret is %q", got.OTP)
		}
	})
	t.Run("ConsumeOTP accepts each step once, on any challenge", func(t *testing.T) {
		u, _ := contractAppUser(t, e)
		c := contractAppChallenge(t, e, now, u)
		if err := e.Store.ConsumeOTP(ctx, c, contractToken(t, now), 101, now, contractMaxAttempts); err != nil {
			t.Fatalf("ConsumeOTP: %v", err)
		}
		contractErrIs(t, "the same step on a new challenge", e.Store.ConsumeOTP(ctx, contractAppChallenge(t, e, now, u), contractToken(t, now), 101, now, contractMaxAttempts), auth.ErrStepUsed)
		contractErrIs(t, "an earlier step", e.Store.ConsumeOTP(ctx, contractAppChallenge(t, e, now, u), contractToken(t, now), 100, now, contractMaxAttempts), auth.ErrStepUsed)
		if err := e.Store.ConsumeOTP(ctx, contractAppChallenge(t, e, now, u), contractToken(t, now), 102, now, contractMaxAttempts); err != nil {
			t.Errorf("a later step: %v", err)
		}
		contractErrIs(t, "a used challenge", e.Store.ConsumeOTP(ctx, c, contractToken(t, now), 103, now, contractMaxAttempts), auth.ErrChallengeGone)
	})
	t.Run("ConsumeOTP refuses an app removed or replaced since the login", func(t *testing.T) {
		u, app := contractAppUser(t, e)
		c := contractAppChallenge(t, e, now, u)
		if err := e.Store.RemoveAuthenticatorApp(ctx, app, u, auth.AppProof{Step: 101}); err != nil {
			t.Fatalf("RemoveAuthenticatorApp: %v", err)
		}
		contractErrIs(t, "after the removal", e.Store.ConsumeOTP(ctx, c, contractToken(t, now), 102, now, contractMaxAttempts), auth.ErrAuthenticatorAppGone)
		if got, _ := e.Store.GetUser(ctx, u.Email); got.OTP != "" {
			t.Errorf("the user keeps the sealed secret %q after the removal", got.OTP)
		}
		if e.Item(t, "TOKEN#"+c.ID) != nil || contractGet(t, e, c.ID).Used {
			t.Error("a refused consume left its mark")
		}
	})
	t.Run("ConsumeOTP concurrent: of challenges racing with one step, one wins", func(t *testing.T) {
		u, _ := contractAppUser(t, e)
		contractRace(t, e, now, u, func(c auth.Challenge) error {
			return e.Store.ConsumeOTP(ctx, c, contractToken(t, now), 150, now, contractMaxAttempts)
		})
	})
	t.Run("ConsumeRecoveryCode uses each code once and tells how many are left", func(t *testing.T) {
		u, _ := contractAppUser(t, e, "h1", "h2")
		left, err := e.Store.ConsumeRecoveryCode(ctx, contractAppChallenge(t, e, now, u), contractToken(t, now), "h1", now, contractMaxAttempts)
		if err != nil || left != 1 {
			t.Fatalf("ConsumeRecoveryCode: %d left, %v; want 1", left, err)
		}
		_, err = e.Store.ConsumeRecoveryCode(ctx, contractAppChallenge(t, e, now, u), contractToken(t, now), "h1", now, contractMaxAttempts)
		contractErrIs(t, "the same code again", err, auth.ErrRecoveryCodeUnknown)
		sms := contractChallenge(t, now) // a recovery code answers a challenge on any channel
		sms.UserID, sms.Email = u.ID, u.Email
		contractCreate(t, e, sms)
		if left, err := e.Store.ConsumeRecoveryCode(ctx, sms, contractToken(t, now), "h2", now, contractMaxAttempts); err != nil || left != 0 {
			t.Errorf("the last code on an SMS challenge: %d left, %v", left, err)
		}
	})
	t.Run("ConsumeRecoveryCode concurrent: one of the racers uses the code", func(t *testing.T) {
		u, _ := contractAppUser(t, e, "h1", "h2")
		contractRace(t, e, now, u, func(c auth.Challenge) error {
			_, err := e.Store.ConsumeRecoveryCode(ctx, c, contractToken(t, now), "h2", now, contractMaxAttempts)
			return err
		})
	})
	t.Run("CountAppTry counts in a window and refuses past it", func(t *testing.T) {
		_, app := contractAppUser(t, e)
		since := now.Add(-15 * time.Minute)
		for i := 1; i <= 3; i++ {
			got, err := e.Store.CountAppTry(ctx, app.UserID, now, since, 3)
			if err != nil || got.Tries != i || !got.TriesSince.Equal(now) {
				t.Fatalf("try %d: %+v, %v", i, got, err)
			}
		}
		got, err := e.Store.CountAppTry(ctx, app.UserID, now, since, 3)
		contractErrIs(t, "the fourth try", err, auth.ErrAttemptsExhausted)
		if got.Tries != 3 || !got.TriesSince.Equal(now) {
			t.Errorf("refused with %+v, want the app as stored", got)
		}
		later := now.Add(15 * time.Minute)
		if got, err := e.Store.CountAppTry(ctx, app.UserID, later, later.Add(-15*time.Minute), 3); err != nil || got.Tries != 1 || !got.TriesSince.Equal(later) {
			t.Errorf("a try once the window is over: %+v, %v; want a new window", got, err)
		}
		_, err = e.Store.CountAppTry(ctx, "nobody", now, since, 3)
		contractErrIs(t, "a user without an app", err, auth.ErrNoAuthenticatorApp)
	})
	t.Run("ReplaceRecoveryCodes needs a later step and forgets the tries", func(t *testing.T) {
		_, app := contractAppUser(t, e, "h1")
		if _, err := e.Store.CountAppTry(ctx, app.UserID, now, now.Add(-time.Minute), 5); err != nil {
			t.Fatal(err)
		}
		contractErrIs(t, "an old step", e.Store.ReplaceRecoveryCodes(ctx, app, 100, []string{"n1"}), auth.ErrStepUsed)
		if err := e.Store.ReplaceRecoveryCodes(ctx, app, 101, []string{"n1", "n2"}); err != nil {
			t.Fatalf("ReplaceRecoveryCodes: %v", err)
		}
		rec, _ := e.Store.SecondFactors(ctx, app.UserID, "")
		if got := rec.App; got == nil || len(got.Recovery) != 2 || got.LastStep != 101 || got.Tries != 0 {
			t.Errorf("app %+v, want the new codes at step 101 and no tries", got)
		}
		contractErrIs(t, "another app's secret", e.Store.ReplaceRecoveryCodes(ctx, auth.AuthenticatorApp{UserID: app.UserID, Secret: "v1.other"}, 0, []string{"x"}),
			auth.ErrConflict)
	})
	t.Run("DeleteUser takes the authenticator app with it", func(t *testing.T) {
		u, _ := contractAppUser(t, e, "h1")
		if err := e.Store.DeleteUser(ctx, u); err != nil {
			t.Fatalf("DeleteUser: %v", err)
		}
		if e.Item(t, "OTP#"+u.ID) != nil {
			t.Error("the deleted user's authenticator app is still there")
		}
	})
	t.Run("RemoveAuthenticatorApp holds to its proof", func(t *testing.T) {
		u, app := contractAppUser(t, e, "h1")
		contractErrIs(t, "an old step", e.Store.RemoveAuthenticatorApp(ctx, app, u, auth.AppProof{Step: 100}), auth.ErrStepUsed)
		contractErrIs(t, "an unknown recovery code", e.Store.RemoveAuthenticatorApp(ctx, app, u, auth.AppProof{RecoveryHash: "h9"}), auth.ErrRecoveryCodeUnknown)
		if err := e.Store.RemoveAuthenticatorApp(ctx, app, u, auth.AppProof{RecoveryHash: "h1"}); err != nil {
			t.Fatalf("RemoveAuthenticatorApp: %v", err)
		}
		if e.Item(t, "OTP#"+u.ID) != nil {
			t.Error("the app's item is still there")
		}
		for _, pk := range []string{"USER#" + u.Email, "USERID#" + u.ID} {
			if _, ok := e.Item(t, pk)["otp"]; ok {
				t.Errorf("%s still holds the sealed secret", pk)
			}
		}
		contractErrIs(t, "again", e.Store.RemoveAuthenticatorApp(ctx, app, u, auth.AppProof{}), auth.ErrNoAuthenticatorApp)
	})
}
