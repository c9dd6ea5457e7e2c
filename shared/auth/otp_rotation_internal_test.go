package auth

import (
	"crypto/rand"
	"slices"
	"testing"
)

// TestOTPKeysRotation: an authenticator app's secret sealed and a recovery code made under the server
// secret's previous version still open and match after a rotation; under no version they do not.
func TestOTPKeysRotation(t *testing.T) {
	old := []byte("the server secret before its rotation, 32+ bytes")
	current := []byte("the server secret after its rotation, 32+ bytes!")
	before := deriveOTPKeys(old)
	sealed, err := before.sealSecret(rand.Reader, "user-1", "JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	oldHash := before.recoveryHash("user-1", "ABCDEFGHIJKLMNOP")

	after := deriveOTPKeysWith(current, old)
	if got, err := after.openSecret("user-1", sealed); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Errorf("a secret sealed before the rotation: %q, %v; want it opened", got, err)
	}
	if hashes := after.recoveryHashes("user-1", "ABCDEFGHIJKLMNOP"); len(hashes) != 2 || !slices.Contains(hashes, oldHash) || hashes[0] == oldHash {
		t.Errorf("recovery hashes after the rotation %v: want the current one first, then the previous %s", hashes, oldHash)
	}
	resealed, err := after.sealSecret(rand.Reader, "user-1", "JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := before.openSecret("user-1", resealed); err == nil {
		t.Error("a secret sealed after the rotation opened under the previous keys: new ones must use the current keys")
	}
	if _, err := deriveOTPKeysWith(current, nil).openSecret("user-1", sealed); err == nil {
		t.Error("a secret of a version no longer kept opened")
	}
}
