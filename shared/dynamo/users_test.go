package dynamo_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
)

// TestAdminStore runs the store methods behind the users and application services (user writes here,
// application writes in applications_test.go) on every engine of the store contract: the embedded one
// always, moto when it is installed (testenv skips it otherwise, and under -short). Every case has its
// own table.
func TestAdminStore(t *testing.T) {
	cases := append(userStoreCases(), applicationStoreCases()...)
	runOnEngines(t, cases)
}

func userStoreCases() []contractCase {
	return []contractCase{
		{"GetUser missing", testGetUserMissing},
		{"CreateUser", testCreateUser},
		{"CreateUser refusals", testCreateUserRefusals},
		{"UpdateUser", testUpdateUser},
		{"UpdateUser refusals", testUpdateUserRefusals},
		{"ChangeEmail", testChangeEmail},
		{"ChangeEmail refusals", testChangeEmailRefusals},
		{"DeleteUser", testDeleteUser},
		{"Unlock", testUnlock},
		{"SetPendingMobile", testSetPendingMobile},
		{"ListApplications", testListApplications},
	}
}

var userNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func addTestApp(t *testing.T, e storeEnv, name, url string) auth.Application {
	t.Helper()
	a := auth.Application{ID: uuid.NewString(), Name: name, URL: url, CreateDate: userNow, UpdateDate: userNow}
	if err := e.Store.CreateApplication(t.Context(), a); err != nil {
		t.Fatalf("CreateApplication %s: %v", name, err)
	}
	return a
}

func testUser(email string, apps ...string) auth.User {
	return auth.User{
		ID: uuid.NewString(), Email: email, Name: "Ada", PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5",
		Applications: apps,
	}
}

func addTestUser(t *testing.T, e storeEnv, u auth.User) {
	t.Helper()
	if err := e.Store.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser %s: %v", u.Email, err)
	}
}

// wantUser asserts the stored user under email, with applications compared as a set.
func wantStoredUser(t *testing.T, e storeEnv, email string, want auth.User) {
	t.Helper()
	got, err := e.Store.GetUser(t.Context(), email)
	if err != nil {
		t.Fatalf("GetUser %s: %v", email, err)
	}
	slices.Sort(got.Applications)
	want.Applications = slices.Sorted(slices.Values(want.Applications))
	if len(want.Applications) == 0 {
		want.Applications = nil
	}
	if !sameUser(got, want) {
		t.Errorf("stored user %s:\n got %+v\nwant %+v", email, got, want)
	}
}

func sameUser(a, b auth.User) bool {
	return a.ID == b.ID && a.Email == b.Email && a.Name == b.Name && a.PasswordHash == b.PasswordHash &&
		a.Mobile == b.Mobile && a.Admin == b.Admin && slices.Equal(a.Applications, b.Applications)
}

func wantNoStoredUser(t *testing.T, e storeEnv, email string) {
	t.Helper()
	if u, err := e.Store.GetUser(t.Context(), email); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("GetUser %s = %+v, %v; want auth.ErrNotFound", email, u, err)
	}
}

func wantErrIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s = %v, want %v", what, err, want)
	}
}

func wantMissingApp(t *testing.T, err error, id string) {
	t.Helper()
	var missing *auth.MissingApplicationError
	if !errors.As(err, &missing) || missing.ID != id || !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("error = %v, want a MissingApplicationError for %s that is auth.ErrNotFound", err, id)
	}
}

func testGetUserMissing(t *testing.T, e storeEnv) {
	wantNoStoredUser(t, e, "nobody@example.com")
}

func testCreateUser(t *testing.T, e storeEnv) {
	a, b := addTestApp(t, e, "A", "a.example.com"), addTestApp(t, e, "B", "b.example.com")
	u := testUser("ada@example.com", a.ID, b.ID, a.ID) // a repeated application is stored once
	u.Mobile, u.Admin = "+31612345678", true
	addTestUser(t, e, u)
	u.Applications = []string{a.ID, b.ID}
	wantStoredUser(t, e, u.Email, u)

	bare := testUser("bob@example.com")
	addTestUser(t, e, bare)
	wantStoredUser(t, e, bare.Email, bare)
}

