package auth_test

import (
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/testenv"
)

// TestTicketEndsWithTheChange: a live ticket does not outlive a change of the email it was sent to, a
// block of its user, or a password the user changed themselves.
func TestTicketEndsWithTheChange(t *testing.T) {
	admin := auth.Session{Admin: true, UserID: "admin"}
	for _, tt := range []struct {
		name   string
		change func(t *testing.T, s *testenv.Stack, u auth.User)
	}{
		{"email changed", func(t *testing.T, s *testenv.Stack, u auth.User) {
			email := "moved-" + u.Email
			if _, err := s.Users().Change(s.Ctx, admin, "patch", u.ID, auth.UserPatch{Email: &email}); err != nil {
				t.Fatal(err)
			}
		}},
		{"email changed by the operators' CLI", func(t *testing.T, s *testenv.Stack, u auth.User) {
			if err := s.Users().ChangeEmail(s.Ctx, admin, u.Email, "cli-"+u.Email); err != nil {
				t.Fatal(err)
			}
		}},
		{"blocked", func(t *testing.T, s *testenv.Stack, u auth.User) {
			st := auth.StatusBlocked
			if _, err := s.Users().Change(s.Ctx, admin, "patch", u.ID, auth.UserPatch{Status: &st}); err != nil {
				t.Fatal(err)
			}
		}},
		{"password updated", func(t *testing.T, s *testenv.Stack, u auth.User) {
			who := auth.Session{UserID: u.ID, Email: u.Email, AppID: u.Applications[0]}
			if err := s.Accounts().UpdatePassword(s.Ctx, who, "grace-demo-password-1", "a violet heron over the polder", ""); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := testenv.NewStack(t)
			s.SeedDemo(t)
			u, err := s.Store.GetUser(s.Ctx, "grace@example.com")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Accounts().ResetPassword(s.Ctx, admin, u.ID, "demo.localhost"); err != nil {
				t.Fatal(err)
			}
			if u, err = s.Store.GetUserByID(s.Ctx, u.ID); err != nil || u.Ticket.Hash == "" {
				t.Fatalf("after resetPassword: ticket %+v, %v; want a live one", u.Ticket, err)
			}
			tt.change(t, s, u)
			after, err := s.Store.GetUserByID(s.Ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if after.Ticket != (auth.UserTicket{}) {
				t.Errorf("ticket after the change: %+v, want none", after.Ticket)
			}
		})
	}
}
