package main

import (
	"strings"
	"testing"
)

// TestUserCreateWeakPassword holds the CLI to the users service's password policy: a weak password on
// stdin is refused with exit 2 and the policy's reason, the password is not repeated, and no user is
// written; PASSWORD_MIN_LENGTH from the environment applies, and a bad one is refused before anything.
func TestUserCreateWeakPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	app := e.must(t, "", "app", "create", "--name", "Harbour Portal", "--url", "harbour.example.com")
	args := []string{"user", "create", "--email", "nia.okafor@example.com", "--name", "Nia", "--app", app}
	tests := []struct {
		name, stdin, reason string
	}{
		{"short by code points", "éèêëàâäîïôöûüç\n", "shorter than 15 characters"},
		{"common", "passwordpassword\n", "easy to guess"},
		{"in the dictionaries", "1qaz2wsx3edc4rfv\n", "among commonly used passwords"},
		{"built from the email", "Nia.Okafor-2024!\n", "built from the email address"},
		{"built from the application name", "harbour-portal-harbour\n", "built from the application name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.cli(t, tt.stdin, args...)
			r.want(t, exitUsage, "password refused: it is "+tt.reason)
			if !strings.Contains(r.stderr, "nothing was written") {
				t.Errorf("stderr %q does not say nothing was written", r.stderr)
			}
			if pw := strings.TrimSpace(tt.stdin); strings.Contains(r.stderr, pw) {
				t.Errorf("stderr %q repeats the password", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			e.noUser(t, "nia.okafor@example.com")
		})
	}

	base := []string{"--endpoint", e.URL, "--table", e.Table}
	t.Run("PASSWORD_MIN_LENGTH raised", func(t *testing.T) {
		r := invoke(t, map[string]string{"PASSWORD_MIN_LENGTH": "30"}, "violet anchor marble tundra\n", append(base, args...)...)
		r.want(t, exitUsage, "password refused: it is shorter than 30 characters")
		e.noUser(t, "nia.okafor@example.com")
	})
	t.Run("PASSWORD_MIN_LENGTH below 15", func(t *testing.T) {
		r := invoke(t, map[string]string{"PASSWORD_MIN_LENGTH": "8"}, "violet anchor marble tundra\n", append(base, args...)...)
		r.want(t, exitUsage, "PASSWORD_MIN_LENGTH: 8 is below 15")
		e.noUser(t, "nia.okafor@example.com")
	})
	t.Run("strong", func(t *testing.T) {
		id := e.must(t, "violet anchor marble tundra\n", args...)
		if u := e.user(t, "nia.okafor@example.com"); u.ID != id {
			t.Errorf("stored user %+v, want userId %s", u, id)
		}
	})
}
