package dynamo_test

// The user's copy by userId (USERID#), run on every engine of the store contract: every user write
// keeps it equal to the item by email, in the same transaction; reads by id, the list index, the
// failed-login batch, unblock, and the token check's read of the token's user.

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
)

func TestUserCopyStore(t *testing.T) {
	cases := []contractCase{
		{"every write keeps the copy by userId", testUserCopyFollowsWrites},
		{"a refused write leaves both items", testUserCopyRefusals},
		{"UsersByCreateDate", testUsersByCreateDate},
		{"LoginAttemptsOf batches", testLoginAttemptsOf},
		{"UnblockUser", testUnblockUser},
		{"TokenForApp reads the token's user", testTokenForAppUser},
		{"CopyUsers gives users without a copy theirs", testCopyUsers},
	}
	runOnEngines(t, cases)
}

// statusUser is testUser with the properties this file adds.
func statusUser(email string, created time.Time, apps ...string) auth.User {
	u := testUser(email, apps...)
	u.Status, u.CultureInfo, u.CreateDate, u.UpdateDate = auth.StatusActivated, "nl-NL", created, created
	return u
}

// sameWholeUser compares every property, applications as a set.
func sameWholeUser(a, b auth.User) bool {
	a.Applications, b.Applications = slices.Sorted(slices.Values(a.Applications)), slices.Sorted(slices.Values(b.Applications))
	return a.ID == b.ID && a.Email == b.Email && a.Name == b.Name && a.PasswordHash == b.PasswordHash &&
		a.Mobile == b.Mobile && a.MobileCountry == b.MobileCountry && a.Admin == b.Admin &&
		slices.Equal(a.Applications, b.Applications) && a.Status == b.Status && a.CultureInfo == b.CultureInfo &&
		a.CreateDate.Equal(b.CreateDate) && a.UpdateDate.Equal(b.UpdateDate)
}

// wantBoth asserts that the user is stored as want, by email and by userId alike.
func wantBoth(t *testing.T, e storeEnv, want auth.User) {
	t.Helper()
	byEmail, err := e.Store.GetUser(t.Context(), want.Email)
	if err != nil || !sameWholeUser(byEmail, want) {
		t.Errorf("by email: %+v, %v\nwant %+v", byEmail, err, want)
	}
	byID, err := e.Store.GetUserByID(t.Context(), want.ID)
	if err != nil || !sameWholeUser(byID, want) {
		t.Errorf("by userId: %+v, %v\nwant %+v", byID, err, want)
	}
}

func testUserCopyFollowsWrites(t *testing.T, e storeEnv) {
	ctx := t.Context()
	app := addTestApp(t, e, "A", "a.example.com")
	u := statusUser("ada@example.com", userNow, app.ID)
	addTestUser(t, e, u)
	wantBoth(t, e, u)
	if item := e.Item(t, "USERID#"+u.ID); contractS(item, "gsi1pk") != "USER" || contractS(item, "gsi1sk") != userNow.Format(time.RFC3339)+"#"+u.ID {
		t.Errorf("copy's list key %q %q, want USER and createDate#userId", contractS(item, "gsi1pk"), contractS(item, "gsi1sk"))
	}
	if item := e.Item(t, "USER#"+u.Email); contractS(item, "gsi1pk") != "" {
		t.Error("the item by email carries the list key: it would be listed twice")
	}

	next := u
	next.Status, next.Name, next.Mobile, next.UpdateDate = auth.StatusBlocked, "Ada L", "+31612345678", userNow.Add(time.Minute)
	if err := e.Store.UpdateUser(ctx, u, next); err != nil {
		t.Fatal(err)
	}
	wantBoth(t, e, next)

	moved := next
	moved.Email, moved.CultureInfo = "ada@example.org", ""
	if err := e.Store.MoveUser(ctx, next, moved); err != nil {
		t.Fatal(err)
	}
	wantBoth(t, e, moved)
	if _, err := e.Store.GetUser(ctx, "ada@example.com"); err == nil {
		t.Error("the old email still has a user")
	}

	if err := e.Store.DeleteUser(ctx, moved); err != nil {
		t.Fatal(err)
	}
	wantErrIs(t, "GetUserByID after delete", errOf(e.Store.GetUserByID(ctx, u.ID)), auth.ErrNotFound)
	wantErrIs(t, "GetUser after delete", errOf(e.Store.GetUser(ctx, moved.Email)), auth.ErrNotFound)

	// A user stored before copies were kept (only its item by email) gets one with its next write.
	legacy := testUser("grace@example.com")
	if err := e.Store.PutUser(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Raw.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &e.Table, Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "USERID#" + legacy.ID}}}); err != nil {
		t.Fatal(err)
	}
	changed := legacy
	changed.Name = "Grace"
	if err := e.Store.UpdateUser(ctx, legacy, changed); err != nil {
		t.Fatal(err)
	}
	wantBoth(t, e, changed)
	if changed.State() != auth.StatusActivated {
		t.Errorf("a user without a status reads %s, want Activated", changed.State())
	}
}

