package seed_test

import (
	"strings"
	"testing"

	"mfagateway/shared/seed"
)

// TestParseWeakPassword holds a seed's plain-text passwords to the users service's policy: a weak one
// is refused naming the user's position, email and the reason, never the password; the user's
// application names count; a passwordHash is taken as it is, as a login takes an old password.
func TestParseWeakPassword(t *testing.T) {
	const grace = `"password": "pw-grace-violet-anchor-marble"`
	tests := []struct {
		name, password, reason string
	}{
		{"short by code points", "éèêëàâäîïôöûüç", "shorter than 15 characters"},
		{"common", "passwordpassword", "easy to guess"},
		{"in the dictionaries", "1qaz2wsx3edc4rfv", "among commonly used passwords"},
		{"built from the email", "Grace@Example.com-2024", "built from the email address"},
		{"built from her application's name", "Plain-Plain-Plain-42!", "built from the application name"},
		{"1025 bytes", strings.Repeat("zq8#Lm2!vR7&xK4.", 64) + "z", "longer than 1024 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := seed.ParseBytes([]byte(strings.Replace(valid, grace, `"password": "`+tt.password+`"`, 1)))
			if err == nil {
				t.Fatal("Parse accepted the seed")
			}
			want := "users[1] (grace@example.com): password: " + tt.reason
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Parse: %v, want %q", err, want)
			}
			if strings.Contains(err.Error(), tt.password) {
				t.Errorf("Parse: %v quotes the password", err)
			}
		})
	}
	t.Run("a passwordHash is not judged", func(t *testing.T) {
		src := strings.Replace(valid, grace, `"passwordHash": "`+mustHash(t, "pw")+`"`, 1)
		if _, err := seed.ParseBytes([]byte(src)); err != nil {
			t.Errorf("Parse: %v", err)
		}
	})
	t.Run("the demo seed passes", func(t *testing.T) {
		if _, err := seed.ParseBytes(seed.Demo); err != nil {
			t.Errorf("Parse(Demo): %v", err)
		}
	})
}
