package auth

import (
	"bytes"
	"testing"
)

// TestCodeKeyRotation: a code is hashed under the current key and matches under the current key or
// the previous one, never under another, and an empty previous key is none (an HMAC under the empty
// key is no key's).
func TestCodeKeyRotation(t *testing.T) {
	const code = "123456"
	// The secret before the rotation, after it, and one the deployment never had.
	oldKey, newKey, otherKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32)
	challenge := func(key []byte) Challenge {
		ch := Challenge{ID: "challenge-id", Sends: 2}
		ch.CodeHash = codeKey{current: key}.hash(ch.ID, ch.Sends, code)
		return ch
	}
	tests := []struct {
		name   string
		key    codeKey
		madeBy []byte
		want   bool
	}{
		{"current key, no rotation", codeKey{current: oldKey}, oldKey, true},
		{"made before the rotation", codeKey{current: newKey, previous: oldKey}, oldKey, true},
		{"made after the rotation", codeKey{current: newKey, previous: oldKey}, newKey, true},
		{"made under a key that is neither", codeKey{current: newKey, previous: oldKey}, otherKey, false},
		{"made under the previous key, which is no longer kept", codeKey{current: newKey}, oldKey, false},
		{"two rotations ago", codeKey{current: otherKey, previous: newKey}, oldKey, false},
		{"an empty previous key", codeKey{current: newKey, previous: []byte{}}, []byte{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := challenge(tt.madeBy)
			if got := tt.key.matches(ch, code); got != tt.want {
				t.Errorf("matches(right code) = %v, want %v", got, tt.want)
			}
			if tt.key.matches(ch, "654321") {
				t.Error("a wrong code matches")
			}
			if later := (Challenge{ID: ch.ID, Sends: ch.Sends + 1, CodeHash: ch.CodeHash}); tt.key.matches(later, code) {
				t.Error("the code of an earlier send matches")
			}
		})
	}
	t.Run("new codes are made under the current key", func(t *testing.T) {
		rotated := codeKey{current: newKey, previous: oldKey}
		if got, want := rotated.hash("c", 1, code), (codeKey{current: newKey}).hash("c", 1, code); got != want {
			t.Errorf("hash under current and previous = %s, want the current key's %s", got, want)
		}
	})
}