func errOf[T any](_ T, err error) error { return err }

func testUserCopyRefusals(t *testing.T, e storeEnv) {
	ctx := t.Context()
	u := statusUser("ada@example.com", userNow)
	other := statusUser("grace@example.com", userNow)
	addTestUser(t, e, u)
	addTestUser(t, e, other)

	stale := u
	stale.Status = auth.StatusBlocked // not what is stored
	next := u
	next.Name = "Eve"
	wantErrIs(t, "UpdateUser from a stale status", e.Store.UpdateUser(ctx, stale, next), auth.ErrConflict)
	culture := u
	culture.CultureInfo = "de"
	wantErrIs(t, "UpdateUser from a stale cultureInfo", e.Store.UpdateUser(ctx, culture, next), auth.ErrConflict)
	taken := u
	taken.Email = other.Email
	wantErrIs(t, "MoveUser to a taken email", e.Store.MoveUser(ctx, u, taken), auth.ErrUserExists)
	missing := u
	missing.Applications = []string{uuid.NewString()}
	var mae *auth.MissingApplicationError
	if err := e.Store.UpdateUser(ctx, u, missing); !errors.As(err, &mae) {
		t.Errorf("UpdateUser adding a missing application = %v, want *MissingApplicationError", err)
	}
	dup := statusUser(u.Email, userNow)
	wantErrIs(t, "CreateUser of a taken email", e.Store.CreateUser(ctx, dup), auth.ErrUserExists)
	wantErrIs(t, "GetUserByID of the refused create", errOf(e.Store.GetUserByID(ctx, dup.ID)), auth.ErrNotFound)
	wantBoth(t, e, u)
	wantBoth(t, e, other)
}

