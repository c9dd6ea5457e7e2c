package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// Recovery codes stand in for the authenticator app when the user's device is lost: ten at a time,
// each good for one login (or for removing the app), shown once when made and kept only as an HMAC
// under a key derived from the server secret.

// RecoveryCodeCount is how many recovery codes a set has.
const RecoveryCodeCount = 10

// A recovery code is recoveryCodeBytes random bytes (80 bits) in base32: recoveryCodeChars characters,
// shown in groups of recoveryGroup joined by "-" (XXXX-XXXX-XXXX-XXXX).
const (
	recoveryCodeBytes = 10
	recoveryCodeChars = 16
	recoveryGroup     = 4
)

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newRecoveryCodes draws a set of recovery codes for userID: the codes as the user is shown them, and
// their HMACs as the table keeps them.
func (k otpKeys) newRecoveryCodes(random io.Reader, userID string) (codes, hashes []string, err error) {
	if len(k.recovery) == 0 {
		return nil, nil, errNoSealKey
	}
	for range RecoveryCodeCount {
		b := make([]byte, recoveryCodeBytes)
		if _, err := io.ReadFull(random, b); err != nil {
			return nil, nil, fmt.Errorf("random: %w", err)
		}
		plain := recoveryEncoding.EncodeToString(b)
		groups := make([]string, 0, recoveryCodeChars/recoveryGroup)
		for i := 0; i < len(plain); i += recoveryGroup {
			groups = append(groups, plain[i:i+recoveryGroup])
		}
		codes = append(codes, strings.Join(groups, "-"))
		hashes = append(hashes, k.recoveryHash(userID, plain))
	}
	return codes, hashes, nil
}

// recoveryHash is the stored form of a normalised recovery code of userID.
// recoveryHashes are the HMACs a stored recovery code may have: under the current key, then under the
// previous one when there is one (a code made before the secret's rotation).
func (k otpKeys) recoveryHashes(userID, code string) []string {
	hashes := []string{k.recoveryHash(userID, code)}
	if k.previous != nil {
		hashes = append(hashes, k.previous.recoveryHash(userID, code))
	}
	return hashes
}

func (k otpKeys) recoveryHash(userID, code string) string {
	m := hmac.New(sha256.New, k.recovery)
	m.Write([]byte(userID))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

// NormalizeRecoveryCode reads a recovery code as a user may type it: in any case, with or without its
// dashes and spaces. It returns the code's recoveryCodeChars base32 characters, or false when s cannot
// be a recovery code.
func NormalizeRecoveryCode(s string) (string, bool) {
	norm := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(s)))
	if len(norm) != recoveryCodeChars {
		return "", false
	}
	if _, err := recoveryEncoding.DecodeString(norm); err != nil {
		return "", false
	}
	return norm, true
}

// IsRecoveryCode reports whether s has the shape of a recovery code (NormalizeRecoveryCode).
func IsRecoveryCode(s string) bool {
	_, ok := NormalizeRecoveryCode(s)
	return ok
}
