package odata_test

import (
	"testing"

	"mfagateway/shared/odata"
)

// TestSealedTokenOneSpelling: a token opens only as it was handed out; a CR, LF, space or padding
// slipped into it, which the base64 decoder alone would skip or accept, makes it a forgery.
func TestSealedTokenOneSpelling(t *testing.T) {
	s := odata.NewSealer([]byte("a server secret of some length"))
	token := s.Seal("USER", "2026-12-02T00:00:00Z#7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f")
	if mark, ok := s.Open("USER", token); !ok || mark == "" {
		t.Fatalf("the token as handed out does not open")
	}
	for name, forged := range map[string]string{
		"LF inside":     token[:10] + "\n" + token[10:],
		"CR inside":     token[:10] + "\r" + token[10:],
		"CRLF at end":   token + "\r\n",
		"space inside":  token[:10] + " " + token[10:],
		"padding added": token + "=",
	} {
		if _, ok := s.Open("USER", forged); ok {
			t.Errorf("%s: opened, want refused", name)
		}
	}
}
