package config_test

import (
	"slices"
	"strings"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/config"
)

// TestPasswordMinLength holds PASSWORD_MIN_LENGTH to its bounds: 15 when unset, any whole number from
// 15 (NIST's floor for a password used alone) to 64 taken as it is, and anything else refused at load with an
// error that names the variable and the bound, so that a function never starts under a weaker rule.
func TestPasswordMinLength(t *testing.T) {
	tests := []struct {
		value   string
		want    int    // when accepted
		refusal string // in the error, when refused
	}{
		{"", 15, ""},
		{"  ", 15, ""},
		{" 16 ", 16, ""},
		{"15", 15, ""},
		{"64", 64, ""},
		{"14", 0, "14 is below 15"},
		{"8", 0, "8 is below 15"},
		{"0", 0, "0 is below 15"},
		{"-15", 0, "-15 is below 15"},
		{"65", 0, "65 is above 64"},
		{"1000", 0, "1000 is above 64"},
		{"fifteen", 0, "not a whole number from 15 to 64"},
		{"15.5", 0, "not a whole number from 15 to 64"},
		{"15s", 0, "not a whole number from 15 to 64"},
	}
	for _, tt := range tests {
		t.Run("PASSWORD_MIN_LENGTH="+tt.value, func(t *testing.T) {
			for _, load := range []struct {
				name string
				run  func() (auth.Policy, error)
			}{
				{"Load", func() (auth.Policy, error) {
					c, err := config.Load(env(map[string]string{"PASSWORD_MIN_LENGTH": tt.value}), config.Need{})
					return c.Policy, err
				}},
				{"LoadPolicy", func() (auth.Policy, error) {
					return config.LoadPolicy(env(map[string]string{"PASSWORD_MIN_LENGTH": tt.value}))
				}},
			} {
				p, err := load.run()
				switch {
				case tt.refusal == "" && err != nil:
					t.Errorf("%s: %v", load.name, err)
				case tt.refusal == "" && p.PasswordMinLength != tt.want:
					t.Errorf("%s: PasswordMinLength = %d, want %d", load.name, p.PasswordMinLength, tt.want)
				case tt.refusal != "" && err == nil:
					t.Errorf("%s: accepted as %d", load.name, p.PasswordMinLength)
				case tt.refusal != "" && (!strings.Contains(err.Error(), "PASSWORD_MIN_LENGTH: ") || !strings.Contains(err.Error(), tt.refusal)):
					t.Errorf("%s: error %q, want it to name PASSWORD_MIN_LENGTH and say %q", load.name, err, tt.refusal)
				}
			}
		})
	}
}

// TestPasswordMinLengthRow checks the row's bounds against the domain's floor, and that the other
// counts keep theirs.
func TestPasswordMinLengthRow(t *testing.T) {
	for _, s := range config.Settings() {
		if s.Kind != config.Count {
			continue
		}
		least, most := s.Bounds()
		want := [2]int{1, 1_000_000}
		switch s.Env {
		case "PASSWORD_MIN_LENGTH":
			want = [2]int{auth.MinPasswordLength, 64}
			if !slices.Equal(s.Functions, []string{"AccountFunction", "WebFunction"}) {
				t.Errorf("PASSWORD_MIN_LENGTH: Functions = %v, want the account routes' function and the hosted pages'", s.Functions)
			}
		case "MFA_ACCOUNT_MAX_FAILURES": // the second factor locks at 100 in a row, whatever the backoff
			want = [2]int{1, auth.SecondFactorLock}
		}
		if [2]int{least, most} != want {
			t.Errorf("%s: bounds %d..%d, want %d..%d", s.Env, least, most, want[0], want[1])
		}
	}
	if auth.MinPasswordLength != 15 {
		t.Errorf("auth.MinPasswordLength = %d, want NIST's 15 for a password used alone", auth.MinPasswordLength)
	}
}
