package auth_test

import (
	"slices"
	"testing"

	"mfagateway/shared/auth"
)

// TestChannelsFor is the channel rule as callers outside the login read it: SMS first with email
// behind it for a user with a mobile number, email alone otherwise.
func TestChannelsFor(t *testing.T) {
	app := auth.Application{ID: "app-1", MFA: true}
	tests := []struct {
		name string
		user auth.User
		want []auth.Channel
	}{
		{"mobile number", auth.User{Email: "ada@example.com", Mobile: "+31612345678"}, []auth.Channel{auth.ChannelSMS, auth.ChannelEmail}},
		{"no mobile number", auth.User{Email: "grace@example.com"}, []auth.Channel{auth.ChannelEmail}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := auth.ChannelsFor(tt.user, app); !slices.Equal(got, tt.want) {
				t.Errorf("ChannelsFor = %v, want %v", got, tt.want)
			}
		})
	}
}
