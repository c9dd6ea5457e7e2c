package dynamo_test

// The account lifecycle's writes (auth.AccountStore) on every engine: a ticket and a password are the
// user's own conditional rewrite, with the send count, the failed passwords and the caller's token in
// the same transaction, and a raised session epoch ends the challenges made before it.

import (
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
)

func TestAccountStore(t *testing.T) {
	runOnEngines(t, []contractCase{
		{"UserAndApp", testUserAndApp},
		{"SetTicket", testSetTicket},
		{"SetTicket refusals", testSetTicketRefusals},
		{"SetPassword", testSetPassword},
		{"SetPassword refusals", testSetPasswordRefusals},
		{"a raised epoch ends earlier challenges", testEpochEndsChallenges},
	})
}

// runOnEngines runs each case on every engine, each on a fresh table, in parallel.
func runOnEngines(t *testing.T, cases []contractCase) {
	for _, eng := range storeEngines() {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			newEnv := eng.start(t)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, newEnv(t))
				})
			}
		})
	}
}

// accountUser is a stored user of a new application, with its failed passwords counted.
func accountUser(t *testing.T, e storeEnv) (auth.User, auth.Application) {
	t.Helper()
	app := addTestApp(t, e, "A", "a.example.com")
	u := testUser("ada@example.com", app.ID)
	u.Status = auth.StatusActivated
	addTestUser(t, e, u)
	rule := auth.AttemptRule{Mode: auth.CountBelow, Below: 5, Expires: userNow.Add(time.Hour)}
	if adm, err := e.Store.AdmitAttempt(t.Context(), auth.PasswordAttempt{Email: u.Email, Network: "203.0.113.0/24"}, userNow, rule, rule); err != nil || !adm.Admitted {
		t.Fatalf("AdmitAttempt: %+v, %v", adm, err)
	}
	return u, app
}

func withTicket(u auth.User, appID string) auth.User {
	u.Ticket = auth.UserTicket{Hash: "hash-" + uuid.NewString(), Kind: auth.TicketReset, AppID: appID, ExpiresAt: userNow.Add(time.Hour).Truncate(time.Millisecond)}
	return u
}

func sameTicket(a, b auth.UserTicket) bool {
	return a.Hash == b.Hash && a.Kind == b.Kind && a.AppID == b.AppID && a.ExpiresAt.Equal(b.ExpiresAt)
}

