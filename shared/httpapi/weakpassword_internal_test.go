package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/password/strength"
)

// TestWeakPasswordAnswer maps the policy's refusal, however wrapped, to 400 weak_password with a
// message that says why, so that every route that sets a password answers it alike. The no-rule
// fault is ours: 500.
func TestWeakPasswordAnswer(t *testing.T) {
	policy := auth.PasswordPolicy{Guessable: strength.Judge}
	tests := []struct {
		name, password, message string
	}{
		{"short", "zq8#Lm2!vR7&", "The password is shorter than 15 characters."},
		{"common", "1qaz2wsx3edc4rfv", "The password is among commonly used passwords."},
		{"built from the email", "Nia.Okafor-2024!", "The password is built from the email address."},
		{"too long", string(make([]byte, auth.MaxPasswordBytes+1)), "The password is longer than 1024 bytes."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := policy.Check(tt.password, "nia.okafor@example.com")
			for _, e := range []error{err, fmt.Errorf("change password: %w", err)} {
				got := errorFor(e)
				if got.Status != http.StatusBadRequest || got.Code != CodeWeakPassword || got.Message != tt.message {
					t.Errorf("errorFor(%v) = %d %s %q, want 400 weak_password %q", e, got.Status, got.Code, got.Message, tt.message)
				}
			}
		})
	}
	if got := errorFor(fmt.Errorf("create user: %w", auth.ErrNoPasswordRule)); got.Status != http.StatusInternalServerError {
		t.Errorf("no password rule: %d %s, want 500", got.Status, got.Code)
	}
	if got := errorFor(errors.Join(errors.New("x"), auth.ErrWeakPassword)); got.Code == CodeWeakPassword {
		t.Errorf("a bare ErrWeakPassword has no reason to give, yet answered %q", got.Message)
	}
}
