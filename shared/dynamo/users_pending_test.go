package dynamo_test

import (
	"testing"
	"time"

	"mfagateway/shared/auth"
)

// testSetPendingMobile: the number waiting for its code reaches both items of the user in the same
// transaction that counts its SMS; a full slot or a stale user writes nothing and counts nothing.
func testSetPendingMobile(t *testing.T, e storeEnv) {
	ctx := t.Context()
	u := testUser("ada@example.com")
	u.Mobile = "+31612345678"
	addTestUser(t, e, u)
	slot := contractSlot(u.ID, userNow, 1)

	next := u
	next.PendingMobile = auth.PendingMobile{Number: "+31687654321", Country: "NL", CodeHash: "0a1b2c",
		CodeExpiresAt: userNow.Add(5 * time.Minute), SentAt: userNow}
	if err := e.Store.SetPendingMobile(ctx, u, next, slot); err != nil {
		t.Fatalf("SetPendingMobile: %v", err)
	}
	byEmail, err := e.Store.GetUser(ctx, u.Email)
	if err != nil {
		t.Fatal(err)
	}
	byID, err := e.Store.GetUserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]auth.User{"by email": byEmail, "by id": byID} {
		p := got.PendingMobile
		if got.Mobile != u.Mobile || p.Number != "+31687654321" || p.Country != "NL" || p.CodeHash != "0a1b2c" ||
			!p.CodeExpiresAt.Equal(next.PendingMobile.CodeExpiresAt) || !p.SentAt.Equal(userNow) || p.Attempts != 0 {
			t.Errorf("%s: mobile %s, pending %+v; want %+v", name, got.Mobile, p, next.PendingMobile)
		}
	}
	if n := contractSends(t, e, slot); n != 1 {
		t.Errorf("sends counted = %d, want 1", n)
	}

	again := byEmail
	again.PendingMobile.CodeHash, again.PendingMobile.SentAt = "3d4e5f", userNow.Add(time.Minute)
	contractErrIs(t, "SetPendingMobile past the cap", e.Store.SetPendingMobile(ctx, byEmail, again, slot), auth.ErrSendLimit)
	contractErrIs(t, "SetPendingMobile over a stale user", e.Store.SetPendingMobile(ctx, u, again, contractSlot(u.ID, userNow, 5)), auth.ErrConflict)
	if got, _ := e.Store.GetUserByID(ctx, u.ID); got.PendingMobile.CodeHash != "0a1b2c" {
		t.Errorf("a refused SetPendingMobile wrote %+v", got.PendingMobile)
	}
	if n := contractSends(t, e, slot); n != 1 {
		t.Errorf("sends counted = %d after refusals, want 1", n)
	}
}
