package config_test

import (
	"slices"
	"strings"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/config"
)

// TestAccountMaxFailures: MFA_ACCOUNT_MAX_FAILURES is the run of wrong codes before the second factor
// backs off, from 1 to the 100 at which it locks anyway, carried by the verify function alone.
func TestAccountMaxFailures(t *testing.T) {
	for value, want := range map[string]int{"": 10, "1": 1, " 25 ": 25, "100": auth.SecondFactorLock} {
		c, err := config.Load(env(map[string]string{"MFA_ACCOUNT_MAX_FAILURES": value}), config.Need{})
		if err != nil {
			t.Errorf("MFA_ACCOUNT_MAX_FAILURES=%q: %v", value, err)
			continue
		}
		if c.Policy.AccountMaxFailures != want {
			t.Errorf("MFA_ACCOUNT_MAX_FAILURES=%q: %d, want %d", value, c.Policy.AccountMaxFailures, want)
		}
	}
	for _, value := range []string{"0", "101", "-3", "ten", "1e3"} {
		_, err := config.Load(env(map[string]string{"MFA_ACCOUNT_MAX_FAILURES": value}), config.Need{})
		if err == nil || !strings.Contains(err.Error(), "MFA_ACCOUNT_MAX_FAILURES") {
			t.Errorf("MFA_ACCOUNT_MAX_FAILURES=%q: %v, want an error naming the variable", value, err)
		}
	}
	for _, s := range config.Settings() {
		switch s.Env {
		case "MFA_ACCOUNT_MAX_FAILURES":
			if s.Parameter != "MfaAccountMaxFailures" || !slices.Equal(s.Functions, []string{"VerifyFunction"}) {
				t.Errorf("row %+v, want Parameter MfaAccountMaxFailures on VerifyFunction alone", s)
			}
		case "MFA_MAX_ATTEMPTS":
			if !strings.Contains(s.Meaning, "per challenge") {
				t.Errorf("MFA_MAX_ATTEMPTS means %q: attempts are per challenge, resends included", s.Meaning)
			}
		}
	}
}
