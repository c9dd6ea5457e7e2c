package auth_test

import (
	"errors"
	"slices"
	"testing"

	"mfagateway/shared/auth"
)

// TestCheckAllowedOrigins: an origin is kept as a browser writes it in its Origin header; anything
// that is not one origin is refused, naming the property.
func TestCheckAllowedOrigins(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want []string // nil with ok false: refused
		ok   bool
	}{
		{"none", nil, nil, true},
		{"empty list", []string{}, nil, true},
		{"https", []string{"https://app.example.com"}, []string{"https://app.example.com"}, true},
		{"case, default port and slash", []string{" HTTPS://App.Example.COM:443/ "}, []string{"https://app.example.com"}, true},
		{"http default port", []string{"http://localhost:80"}, []string{"http://localhost"}, true},
		{"other port kept", []string{"http://127.0.0.1:8080"}, []string{"http://127.0.0.1:8080"}, true},
		{"IPv6", []string{"http://[::1]:3000"}, []string{"http://[::1]:3000"}, true},
		{"two", []string{"https://a.example.com", "https://b.example.com"}, []string{"https://a.example.com", "https://b.example.com"}, true},
		{"twice after normalising", []string{"https://a.example.com", "https://A.example.com:443"}, nil, false},
		{"a path", []string{"https://a.example.com/cb"}, nil, false},
		{"a query", []string{"https://a.example.com?x=1"}, nil, false},
		{"a fragment", []string{"https://a.example.com#x"}, nil, false},
		{"a user", []string{"https://u:p@a.example.com"}, nil, false},
		{"a wildcard", []string{"https://*.example.com"}, nil, false},
		{"no scheme", []string{"a.example.com"}, nil, false},
		{"javascript", []string{"javascript:alert(1)"}, nil, false},
		{"ftp", []string{"ftp://a.example.com"}, nil, false},
		{"no host", []string{"https://"}, nil, false},
		{"empty", []string{""}, nil, false},
		{"a space inside", []string{"https://a example.com"}, nil, false},
		{"markup", []string{`https://a.example.com"><script>`}, nil, false},
		{"bad port", []string{"https://a.example.com:99999x"}, nil, false},
		{"too many", slices.Repeat([]string{"https://a.example.com"}, auth.MaxAllowedOrigins+1), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := auth.CheckAllowedOrigins(tc.in)
			if !tc.ok {
				var perr *auth.PropertyError
				if !errors.As(err, &perr) || perr.Property != "allowedOrigins" || !errors.Is(err, auth.ErrInvalidApplication) {
					t.Fatalf("CheckAllowedOrigins(%q) = %q, %v; want a PropertyError of allowedOrigins", tc.in, got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("CheckAllowedOrigins(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}