func testCreateUserRefusals(t *testing.T, e storeEnv) {
	a := addTestApp(t, e, "A", "a.example.com")
	first := testUser("ada@example.com", a.ID)
	addTestUser(t, e, first)

	tests := []struct {
		name string
		user auth.User
		want error
	}{
		{"email taken", testUser("ada@example.com"), auth.ErrUserExists},
		{"unknown application", testUser("bob@example.com", a.ID, uuid.NewString()), auth.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErrIs(t, "CreateUser", e.Store.CreateUser(t.Context(), tt.user), tt.want)
		})
	}
	t.Run("unknown application named", func(t *testing.T) {
		missing := uuid.NewString()
		wantMissingApp(t, e.Store.CreateUser(t.Context(), testUser("bob@example.com", missing, a.ID)), missing)
	})
	wantStoredUser(t, e, first.Email, first)
	wantNoStoredUser(t, e, "bob@example.com")
}

func testUpdateUser(t *testing.T, e storeEnv) {
	a, b := addTestApp(t, e, "A", "a.example.com"), addTestApp(t, e, "B", "b.example.com")
	u := testUser("ada@example.com", a.ID)
	addTestUser(t, e, u)

	steps := []struct {
		name string
		edit func(u *auth.User)
	}{
		{"set mobile", func(u *auth.User) { u.Mobile = "+31612345678" }},
		{"add application", func(u *auth.User) { u.Applications = append(slices.Clone(u.Applications), b.ID) }},
		{"make admin", func(u *auth.User) { u.Admin = true }},
		{"remove application", func(u *auth.User) { u.Applications = []string{b.ID} }},
		{"clear mobile", func(u *auth.User) { u.Mobile = "" }},
		{"remove last application", func(u *auth.User) { u.Applications = nil }},
		{"add application to none", func(u *auth.User) { u.Applications = []string{a.ID} }},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			prev, err := e.Store.GetUser(t.Context(), u.Email)
			if err != nil {
				t.Fatalf("GetUser: %v", err)
			}
			next := prev
			s.edit(&next)
			if err := e.Store.UpdateUser(t.Context(), prev, next); err != nil {
				t.Fatalf("UpdateUser: %v", err)
			}
			wantStoredUser(t, e, u.Email, next)
		})
	}
}

func testUpdateUserRefusals(t *testing.T, e storeEnv) {
	a, b, c := addTestApp(t, e, "A", "a.example.com"), addTestApp(t, e, "B", "b.example.com"), addTestApp(t, e, "C", "c.example.com")
	stored := testUser("ada@example.com", a.ID, b.ID)
	stored.Mobile = "+31612345678"
	addTestUser(t, e, stored)

	// Each stale prev differs from what is stored in one way; the write must notice every one.
	stale := func(edit func(u *auth.User)) auth.User {
		u := stored
		u.Applications = slices.Clone(stored.Applications)
		edit(&u)
		return u
	}
	tests := []struct {
		name string
		prev auth.User
		next func(prev auth.User) auth.User
		want error
	}{
		{"name changed", stale(func(u *auth.User) { u.Name = "Eve" }), nil, auth.ErrConflict},
		{"password changed", stale(func(u *auth.User) { u.PasswordHash = "$argon2id$other" }), nil, auth.ErrConflict},
		{"mobile changed", stale(func(u *auth.User) { u.Mobile = "+31612345679" }), nil, auth.ErrConflict},
		{"mobile cleared", stale(func(u *auth.User) { u.Mobile = "" }), nil, auth.ErrConflict},
		{"admin changed", stale(func(u *auth.User) { u.Admin = true }), nil, auth.ErrConflict},
		{"application added", stale(func(u *auth.User) { u.Applications = []string{a.ID} }), nil, auth.ErrConflict},
		{"application removed", stale(func(u *auth.User) { u.Applications = []string{a.ID, b.ID, c.ID} }), nil, auth.ErrConflict},
		{"application swapped", stale(func(u *auth.User) { u.Applications = []string{a.ID, c.ID} }), nil, auth.ErrConflict},
		{"applications cleared", stale(func(u *auth.User) { u.Applications = nil }), nil, auth.ErrConflict},
		{"user recreated", stale(func(u *auth.User) { u.ID = uuid.NewString() }), nil, auth.ErrConflict},
		{"user gone", stale(func(u *auth.User) { u.Email = "gone@example.com" }), nil, auth.ErrNotFound},
		{"added application unknown", stored, func(p auth.User) auth.User {
			p.Applications = append(slices.Clone(p.Applications), uuid.NewString())
			return p
		}, auth.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := tt.prev
			next.Name = "Changed"
			if tt.next != nil {
				next = tt.next(tt.prev)
			}
			wantErrIs(t, "UpdateUser", e.Store.UpdateUser(t.Context(), tt.prev, next), tt.want)
		})
	}
	t.Run("unknown application named", func(t *testing.T) {
		missing := uuid.NewString()
		next := stored
		next.Applications = []string{a.ID, missing, b.ID}
		wantMissingApp(t, e.Store.UpdateUser(t.Context(), stored, next), missing)
	})
	t.Run("email change", func(t *testing.T) {
		next := stored
		next.Email = "eve@example.com"
		if err := e.Store.UpdateUser(t.Context(), stored, next); err == nil {
			t.Error("UpdateUser changing the email succeeded, want an error")
		}
	})
	t.Run("gone, engine returns no item", func(t *testing.T) {
		store := dynamo.New(stripItems(e.Client), e.Table)
		gone := stored
		gone.Email = "gone@example.com"
		wantErrIs(t, "UpdateUser", store.UpdateUser(t.Context(), gone, gone), auth.ErrNotFound)
		wantErrIs(t, "UpdateUser", store.UpdateUser(t.Context(), stale(func(u *auth.User) { u.Admin = true }), stored), auth.ErrConflict)
	})
	wantStoredUser(t, e, stored.Email, stored)
	wantNoStoredUser(t, e, "gone@example.com")
	wantNoStoredUser(t, e, "eve@example.com")
}

