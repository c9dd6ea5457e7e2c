package auth_test

import (
	"bytes"
	"testing"
	"time"

	"mfagateway/shared/auth"
)

// TestServerSecretRotation runs a challenge across a rotation of the server secret, as the functions
// see one: instances that start after it have the new secret as Secret and the one before as
// PreviousSecret. A code sent before the rotation still verifies; a code sent after it is under the new
// secret; a code under a secret the deployment no longer keeps does not verify.
func TestServerSecretRotation(t *testing.T) {
	newKey := bytes.Repeat([]byte("n"), 40)
	otherKey := bytes.Repeat([]byte("o"), 40)
	// rotatedTo is the service an instance started after rotations builds.
	rotatedTo := func(f *fixture, current, previous []byte) *auth.Service {
		d := f.Deps
		d.Secret, d.PreviousSecret = current, previous
		return auth.NewService(d)
	}

	t.Run("a code sent before the rotation verifies after it", func(t *testing.T) {
		f := newFixture(t)
		mfa, code := f.challenge(t, adaEmail, adaPassword)
		after := rotatedTo(f, newKey, f.Deps.Secret)
		f.Clock.Advance(time.Minute)
		wantCodeError(t, errOf(after.Verify(f.Ctx, mfa, "", otherCode(code))), 4)
		v, err := after.Verify(f.Ctx, mfa, "", code)
		if err != nil {
			t.Fatalf("Verify after the rotation: %v", err)
		}
		wantAuthToken(t, "auth token", v.Token, adaID)
	})

	t.Run("a resend after the rotation sends a code under the new secret", func(t *testing.T) {
		f := newFixture(t)
		mfa, _ := f.challenge(t, adaEmail, adaPassword)
		after := rotatedTo(f, newKey, f.Deps.Secret)
		f.Clock.Advance(time.Minute)
		if _, err := after.Resend(f.Ctx, mfa); err != nil {
			t.Fatalf("Resend: %v", err)
		}
		code := f.LastCode(t)
		// An instance that has only the new secret (a second rotation kept it as the previous one, or
		// the previous version is gone) checks it; one that started before the rotation does not.
		wantCodeError(t, errOf(rotatedTo(f, f.Deps.Secret, nil).Verify(f.Ctx, mfa, "", code)), 4)
		if _, err := rotatedTo(f, otherKey, newKey).Verify(f.Ctx, mfa, "", code); err != nil {
			t.Fatalf("Verify under the secret the code was made with, now the previous one: %v", err)
		}
	})

	t.Run("a code under a secret no longer kept does not verify", func(t *testing.T) {
		f := newFixture(t)
		mfa, code := f.challenge(t, adaEmail, adaPassword)
		twice := rotatedTo(f, otherKey, newKey) // two rotations later: the code's secret is gone
		f.Clock.Advance(time.Minute)
		wantCodeError(t, errOf(twice.Verify(f.Ctx, mfa, "", code)), 4)
	})
}

// errOf drops a result, keeping the error.
func errOf[T any](_ T, err error) error { return err }
