package seed_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/password"
	"mfagateway/shared/seed"
	"mfagateway/shared/testenv"
)

const propsSeed = `{
  "applications": [
    {"appId": "` + mfaApp + `", "name": "Props", "url": "props.example.com", "enableMultiFactorAuthentication": true,
     "cultureInfo": "nl_nl", "phoneCountryCode": "+31", "multiFactorAuthenticators": ["SMS", "email"], "smsCountries": ["be"]},
    {"appId": "` + plainApp + `", "name": "Plain", "url": "plain.example.com"}
  ],
  "users": [
    {"email": "be@example.com", "name": "Be", "password": "pw-be-violet-anchor-marble", "mobile": "+32 470 12 34 56", "applications": ["` + mfaApp + `"]}
  ]
}`

// A seed's applications take the locale and second-factor properties, in their stored forms, with
// the defaults where left out; a user's number is loaded with its country.
func TestSeedApplicationProperties(t *testing.T) {
	f, err := seed.ParseBytes([]byte(propsSeed))
	if err != nil {
		t.Fatal(err)
	}
	store := &memStore{}
	if err := f.Load(context.Background(), store, password.New(testenv.CheapPassword), time.Now()); err != nil {
		t.Fatalf("Load: %v", err)
	}
	props, plain := store.apps[0], store.apps[1]
	if props.CultureInfo != "nl-NL" || props.PhoneCountryCode != "+31" ||
		!slices.Equal(props.Authenticators, []auth.Channel{auth.ChannelSMS, auth.ChannelEmail}) || !slices.Equal(props.SMSCountries, []string{"BE"}) {
		t.Errorf("application with the properties: %+v", props)
	}
	if !slices.Equal(plain.Authenticators, auth.DefaultAuthenticators) || len(plain.SMSCountries) != 0 || plain.CultureInfo != "" {
		t.Errorf("application without them: %+v, want the defaults", plain)
	}
	if u := store.users[0]; u.Mobile != "+32470123456" || u.MobileCountry != "BE" {
		t.Errorf("user mobile %q country %q, want +32470123456 BE", u.Mobile, u.MobileCountry)
	}
}

// A bad property stops the seed with a message naming the entry and the property.
func TestSeedApplicationPropertiesInvalid(t *testing.T) {
	for _, tc := range []struct{ from, to, want string }{
		{`"smsCountries": ["be"]`, `"smsCountries": ["XX"]`, `applications[0] (Props): smsCountries: has "XX"`},
		{`"multiFactorAuthenticators": ["SMS", "email"]`, `"multiFactorAuthenticators": []`, "applications[0] (Props): multiFactorAuthenticators: must name at least one"},
		{`"multiFactorAuthenticators": ["SMS", "email"]`, `"multiFactorAuthenticators": ["SMS", "SMS"]`, "multiFactorAuthenticators: names SMS twice"},
		{`"cultureInfo": "nl_nl"`, `"cultureInfo": "no tag"`, "applications[0] (Props): cultureInfo: must be a BCP 47 language tag"},
		{`"smsCountries": ["be"]`, `"smsCountries": "BE"`, "smsCountries: must be a JSON slice"},
	} {
		t.Run(tc.to, func(t *testing.T) {
			_, err := seed.ParseBytes([]byte(strings.Replace(propsSeed, tc.from, tc.to, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
