package auth_test

import (
	"errors"
	"slices"
	"testing"

	"mfagateway/shared/auth"
)

// TestChannelsForApplication: the channels a login tries are those the application allows, SMS first
// and only to a number of one of its SMS countries (any country when it lists none), email behind it;
// an application that allows neither a reachable SMS nor email, or only OTP, leaves none.
func TestChannelsForApplication(t *testing.T) {
	nl := auth.User{Email: "ada@example.com", Mobile: "+31612345678", MobileCountry: "NL"}
	unknown := auth.User{Email: "old@example.com", Mobile: "+31612345678"} // saved before countries were kept
	none := auth.User{Email: "grace@example.com"}
	sms, email, otp := auth.ChannelSMS, auth.ChannelEmail, auth.ChannelOTP
	tests := []struct {
		name  string
		user  auth.User
		auths []auth.Channel // nil: the defaults
		only  []string
		want  []auth.Channel
	}{
		{"defaults, all countries", nl, nil, nil, []auth.Channel{sms, email}},
		{"country listed", nl, nil, []string{"BE", "NL"}, []auth.Channel{sms, email}},
		{"country not listed", nl, nil, []string{"BE"}, []auth.Channel{email}},
		{"country unknown, list empty", unknown, nil, nil, []auth.Channel{sms, email}},
		{"country unknown, list given", unknown, nil, []string{"NL"}, []auth.Channel{email}},
		{"no mobile", none, nil, []string{"NL"}, []auth.Channel{email}},
		{"SMS and Email", nl, []auth.Channel{sms, email}, nil, []auth.Channel{sms, email}},
		{"order given does not change the order tried", nl, []auth.Channel{email, sms}, nil, []auth.Channel{sms, email}},
		{"without SMS", nl, []auth.Channel{otp, email}, nil, []auth.Channel{email}},
		{"without Email", nl, []auth.Channel{otp, sms}, nil, []auth.Channel{sms}},
		{"SMS only, country not listed", nl, []auth.Channel{sms}, []string{"BE"}, nil},
		{"SMS only, no mobile", none, []auth.Channel{sms}, nil, nil},
		{"OTP only", nl, []auth.Channel{otp}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := auth.Application{ID: "app-1", MFA: true, Authenticators: tt.auths, SMSCountries: tt.only}
			if got := auth.ChannelsFor(tt.user, app); !slices.Equal(got, tt.want) {
				t.Errorf("ChannelsFor = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestCheckApplication: each property is canonicalised or refused with a PropertyError naming it.
func TestCheckApplication(t *testing.T) {
	tests := []struct {
		name     string
		in       auth.Application
		property string // refused property; empty: accepted
		want     auth.Application
	}{
		{"empty is the defaults", auth.Application{}, "",
			auth.Application{Authenticators: []auth.Channel{"OTP", "SMS", "Email"}}},
		{"tag canonicalised", auth.Application{CultureInfo: " nl_nl ", Authenticators: []auth.Channel{"sms"}}, "",
			auth.Application{CultureInfo: "nl-NL", Authenticators: []auth.Channel{"SMS"}}},
		{"deprecated language replaced", auth.Application{CultureInfo: "iw"}, "",
			auth.Application{CultureInfo: "he", Authenticators: auth.DefaultAuthenticators}},
		{"countries upper-cased", auth.Application{SMSCountries: []string{"nl", " be"}}, "",
			auth.Application{Authenticators: auth.DefaultAuthenticators, SMSCountries: []string{"NL", "BE"}}},
		{"empty countries are all", auth.Application{SMSCountries: []string{}}, "",
			auth.Application{Authenticators: auth.DefaultAuthenticators}},
		{"phone country code trimmed", auth.Application{PhoneCountryCode: " +31 "}, "",
			auth.Application{PhoneCountryCode: "+31", Authenticators: auth.DefaultAuthenticators}},
		{"bad tag", auth.Application{CultureInfo: "not a tag"}, "cultureInfo", auth.Application{}},
		{"unknown language", auth.Application{CultureInfo: "zz"}, "cultureInfo", auth.Application{}},
		{"und", auth.Application{CultureInfo: "und"}, "cultureInfo", auth.Application{}},
		{"long phone country code", auth.Application{PhoneCountryCode: "+123456789012345678"}, "phoneCountryCode", auth.Application{}},
		{"control in phone country code", auth.Application{PhoneCountryCode: "+3\n1"}, "phoneCountryCode", auth.Application{}},
		{"empty authenticators", auth.Application{Authenticators: []auth.Channel{}}, "multiFactorAuthenticators", auth.Application{}},
		{"unknown authenticator", auth.Application{Authenticators: []auth.Channel{"Voice"}}, "multiFactorAuthenticators", auth.Application{}},
		{"authenticator twice", auth.Application{Authenticators: []auth.Channel{"SMS", "sms"}}, "multiFactorAuthenticators", auth.Application{}},
		{"three letters", auth.Application{SMSCountries: []string{"NLD"}}, "smsCountries", auth.Application{}},
		{"numeric", auth.Application{SMSCountries: []string{"528"}}, "smsCountries", auth.Application{}},
		{"not a country", auth.Application{SMSCountries: []string{"EU"}}, "smsCountries", auth.Application{}},
		{"private use", auth.Application{SMSCountries: []string{"ZZ"}}, "smsCountries", auth.Application{}},
		{"replaced code", auth.Application{SMSCountries: []string{"UK"}}, "smsCountries", auth.Application{}},
		{"country twice", auth.Application{SMSCountries: []string{"NL", "nl"}}, "smsCountries", auth.Application{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auth.CheckApplication(tt.in)
			if tt.property != "" {
				var perr *auth.PropertyError
				if !errors.As(err, &perr) || perr.Property != tt.property || !errors.Is(err, auth.ErrInvalidApplication) {
					t.Fatalf("err = %v, want a PropertyError on %s", err, tt.property)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if got.CultureInfo != tt.want.CultureInfo || got.PhoneCountryCode != tt.want.PhoneCountryCode ||
				!slices.Equal(got.Authenticators, tt.want.Authenticators) || !slices.Equal(got.SMSCountries, tt.want.SMSCountries) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
