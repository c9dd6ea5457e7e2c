// Package password hashes and verifies user passwords with argon2id, storing them as PHC strings.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLength  uint32
	KeyLength   uint32
}

// Default follows OWASP's first argon2id recommendation (m=19 MiB, t=2, p=1), 16-byte salt, 32-byte key.
var Default = Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// ErrMalformedHash reports a stored hash that cannot be parsed or whose
// parameters are outside the range this package is willing to compute.
var ErrMalformedHash = errors.New("password: malformed argon2id hash")

// Limits on parameters. Verify takes its costs from the stored string, so
// without a ceiling one corrupted or hostile row could make a single login
// allocate or spin far beyond what the function has.
const (
	maxMemory      = 256 * 1024 // KiB: 256 MiB, half of a 512 MB Lambda
	maxIterations  = 20
	maxParallelism = 16
	minSaltLength  = 8
	// Salt only feeds the initial BLAKE2b input, so it is cheap, but an
	// unbounded one would still let a stored row dictate work and allocation.
	maxSaltLength = 64
	minKeyLength  = 16
	maxKeyLength  = 64
)

// b64 is strict so that each hash has exactly one accepted spelling.
var b64 = base64.RawStdEncoding.Strict()

// Hasher hashes and verifies passwords. It is immutable and therefore safe
// for concurrent use.
type Hasher struct {
	p Params
}

// New returns a Hasher for p. It does no hashing and no validation work so
// that it adds nothing to a Lambda cold start; invalid parameters surface as
// an error from Hash.
func New(p Params) *Hasher {
	return &Hasher{p: p}
}

// Params returns the parameters used for new hashes.
func (h *Hasher) Params() Params {
	return h.p
}

// Hash returns a PHC string of the form
// $argon2id$v=19$m=<KiB>,t=<iterations>,p=<parallelism>$<salt>$<key>.
func (h *Hasher) Hash(password string) (string, error) {
	if err := validate(h.p); err != nil {
		return "", fmt.Errorf("password: invalid hasher params: %w", err)
	}
	salt := make([]byte, h.p.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, h.p.Iterations, h.p.Memory, h.p.Parallelism, h.p.KeyLength)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.p.Memory, h.p.Iterations, h.p.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches phc. The cost parameters come from
// phc rather than from h, so hashes made before a parameter change keep
// working; use NeedsRehash to migrate them. A wrong password is (false, nil);
// an error always wraps ErrMalformedHash.
func (h *Hasher) Verify(password, phc string) (bool, error) {
	p, salt, key, err := parse(phc)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// VerifyDummy performs the same argon2id work as Verify against a hash made
// with h's params, and discards the result. Call it when the user does not
// exist so that response time does not reveal which usernames are registered.
func (h *Hasher) VerifyDummy(password string) {
	// A Hasher that cannot hash has no real hashes whose timing needs
	// matching, and argon2 would panic on zero iterations or parallelism.
	if validate(h.p) != nil {
		return
	}
	// Zero salt and key are fine: nothing can ever match, and the argon2
	// cost depends only on the parameters, not on the bytes.
	salt := make([]byte, h.p.SaltLength)
	want := make([]byte, h.p.KeyLength)
	got := argon2.IDKey([]byte(password), salt, h.p.Iterations, h.p.Memory, h.p.Parallelism, h.p.KeyLength)
	// Kept so the comparison costs what Verify's does.
	_ = subtle.ConstantTimeCompare(got, want)
}

// NeedsRehash reports whether phc was made with parameters other than h's,
// so the caller can store a fresh hash after a successful login. A malformed
// phc also needs rehashing, though Verify will not have accepted it.
func (h *Hasher) NeedsRehash(phc string) bool {
	p, _, _, err := parse(phc)
	return err != nil || p != h.p
}

// parse splits a PHC string into its parameters, salt and key. SaltLength and
// KeyLength of the returned Params are the decoded lengths.
func parse(phc string) (Params, []byte, []byte, error) {
	var p Params
	// Leading "$" yields an empty first field.
	f := strings.Split(phc, "$")
	if len(f) != 6 || f[0] != "" {
		return p, nil, nil, fmt.Errorf("%w: want 5 $-separated fields", ErrMalformedHash)
	}
	if f[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("%w: algorithm %q is not argon2id", ErrMalformedHash, f[1])
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported version %q", ErrMalformedHash, f[2])
	}

	// Canonical encoders emit m, t, p in this order; accepting only that
	// keeps the parser small and the stored form unique.
	kv := strings.Split(f[3], ",")
	if len(kv) != 3 {
		return p, nil, nil, fmt.Errorf("%w: want m,t,p parameters", ErrMalformedHash)
	}
	m, err := param(kv[0], "m=", 32)
	if err != nil {
		return p, nil, nil, err
	}
	t, err := param(kv[1], "t=", 32)
	if err != nil {
		return p, nil, nil, err
	}
	par, err := param(kv[2], "p=", 8)
	if err != nil {
		return p, nil, nil, err
	}

	salt, err := b64.DecodeString(f[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("%w: salt: %v", ErrMalformedHash, err)
	}
	key, err := b64.DecodeString(f[5])
	if err != nil {
		return p, nil, nil, fmt.Errorf("%w: key: %v", ErrMalformedHash, err)
	}

	p = Params{
		Memory:      uint32(m),
		Iterations:  uint32(t),
		Parallelism: uint8(par),
		SaltLength:  uint32(len(salt)),
		KeyLength:   uint32(len(key)),
	}
	if err := validate(p); err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: %v", ErrMalformedHash, err)
	}
	return p, salt, key, nil
}

// param parses one "name=value" PHC parameter as an unsigned decimal.
func param(s, prefix string, bits int) (uint64, error) {
	v, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, fmt.Errorf("%w: want parameter %q, got %q", ErrMalformedHash, prefix, s)
	}
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%w: parameter %q: %v", ErrMalformedHash, s, err)
	}
	return n, nil
}

// validate applies the same bounds to h's own params and to stored ones, so
// that anything Hash produces Verify will accept.
func validate(p Params) error {
	switch {
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("iterations %d not in [1, %d]", p.Iterations, maxIterations)
	case p.Parallelism < 1 || p.Parallelism > maxParallelism:
		return fmt.Errorf("parallelism %d not in [1, %d]", p.Parallelism, maxParallelism)
	// RFC 9106 requires at least 8 KiB per lane; argon2 would silently
	// round a smaller value up, making the stored m a lie.
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxMemory:
		return fmt.Errorf("memory %d KiB not in [%d, %d]", p.Memory, 8*uint32(p.Parallelism), maxMemory)
	case p.SaltLength < minSaltLength || p.SaltLength > maxSaltLength:
		return fmt.Errorf("salt length %d not in [%d, %d]", p.SaltLength, minSaltLength, maxSaltLength)
	case p.KeyLength < minKeyLength || p.KeyLength > maxKeyLength:
		return fmt.Errorf("key length %d not in [%d, %d]", p.KeyLength, minKeyLength, maxKeyLength)
	}
	return nil
}

// Check reports whether phc is an argon2id PHC string this package can verify (ErrMalformedHash otherwise).
func Check(phc string) error {
	_, _, _, err := parse(phc)
	return err
}
