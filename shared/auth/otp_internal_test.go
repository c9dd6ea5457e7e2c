package auth

import (
	"bytes"
	"crypto/rand"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func TestSealedSecrets(t *testing.T) {
	keys := deriveOTPKeys([]byte("a server secret of at least 32 bytes, for tests"))
	sealed, err := keys.sealSecret(rand.Reader, "user-1", "JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "JBSWY3DPEHPK3PXP") || !strings.HasPrefix(sealed, sealedPrefix) {
		t.Errorf("sealed %q: want the scheme's prefix and no trace of the secret", sealed)
	}
	if got, err := keys.openSecret("user-1", sealed); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Errorf("open = %q, %v", got, err)
	}
	again, _ := keys.sealSecret(rand.Reader, "user-1", "JBSWY3DPEHPK3PXP")
	if again == sealed {
		t.Error("two sealings of one secret are the same: the nonce is not fresh")
	}
	if _, err := keys.openSecret("user-2", sealed); err == nil {
		t.Error("a sealed secret opened for another user")
	}
	other := deriveOTPKeys([]byte("another server secret of at least 32 bytes"))
	if _, err := other.openSecret("user-1", sealed); err == nil {
		t.Error("a sealed secret opened under another server secret")
	}
	if bytes.Equal(keys.seal, keys.recovery) {
		t.Error("the sealing key is the recovery codes' key")
	}
	if _, err := (otpKeys{}).sealSecret(rand.Reader, "user-1", "x"); err == nil {
		t.Error("sealed without a server secret")
	}
}

func TestMatchOTP(t *testing.T) {
	secret, err := newOTPSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2031, 5, 6, 9, 0, 10, 0, time.UTC)
	step := OTPStep(now)
	code := func(offset time.Duration) string {
		c, err := totp.GenerateCode(secret, now.Add(offset))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, c := range []struct {
		name   string
		offset time.Duration
		step   int64
		ok     bool
	}{
		{"this step", 0, step, true},
		{"the step before", -otpPeriod, step - 1, true},
		{"the step after", otpPeriod, step + 1, true},
		{"two steps before", -2 * otpPeriod, 0, false},
		{"two steps after", 2 * otpPeriod, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := matchOTP(secret, code(c.offset), now, 0)
			if ok != c.ok || (ok && got != c.step) {
				t.Errorf("matchOTP = %d, %v; want %d, %v", got, ok, c.step, c.ok)
			}
		})
	}
	t.Run("never a step accepted before", func(t *testing.T) {
		if _, ok := matchOTP(secret, code(0), now, step); ok {
			t.Error("the last accepted step matched again")
		}
		if got, ok := matchOTP(secret, code(otpPeriod), now, step); !ok || got != step+1 {
			t.Errorf("the step after the last accepted one: %d, %v", got, ok)
		}
	})
	t.Run("only six digits", func(t *testing.T) {
		for _, bad := range []string{"", "12345", "1234567", "12a456", " " + code(0)} {
			if _, ok := matchOTP(secret, bad, now, 0); ok {
				t.Errorf("%q matched", bad)
			}
		}
	})
}

func TestRecoveryCodesShape(t *testing.T) {
	keys := deriveOTPKeys([]byte("a server secret of at least 32 bytes, for tests"))
	codes, hashes, err := keys.newRecoveryCodes(rand.Reader, "user-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != RecoveryCodeCount || len(hashes) != RecoveryCodeCount {
		t.Fatalf("%d codes, %d hashes; want %d", len(codes), len(hashes), RecoveryCodeCount)
	}
	seen := map[string]bool{}
	for i, c := range codes {
		norm, ok := NormalizeRecoveryCode(strings.ToLower(strings.ReplaceAll(c, "-", " ")))
		if !ok || len(c) != 19 || strings.Count(c, "-") != 3 || seen[c] {
			t.Errorf("code %q: want XXXX-XXXX-XXXX-XXXX, read back in any case and spacing, each once", c)
		}
		seen[c] = true
		if keys.recoveryHash("user-1", norm) != hashes[i] {
			t.Errorf("code %d does not hash to its stored HMAC", i)
		}
		if keys.recoveryHash("user-2", norm) == hashes[i] {
			t.Errorf("code %d hashes alike for another user", i)
		}
		if strings.Contains(hashes[i], norm) {
			t.Errorf("hash %d holds its code", i)
		}
	}
	for _, bad := range []string{"", "ABCD-EFGH-IJKL", "ABCD-EFGH-IJKL-MNO1", "123456"} {
		if IsRecoveryCode(bad) {
			t.Errorf("%q taken for a recovery code", bad)
		}
	}
}

func TestOTPAuthURI(t *testing.T) {
	uri := OTPAuthURI("Plant: 7 & co", "ada+x@example.com", "SECRET234")
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Plant 7 & co:ada+x@example.com" ||
		q.Get("secret") != "SECRET234" || q.Get("issuer") != "Plant 7 & co" || q.Get("digits") != "6" || q.Get("period") != "30" {
		t.Errorf("%s: want the label issuer:account, the issuer without its colon, 6 digits, 30 s", uri)
	}
	if strings.Contains(uri, "+co") || strings.Contains(uri, " ") {
		t.Errorf("%s: spaces must be %%20, as authenticator apps read them", uri)
	}
}

// The codes are RFC 6238's: its SHA-1 test vectors (the last 6 of their 8 digits), and pquerna/otp's
// codes for a random secret over many steps.
func TestOTPCodes(t *testing.T) {
	rfcKey := []byte("12345678901234567890")
	for at, want := range map[int64]string{
		59: "287082", 1111111109: "081804", 1111111111: "050471", 1234567890: "005924", 2000000000: "279037", 20000000000: "353130",
	} {
		if got := otpCode(rfcKey, OTPStep(time.Unix(at, 0))); got != want {
			t.Errorf("T=%d: %s, want %s", at, got, want)
		}
	}
	secret, _ := newOTPSecret(rand.Reader)
	key, _ := otpEncoding.DecodeString(secret)
	start := time.Date(2031, 5, 6, 9, 0, 0, 0, time.UTC)
	for i := range 500 {
		at := start.Add(time.Duration(i) * otpPeriod)
		want, err := totp.GenerateCode(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		if got := otpCode(key, OTPStep(at)); got != want {
			t.Fatalf("step %d: %s, pquerna/otp says %s", OTPStep(at), got, want)
		}
	}
}
