package main

import (
	"bytes"
	"strings"
	"testing"

	"mfagateway/shared/seed"
)

// TestPrintUsersChannels: the start-up list names each user's channel as the login would choose it,
// by the application's authenticators and SMS countries and the number's country, and says so when an
// application leaves a user no channel instead of failing.
func TestPrintUsersChannels(t *testing.T) {
	const be, nl, smsOnly = "5cf0ca01-95e7-40f0-be32-a5e84350d72a", "06d645cc-6d89-43f0-a14a-628e247f053a", "7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10"
	data, err := seed.ParseBytes([]byte(`{
  "applications": [
    {"appId": "` + be + `", "name": "Be", "url": "be.example.com", "smsCountries": ["BE"]},
    {"appId": "` + nl + `", "name": "Nl", "url": "nl.example.com", "smsCountries": ["NL"]},
    {"appId": "` + smsOnly + `", "name": "SMS only", "url": "sms.example.com", "multiFactorAuthenticators": ["SMS"]}
  ],
  "users": [
    {"email": "ada@example.com", "name": "Ada", "password": "pw-ada-violet-anchor-marble", "mobile": "+31612345678", "applications": ["` + be + `"]},
    {"email": "bob@example.com", "name": "Bob", "password": "pw-bob-violet-anchor-marble", "mobile": "+31612345678", "applications": ["` + nl + `"]},
    {"email": "cy@example.com", "name": "Cy", "password": "pw-cy-violet-anchor-marble", "applications": ["` + smsOnly + `"]}
  ]
}`))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	printUsers(&out, "test seed", data)
	for _, tt := range []struct{ who, channel string }{
		{"a***@example.com", "codes by Email"}, {"b***@example.com", "codes by SMS"}, {"c***@example.com", "codes by no channel"},
	} {
		found := false
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.Contains(l, "user "+tt.who) {
				found = true
				if !strings.Contains(l, tt.channel) {
					t.Errorf("%q, want %q", l, tt.channel)
				}
			}
		}
		if !found {
			t.Errorf("no line for %s:\n%s", tt.who, out.String())
		}
	}
}
