package phone_test

import (
	"errors"
	"testing"

	"mfagateway/shared/phone"
)

// TestParseCountry: Parse gives the number's ISO 3166-1 alpha-2 country beside its E.164 form, as the
// numbering plan places it (a shared calling code resolved by the number), and refuses what
// Normalize refuses.
func TestParseCountry(t *testing.T) {
	tests := []struct {
		in, e164, country string
	}{
		{"+31 6 12345678", "+31612345678", "NL"},
		{"+32 470 12 34 56", "+32470123456", "BE"},
		{"+44 7400 123456", "+447400123456", "GB"},
		{"+44 7911 123456", "+447911123456", "GG"}, // Guernsey shares +44 with the United Kingdom
		{"+1 (415) 555-2671", "+14155552671", "US"},
		{"+1 416 555 0123", "+14165550123", "CA"}, // +1 is shared: the number decides
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e164, country, err := phone.Parse(tt.in)
			if err != nil || e164 != tt.e164 || country != tt.country {
				t.Errorf("Parse(%q) = %q, %q, %v; want %q, %q", tt.in, e164, country, err, tt.e164, tt.country)
			}
		})
	}
	if _, country, err := phone.Parse("+31201234567"); !errors.Is(err, phone.ErrInvalid) || country != "" {
		t.Errorf("a fixed line: country %q, err %v; want refused", country, err)
	}
}
