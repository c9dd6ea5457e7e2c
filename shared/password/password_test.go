package password_test

import (
	"encoding/base64"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"mfagateway/shared/password"
)

// fast keeps the suite quick; argon2's cost is the same code path at any size.
var fast = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// b64n encodes n filler bytes, for building PHC strings with chosen lengths.
func b64n(n int) string {
	return base64.RawStdEncoding.EncodeToString([]byte(strings.Repeat("s", n)))
}

func mustHash(t testing.TB, h *password.Hasher, pw string) string {
	t.Helper()
	phc, err := h.Hash(pw)
	if err != nil {
		t.Fatalf("Hash(%q): %v", pw, err)
	}
	return phc
}

func TestRoundTrip(t *testing.T) {
	h := password.New(fast)
	tests := []struct {
		name, password, wrong string
	}{
		{"ascii", "correct horse battery staple", "Tr0ub4dor&3"},
		{"empty", "", " "},
		{"unicode", "pässwörd 🔑 パスワード", "passwort 🔑 パスワード"},
		{"nul byte", "a\x00b", "a"},
		{"long", strings.Repeat("x", 4096), strings.Repeat("x", 4095)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			phc := mustHash(t, h, tt.password)
			ok, err := h.Verify(tt.password, phc)
			if err != nil || !ok {
				t.Fatalf("Verify(right) = %v, %v; want true, nil", ok, err)
			}
			ok, err = h.Verify(tt.wrong, phc)
			if err != nil || ok {
				t.Fatalf("Verify(wrong) = %v, %v; want false, nil", ok, err)
			}
		})
	}
}

func TestHashIsSalted(t *testing.T) {
	h := password.New(fast)
	a, b := mustHash(t, h, "same"), mustHash(t, h, "same")
	if a == b {
		t.Fatalf("two hashes of the same password are equal: %s", a)
	}
}

