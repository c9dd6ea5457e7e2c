package auth_test

import (
	"errors"
	"strings"
	"testing"

	"mfagateway/shared/auth"
)

// TestEmailRule: the one email rule, shared by login and user changes, so that no user can be created
// with an email login would refuse.
func TestEmailRule(t *testing.T) {
	local := strings.Repeat("a", 64)
	longest := local + "@" + strings.Repeat("b", auth.MaxEmailBytes-len(local)-len("@.example")) + ".example"
	for _, tt := range []struct {
		email string
		ok    bool
	}{
		{"ada@example.com", true},
		{longest, true},
		{"c" + longest, false},
		{"ada@exa\x00mple.com", false},
		{"Ada <ada@example.com>", false},
		{"ada example.com", false},
		{"", false},
	} {
		if got := auth.IsEmail(tt.email); got != tt.ok {
			t.Errorf("IsEmail(%q) = %v, want %v", tt.email, got, tt.ok)
		}
		_, err := auth.ParseEmail(tt.email)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, auth.ErrInvalidEmail)) {
			t.Errorf("ParseEmail(%q) error %v, want ok=%v", tt.email, err, tt.ok)
		}
	}
	if len(longest) != auth.MaxEmailBytes {
		t.Fatalf("test address is %d bytes, want %d", len(longest), auth.MaxEmailBytes)
	}
}