func testChangeEmail(t *testing.T, e storeEnv) {
	a := addTestApp(t, e, "A", "a.example.com")
	u := testUser("ada@example.com", a.ID)
	u.Mobile, u.Admin = "+31612345678", true
	addTestUser(t, e, u)
	if err := e.Store.ChangeEmail(t.Context(), u, "ada@example.org"); err != nil {
		t.Fatalf("ChangeEmail: %v", err)
	}
	wantNoStoredUser(t, e, u.Email)
	moved := u
	moved.Email = "ada@example.org"
	wantStoredUser(t, e, moved.Email, moved)
}

func testChangeEmailRefusals(t *testing.T, e storeEnv) {
	ada, bob := testUser("ada@example.com"), testUser("bob@example.com")
	addTestUser(t, e, ada)
	addTestUser(t, e, bob)
	staleAda := ada
	staleAda.Name = "Old name"
	gone := testUser("gone@example.com")

	tests := []struct {
		name string
		user auth.User
		to   string
		want error
	}{
		{"new email taken", ada, bob.Email, auth.ErrUserExists},
		{"same email", ada, ada.Email, auth.ErrSameEmail},
		{"user changed", staleAda, "ada@example.org", auth.ErrConflict},
		{"user gone", gone, "gone@example.org", auth.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErrIs(t, "ChangeEmail", e.Store.ChangeEmail(t.Context(), tt.user, tt.to), tt.want)
		})
	}
	wantStoredUser(t, e, ada.Email, ada)
	wantStoredUser(t, e, bob.Email, bob)
	wantNoStoredUser(t, e, "ada@example.org")
	wantNoStoredUser(t, e, "gone@example.org")
}

func testDeleteUser(t *testing.T, e storeEnv) {
	a := addTestApp(t, e, "A", "a.example.com")
	ada, bob := testUser("ada@example.com", a.ID), testUser("bob@example.com")
	ada.Mobile = "+31612345678"
	addTestUser(t, e, ada)
	addTestUser(t, e, bob)
	staleAda := ada
	staleAda.Mobile = ""

	tests := []struct {
		name  string
		store *dynamo.Store
		user  auth.User
		want  error
	}{
		{"user changed", e.Store, staleAda, auth.ErrConflict},
		{"user gone", e.Store, testUser("gone@example.com"), auth.ErrNotFound},
		{"user changed, engine returns no item", dynamo.New(stripItems(e.Client), e.Table), staleAda, auth.ErrConflict},
		{"user gone, engine returns no item", dynamo.New(stripItems(e.Client), e.Table), testUser("gone@example.com"), auth.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErrIs(t, "DeleteUser", tt.store.DeleteUser(t.Context(), tt.user), tt.want)
		})
	}
	wantStoredUser(t, e, ada.Email, ada)

	if err := e.Store.DeleteUser(t.Context(), ada); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	wantNoStoredUser(t, e, ada.Email)
	wantStoredUser(t, e, bob.Email, bob)
	// The email is free again: a new user may take it.
	again := testUser(ada.Email)
	addTestUser(t, e, again)
	wantStoredUser(t, e, ada.Email, again)
}

