package auth_test

// A change that gives an email or number in the masked form of an answer about another user: the mask
// of the stored value leaves it as it is, any other mask is refused naming the property.

import (
	"errors"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/mask"
)

func TestChangeMaskedValues(t *testing.T) {
	t.Run("the masks of the stored values change nothing", func(t *testing.T) {
		f := newUsersFixture(t)
		before := f.byID(t, adaID)
		p := auth.UserPatch{Email: ptr(mask.Email(adaEmail)), Mobile: ptr(mask.Phone(adaMobile)), Name: ptr("Ada L")}
		v, err := f.users.Change(f.Ctx, admin, "put", adaID, p)
		if err != nil {
			t.Fatalf("Change with the masks of ada's email and number: %v", err)
		}
		after := f.byID(t, adaID)
		if after.Email != adaEmail || after.Mobile != adaMobile || after.MobileCountry != before.MobileCountry || after.Name != "Ada L" {
			t.Errorf("stored %+v, want ada's email %s and number %s kept and the name changed", after, adaEmail, adaMobile)
		}
		if v.User.Email != adaEmail || v.User.Mobile != adaMobile {
			t.Errorf("the view holds %q, %q; want the stored values", v.User.Email, v.User.Mobile)
		}
		if got := f.stored(t, adaEmail); got.ID != adaID || got.Name != "Ada L" {
			t.Errorf("user by email %+v, want ada still at her address", got)
		}
		// The mask in another letter case, or with spaces about it, is the same mask.
		p = auth.UserPatch{Email: ptr(" A***@Example.COM "), Mobile: ptr(" +31******78 ")}
		if _, err := f.users.Change(f.Ctx, admin, "patch", adaID, p); err != nil {
			t.Fatalf("Change with the masks spelled otherwise: %v", err)
		}
		if after := f.byID(t, adaID); after.Email != adaEmail || after.Mobile != adaMobile {
			t.Errorf("stored %q, %q; want %q, %q", after.Email, after.Mobile, adaEmail, adaMobile)
		}
	})
	t.Run("a client's write-back of a member", func(t *testing.T) {
		f := newUsersFixture(t)
		p := auth.UserPatch{Email: ptr(mask.Email(graceEmail)), Mobile: ptr(""), Name: ptr("Grace H")}
		if _, err := f.users.Change(f.Ctx, clientOf(appPlain), "put", graceID, p); err != nil {
			t.Fatalf("Change: %v", err)
		}
		if got := f.byID(t, graceID); got.Email != graceEmail || got.Name != "Grace H" {
			t.Errorf("stored %+v, want grace's email kept", got)
		}
	})
	for _, tc := range []struct {
		name, id, property string
		patch              auth.UserPatch
	}{
		{"another address's mask", adaID, "email", auth.UserPatch{Email: ptr("b***@example.com")}},
		{"the mask of another domain", adaID, "email", auth.UserPatch{Email: ptr("a***@example.org")}},
		{"another number's mask", adaID, "mobilePhone", auth.UserPatch{Mobile: ptr("+32******78")}},
		{"a mask of a user without a number", graceID, "mobilePhone", auth.UserPatch{Mobile: ptr("+31******78")}},
		{"stars alone", graceID, "mobilePhone", auth.UserPatch{Mobile: ptr("******")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newUsersFixture(t)
			var perr *auth.PropertyError
			f.unchangedBy(t, tc.id, func() error {
				_, err := f.users.Change(f.Ctx, admin, "patch", tc.id, tc.patch)
				if !errors.As(err, &perr) || perr.Property != tc.property {
					t.Errorf("err = %v, want a PropertyError naming %s", err, tc.property)
				}
				return err
			}, auth.ErrInvalidApplication) // what every PropertyError is
		})
	}
}
