package auth_test

import (
	"testing"

	"mfagateway/shared/auth"
)

// TestCultureInfoNamesALanguage: a cultureInfo must name a language, since it chooses the texts a
// user gets; a tag of no language (und-…), private use or a reserved code is refused.
func TestCultureInfoNamesALanguage(t *testing.T) {
	for raw, want := range map[string]string{"nl-NL": "nl-NL", "nl_be": "nl-BE", "fr": "fr", "de-CH-1996": "de-CH-1996", "": ""} {
		if got, err := auth.CheckCultureInfo(raw); err != nil || got != want {
			t.Errorf("CheckCultureInfo(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, raw := range []string{"und", "und-NL", "und-Latn", "x-private", "qaa", "not a tag"} {
		if got, err := auth.CheckCultureInfo(raw); err == nil {
			t.Errorf("CheckCultureInfo(%q) = %q, want refused", raw, got)
		}
	}
}