func testUnlock(t *testing.T, e storeEnv) {
	ctx := t.Context()
	const email = "ada@example.com"
	a := auth.PasswordAttempt{Email: email, Network: auth.NetworkOf("203.0.113.10")}
	e.CountAttempts(t, a, userNow, 2)
	e.LockAccount(t, a, userNow, 2, userNow.Add(time.Minute))
	got, err := e.Store.GetLoginAttempts(ctx, email)
	if err != nil || got.Failures != 3 || !got.LockedUntil.Equal(userNow.Add(time.Minute)) {
		t.Fatalf("GetLoginAttempts before unlock = %+v, %v; want 3 failures, locked until %s", got, err, userNow.Add(time.Minute))
	}
	for i, want := range []bool{true, false} {
		cleared, err := e.Store.Unlock(ctx, email)
		if err != nil || cleared != want {
			t.Errorf("Unlock #%d = %v, %v; want %v", i+1, cleared, err, want)
		}
	}
	if got, err := e.Store.GetLoginAttempts(ctx, email); err != nil || got != (auth.LoginAttempts{}) {
		t.Errorf("GetLoginAttempts after unlock = %+v, %v; want none", got, err)
	}
}

func testListApplications(t *testing.T, e storeEnv) {
	if apps, err := e.Store.ListApplications(t.Context()); err != nil || len(apps) != 0 {
		t.Fatalf("ListApplications on an empty table = %v, %v", apps, err)
	}
	want := []auth.Application{
		addTestApp(t, e, "Charlie", "c.example.com"), addTestApp(t, e, "Alpha", "a.example.com"),
		addTestApp(t, e, "Bravo", "b.example.com"),
	}
	want[2].MFA = true
	if err := e.Store.ReplaceApplication(t.Context(), want[2], want[2]); err != nil {
		t.Fatalf("ReplaceApplication: %v", err)
	}
	want[2].Version++
	addTestUser(t, e, testUser("ada@example.com", want[0].ID)) // other items are not listed
	slices.SortFunc(want, func(a, b auth.Application) int { return strings.Compare(a.Name, b.Name) })

	tests := []struct {
		name string
		list func(ctx context.Context) ([]auth.Application, error)
	}{
		{"store", e.Store.ListApplications},
		{"one item per page", func(ctx context.Context) ([]auth.Application, error) {
			return dynamo.ListApplications(ctx, scanOnePerPage{e.Client}, e.Table)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.list(t.Context())
			if err != nil {
				t.Fatalf("ListApplications: %v", err)
			}
			if len(got) != len(want) {
				t.Fatalf("ListApplications = %d applications %+v, want %d", len(got), got, len(want))
			}
			for i := range want {
				if g, w := got[i], want[i]; g.ID != w.ID || g.Name != w.Name || g.URL != w.URL || g.MFA != w.MFA || g.Version != w.Version {
					t.Errorf("application %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
	t.Run("client that cannot scan", func(t *testing.T) {
		if _, err := dynamo.New(clientWithoutScan{e.Client}, e.Table).ListApplications(t.Context()); err == nil {
			t.Error("ListApplications without Scan succeeded, want an error")
		}
	})
}

// scanOnePerPage scans one item per request, so listing has to follow LastEvaluatedKey.
type scanOnePerPage struct{ *dynamodb.Client }

func (c scanOnePerPage) Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	limited := *in
	one := int32(1)
	limited.Limit = &one
	return c.Client.Scan(ctx, &limited, optFns...)
}

// clientWithoutScan is a client without Scan.
type clientWithoutScan struct{ dynamo.API }

// itemsStripped is an engine that never returns the item of a failed condition: itemStripper (see
// engines_test.go), for single deletes too.
type itemsStripped struct{ itemStripper }

func stripItems(c *dynamodb.Client) itemsStripped { return itemsStripped{itemStripper{c}} }

func (c itemsStripped) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	out, err := c.Client.DeleteItem(ctx, in, optFns...)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		ccf.Item = nil
	}
	return out, err
}
