package auth_test

import (
	"context"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/phone"
)

// TestUsersDeletedMeanwhile: a user deleted between a change's read and its write is reported as no
// such user (ErrUserNotFound), as if the change had come after; a delete that finds the user already
// gone at its write (another delete, or its own retried request whose first answer was lost) succeeds.
func TestUsersDeletedMeanwhile(t *testing.T) {
	tests := []struct {
		name string
		run  func(f *usersFixture, users *auth.Users) error
		want error // nil: success
	}{
		{"SetAdmin", func(f *usersFixture, users *auth.Users) error {
			_, err := users.SetAdmin(f.Ctx, admin, adaEmail, false)
			return err
		}, auth.ErrUserNotFound},
		{"SetMobile", func(f *usersFixture, users *auth.Users) error {
			_, err := users.SetMobile(f.Ctx, admin, adaEmail, "+31687654321")
			return err
		}, auth.ErrUserNotFound},
		{"ChangeEmail", func(f *usersFixture, users *auth.Users) error {
			return users.ChangeEmail(f.Ctx, admin, adaEmail, "ada@example.org")
		}, auth.ErrUserNotFound},
		{"Delete", func(f *usersFixture, users *auth.Users) error {
			return users.Delete(f.Ctx, admin, adaEmail)
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newUsersFixture(t)
			deleteAda := func(ctx context.Context) error {
				u, err := f.Store.GetUser(ctx, adaEmail)
				if err != nil {
					return err
				}
				return f.Store.DeleteUser(ctx, u)
			}
			store := &interferingUsers{UserStore: f.Store, times: 1, change: deleteAda}
			err := tt.run(f, f.usersOver(store, phone.Parse))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("%s of a user deleted meanwhile: %v, want success", tt.name, err)
				}
			} else {
				wantErr(t, tt.name+" of a user deleted meanwhile", err, tt.want)
			}
			f.noUser(t, adaEmail)
			f.noUser(t, "ada@example.org")
		})
	}
}