func testUsersByCreateDate(t *testing.T, e storeEnv) {
	ctx := t.Context()
	var want []string
	for i := range 5 {
		u := statusUser(fmt.Sprintf("u%d@example.com", i), userNow.Add(time.Duration(5-i)*time.Minute))
		addTestUser(t, e, u)
		want = append([]string{u.Email}, want...) // created later, listed later
	}
	addTestApp(t, e, "not a user", "x.example.com")
	users, more, err := e.Store.UsersByCreateDate(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range users {
		got = append(got, u.Email)
	}
	if !slices.Equal(got, want) || more {
		t.Errorf("UsersByCreateDate = %v (more %v), want %v and no more", got, more, want)
	}
	if users, more, err := e.Store.UsersByCreateDate(ctx, 2); err != nil || len(users) != 2 || !more {
		t.Errorf("UsersByCreateDate(2) = %d users, more %v, %v; want 2 and more", len(users), more, err)
	}
}

func testLoginAttemptsOf(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()
	var emails []string
	for i := range 130 { // more than one BatchGetItem takes
		email := fmt.Sprintf("u%03d@example.com", i)
		emails = append(emails, email)
		if i%10 == 0 {
			contractCount(t, e, email, now, 1+i%3)
		}
	}
	emails = append(emails, emails[0]) // a repeat is read once
	got, err := e.Store.LoginAttemptsOf(ctx, emails)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 13 {
		t.Errorf("LoginAttemptsOf found %d emails with attempts, want 13", len(got))
	}
	for i := 0; i < 130; i += 10 {
		if a := got[fmt.Sprintf("u%03d@example.com", i)]; a.Failures != 1+i%3 {
			t.Errorf("u%03d: %+v, want %d failures", i, a, 1+i%3)
		}
	}
	if got, err := e.Store.LoginAttemptsOf(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("LoginAttemptsOf(none) = %v, %v", got, err)
	}
}

func testUnblockUser(t *testing.T, e storeEnv) {
	ctx := t.Context()
	u := statusUser("ada@example.com", userNow)
	u.Status = auth.StatusBlocked
	addTestUser(t, e, u)
	contractCount(t, e, u.Email, contractNow(), 3)
	next := u
	next.Status, next.UpdateDate = auth.StatusActivated, userNow.Add(time.Hour)

	stale := u
	stale.Status = auth.StatusActivated
	wantErrIs(t, "UnblockUser from a stale user", e.Store.UnblockUser(ctx, stale, next), auth.ErrConflict)
	if _, _, ok := contractLogin(t, e, u.Email); !ok {
		t.Fatal("a refused unblock forgot the failed passwords")
	}
	wantBoth(t, e, u)

	if err := e.Store.UnblockUser(ctx, u, next); err != nil {
		t.Fatal(err)
	}
	wantBoth(t, e, next)
	if _, _, ok := contractLogin(t, e, u.Email); ok {
		t.Error("the failed passwords survived the unblock")
	}
}

func testTokenForAppUser(t *testing.T, e storeEnv) {
	ctx := t.Context()
	app := addTestApp(t, e, "A", "a.example.com")
	u := statusUser("ada@example.com", userNow, app.ID)
	addTestUser(t, e, u)
	tok := contractToken(t, contractNow())
	tok.UserID, tok.AppID = u.ID, app.ID
	if err := e.Store.IssueToken(ctx, tok, ""); err != nil {
		t.Fatal(err)
	}
	rec, err := e.Store.TokenForApp(ctx, tok.ID, u.ID, app.ID)
	if err != nil || rec.User == nil || !sameWholeUser(*rec.User, u) || !rec.AppExists {
		t.Fatalf("TokenForApp = %+v, %v; want the token with its application and its user", rec, err)
	}
	// The user is read beside the token whatever the token holds: the userId is the caller's, from the
	// token's own bytes, and the caller compares it with the token item's.
	if rec, err := e.Store.TokenForApp(ctx, tok.ID, u.ID, uuid.NewString()); err != nil || rec.User == nil || rec.AppExists {
		t.Errorf("TokenForApp of another application = %+v, %v; want the user, no application", rec, err)
	}
	other := statusUser("grace@example.com", userNow, app.ID)
	addTestUser(t, e, other)
	if rec, err := e.Store.TokenForApp(ctx, tok.ID, other.ID, app.ID); err != nil || rec.User == nil || rec.User.ID != other.ID || rec.Token.UserID != u.ID {
		t.Errorf("TokenForApp naming another user = %+v, %v; want that user beside the token of its own", rec, err)
	}
	if rec, err := e.Store.TokenForApp(ctx, tok.ID, "", app.ID); err != nil || rec.User != nil || !rec.AppExists {
		t.Errorf("TokenForApp naming no user = %+v, %v; want the token and application, no user", rec, err)
	}
	if err := e.Store.DeleteUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if rec, err := e.Store.TokenForApp(ctx, tok.ID, u.ID, app.ID); err != nil || rec.User != nil || !rec.AppExists {
		t.Errorf("TokenForApp after the user's delete = %+v, %v; want the token, no user", rec, err)
	}
}

func testCopyUsers(t *testing.T, e storeEnv) {
	ctx := t.Context()
	withCopy := statusUser("ada@example.com", userNow)
	addTestUser(t, e, withCopy)
	legacy := testUser("old@example.com")
	if err := e.Store.PutUser(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Raw.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &e.Table, Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "USERID#" + legacy.ID}}}); err != nil {
		t.Fatal(err)
	}
	n, err := e.Store.CopyUsers(ctx)
	if err != nil || n != 1 {
		t.Fatalf("CopyUsers = %d, %v; want 1", n, err)
	}
	wantBoth(t, e, legacy)
	wantBoth(t, e, withCopy)
	if n, err := e.Store.CopyUsers(ctx); err != nil || n != 0 {
		t.Errorf("second CopyUsers = %d, %v; want 0", n, err)
	}
}
