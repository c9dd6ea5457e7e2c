package odata_test

import (
	"testing"

	"mfagateway/shared/odata"
)

// TestSealerRotation: after a rotation of the server secret, a sealer given the new secret and the
// previous one opens the tokens handed out before it, seals new ones under the new secret alone, and
// still refuses a token of another list or under a secret it does not have.
func TestSealerRotation(t *testing.T) {
	var (
		oldSecret   = []byte("the server secret before the rotation, 32+ bytes")
		newSecret   = []byte("the server secret after the rotation, 32+ bytes!")
		otherSecret = []byte("a server secret this deployment never had, 32+ b")
	)
	const mark = "2031-05-06T09:00:00Z#7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10"
	before := odata.NewSealer(oldSecret).Seal("APP", mark)
	rotated := odata.NewSealer(newSecret, oldSecret)
	after := rotated.Seal("APP", mark)

	tests := []struct {
		name   string
		sealer *odata.Sealer
		list   string
		token  string
		opens  bool
	}{
		{"a token from before the rotation", rotated, "APP", before, true},
		{"a token from after it", rotated, "APP", after, true},
		{"a token from after it, at an instance with only the new secret", odata.NewSealer(newSecret), "APP", after, true},
		{"a token from after it, at an instance with only the old secret", odata.NewSealer(oldSecret), "APP", after, false},
		{"a token from before it, once the old secret is gone", odata.NewSealer(otherSecret, newSecret), "APP", before, false},
		{"a token from before it, for another list", rotated, "USER", before, false},
		{"a token under a secret never had", rotated, "APP", odata.NewSealer(otherSecret).Seal("APP", mark), false},
		{"an empty previous secret is none", odata.NewSealer(newSecret, nil, []byte{}), "APP", odata.NewSealer([]byte{}).Seal("APP", mark), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.sealer.Open(tt.list, tt.token)
			if ok != tt.opens || ok && got != mark {
				t.Errorf("Open = %q, %v; want opened %v", got, ok, tt.opens)
			}
		})
	}
}
