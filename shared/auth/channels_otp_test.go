package auth_test

import (
	"slices"
	"testing"

	"mfagateway/shared/auth"
)

// The authenticator app comes first where the user has one confirmed and the application allows OTP.
func TestChannelsForAuthenticatorApp(t *testing.T) {
	withApp := auth.User{Email: "ada@example.com", Mobile: "+31612345678", MobileCountry: "NL", OTP: "v1.sealed"}
	without := withApp
	without.OTP = ""
	for _, c := range []struct {
		name  string
		user  auth.User
		allow []auth.Channel
		want  []auth.Channel
	}{
		{"an app, every channel allowed", withApp, nil, []auth.Channel{auth.ChannelOTP, auth.ChannelSMS, auth.ChannelEmail}},
		{"an app, OTP not allowed", withApp, []auth.Channel{auth.ChannelSMS, auth.ChannelEmail}, []auth.Channel{auth.ChannelSMS, auth.ChannelEmail}},
		{"an app, only OTP allowed", withApp, []auth.Channel{auth.ChannelOTP}, []auth.Channel{auth.ChannelOTP}},
		{"no app, only OTP allowed", without, []auth.Channel{auth.ChannelOTP}, nil},
		{"no app", without, nil, []auth.Channel{auth.ChannelSMS, auth.ChannelEmail}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := auth.ChannelsFor(c.user, auth.Application{Authenticators: c.allow}); !slices.Equal(got, c.want) {
				t.Errorf("ChannelsFor = %v, want %v", got, c.want)
			}
		})
	}
}
