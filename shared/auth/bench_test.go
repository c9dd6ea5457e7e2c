package auth_test

// Benchmarks of the domain's hot paths, run by `make bench` (go run ./cmd/bench) with a bounded
// -benchtime: token hashing, binding-code HMAC and code generation, through exported functions and
// Service calls over an in-memory store. Each BenchmarkFloorX is the primitive the path is built on,
// measured in the same run for the ratio. Every identifier here starts with bench (other test files
// of this package own the plain names).

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"testing"
	"time"

	"mfagateway/shared/auth"
)

const (
	benchBearer = "Q2hhbGxlbmdlVG9rZW5Gb3JCZW5jaG1hcmtzMDEyMzQ" // an MFA token: 43 characters, 256 bits, base64url
	benchAppID  = "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90"
	benchUserID = "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
	// benchAuthBearer is an auth token of benchUserID: its UUID, then 32 bytes, in 64 characters.
	benchAuthBearer = "fB4tP0pbTG2OnwobLD1OX0F1dGhUb2tlblJhbmRvbVBhcnRGb3JCZW5jaG1hcmtz"
)

var benchSecret = []byte("bench-secret-0123456789abcdefghijklmnopqrstuvwxyz")

var benchSink any

// benchStore is the part of auth.Store these benchmarks reach; any other method panics (nil embedded).
type benchStore struct {
	auth.Store
	challenge auth.Challenge // what GetChallenge answers
	rotated   auth.Challenge // the last RotateCode's next
}

func (s *benchStore) GetChallenge(context.Context, string) (auth.Challenge, error) {
	return s.challenge, nil
}

func (s *benchStore) RotateCode(_ context.Context, _, next auth.Challenge, _ auth.SendSlot, _ int) error {
	s.rotated = next
	return nil
}

func (s *benchStore) CountAttempt(context.Context, auth.Challenge, auth.Channel, time.Time, int, auth.WrongCodeStep) error {
	return nil
}

func (s *benchStore) Consume(context.Context, auth.Challenge, auth.Token, auth.Channel, time.Time, int) error {
	return nil
}

// benchSender keeps the last message.
type benchSender struct{ last auth.Message }

func (s *benchSender) Send(_ context.Context, m auth.Message) error { s.last = m; return nil }
func (s *benchSender) Name() string                                 { return "Bench" }

// benchTokens is the part of auth.TokenStore the authorizer reaches.
type benchTokens struct {
	auth.TokenStore
	token auth.Token
}

func (s benchTokens) TokenForApp(context.Context, string, string, string) (auth.TokenRecord, error) {
	return auth.TokenRecord{Token: s.token, AppExists: true, User: &auth.User{ID: s.token.UserID, Email: s.token.Email, Name: s.token.Name, Applications: []string{s.token.AppID}}}, nil
}

var benchCodeRe = regexp.MustCompile(`\b\d{6}\b`)

// benchService is a service whose store holds one live challenge of benchBearer, last sent a minute
// ago, so a resend passes its cooldown.
func benchService(b *testing.B) (*auth.Service, *benchStore, *benchSender) {
	b.Helper()
	now := time.Now()
	store := &benchStore{challenge: auth.Challenge{
		ID: auth.TokenID(benchBearer), UserID: benchUserID, Email: "ada@example.com", Name: "Ada", AppID: benchAppID,
		Channel: auth.ChannelSMS, Authenticator: "Bench", To: "+31612345678", Destination: "+31******78",
		CodeHash:      "00",
		CodeExpiresAt: now.Add(4 * time.Minute), ExpiresAt: now.Add(14 * time.Minute),
		Sends: 1, LastSentAt: now.Add(-time.Minute),
	}}
	sms := &benchSender{}
	svc := auth.NewService(auth.Deps{Store: store, SMS: sms, Email: sms, Secret: benchSecret, Policy: auth.DefaultPolicy})
	return svc, store, sms
}

// BenchmarkTokenID hashes a bearer token to its stored ID (SHA-256, hex): every verify, resend and authorize.
func BenchmarkTokenID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		benchSink = auth.TokenID(benchBearer)
	}
}

// BenchmarkFloorSHA256 is the hash alone.
func BenchmarkFloorSHA256(b *testing.B) {
	b.ReportAllocs()
	in := []byte(benchBearer)
	for b.Loop() {
		benchSink = sha256.Sum256(in)
	}
}

// BenchmarkResend is Service.Resend without I/O: code generation (crypto/rand), the code's HMAC and the message.
func BenchmarkResend(b *testing.B) {
	svc, _, _ := benchService(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Resend(ctx, benchBearer); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorRandomCode is the random draw of a code alone: crypto/rand, 8 bytes.
func BenchmarkFloorRandomCode(b *testing.B) {
	b.ReportAllocs()
	var buf [8]byte
	for b.Loop() {
		_, _ = rand.Read(buf[:])
		benchSink = buf[0]
	}
}

// benchVerifiable returns a service holding a challenge whose code the benchmark knows: one resend's.
func benchVerifiable(b *testing.B) (*auth.Service, string) {
	b.Helper()
	svc, store, sms := benchService(b)
	if _, err := svc.Resend(context.Background(), benchBearer); err != nil {
		b.Fatal(err)
	}
	code := benchCodeRe.FindString(sms.last.Body)
	if code == "" {
		b.Fatalf("no code in %q", sms.last.Body)
	}
	store.challenge = store.rotated
	return svc, code
}

// BenchmarkVerifyRightCode is Service.Verify without I/O: token hashing, the code's HMAC compared in
// constant time, and a new auth token (crypto/rand, base64url, SHA-256).
func BenchmarkVerifyRightCode(b *testing.B) {
	svc, code := benchVerifiable(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Verify(ctx, benchBearer, auth.ChannelSMS, code); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyWrongCode is the refusal path: token hashing and the HMAC, no new token.
func BenchmarkVerifyWrongCode(b *testing.B) {
	svc, code := benchVerifiable(b)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, err := svc.Verify(ctx, benchBearer, auth.ChannelSMS, wrong)
		var codeErr *auth.CodeError
		if !errors.As(err, &codeErr) {
			b.Fatalf("want a wrong-code error, got %v", err)
		}
	}
}

// BenchmarkFloorHMAC is one HMAC-SHA256 over a challenge ID, a send number and a code, hex-encoded.
func BenchmarkFloorHMAC(b *testing.B) {
	b.ReportAllocs()
	id := auth.TokenID(benchBearer)
	for b.Loop() {
		m := hmac.New(sha256.New, benchSecret)
		m.Write([]byte(id))
		m.Write([]byte{0, '1', 0})
		m.Write([]byte("123456"))
		benchSink = hex.EncodeToString(m.Sum(nil))
	}
}

// BenchmarkAuthorize is Sessions.Authorize without I/O: shape check and userId, token hashing, verdict.
func BenchmarkAuthorize(b *testing.B) {
	tokens := benchTokens{token: auth.Token{
		ID: auth.TokenID(benchAuthBearer), UserID: benchUserID, Email: "ada@example.com", Name: "Ada", AppID: benchAppID,
		Admin: true, IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour),
	}}
	sessions := auth.NewSessions(tokens, nil, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sessions.Authorize(ctx, benchAuthBearer, benchAppID); err != nil {
			b.Fatal(err)
		}
	}
}