func TestHashFormat(t *testing.T) {
	tests := []struct {
		name string
		p    password.Params
		re   string
	}{
		// 16 bytes -> 22 base64 chars, 32 -> 43, 8 -> 11, 64 -> 86.
		{"fast", fast, `^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`},
		{"default", password.Default, `^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`},
		{"min lengths", password.Params{Memory: 64, Iterations: 1, Parallelism: 2, SaltLength: 8, KeyLength: 16},
			`^\$argon2id\$v=19\$m=64,t=1,p=2\$[A-Za-z0-9+/]{11}\$[A-Za-z0-9+/]{22}$`},
		{"max lengths", password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 64, KeyLength: 64},
			`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{86}\$[A-Za-z0-9+/]{86}$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := password.New(tt.p)
			phc := mustHash(t, h, "pw")
			if !regexp.MustCompile(tt.re).MatchString(phc) {
				t.Fatalf("Hash = %s; want match for %s", phc, tt.re)
			}
			// Whatever Hash produces must be accepted back.
			if ok, err := h.Verify("pw", phc); err != nil || !ok {
				t.Fatalf("Verify = %v, %v; want true, nil", ok, err)
			}
			if h.NeedsRehash(phc) {
				t.Fatalf("NeedsRehash(own hash) = true")
			}
		})
	}
}

// TestDefault exercises the production parameters end to end once.
func TestDefault(t *testing.T) {
	want := password.Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	if password.Default != want {
		t.Fatalf("Default = %+v; want %+v", password.Default, want)
	}
	h := password.New(password.Default)
	if h.Params() != want {
		t.Fatalf("Params() = %+v; want %+v", h.Params(), want)
	}
	phc := mustHash(t, h, "hunter2")
	if ok, err := h.Verify("hunter2", phc); err != nil || !ok {
		t.Fatalf("Verify(right) = %v, %v; want true, nil", ok, err)
	}
	if ok, err := h.Verify("hunter3", phc); err != nil || ok {
		t.Fatalf("Verify(wrong) = %v, %v; want false, nil", ok, err)
	}
	h.VerifyDummy("hunter2")
}

// TestVerifyInterop checks against a hash produced by another implementation
// (the example in argon2-cffi's README, libargon2 underneath), so a swapped
// argument or encoding mistake cannot pass by being self-consistent.
func TestVerifyInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB, t=3 hash")
	}
	const phc = "$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg"
	h := password.New(fast)
	if ok, err := h.Verify("correct horse battery staple", phc); err != nil || !ok {
		t.Fatalf("Verify(right) = %v, %v; want true, nil", ok, err)
	}
	if ok, err := h.Verify("Tr0ub4dor&3", phc); err != nil || ok {
		t.Fatalf("Verify(wrong) = %v, %v; want false, nil", ok, err)
	}
}

// TestVerifyUsesStoredParams makes sure raising the cost does not lock out
// users whose hashes predate the change.
func TestVerifyUsesStoredParams(t *testing.T) {
	old := password.New(password.Params{Memory: 32, Iterations: 2, Parallelism: 2, SaltLength: 8, KeyLength: 24})
	phc := mustHash(t, old, "pw")
	cur := password.New(fast)
	if ok, err := cur.Verify("pw", phc); err != nil || !ok {
		t.Fatalf("Verify = %v, %v; want true, nil", ok, err)
	}
	if !cur.NeedsRehash(phc) {
		t.Fatalf("NeedsRehash = false; want true")
	}
}

func TestVerifyMalformed(t *testing.T) {
	salt, key := b64n(16), b64n(32)
	tests := []struct {
		name, phc string
	}{
		{"empty", ""},
		{"garbage", "not a hash"},
		{"no leading dollar", "argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"bcrypt", "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"version 16", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{"version missing", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"missing key", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"empty key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$"},
		{"extra field", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$x"},
		{"missing param", "$argon2id$v=19$m=64,t=1$" + salt + "$" + key},
		{"extra param", "$argon2id$v=19$m=64,t=1,p=1,k=1$" + salt + "$" + key},
		{"params reordered", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key},
		{"non-numeric param", "$argon2id$v=19$m=lots,t=1,p=1$" + salt + "$" + key},
		{"negative param", "$argon2id$v=19$m=64,t=-1,p=1$" + salt + "$" + key},
		{"param overflow", "$argon2id$v=19$m=4294967296,t=1,p=1$" + salt + "$" + key},
		{"bad base64 salt", "$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key},
		{"padded base64 key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + base64.StdEncoding.EncodeToString(make([]byte, 32))},
		{"url base64 key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("_", 43)},
		{"memory over 256 MiB", "$argon2id$v=19$m=262145,t=1,p=1$" + salt + "$" + key},
		{"memory below 8 KiB per lane", "$argon2id$v=19$m=15,t=1,p=2$" + salt + "$" + key},
		{"iterations 0", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{"iterations 21", "$argon2id$v=19$m=64,t=21,p=1$" + salt + "$" + key},
		{"parallelism 0", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key},
		{"parallelism 17", "$argon2id$v=19$m=256,t=1,p=17$" + salt + "$" + key},
		{"parallelism over uint8", "$argon2id$v=19$m=64,t=1,p=257$" + salt + "$" + key},
		{"salt 7 bytes", "$argon2id$v=19$m=64,t=1,p=1$" + b64n(7) + "$" + key},
		{"salt 65 bytes", "$argon2id$v=19$m=64,t=1,p=1$" + b64n(65) + "$" + key},
		{"key 15 bytes", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + b64n(15)},
		{"key 65 bytes", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + b64n(65)},
	}
	h := password.New(fast)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify("pw", tt.phc)
			if ok || !errors.Is(err, password.ErrMalformedHash) {
				t.Fatalf("Verify(%q) = %v, %v; want false, ErrMalformedHash", tt.phc, ok, err)
			}
			if !h.NeedsRehash(tt.phc) {
				t.Fatalf("NeedsRehash(%q) = false; want true", tt.phc)
			}
		})
	}
}

// TestVerifyAcceptsBounds pins the inclusive edges of the limits that are
// cheap to compute, so tightening them is a deliberate change.
func TestVerifyAcceptsBounds(t *testing.T) {
	tests := []struct {
		name string
		p    password.Params
	}{
		{"min salt and key", password.Params{Memory: 8, Iterations: 1, Parallelism: 1, SaltLength: 8, KeyLength: 16}},
		{"max key", password.Params{Memory: 8, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 64}},
		{"max parallelism", password.Params{Memory: 128, Iterations: 1, Parallelism: 16, SaltLength: 16, KeyLength: 32}},
		{"max iterations", password.Params{Memory: 8, Iterations: 20, Parallelism: 1, SaltLength: 16, KeyLength: 32}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			phc := mustHash(t, password.New(tt.p), "pw")
			if ok, err := password.New(fast).Verify("pw", phc); err != nil || !ok {
				t.Fatalf("Verify(%s) = %v, %v; want true, nil", phc, ok, err)
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	phc := mustHash(t, password.New(fast), "pw")
	with := func(f func(*password.Params)) password.Params {
		p := fast
		f(&p)
		return p
	}
	tests := []struct {
		name string
		p    password.Params
		want bool
	}{
		{"same", fast, false},
		{"memory", with(func(p *password.Params) { p.Memory = 128 }), true},
		{"iterations", with(func(p *password.Params) { p.Iterations = 2 }), true},
		{"parallelism", with(func(p *password.Params) { p.Parallelism = 2 }), true},
		{"salt length", with(func(p *password.Params) { p.SaltLength = 32 }), true},
		{"key length", with(func(p *password.Params) { p.KeyLength = 16 }), true},
		{"default", password.Default, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := password.New(tt.p).NeedsRehash(phc); got != tt.want {
				t.Fatalf("NeedsRehash = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestHashInvalidParams(t *testing.T) {
	tests := []struct {
		name string
		p    password.Params
	}{
		{"zero", password.Params{}},
		{"iterations 0", password.Params{Memory: 64, Iterations: 0, Parallelism: 1, SaltLength: 16, KeyLength: 32}},
		{"parallelism 0", password.Params{Memory: 64, Iterations: 1, Parallelism: 0, SaltLength: 16, KeyLength: 32}},
		{"short salt", password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 4, KeyLength: 32}},
		{"short key", password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := password.New(tt.p)
			if phc, err := h.Hash("pw"); err == nil {
				t.Fatalf("Hash = %q, nil; want error", phc)
			}
			// Must not panic inside argon2 on the unknown-user path.
			h.VerifyDummy("pw")
		})
	}
}

// TestVerifyDummy checks what VerifyDummy observably does: argon2id with h's parameters, whose memory
// cost shows in the bytes allocated. For every password the login handler can pass in (no panic), a
// dummy verification allocates at least h's Memory and at least about as much as a real Verify against a
// hash made with h's parameters, so an unknown user costs what a wrong password does.
func TestVerifyDummy(t *testing.T) {
	p := password.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	h := password.New(p)
	phc := mustHash(t, h, "correct horse battery staple")
	for _, pw := range []string{"", "pw", "pässwörd 🔑", strings.Repeat("x", 4096)} {
		dummy := allocatedPerCall(func() { h.VerifyDummy(pw) })
		verify := allocatedPerCall(func() {
			if ok, err := h.Verify(pw, phc); err != nil || ok {
				t.Fatalf("Verify(%.20q) = %v, %v; want false, nil", pw, ok, err)
			}
		})
		if floor := uint64(p.Memory) * 1024; dummy < floor {
			t.Errorf("VerifyDummy(%.20q) allocated %d bytes, want at least %d (argon2id with m=%d KiB)", pw, dummy, floor, p.Memory)
		}
		if dummy < verify*9/10 {
			t.Errorf("VerifyDummy(%.20q) allocated %d bytes, a real Verify %d: want about the same work", pw, dummy, verify)
		}
	}
}

// allocatedPerCall is the mean number of heap bytes f allocates per call.
func allocatedPerCall(f func()) uint64 {
	const runs = 5
	f() // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

func BenchmarkVerify(b *testing.B) {
	h := password.New(password.Default)
	phc := mustHash(b, h, "correct horse battery staple")
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := h.Verify("correct horse battery staple", phc); err != nil || !ok {
			b.Fatalf("Verify = %v, %v", ok, err)
		}
	}
}

func BenchmarkVerifyDummy(b *testing.B) {
	h := password.New(password.Default)
	b.ReportAllocs()
	for b.Loop() {
		h.VerifyDummy("correct horse battery staple")
	}
}

func BenchmarkHash(b *testing.B) {
	h := password.New(password.Default)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
