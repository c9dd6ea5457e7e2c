package auth_test

import (
	"errors"
	"strings"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/password/strength"
)

// strongPassword passes the policy for any user of these tests: long, of uncommon words, and of no
// email's or application's.
const strongPassword = "violet anchor marble tundra"

// policy is the production policy at its default length.
var policy = auth.PasswordPolicy{Guessable: strength.Judge}

// TestPasswordPolicyRefuses holds each rule of the policy to a password that breaks it alone, and to
// the reason it gives. Ada is ada.lovelace@analytical.example, a member of "Harbour Portal".
func TestPasswordPolicyRefuses(t *testing.T) {
	const email, app = "ada.lovelace@analytical.example", "Harbour Portal"
	tests := []struct {
		name, password, reason string
	}{
		// 14 code points, 28 bytes: bytes would pass it, characters do not.
		{"short by code points", "éèêëàâäîïôöûüç", "shorter than 15 characters"},
		{"short with emoji", "🔑🔒🔓🔏🔐🗝🔑🔒🔓🔏🔐🗝🔑🔒", "shorter than 15 characters"},
		{"short ascii", "k7#qpz!m2@wxv9", "shorter than 15 characters"},
		{"empty", "", "empty or only spaces"},
		{"only spaces", strings.Repeat(" ", 20), "empty or only spaces"},
		{"1025 bytes", strings.Repeat("k7#qpz!m2@", 102) + "wxv9v", "longer than 1024 bytes"},
		{"1025 bytes of multibyte", strings.Repeat("é", 512) + "x", "longer than 1024 bytes"},
		{"common, in the dictionaries", "1qaz2wsx3edc4rfv", strength.ReasonCommon},
		{"common, case-folded", "Q1W2E3R4T5Y6U7I8", strength.ReasonCommon},
		{"a long English word", "Telecommunications", strength.ReasonCommon},
		{"a top word repeated", "passwordpassword", strength.ReasonGuessed},
		{"a top word repeated with digits", "password12345678", strength.ReasonGuessed},
		{"keyboard walk", "qwertyuiopasdfghjkl", strength.ReasonGuessed},
		{"common words and a date", "iloveyou19901231", strength.ReasonGuessed},
		{"the email itself", "Ada.Lovelace@Analytical.Example", "built from the email address"},
		{"the local part with digits and symbols", "Ada.Lovelace-2024!!", "built from the email address"},
		{"the surname twice", "lovelace_lovelace", "built from the email address"},
		{"mostly the email's words", "ada-lovelace-x9-analytical", "built from the email address"},
		{"within the domain", "nalytica1234567#", "built from the email address"},
		{"the application's name", "Harbour Portal 2024!", "built from the application name"},
		{"the application's name reversed words", "portal-harbour-portal", "built from the application name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := policy.Check(tt.password, email, app)
			var weak *auth.WeakPasswordError
			if !errors.As(err, &weak) || !errors.Is(err, auth.ErrWeakPassword) {
				t.Fatalf("Check = %v, want a WeakPasswordError", err)
			}
			if weak.Reason != tt.reason {
				t.Errorf("reason %q, want %q", weak.Reason, tt.reason)
			}
			if strings.TrimSpace(tt.password) != "" && strings.Contains(err.Error(), tt.password) {
				t.Errorf("error %q quotes the password", err)
			}
		})
	}
}

// TestPasswordPolicyAccepts holds the policy to passwords it must take: no composition rules, any
// Unicode, a word of the email among others, exactly the minimum and exactly the maximum.
func TestPasswordPolicyAccepts(t *testing.T) {
	const email, app = "ada.lovelace@analytical.example", "Harbour Portal"
	tests := []struct{ name, password string }{
		{"lower-case passphrase", strongPassword},
		{"no digits, no symbols", "correcthorsebatterystaple"},
		{"multibyte, 15 code points", "ŝtelo ĉevalo ĵú"},
		{"ada among other words", "ada-purple-tractor-17"},
		{"three letters of the domain among symbols", "48#19!72@ana&63%"},
		{"harbour among other words", "harbour oxide quilt zephyr"},
		{"the demo seed's kind", "ada-demo-password-1"},
		{"exactly 15 characters", "zq8#Lm2!vR7&xK4"},
		{"exactly 1024 bytes", strings.Repeat("zq8#Lm2!vR7&xK4.", 64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := policy.Check(tt.password, email, app); err != nil {
				t.Errorf("Check = %v, want accepted", err)
			}
		})
	}
}

