package phone_test

import (
	"errors"
	"testing"

	"mfagateway/shared/phone"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // empty means rejected
	}{
		{"dutch mobile", "+31612345678", "+31612345678"},
		{"dutch mobile formatted", " +31 6-1234 5678 ", "+31612345678"},
		{"us fixed line or mobile", "+1 (415) 555-2671", "+14155552671"},
		{"uk mobile", "+44 7911 123456", "+447911123456"},
		{"german mobile", "+49 151 23456789", "+4915123456789"},
		{"dutch voip", "+31851234567", "+31851234567"},
		{"no plus", "0612345678", ""},
		{"too short", "+311234", ""},
		{"letters", "abc", ""},
		{"plus letters", "+abc", ""},
		{"empty", "", ""},
		{"plus only", "+", ""},
		{"dutch fixed line", "+31201234567", ""},
		{"us toll free", "+1 800 555 1234", ""},
		{"dutch premium rate", "+319001234", ""},
		{"extension", "+31612345678 ext 3", ""},
		{"trailing junk", "+31612345678abc", ""},
		{"double plus", "++31612345678", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := phone.Normalize(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("NormalizePhone(%q) = %q, want error", tt.in, got)
				}
				if !errors.Is(err, phone.ErrInvalid) {
					t.Errorf("error %v does not wrap ErrInvalid", err)
				}
				if got != "" {
					t.Errorf("returned %q alongside error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("NormalizePhone(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("NormalizePhone(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