// wantTicketed asserts that the user's items by email and by userId both hold want's ticket and epoch.
func wantTicketed(t *testing.T, e storeEnv, want auth.User) {
	t.Helper()
	byEmail, err := e.Store.GetUser(t.Context(), want.Email)
	if err != nil {
		t.Fatal(err)
	}
	byID, err := e.Store.GetUserByID(t.Context(), want.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []auth.User{byEmail, byID} {
		if !sameUser(got, want) || !sameTicket(got.Ticket, want.Ticket) || got.Epoch != want.Epoch || got.Status != want.Status {
			t.Errorf("stored %+v\nwant    %+v", got, want)
		}
	}
}

func testUserAndApp(t *testing.T, e storeEnv) {
	u, app := accountUser(t, e)
	next := withTicket(u, app.ID)
	next.Epoch = 3
	if err := e.Store.UpdateUser(t.Context(), u, next); err != nil {
		t.Fatal(err)
	}
	gotU, gotA, err := e.Store.UserAndApp(t.Context(), u.ID, app.ID)
	if err != nil || gotU == nil || gotA == nil {
		t.Fatalf("UserAndApp = %v, %v, %v", gotU, gotA, err)
	}
	if !sameTicket(gotU.Ticket, next.Ticket) || gotU.Epoch != 3 || gotU.PasswordHash != u.PasswordHash || gotA.Name != "A" || gotA.URL != app.URL {
		t.Errorf("UserAndApp = %+v, %+v", *gotU, *gotA)
	}
	if gotU, gotA, err := e.Store.UserAndApp(t.Context(), uuid.NewString(), app.ID); err != nil || gotU != nil || gotA == nil {
		t.Errorf("unknown user: %v, %v, %v; want no user and the application", gotU, gotA, err)
	}
	if gotU, gotA, err := e.Store.UserAndApp(t.Context(), u.ID, uuid.NewString()); err != nil || gotU == nil || gotA != nil {
		t.Errorf("unknown application: %v, %v, %v; want the user and no application", gotU, gotA, err)
	}
	// The same id for both names nothing twice: an application's key is not a user's.
	if gotU, gotA, err := e.Store.UserAndApp(t.Context(), app.ID, u.ID); err != nil || gotU != nil || gotA != nil {
		t.Errorf("swapped ids: %v, %v, %v; want neither", gotU, gotA, err)
	}
}

func testSetTicket(t *testing.T, e storeEnv) {
	u, app := accountUser(t, e)
	slot := contractSlot(u.ID, userNow, 2)
	next := withTicket(u, app.ID)
	if err := e.Store.SetTicket(t.Context(), u, next, slot); err != nil {
		t.Fatalf("SetTicket: %v", err)
	}
	wantTicketed(t, e, next)
	if n := sendCount(t, e, slot); n != "1" {
		t.Errorf("send count %s, want 1", n)
	}
	// A new ticket replaces it.
	again := withTicket(next, app.ID)
	if err := e.Store.SetTicket(t.Context(), next, again, slot); err != nil {
		t.Fatalf("SetTicket again: %v", err)
	}
	wantTicketed(t, e, again)
}

func testSetTicketRefusals(t *testing.T, e storeEnv) {
	u, app := accountUser(t, e)
	ctx := t.Context()
	full := contractSlot(u.ID, userNow, 1)
	if err := e.Store.SetTicket(ctx, u, withTicket(u, app.ID), full); err != nil {
		t.Fatal(err)
	}
	stored, _ := e.Store.GetUser(ctx, u.Email)
	wantErrIs(t, "SetTicket past the hourly cap", e.Store.SetTicket(ctx, stored, withTicket(stored, app.ID), full), auth.ErrSendLimit)
	wantTicketed(t, e, stored)

	room := contractSlot(u.ID, userNow, 100)
	wantErrIs(t, "SetTicket over a stale user", e.Store.SetTicket(ctx, u, withTicket(u, app.ID), room), auth.ErrConflict)
	wantTicketed(t, e, stored)
	moved := stored
	moved.Email = "other@example.com"
	if err := e.Store.SetTicket(ctx, stored, moved, room); err == nil {
		t.Error("SetTicket changed the email")
	}
	gone := testUser("gone@example.com", app.ID)
	wantErrIs(t, "SetTicket of a user that is gone", e.Store.SetTicket(ctx, gone, withTicket(gone, app.ID), room), auth.ErrNotFound)
	if e.Item(t, "USERID#"+gone.ID) != nil || e.Item(t, "USER#"+gone.Email) != nil {
		t.Error("a refused SetTicket wrote a user")
	}
}

// storeToken issues an auth token of the user at an epoch.
func storeToken(t *testing.T, e storeEnv, u auth.User, appID string, epoch int) auth.Token {
	t.Helper()
	tok := auth.Token{ID: contractID(t), UserID: u.ID, Email: u.Email, Name: u.Name, AppID: appID,
		IssuedAt: userNow, ExpiresAt: userNow.Add(time.Hour), Epoch: epoch}
	if err := e.Store.IssueToken(t.Context(), tok, ""); err != nil {
		t.Fatal(err)
	}
	return tok
}

func tokenEpoch(t *testing.T, e storeEnv, id string) string {
	t.Helper()
	item := e.Item(t, "TOKEN#"+id)
	if item == nil {
		t.Fatalf("no token %s", id)
	}
	if n, ok := item["sessionEpoch"].(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return "0"
}

func passwordSet(u auth.User, epoch int) auth.User {
	next := u
	next.PasswordHash, next.Epoch, next.Ticket, next.Status = "$argon2id$new", epoch, auth.UserTicket{}, auth.StatusActivated
	return next
}

func testSetPassword(t *testing.T, e storeEnv) {
	u, app := accountUser(t, e)
	ctx := t.Context()
	ticketed := withTicket(u, app.ID)
	ticketed.Status = auth.StatusPending
	if err := e.Store.UpdateUser(ctx, u, ticketed); err != nil {
		t.Fatal(err)
	}
	caller, other := storeToken(t, e, u, app.ID, 0), storeToken(t, e, u, app.ID, 0)
	rule := auth.AttemptRule{Mode: auth.CountBelow, Below: 5, Expires: userNow.Add(time.Hour)}
	if _, err := e.Store.AdmitAttempt(ctx, auth.PasswordAttempt{Email: u.Email, Network: "203.0.113.0/24"}, userNow, rule, rule); err != nil {
		t.Fatal(err)
	}

	next := passwordSet(ticketed, 1)
	if err := e.Store.SetPassword(ctx, ticketed, next, caller.ID); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	wantTicketed(t, e, next)
	if e.Item(t, "LOGIN#"+u.Email) != nil {
		t.Error("the failed passwords outlived the password set")
	}
	if got := tokenEpoch(t, e, caller.ID); got != "1" {
		t.Errorf("the spared token's epoch %s, want 1", got)
	}
	if got := tokenEpoch(t, e, other.ID); got != "0" {
		t.Errorf("another token's epoch %s, want it left at 0", got)
	}
	// Without a token to spare, every token stays behind.
	again := passwordSet(next, 2)
	if err := e.Store.SetPassword(ctx, next, again, ""); err != nil {
		t.Fatalf("SetPassword without a token: %v", err)
	}
	wantTicketed(t, e, again)
	if got := tokenEpoch(t, e, caller.ID); got != "1" {
		t.Errorf("token epoch %s, want it left at 1", got)
	}
}

func testSetPasswordRefusals(t *testing.T, e storeEnv) {
	u, app := accountUser(t, e)
	ctx := t.Context()
	otherUser := testUser("bob@example.com", app.ID)
	addTestUser(t, e, otherUser)
	bobs := storeToken(t, e, otherUser, app.ID, 0)

	for _, tc := range []struct {
		name  string
		spare string
		want  error
	}{
		{"a token that does not exist", contractID(t), auth.ErrInvalidToken},
		{"another user's token", bobs.ID, auth.ErrInvalidToken},
	} {
		wantErrIs(t, "SetPassword sparing "+tc.name, e.Store.SetPassword(ctx, u, passwordSet(u, 1), tc.spare), tc.want)
		wantTicketed(t, e, u)
		if e.Item(t, "LOGIN#"+u.Email) == nil {
			t.Errorf("sparing %s: the failed passwords were forgotten by a refused write", tc.name)
		}
	}
	if got := tokenEpoch(t, e, bobs.ID); got != "0" {
		t.Errorf("another user's token moved to epoch %s", got)
	}
	stale := u
	stale.Name = "Someone else"
	wantErrIs(t, "SetPassword over a stale user", e.Store.SetPassword(ctx, stale, passwordSet(stale, 1), ""), auth.ErrConflict)
	wantTicketed(t, e, u)
	gone := testUser("gone@example.com", app.ID)
	wantErrIs(t, "SetPassword of a user that is gone", e.Store.SetPassword(ctx, gone, passwordSet(gone, 1), ""), auth.ErrNotFound)
	moved := passwordSet(u, 1)
	moved.Email = "other@example.com"
	if err := e.Store.SetPassword(ctx, u, moved, ""); err == nil {
		t.Error("SetPassword changed the email")
	}
}

func testEpochEndsChallenges(t *testing.T, e storeEnv) {
	u, app := accountUser(t, e)
	ctx := t.Context()
	now := contractNow()
	newChallenge := func(epoch int) auth.Challenge {
		c := contractChallenge(t, now)
		c.UserID, c.Email, c.AppID, c.Epoch = u.ID, u.Email, app.ID, epoch
		contractCreate(t, e, c)
		return c
	}
	before := newChallenge(0)
	resent := newChallenge(0)

	next := passwordSet(u, 1)
	if err := e.Store.SetPassword(ctx, u, next, ""); err != nil {
		t.Fatal(err)
	}
	wantErrIs(t, "CountAttempt of a challenge from before the password set",
		e.Store.CountAttempt(ctx, before, before.Channel, now, contractMaxAttempts, contractStep(before)), auth.ErrChallengeGone)
	tok := contractToken(t, now)
	tok.UserID, tok.Epoch = u.ID, before.Epoch
	wantErrIs(t, "Consume of a challenge from before the password set", e.Store.Consume(ctx, before, tok, "", now, contractMaxAttempts), auth.ErrChallengeGone)
	if e.Item(t, "TOKEN#"+tok.ID) != nil {
		t.Error("a refused Consume issued its token")
	}
	rotated := resent
	rotated.Sends, rotated.CodeHash, rotated.LastSentAt = 2, contractCodeHash("222222"), now
	slot := contractSlot(u.ID, now, 100)
	sends := sendCount(t, e, slot)
	wantErrIs(t, "RotateCode of a challenge from before the password set",
		e.Store.RotateCode(ctx, resent, rotated, slot, contractMaxAttempts), auth.ErrChallengeGone)
	if got := sendCount(t, e, slot); got != sends {
		t.Errorf("send count %s after a refused RotateCode, want %s", got, sends)
	}

	// A challenge of the new epoch yields its token.
	after := newChallenge(1)
	tok = contractToken(t, now)
	tok.UserID, tok.Epoch = u.ID, 1
	if err := e.Store.Consume(ctx, after, tok, "", now, contractMaxAttempts); err != nil {
		t.Errorf("Consume of a challenge of the user's epoch: %v", err)
	}
	// A user stored before epochs were kept is at epoch zero, and so are its challenges.
	legacy, legacyApp := testUser("old@example.com"), app.ID
	legacy.Applications = []string{legacyApp}
	addTestUser(t, e, legacy)
	c := contractChallenge(t, now)
	c.UserID, c.Email = legacy.ID, legacy.Email
	contractCreate(t, e, c)
	tok = contractToken(t, now)
	tok.UserID = legacy.ID
	if err := e.Store.Consume(ctx, c, tok, "", now, contractMaxAttempts); err != nil {
		t.Errorf("Consume of an epoch-zero challenge of a user without an epoch: %v", err)
	}
}

// sendsPK is the key of a user's hourly send count.
func sendsPK(slot auth.SendSlot) string {
	return "SENDS#" + slot.UserID + "#" + strconv.FormatInt(slot.Window.Unix()/3600, 10)
}

// sendCount is the count of a user's hourly send slot, "" when it has none.
func sendCount(t *testing.T, e storeEnv, slot auth.SendSlot) string {
	t.Helper()
	if n, ok := e.Item(t, sendsPK(slot))["n"].(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return ""
}