// TestPasswordPolicyMinLength counts code points against MinLength, whatever it is set to.
func TestPasswordPolicyMinLength(t *testing.T) {
	p := auth.PasswordPolicy{MinLength: 20, Guessable: strength.Judge}
	const nineteen = "ŝtelo ĉevalo ĵúrnal" // 19 code points, 22 bytes
	var weak *auth.WeakPasswordError
	if err := p.Check(nineteen, "x@y.example"); !errors.As(err, &weak) || weak.Reason != "shorter than 20 characters" {
		t.Errorf("19 code points under MinLength 20: %v, want shorter than 20 characters", err)
	}
	if err := p.Check(nineteen+"x", "x@y.example"); err != nil {
		t.Errorf("20 code points under MinLength 20: %v", err)
	}
	if err := auth.DefaultPolicy.PasswordMinLength; err != 15 {
		t.Errorf("DefaultPolicy.PasswordMinLength = %d, want 15", err)
	}
}

// TestPasswordPolicyNeedsGuessable refuses to set any password without the dictionaries: no door sets
// one under a weaker rule, and the fault is not the caller's (no WeakPasswordError).
func TestPasswordPolicyNeedsGuessable(t *testing.T) {
	err := auth.PasswordPolicy{}.Check(strongPassword, "x@y.example")
	if !errors.Is(err, auth.ErrNoPasswordRule) || errors.Is(err, auth.ErrWeakPassword) {
		t.Errorf("Check without Guessable = %v, want ErrNoPasswordRule", err)
	}
}

// TestPasswordErrorsStayApart keeps the blank and too-long refusals matching their older errors too.
func TestPasswordErrorsStayApart(t *testing.T) {
	if err := policy.Check("", "x@y.example"); !errors.Is(err, auth.ErrPasswordEmpty) {
		t.Errorf("empty: %v, want ErrPasswordEmpty too", err)
	}
	if err := policy.Check(strings.Repeat("x", auth.MaxPasswordBytes+1), "x@y.example"); !errors.Is(err, auth.ErrPasswordTooLong) {
		t.Errorf("too long: %v, want ErrPasswordTooLong too", err)
	}
}

// TestUsersCreateHoldsPolicy creates users through the users service, the door of the CLI: a password
// built from the name of an application the user joins (read from the store) or from the email is
// refused with its reason, nothing is written, and the log line gives the reason, never the password.
func TestUsersCreateHoldsPolicy(t *testing.T) {
	tests := []struct {
		name, email, password, reason string
		apps                          []string
	}{
		{"an application's name", "nia@example.com", "Plain-Plain-Plain-2024", "built from the application name", []string{appPlain}},
		{"the email", "nia.okafor@example.com", "Okafor-Nia-2024-okafor!", "built from the email address", nil},
		{"short", "nia@example.com", "zq8#Lm2!vR7&", "shorter than 15 characters", nil},
		{"common", "nia@example.com", "1qaz2wsx3edc4rfv", strength.ReasonCommon, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newUsersFixture(t)
			_, err := f.users.Create(f.Ctx, admin, auth.NewUser{Email: tt.email, Name: "Nia", Password: tt.password, Applications: tt.apps})
			var weak *auth.WeakPasswordError
			if !errors.As(err, &weak) || weak.Reason != tt.reason {
				t.Fatalf("Create = %v, want a WeakPasswordError %q", err, tt.reason)
			}
			f.noUser(t, tt.email)
			out := f.Logs.String()
			if strings.Contains(out, tt.password) {
				t.Errorf("log holds the password:\n%s", out)
			}
			if !strings.Contains(out, `"outcome":"weak_password"`) || !strings.Contains(out, `"reason":"`+tt.reason+`"`) {
				t.Errorf("log %s, want outcome weak_password with the reason", out)
			}
		})
	}
	t.Run("an application that is gone names nothing", func(t *testing.T) {
		f := newUsersFixture(t)
		u := auth.User{Email: "nia@example.com", Applications: []string{"99999999-9999-4999-8999-999999999999", appPlain}}
		if err := f.users.CheckNewPassword(f.Ctx, u, strongPassword); err != nil {
			t.Errorf("CheckNewPassword = %v, want accepted", err)
		}
		var weak *auth.WeakPasswordError
		if err := f.users.CheckNewPassword(f.Ctx, u, "plain plain plain plain"); !errors.As(err, &weak) {
			t.Errorf("CheckNewPassword = %v, want the remaining application's name refused", err)
		}
	})
}

// The password dictionaries stay out of this package and of every function but the one that sets
// passwords (functions/account): they cost a cold start some 40 ms.
func TestDictionariesLinkedOnlyWhereSet(t *testing.T) {
	found := false
	for _, dep := range linked(t, "mfagateway/functions/account") {
		found = found || dep == "mfagateway/shared/password/strength"
	}
	if !found {
		t.Error("functions/account, which sets passwords, does not link shared/password/strength")
	}
	for _, pkg := range []string{"mfagateway/shared/auth", "mfagateway/functions/login", "mfagateway/functions/verify",
		"mfagateway/functions/authorizer", "mfagateway/functions/applications"} {
		for _, dep := range linked(t, pkg) {
			if strings.Contains(dep, "zxcvbn") || dep == "mfagateway/shared/password/strength" {
				t.Errorf("%s links %s", pkg, dep)
			}
		}
	}
}
