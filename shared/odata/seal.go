package odata

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// sealLabel names the key that seals page tokens, so that the secret it is derived from (which also
// keys other things) yields a key of its own here.
const sealLabel = "odata skiptoken v1"

// Sealer seals the $skiptoken a list reads by key hands out: AES-256-GCM under a key derived from a
// server secret, bound to the list it is of. A sealed token tells its holder nothing of the entity it
// resumes after (a plain key would name it, and with it, an entity the caller may not see), and a
// token forged, altered, or taken from another list does not open.
type Sealer struct {
	// keys[0], the current secret's, seals and opens; the others, of the secret's earlier versions, only open.
	keys []cipher.AEAD
}

// NewSealer returns the sealer keyed by HMAC-SHA256(secret, "odata skiptoken v1"). Every instance
// given the same secret opens the tokens of the others. previous are the secret's earlier versions
// (the one before a rotation): tokens sealed under them still open, and new ones are sealed under
// secret. An empty previous is none.
func NewSealer(secret []byte, previous ...[]byte) *Sealer {
	s := &Sealer{keys: []cipher.AEAD{sealKey(secret)}}
	for _, p := range previous {
		if len(p) > 0 {
			s.keys = append(s.keys, sealKey(p))
		}
	}
	return s
}

func sealKey(secret []byte) cipher.AEAD {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(sealLabel))
	block, err := aes.NewCipher(mac.Sum(nil)) // 32 bytes: AES-256
	if err != nil {
		panic(err) // a 32-byte key is always an AES key
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err) // AES has GCM's block size
	}
	return aead
}

// NewEphemeralSealer returns a sealer under a random key: its tokens open only in this process.
func NewEphemeralSealer() *Sealer {
	return NewSealer([]byte(rand.Text()))
}

// Seal is the token of mark (where a page of the list starts), unpadded base64url of nonce and
// ciphertext, the list's name the additional data.
func (s *Sealer) Seal(list, mark string) string {
	aead := s.keys[0]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(mark)+aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand does not fail
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(mark), []byte(list)))
}

// Open is the mark a token of the list was sealed from; ok is false for any token not sealed for the
// list under the current secret or one of the previous ones.
func (s *Sealer) Open(list, token string) (mark string, ok bool) {
	// Strict: a token has one spelling, not also the ones that differ in the unused bits of its end;
	// and only the alphabet's characters, since the decoder would skip a CR or LF inside it.
	if strings.ContainsFunc(token, func(r rune) bool { return !isBase64URL(r) }) {
		return "", false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	// Every key is AES-256-GCM: one nonce size and one overhead.
	n := s.keys[0].NonceSize()
	if err != nil || len(raw) < n+s.keys[0].Overhead() {
		return "", false
	}
	for _, aead := range s.keys {
		if plain, err := aead.Open(nil, raw[:n], raw[n:], []byte(list)); err == nil {
			return string(plain), true
		}
	}
	return "", false
}

// isBase64URL reports whether r is a character of the base64url alphabet.
func isBase64URL(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}
