package main

import (
	"slices"
	"testing"

	"mfagateway/shared/auth"
)

// TestAppPropertyFlags: app create takes the locale and second-factor properties as flags (left out:
// the defaults), app set changes only those given, and a bad value is a usage error naming its flag
// with nothing written.
func TestAppPropertyFlags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plain := e.must(t, "", "app", "create", "--name", "Plain", "--url", "plain.example.com")
	if a := e.app(t, plain); !slices.Equal(a.Authenticators, auth.DefaultAuthenticators) || len(a.SMSCountries) != 0 ||
		a.CultureInfo != "" || a.PhoneCountryCode != "" {
		t.Errorf("created without the flags: %+v, want the defaults", a)
	}
	id := e.must(t, "", "app", "create", "--name", "Props", "--url", "props.example.com", "--culture-info", "nl_nl",
		"--phone-country-code", "+31", "--authenticators", "sms, email", "--sms-countries", "nl,be")
	a := e.app(t, id)
	if a.CultureInfo != "nl-NL" || a.PhoneCountryCode != "+31" ||
		!slices.Equal(a.Authenticators, []auth.Channel{auth.ChannelSMS, auth.ChannelEmail}) || !slices.Equal(a.SMSCountries, []string{"NL", "BE"}) {
		t.Errorf("created with the flags: %+v", a)
	}
	// The url copy, which a login by url reads, carries them too.
	if byURL, err := e.Store.ApplicationByURL(t.Context(), "props.example.com"); err != nil || !slices.Equal(byURL.SMSCountries, []string{"NL", "BE"}) {
		t.Errorf("url copy: %+v, %v", byURL, err)
	}

	out := e.must(t, "", "app", "set", id, "--sms-countries", "all", "--culture-info", "none")
	if want := "application " + id + ": cultureInfo none, phoneCountryCode +31, authenticators SMS,Email, SMS countries all, allowed origins none"; out != want {
		t.Errorf("app set printed %q, want %q", out, want)
	}
	if a := e.app(t, id); len(a.SMSCountries) != 0 || a.CultureInfo != "" || a.PhoneCountryCode != "+31" || len(a.Authenticators) != 2 {
		t.Errorf("after app set: %+v", a)
	}

	before := e.app(t, id)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"create, bad country", []string{"app", "create", "--name", "X", "--url", "x.example.com", "--sms-countries", "NL,XX"}, exitUsage, `--sms-countries: has "XX"`},
		{"create, no authenticators", []string{"app", "create", "--name", "X", "--url", "x.example.com", "--authenticators", ""}, exitUsage, "--authenticators: must name at least one"},
		{"set, bad tag", []string{"app", "set", id, "--culture-info", "no tag"}, exitUsage, "--culture-info: must be a BCP 47 language tag"},
		{"set, authenticator twice", []string{"app", "set", id, "--authenticators", "SMS,sms"}, exitUsage, "--authenticators: names SMS twice"},
		{"set, unknown authenticator", []string{"app", "set", id, "--authenticators", "Voice"}, exitUsage, `--authenticators: has "Voice"`},
		{"set, nothing given", []string{"app", "set", id}, exitUsage, "give at least one of"},
		{"set, unknown application", []string{"app", "set", "5cf0ca01-95e7-40f0-be32-a5e84350d72a", "--sms-countries", "NL"}, exitFailure, "no application has appId"},
		{"set, bad appId", []string{"app", "set", "x", "--sms-countries", "NL"}, exitUsage, "is not an appId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.cli(t, "", tc.args...).want(t, tc.code, tc.stderr)
		})
	}
	if n := len(e.apps(t)); n != 2 {
		t.Errorf("%d applications, want the 2 created: a refused create wrote one", n)
	}
	if after := e.app(t, id); after.Version != before.Version {
		t.Errorf("a refused app set wrote the application: %+v", after)
	}
}
