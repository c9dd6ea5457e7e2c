package odata_test

import (
	"strings"
	"testing"

	"mfagateway/shared/odata"
)

// TestSealer: a token opens to its mark under the same secret and list only; each sealing differs
// (a fresh nonce), none shows the mark, and a token cut short or altered does not open.
func TestSealer(t *testing.T) {
	secret := []byte("a secret of at least 32 bytes, for the sealer")
	s := odata.NewSealer(secret)
	const mark = "2031-05-06T09:00:00Z#7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10"
	a, b := s.Seal("APP", mark), s.Seal("APP", mark)
	if a == b || strings.Contains(a, "2031") {
		t.Fatalf("tokens %q and %q: want two that differ and show nothing", a, b)
	}
	if got, ok := odata.NewSealer(secret).Open("APP", a); !ok || got != mark {
		t.Fatalf("Open under the same secret = %q, %v; want the mark", got, ok)
	}
	if len(a) > odata.MaxSkipTokenLen/2 {
		t.Fatalf("a token of %d characters for a mark of %d: want well inside %d", len(a), len(mark), odata.MaxSkipTokenLen)
	}
	altered := []byte(a)
	altered[len(altered)-1] ^= 'A' ^ 'B'
	for name, open := range map[string]func() (string, bool){
		"another list": func() (string, bool) { return s.Open("USER", a) },
		"another secret": func() (string, bool) {
			return odata.NewSealer([]byte("another secret of 32 bytes or more...")).Open("APP", a)
		},
		"cut short":     func() (string, bool) { return s.Open("APP", a[:20]) },
		"altered":       func() (string, bool) { return s.Open("APP", string(altered)) },
		"not base64url": func() (string, bool) { return s.Open("APP", "!!"+a) },
		"empty":         func() (string, bool) { return s.Open("APP", "") },
	} {
		if got, ok := open(); ok {
			t.Errorf("%s: opened to %q, want refused", name, got)
		}
	}
}
