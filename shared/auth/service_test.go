package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/password"
	"mfagateway/shared/seed"
	"mfagateway/shared/testenv"
)

// Fixture applications and users.
const (
	appMFA   = "11111111-1111-4111-8111-111111111111" // MFA on
	appPlain = "22222222-2222-4222-8222-222222222222" // MFA off
	appOther = "33333333-3333-4333-8333-333333333333" // MFA off, nobody is a member
	urlMFA   = "mfa.example.com/sub"
	urlPlain = "plain.example.com"

	adaEmail    = "ada@example.com" // mobile; member of appMFA and appPlain
	adaPassword = "ada-password-1"
	adaMobile   = "+31612345678"
	graceEmail  = "grace@example.com" // no mobile; member of appMFA and appPlain
	gracePass   = "grace-password-1"
)

// t0 starts every fixture clock: a whole hour, so the hourly send window is easy to reason about.
var t0 = time.Date(2031, 3, 4, 10, 0, 0, 0, time.UTC)

// tapReader is a deterministic randomness source that remembers what it handed out since the last
// Reset, so a test can recompute a token the service never returned.
type tapReader struct {
	mu   sync.Mutex
	src  io.Reader
	seen []byte
}

func newTapReader(seed byte) *tapReader {
	var s [32]byte
	s[0] = seed
	return &tapReader{src: rand.NewChaCha8(s)}
}

func (r *tapReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, err := r.src.Read(p)
	r.seen = append(r.seen, p[:n]...)
	return n, err
}

func (r *tapReader) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = nil
}

// firstSecret is the bearer string made from the first 32 bytes read since Reset: the MFA token of a login.
func (r *tapReader) firstSecret(t *testing.T) string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seen) < 32 {
		t.Fatalf("only %d random bytes were read", len(r.seen))
	}
	return base64.RawURLEncoding.EncodeToString(r.seen[:32])
}

// fakeSender fails every send, or records it.
type fakeSender struct {
	name string
	err  error

	mu   sync.Mutex
	sent []auth.Message
}

func (s *fakeSender) Send(_ context.Context, m auth.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.sent = append(s.sent, m)
	return nil
}

func (s *fakeSender) Name() string { return s.name }

func (s *fakeSender) Sent() []auth.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]auth.Message(nil), s.sent...)
}

// fixture is the test stack with this file's applications and users, and a login service drawing
// from a tapReader.
type fixture struct {
	*testenv.Stack
	random *tapReader
	svc    *auth.Service
}

// cryptoRandom lets concurrent tests use the real source: tapReader serialises, but its order is racy.
func cryptoRandom() testenv.Option { return testenv.WithRandom(nil) }

func newFixture(t *testing.T, opts ...testenv.Option) *fixture {
	t.Helper()
	f := &fixture{random: newTapReader(7)}
	f.Stack = testenv.NewStack(t, append([]testenv.Option{testenv.WithTable("auth-test"), testenv.WithClock(t0), testenv.WithRandom(f.random)}, opts...)...)
	f.Seed(t, fixtureSeed)
	f.svc = f.Service()
	return f
}

// fixtureSeed is what every fixture's table holds.
var fixtureSeed = seed.File{
	Applications: []seed.Application{
		{AppID: appMFA, Name: "MFA", URL: urlMFA, MFA: true},
		{AppID: appPlain, Name: "Plain", URL: urlPlain},
		{AppID: appOther, Name: "Other", URL: "other.example.com"},
	},
	Users: []seed.User{
		{UserID: adaID, Email: adaEmail, Name: "Ada", Password: adaPassword, Mobile: adaMobile, Admin: true, Applications: []string{appMFA, appPlain}},
		{UserID: graceID, Email: graceEmail, Name: "Grace", Password: gracePass, Applications: []string{appMFA, appPlain}},
	},
}

func (f *fixture) login(email, pw, appID string) (auth.LoginResult, error) {
	return f.svc.Login(f.Ctx, auth.LoginInput{Email: email, Password: pw, App: auth.AppRef{ID: appID}})
}

// challenge logs in to the MFA application and returns the MFA token and the code sent.
func (f *fixture) challenge(t *testing.T, email, pw string) (string, string) {
	t.Helper()
	res, err := f.login(email, pw, appMFA)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if res.MFA == nil {
		t.Fatalf("login gave a token, want a challenge")
	}
	return res.MFA.Token, f.LastCode(t)
}

// otherCode is a code that is not code.
func otherCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func (f *fixture) getChallenge(t *testing.T, mfaToken string) auth.Challenge {
	t.Helper()
	ch, err := f.Store.GetChallenge(f.Ctx, auth.TokenID(mfaToken))
	if err != nil {
		t.Fatalf("get challenge: %v", err)
	}
	return ch
}

func numberAttr(t *testing.T, item map[string]types.AttributeValue, name string) string {
	t.Helper()
	n, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("attribute %s is %T, want a number", name, item[name])
	}
	return n.Value
}

func wantRateLimit(t *testing.T, err error, retryAfter time.Duration) {
	t.Helper()
	var rl *auth.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("err = %v, want *RateLimitError", err)
	}
	if rl.RetryAfter != retryAfter {
		t.Fatalf("RetryAfter = %v, want %v (%v)", rl.RetryAfter, retryAfter, rl)
	}
}

func wantCodeError(t *testing.T, err error, remaining int) {
	t.Helper()
	var ce *auth.CodeError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *CodeError", err)
	}
	if ce.Remaining != remaining {
		t.Fatalf("Remaining = %d, want %d", ce.Remaining, remaining)
	}
}

func wantIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

var bearerRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

func wantBearer(t *testing.T, what, s string) {
	t.Helper()
	if !bearerRE.MatchString(s) || !auth.IsBearer(s) {
		t.Fatalf("%s = %q, want 43 characters of base64url", what, s)
	}
	if b, err := base64.RawURLEncoding.DecodeString(s); err != nil || len(b) != 32 {
		t.Fatalf("%s does not decode to 32 bytes: %v", what, err)
	}
}

var authTokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{64}$`)

// wantAuthToken checks the shape of an auth token: 64 characters of base64url, 48 bytes, the first 16
// of them userID's UUID.
func wantAuthToken(t *testing.T, what, s, userID string) {
	t.Helper()
	if !authTokenRE.MatchString(s) || !auth.IsAuthToken(s) || auth.IsBearer(s) {
		t.Fatalf("%s = %q, want 64 characters of base64url", what, s)
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 48 {
		t.Fatalf("%s does not decode to 48 bytes: %v", what, err)
	}
	if got, _ := auth.AuthTokenUser(s); got != userID || uuid.UUID(b[:16]).String() != userID {
		t.Fatalf("%s names user %q, want %q", what, got, userID)
	}
}

// fixtureIDs are the fixture's userIds by email.
var fixtureIDs = map[string]string{adaEmail: adaID, graceEmail: graceID}

func TestLoginOutcome(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name        string
		email, pw   string
		app         auth.AppRef
		wantMFA     bool
		channel     auth.Channel
		destination string
	}{
		{name: "MFA off gives a token", email: adaEmail, pw: adaPassword, app: auth.AppRef{ID: appPlain}},
		{name: "MFA off by url", email: adaEmail, pw: adaPassword, app: auth.AppRef{URL: urlPlain}},
		{name: "email trimmed and case-folded", email: "  ADA@Example.COM ", pw: adaPassword, app: auth.AppRef{ID: appPlain}},
		{name: "MFA on with mobile goes by SMS", email: adaEmail, pw: adaPassword, app: auth.AppRef{ID: appMFA},
			wantMFA: true, channel: auth.ChannelSMS, destination: "+31******78"},
		{name: "MFA on by url", email: adaEmail, pw: adaPassword, app: auth.AppRef{URL: urlMFA},
			wantMFA: true, channel: auth.ChannelSMS, destination: "+31******78"},
		{name: "MFA on without mobile goes by email", email: graceEmail, pw: gracePass, app: auth.AppRef{ID: appMFA},
			wantMFA: true, channel: auth.ChannelEmail, destination: "g***@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.Clock.Advance(time.Minute) // clear of the previous case's cooldown
			before := len(f.Outbox.Entries())
			res, err := f.svc.Login(f.Ctx, auth.LoginInput{Email: tt.email, Password: tt.pw, App: tt.app})
			if err != nil {
				t.Fatalf("Login: %v", err)
			}
			entries := f.Outbox.Entries()
			if !tt.wantMFA {
				if res.MFA != nil {
					t.Fatalf("got a challenge, want a token")
				}
				wantAuthToken(t, "token", res.Token, fixtureIDs[strings.ToLower(strings.TrimSpace(tt.email))])
				if res.ExpiresIn != 10*time.Hour {
					t.Errorf("ExpiresIn = %v, want 10h", res.ExpiresIn)
				}
				if len(entries) != before {
					t.Errorf("a message was sent for a login without MFA")
				}
				if f.Item(t, "TOKEN#"+auth.TokenID(res.Token)) == nil {
					t.Errorf("no token item stored under its SHA-256")
				}
				if f.Item(t, "TOKEN#"+res.Token) != nil {
					t.Errorf("token stored in the clear")
				}
				return
			}
			if res.MFA == nil {
				t.Fatalf("got a token, want a challenge")
			}
			if res.Token != "" {
				t.Errorf("an MFA login also returned an auth token")
			}
			m := res.MFA
			wantBearer(t, "MFA token", m.Token)
			if m.Channel != tt.channel || m.Authenticator != "LocalOutbox" || m.Destination != tt.destination || m.ExpiresIn != 5*time.Minute {
				t.Errorf("challenge = %+v, want channel %s, LocalOutbox, %s, 5m", *m, tt.channel, tt.destination)
			}
			if len(entries) != before+1 {
				t.Fatalf("%d messages sent, want 1", len(entries)-before)
			}
			e := entries[len(entries)-1]
			wantTo := adaMobile
			if tt.channel == auth.ChannelEmail {
				wantTo = graceEmail
			}
			if e.Channel != string(tt.channel) || e.To != wantTo {
				t.Errorf("message went by %s to %s, want %s to %s", e.Channel, e.To, tt.channel, wantTo)
			}
			ch := f.getChallenge(t, m.Token)
			if ch.Channel != tt.channel || ch.Sends != 1 || ch.Attempts != 0 || ch.Used {
				t.Errorf("stored challenge = %+v", ch)
			}
			if code := testenv.CodeIn(t, e.Body); strings.Contains(ch.CodeHash, code) {
				t.Errorf("code stored in the clear")
			}
		})
	}
}

// countingHasher counts the password hashes computed, real or dummy.
type countingHasher struct {
	*password.Hasher
	mu    sync.Mutex
	calls int
}

func (h *countingHasher) Verify(pw, phc string) (bool, error) {
	h.mu.Lock()
	h.calls++
	h.mu.Unlock()
	return h.Hasher.Verify(pw, phc)
}

func (h *countingHasher) VerifyDummy(pw string) {
	h.mu.Lock()
	h.calls++
	h.mu.Unlock()
	h.Hasher.VerifyDummy(pw)
}

func (h *countingHasher) take() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.calls
	h.calls = 0
	return n
}

func TestLoginInvalidCredentials(t *testing.T) {
	hasher := &countingHasher{Hasher: password.New(testenv.CheapPassword)}
	f := newFixture(t, testenv.WithDeps(func(d *auth.Deps) { d.Hasher = hasher }))
	tests := []struct {
		name      string
		email, pw string
		app       auth.AppRef
	}{
		{"unknown email", "nobody@example.com", adaPassword, auth.AppRef{ID: appPlain}},
		{"wrong password", adaEmail, "wrong", auth.AppRef{ID: appPlain}},
		{"wrong password, MFA app", adaEmail, "wrong", auth.AppRef{ID: appMFA}},
		{"password of another user", adaEmail, gracePass, auth.AppRef{ID: appPlain}},
		{"not a member", adaEmail, adaPassword, auth.AppRef{ID: appOther}},
		{"unknown application id", adaEmail, adaPassword, auth.AppRef{ID: "44444444-4444-4444-8444-444444444444"}},
		{"unknown application url", adaEmail, adaPassword, auth.AppRef{URL: "nowhere.example.com"}},
		{"empty application ref", adaEmail, adaPassword, auth.AppRef{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.Clock.Advance(time.Hour) // past any password backoff the earlier cases caused
			before := len(f.Outbox.Entries())
			hasher.take()
			res, err := f.svc.Login(f.Ctx, auth.LoginInput{Email: tt.email, Password: tt.pw, App: tt.app})
			if !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("err = %v, want ErrInvalidCredentials", err)
			}
			if n := hasher.take(); n != 1 {
				t.Errorf("%d password hashes computed, want 1 whatever the cause", n)
			}
			if err != auth.ErrInvalidCredentials {
				t.Errorf("err = %q, want the bare sentinel so every cause reads the same", err)
			}
			if res.Token != "" || res.MFA != nil {
				t.Errorf("result = %+v, want zero", res)
			}
			if got := len(f.Outbox.Entries()); got != before {
				t.Errorf("a code was sent on a failed login")
			}
		})
	}
	if n := len(f.Items(t, "TOKEN#")); n != 0 {
		t.Errorf("%d tokens issued by failed logins", n)
	}
}

func TestBackoffSchedule(t *testing.T) {
	tests := []struct {
		n    int
		want time.Duration
	}{
		{0, time.Second}, {1, 2 * time.Second}, {2, 4 * time.Second}, {3, 8 * time.Second},
		{9, 512 * time.Second}, {10, 15 * time.Minute}, {11, 15 * time.Minute},
		{62, 15 * time.Minute}, {63, 15 * time.Minute}, {64, 15 * time.Minute}, {1 << 30, 15 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			if got := auth.Backoff(tt.n); got != tt.want {
				t.Errorf("Backoff(%d) = %v, want %v", tt.n, got, tt.want)
			}
		})
	}
}

func TestPasswordBackoff(t *testing.T) {
	tests := []struct {
		name        string
		email       string
		maxFailures int
	}{
		{"known email, default limit", adaEmail, 5},
		{"unknown email, default limit", "nobody@example.com", 5},
		{"known email, LOGIN_MAX_FAILURES=2", adaEmail, 2},
		{"known email in other case", "ADA@example.com ", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, testenv.WithPolicy(func(p *auth.Policy) { p.LoginMaxFailures = tt.maxFailures }))
			fail := func() {
				t.Helper()
				_, err := f.login(tt.email, "wrong", appPlain)
				wantIs(t, err, auth.ErrInvalidCredentials)
			}
			for i := 1; i < tt.maxFailures; i++ {
				fail()
			}
			want := time.Second
			for round := 0; round < 14; round++ {
				fail() // the failure that (re)locks
				// Locked now, for the right password as for a wrong one.
				_, err := f.login(tt.email, adaPassword, appPlain)
				wantRateLimit(t, err, want)
				f.Clock.Advance(want - time.Millisecond)
				_, err = f.login(tt.email, "wrong", appPlain)
				wantRateLimit(t, err, time.Millisecond)
				f.Clock.Advance(time.Millisecond)
				want = min(2*want, 15*time.Minute)
			}
			if want != 15*time.Minute {
				t.Fatalf("backoff never reached its cap")
			}
			if tt.email != adaEmail && auth.NormalizeEmail(tt.email) != adaEmail {
				return
			}
			// A success resets the count: the next failures start again from nothing.
			if _, err := f.login(tt.email, adaPassword, appPlain); err != nil {
				t.Fatalf("login after the lock: %v", err)
			}
			for i := 1; i < tt.maxFailures; i++ {
				fail()
			}
			if _, err := f.login(tt.email, adaPassword, appPlain); err != nil {
				t.Fatalf("login after %d fresh failures: %v", tt.maxFailures-1, err)
			}
			fail()
			if _, err := f.login(tt.email, adaPassword, appPlain); err != nil {
				t.Fatalf("a success did not reset the failure count: %v", err)
			}
		})
	}
}

func TestPasswordBackoffResetByMFALogin(t *testing.T) {
	f := newFixture(t)
	for range 4 {
		_, err := f.login(adaEmail, "wrong", appMFA)
		wantIs(t, err, auth.ErrInvalidCredentials)
	}
	f.challenge(t, adaEmail, adaPassword) // right password: a challenge is a success
	for range 4 {
		_, err := f.login(adaEmail, "wrong", appMFA)
		wantIs(t, err, auth.ErrInvalidCredentials)
	}
	f.Clock.Advance(time.Minute)
	if _, err := f.login(adaEmail, adaPassword, appMFA); err != nil {
		t.Fatalf("locked after 4 failures that followed a successful MFA login: %v", err)
	}
}

func TestPasswordBackoffPerEmail(t *testing.T) {
	f := newFixture(t)
	for range 5 {
		_, err := f.login(adaEmail, "wrong", appPlain)
		wantIs(t, err, auth.ErrInvalidCredentials)
	}
	_, err := f.login(adaEmail, adaPassword, appPlain)
	wantRateLimit(t, err, time.Second)
	if _, err := f.login(graceEmail, gracePass, appPlain); err != nil {
		t.Fatalf("another account is locked too: %v", err)
	}
}

func TestLoginWithDefaultPasswordParams(t *testing.T) {
	const linusID = "11705000-0000-4000-8000-000000011705"
	f := newFixture(t)
	hasher := password.New(password.Default)
	phc, err := hasher.Hash("linus-password-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Store.PutUser(f.Ctx, auth.User{ID: linusID, Email: "linus@example.com", Name: "Linus", PasswordHash: phc, Applications: []string{appPlain}}); err != nil {
		t.Fatal(err)
	}
	d := f.Deps
	d.Hasher = hasher
	svc := auth.NewService(d)
	tests := []struct {
		name, email, pw string
		wantErr         error
	}{
		{"right password", "linus@example.com", "linus-password-1", nil},
		{"wrong password", "linus@example.com", "linus-password-2", auth.ErrInvalidCredentials},
		{"unknown user", "nobody@example.com", "linus-password-1", auth.ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := svc.Login(f.Ctx, auth.LoginInput{Email: tt.email, Password: tt.pw, App: auth.AppRef{ID: appPlain}})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil {
				wantAuthToken(t, "token", res.Token, linusID)
			}
		})
	}
}

func TestDeliveryFallback(t *testing.T) {
	smsDown := &fakeSender{name: "BrokenSMS", err: errors.New("sns: throttled")}
	sesDown := &fakeSender{name: "BrokenSES", err: errors.New("ses: rejected")}
	// keep leaves the fixture's outbox sender in place.
	keep := func(s auth.Sender) auth.Sender { return s }
	tests := []struct {
		name          string
		sms, email    func(auth.Sender) auth.Sender
		user, pw      string
		wantErr       error
		channel       auth.Channel
		authenticator string
		destination   string
	}{
		{
			name: "SMS fails, email delivers",
			sms:  func(auth.Sender) auth.Sender { return smsDown }, email: keep,
			user: adaEmail, pw: adaPassword,
			channel: auth.ChannelEmail, authenticator: "LocalOutbox", destination: "a***@example.com",
		},
		{
			name:  "SMS fails, email by another provider",
			sms:   func(auth.Sender) auth.Sender { return smsDown },
			email: func(auth.Sender) auth.Sender { return &fakeSender{name: "AmazonSES"} },
			user:  adaEmail, pw: adaPassword,
			channel: auth.ChannelEmail, authenticator: "AmazonSES", destination: "a***@example.com",
		},
		{
			name: "no SMS sender configured",
			sms:  func(auth.Sender) auth.Sender { return nil }, email: keep,
			user: adaEmail, pw: adaPassword,
			channel: auth.ChannelEmail, authenticator: "LocalOutbox", destination: "a***@example.com",
		},
		{
			name:  "both fail",
			sms:   func(auth.Sender) auth.Sender { return smsDown },
			email: func(auth.Sender) auth.Sender { return sesDown },
			user:  adaEmail, pw: adaPassword, wantErr: auth.ErrDeliveryFailed,
		},
		{
			name: "email-only user, email fails",
			sms:  keep, email: func(auth.Sender) auth.Sender { return sesDown },
			user: graceEmail, pw: gracePass, wantErr: auth.ErrDeliveryFailed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var email auth.Sender
			f := newFixture(t, testenv.WithDeps(func(d *auth.Deps) {
				d.SMS, d.Email = tt.sms(d.SMS), tt.email(d.Email)
				email = d.Email
			}))
			f.random.Reset()
			res, err := f.login(tt.user, tt.pw, appMFA)
			mfaToken := f.random.firstSecret(t)
			if tt.wantErr != nil {
				wantIs(t, err, tt.wantErr)
				if res.MFA != nil || res.Token != "" {
					t.Errorf("result = %+v, want zero", res)
				}
				// The challenge is not left usable.
				if _, err := f.Store.GetChallenge(f.Ctx, auth.TokenID(mfaToken)); !errors.Is(err, auth.ErrChallengeGone) {
					t.Errorf("GetChallenge after failed delivery: %v, want ErrChallengeGone", err)
				}
				if n := len(f.Items(t, "MFA#")); n != 0 {
					t.Errorf("%d challenge items left", n)
				}
				_, err = f.svc.Verify(f.Ctx, mfaToken, "", "123456")
				wantIs(t, err, auth.ErrInvalidMFAToken)
				f.Clock.Advance(time.Minute)
				_, err = f.svc.Resend(f.Ctx, mfaToken)
				wantIs(t, err, auth.ErrInvalidMFAToken)
				return
			}
			if err != nil {
				t.Fatalf("Login: %v", err)
			}
			m := res.MFA
			if m == nil {
				t.Fatal("no challenge")
			}
			if m.Token != mfaToken {
				t.Fatalf("MFA token is not the first 32 random bytes read; the failure cases rely on that")
			}
			if m.Channel != tt.channel || m.Authenticator != tt.authenticator || m.Destination != tt.destination {
				t.Errorf("challenge = %+v, want %s by %s to %s", *m, tt.channel, tt.authenticator, tt.destination)
			}
			ch := f.getChallenge(t, m.Token)
			if ch.Channel != tt.channel || ch.Authenticator != tt.authenticator || ch.Destination != tt.destination {
				t.Errorf("stored challenge says %s by %s to %s", ch.Channel, ch.Authenticator, ch.Destination)
			}
			var code string
			if fs, ok := email.(*fakeSender); ok {
				sent := fs.Sent()
				if len(sent) != 1 || sent[0].To != adaEmail {
					t.Fatalf("email sender got %+v", sent)
				}
				code = testenv.CodeIn(t, sent[0].Body)
			} else {
				entries := f.Outbox.Entries()
				if len(entries) != 1 || entries[0].Channel != "Email" || entries[0].To != adaEmail {
					t.Fatalf("outbox = %+v, want one email to %s", entries, adaEmail)
				}
				code = testenv.CodeIn(t, entries[0].Body)
			}
			_, err = f.svc.Verify(f.Ctx, m.Token, auth.ChannelSMS, code)
			wantIs(t, err, auth.ErrChannelMismatch)
			v, err := f.svc.Verify(f.Ctx, m.Token, auth.ChannelEmail, code)
			if err != nil {
				t.Fatalf("Verify with the fallback channel: %v", err)
			}
			if v.Channel != auth.ChannelEmail || v.Authenticator != tt.authenticator {
				t.Errorf("verify result = %+v", v)
			}
		})
	}
}

// TestFallbackThenOutboxVerify runs the fallback with the fixture's own outbox as the email sender, so the
// code can be read back and a resend goes by email too.
func TestFallbackThenOutboxVerify(t *testing.T) {
	broken := &fakeSender{name: "BrokenSMS", err: errors.New("sns down")}
	f := newFixture(t, testenv.WithDeps(func(d *auth.Deps) { d.SMS = broken }))
	res, err := f.login(adaEmail, adaPassword, appMFA)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if res.MFA.Channel != auth.ChannelEmail || res.MFA.Authenticator != "LocalOutbox" || res.MFA.Destination != "a***@example.com" {
		t.Fatalf("challenge = %+v, want Email by LocalOutbox to a***@example.com", *res.MFA)
	}
	entries := f.Outbox.Entries()
	if len(entries) != 1 || entries[0].Channel != "Email" || entries[0].To != adaEmail {
		t.Fatalf("outbox = %+v", entries)
	}
	f.Clock.Advance(30 * time.Second)
	r, err := f.svc.Resend(f.Ctx, res.MFA.Token)
	if err != nil {
		t.Fatalf("Resend: %v", err)
	}
	if r.Channel != auth.ChannelEmail {
		t.Errorf("resend went by %s, want the channel the code went by (Email)", r.Channel)
	}
	entries = f.Outbox.Entries()
	if last := entries[len(entries)-1]; last.Channel != "Email" || last.To != adaEmail {
		t.Errorf("resend message = %+v", last)
	}
	_, err = f.svc.Verify(f.Ctx, res.MFA.Token, auth.ChannelSMS, f.LastCode(t))
	wantIs(t, err, auth.ErrChannelMismatch)
	if _, err := f.svc.Verify(f.Ctx, res.MFA.Token, auth.ChannelEmail, f.LastCode(t)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestVerify(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name    string
		channel auth.Channel
	}{
		{"no authenticatorCode", ""},
		{"matching authenticatorCode", auth.ChannelSMS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.Clock.Advance(time.Minute)
			mfa, code := f.challenge(t, adaEmail, adaPassword)
			v, err := f.svc.Verify(f.Ctx, mfa, tt.channel, code)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			wantAuthToken(t, "auth token", v.Token, adaID)
			if v.Token == mfa {
				t.Errorf("auth token equals the MFA token")
			}
			if v.Channel != auth.ChannelSMS || v.Authenticator != "LocalOutbox" || v.Name != "Ada" || v.ExpiresIn != 10*time.Hour {
				t.Errorf("result = %+v", v)
			}
			tok := f.Item(t, "TOKEN#"+auth.TokenID(v.Token))
			if tok == nil {
				t.Fatal("no token item")
			}
			if s, _ := tok["appId"].(*types.AttributeValueMemberS); s == nil || s.Value != appMFA {
				t.Errorf("token appId = %v, want %s", tok["appId"], appMFA)
			}
			// Used: the same token and code never work twice.
			_, err = f.svc.Verify(f.Ctx, mfa, tt.channel, code)
			wantIs(t, err, auth.ErrInvalidMFAToken)
			f.Clock.Advance(time.Minute)
			_, err = f.svc.Resend(f.Ctx, mfa)
			wantIs(t, err, auth.ErrInvalidMFAToken)
		})
	}
}

// TestVerifyWrongCodes: each wrong code uses one of five attempts; once they are used up, neither the
// right code, another verify nor a resend gets through, and no token is issued. Each subtest makes its
// own challenge and spends the attempts it starts from.
func TestVerifyWrongCodes(t *testing.T) {
	// wrongCodes starts a challenge and sends n wrong codes, each answered with the attempts left.
	wrongCodes := func(t *testing.T, n int) (f *fixture, mfa, code, wrong string) {
		t.Helper()
		f = newFixture(t)
		mfa, code = f.challenge(t, adaEmail, adaPassword)
		wrong = otherCode(code)
		for i := range n {
			_, err := f.svc.Verify(f.Ctx, mfa, "", wrong)
			wantCodeError(t, err, 4-i)
		}
		return f, mfa, code, wrong
	}
	// usedUp is a challenge whose five attempts went to wrong codes; it checks on cleanup that the
	// subtest got no token out of it.
	usedUp := func(t *testing.T) (f *fixture, mfa, code, wrong string) {
		t.Helper()
		f, mfa, code, wrong = wrongCodes(t, 5)
		t.Cleanup(func() {
			if n := len(f.Items(t, "TOKEN#")); n != 0 {
				t.Errorf("%d tokens issued", n)
			}
		})
		return f, mfa, code, wrong
	}
	for want := 4; want >= 0; want-- {
		t.Run(fmt.Sprintf("remaining %d", want), func(t *testing.T) {
			f, mfa, _, wrong := wrongCodes(t, 4-want)
			_, err := f.svc.Verify(f.Ctx, mfa, "", wrong)
			wantCodeError(t, err, want)
		})
	}
	t.Run("sixth try, right code", func(t *testing.T) {
		f, mfa, code, _ := usedUp(t)
		_, err := f.svc.Verify(f.Ctx, mfa, "", code)
		wantIs(t, err, auth.ErrTooManyAttempts)
	})
	t.Run("later verify", func(t *testing.T) {
		f, mfa, _, wrong := usedUp(t)
		_, err := f.svc.Verify(f.Ctx, mfa, auth.ChannelSMS, wrong)
		wantIs(t, err, auth.ErrTooManyAttempts)
	})
	t.Run("resend", func(t *testing.T) {
		f, mfa, _, _ := usedUp(t)
		f.Clock.Advance(time.Minute)
		_, err := f.svc.Resend(f.Ctx, mfa)
		wantIs(t, err, auth.ErrTooManyAttempts)
	})
	t.Run("attempts stop at the limit", func(t *testing.T) {
		f, mfa, code, wrong := usedUp(t)
		for _, c := range []string{code, wrong} {
			_, err := f.svc.Verify(f.Ctx, mfa, "", c)
			wantIs(t, err, auth.ErrTooManyAttempts)
		}
		if got := f.getChallenge(t, mfa).Attempts; got != 5 {
			t.Errorf("attempts = %d, want 5", got)
		}
	})
}

func TestVerifyRightCodeOnLastAttempt(t *testing.T) {
	f := newFixture(t, testenv.WithPolicy(func(p *auth.Policy) { p.MaxAttempts = 3 }))
	mfa, code := f.challenge(t, adaEmail, adaPassword)
	for want := 2; want >= 1; want-- {
		_, err := f.svc.Verify(f.Ctx, mfa, "", otherCode(code))
		wantCodeError(t, err, want)
	}
	if _, err := f.svc.Verify(f.Ctx, mfa, "", code); err != nil {
		t.Fatalf("right code on the last attempt: %v", err)
	}
}

func TestVerifyCodeExpiry(t *testing.T) {
	tests := []struct {
		name    string
		after   time.Duration
		wantErr error
	}{
		{"just in time", 5*time.Minute - time.Millisecond, nil},
		{"at the lifetime", 5 * time.Minute, auth.ErrCodeExpired},
		{"past the lifetime", 6 * time.Minute, auth.ErrCodeExpired},
		{"MFA token at its lifetime", 15 * time.Minute, auth.ErrInvalidMFAToken},
		{"MFA token long gone", 48 * time.Hour, auth.ErrInvalidMFAToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			mfa, code := f.challenge(t, adaEmail, adaPassword)
			f.Clock.Advance(tt.after)
			_, err := f.svc.Verify(f.Ctx, mfa, "", code)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil {
				return
			}
			_, err = f.svc.Verify(f.Ctx, mfa, "", otherCode(code))
			wantIs(t, err, tt.wantErr)
			if got := f.getChallenge(t, mfa).Attempts; got != 0 {
				t.Errorf("attempts = %d, want 0: a refused verify used an attempt", got)
			}
		})
	}
}

func TestResendAfterCodeExpired(t *testing.T) {
	f := newFixture(t)
	mfa, old := f.challenge(t, adaEmail, adaPassword)
	f.Clock.Advance(6 * time.Minute)
	_, err := f.svc.Verify(f.Ctx, mfa, "", old)
	wantIs(t, err, auth.ErrCodeExpired)
	r, err := f.svc.Resend(f.Ctx, mfa)
	if err != nil {
		t.Fatalf("Resend after the code expired: %v", err)
	}
	if r.Token != mfa || r.ExpiresIn != 5*time.Minute {
		t.Errorf("resend = %+v, want the same token and a 5m code", r)
	}
	fresh := f.LastCode(t)
	if fresh != old {
		_, err = f.svc.Verify(f.Ctx, mfa, "", old)
		wantCodeError(t, err, 4)
	}
	if _, err := f.svc.Verify(f.Ctx, mfa, "", fresh); err != nil {
		t.Fatalf("Verify the new code: %v", err)
	}
}

func TestResendNearTokenExpiry(t *testing.T) {
	f := newFixture(t)
	mfa, _ := f.challenge(t, adaEmail, adaPassword)
	f.Clock.Advance(13 * time.Minute)
	r, err := f.svc.Resend(f.Ctx, mfa)
	if err != nil {
		t.Fatalf("Resend: %v", err)
	}
	if r.ExpiresIn != 2*time.Minute {
		t.Errorf("expiresIn = %v, want 2m: the code cannot outlive its MFA token", r.ExpiresIn)
	}
	f.Clock.Advance(2 * time.Minute)
	_, err = f.svc.Verify(f.Ctx, mfa, "", f.LastCode(t))
	wantIs(t, err, auth.ErrInvalidMFAToken)
	f.Clock.Advance(time.Minute)
	_, err = f.svc.Resend(f.Ctx, mfa)
	wantIs(t, err, auth.ErrInvalidMFAToken)
}

func TestVerifyChannelMismatch(t *testing.T) {
	tests := []struct {
		name         string
		email, pw    string
		wrong, right auth.Channel
	}{
		{"SMS challenge, Email named", adaEmail, adaPassword, auth.ChannelEmail, auth.ChannelSMS},
		{"Email challenge, SMS named", graceEmail, gracePass, auth.ChannelSMS, auth.ChannelEmail},
		{"unknown channel", adaEmail, adaPassword, auth.Channel("Fax"), auth.ChannelSMS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			mfa, code := f.challenge(t, tt.email, tt.pw)
			for range 7 { // more than the attempts: none may be used
				_, err := f.svc.Verify(f.Ctx, mfa, tt.wrong, code)
				wantIs(t, err, auth.ErrChannelMismatch)
			}
			if got := f.getChallenge(t, mfa).Attempts; got != 0 {
				t.Errorf("attempts = %d, want 0", got)
			}
			if _, err := f.svc.Verify(f.Ctx, mfa, tt.right, code); err != nil {
				t.Fatalf("Verify with the right channel: %v", err)
			}
		})
	}
}

func TestResendCooldown(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
		want  time.Duration // 0: the resend goes through
	}{
		{"at once", 0, 30 * time.Second},
		{"after 10s", 10 * time.Second, 20 * time.Second},
		{"after 29.5s", 29500 * time.Millisecond, 500 * time.Millisecond},
		{"at the cooldown", 30 * time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			mfa, old := f.challenge(t, adaEmail, adaPassword)
			f.Clock.Advance(tt.after)
			sent := len(f.Outbox.Entries())
			r, err := f.svc.Resend(f.Ctx, mfa)
			if tt.want > 0 {
				wantRateLimit(t, err, tt.want)
				if len(f.Outbox.Entries()) != sent {
					t.Errorf("a refused resend sent a code")
				}
				if _, err := f.svc.Verify(f.Ctx, mfa, "", old); err != nil {
					t.Errorf("the code stopped working after a refused resend: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resend: %v", err)
			}
			if r.Token != mfa || r.Channel != auth.ChannelSMS || r.Authenticator != "LocalOutbox" || r.Destination != "+31******78" || r.ExpiresIn != 5*time.Minute {
				t.Errorf("resend = %+v", r)
			}
			fresh := f.LastCode(t)
			if fresh != old {
				_, err := f.svc.Verify(f.Ctx, mfa, "", old)
				wantCodeError(t, err, 4)
			}
			if _, err := f.svc.Verify(f.Ctx, mfa, "", fresh); err != nil {
				t.Fatalf("Verify new code: %v", err)
			}
		})
	}
}

// A resend does not restore the attempts (NIST SP 800-63B-4 §3.1.3.2): the challenge's wrong codes are
// counted across its codes, and the try after the last is refused even with the new code.
func TestResendKeepsAttempts(t *testing.T) {
	f := newFixture(t)
	mfa, code := f.challenge(t, adaEmail, adaPassword)
	for want := 4; want >= 1; want-- {
		_, err := f.svc.Verify(f.Ctx, mfa, "", otherCode(code))
		wantCodeError(t, err, want)
	}
	f.Clock.Advance(30 * time.Second)
	if _, err := f.svc.Resend(f.Ctx, mfa); err != nil {
		t.Fatalf("Resend: %v", err)
	}
	fresh := f.LastCode(t)
	_, err := f.svc.Verify(f.Ctx, mfa, "", otherCode(fresh))
	wantCodeError(t, err, 0)
	_, err = f.svc.Verify(f.Ctx, mfa, "", fresh)
	wantIs(t, err, auth.ErrTooManyAttempts)
}

func TestResendPerChallengeCap(t *testing.T) {
	// sendThree logs in and resends twice, 30 s apart: the three sends a challenge allows.
	sendThree := func(t *testing.T, f *fixture) string {
		t.Helper()
		mfa, _ := f.challenge(t, adaEmail, adaPassword)
		for i := 2; i <= 3; i++ {
			f.Clock.Advance(30 * time.Second)
			if _, err := f.svc.Resend(f.Ctx, mfa); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		return mfa
	}
	f := newFixture(t)
	mfa := sendThree(t, f)
	for _, after := range []time.Duration{0, 30 * time.Second, 5 * time.Minute} {
		t.Run(fmt.Sprintf("fourth send after %v", after), func(t *testing.T) {
			f.Clock.Advance(after)
			_, err := f.svc.Resend(f.Ctx, mfa)
			wantRateLimit(t, err, 0)
		})
	}
	if got := len(f.Outbox.Entries()); got != 3 {
		t.Errorf("%d messages sent, want 3", got)
	}

	// The last code still works after refused sends, while it is valid: checked on a challenge of its
	// own, since the one above has outlived its last code (5 minutes past the refusals).
	t.Run("last code verifies after a refused send", func(t *testing.T) {
		f := newFixture(t)
		mfa := sendThree(t, f)
		f.Clock.Advance(30 * time.Second) // the last code is 30 s old, well inside CodeTTL
		_, err := f.svc.Resend(f.Ctx, mfa)
		wantRateLimit(t, err, 0)
		if got := len(f.Outbox.Entries()); got != 3 {
			t.Fatalf("%d messages sent, want 3", got)
		}
		if _, err := f.svc.Verify(f.Ctx, mfa, "", f.LastCode(t)); err != nil {
			t.Errorf("Verify last code: %v, want success", err)
		}
	})
}

func TestSendsPerUserPerHour(t *testing.T) {
	f := newFixture(t)
	f.Clock.Set(t0.Add(50*time.Minute + 30*time.Second))
	var tokens []string
	for i := 0; i < 10; i++ {
		mfa, _ := f.challenge(t, adaEmail, adaPassword)
		tokens = append(tokens, mfa)
	}
	t.Run("eleventh login", func(t *testing.T) {
		_, err := f.login(adaEmail, adaPassword, appMFA)
		wantRateLimit(t, err, 9*time.Minute+30*time.Second)
	})
	t.Run("resend of an earlier challenge", func(t *testing.T) {
		f.Clock.Advance(time.Minute)
		_, err := f.svc.Resend(f.Ctx, tokens[0])
		wantRateLimit(t, err, 8*time.Minute+30*time.Second)
		// A refused resend leaves the challenge as it was.
		if ch := f.getChallenge(t, tokens[0]); ch.Sends != 1 {
			t.Errorf("sends = %d, want 1", ch.Sends)
		}
	})
	t.Run("other users are not affected", func(t *testing.T) {
		f.challenge(t, graceEmail, gracePass)
	})
	t.Run("next clock hour", func(t *testing.T) {
		f.Clock.Set(t0.Add(time.Hour))
		f.challenge(t, adaEmail, adaPassword)
		if _, err := f.svc.Resend(f.Ctx, tokens[1]); err != nil {
			t.Fatalf("resend in the next hour: %v", err)
		}
	})
	t.Run("resends count too", func(t *testing.T) {
		g := newFixture(t)
		mfa, _ := g.challenge(t, adaEmail, adaPassword) // 1
		g.Clock.Advance(30 * time.Second)
		if _, err := g.svc.Resend(g.Ctx, mfa); err != nil { // 2
			t.Fatal(err)
		}
		for range 8 { // 10
			g.challenge(t, adaEmail, adaPassword)
		}
		g.Clock.Advance(30 * time.Second)
		_, err := g.svc.Resend(g.Ctx, mfa)
		wantRateLimit(t, err, time.Hour-time.Minute)
	})
}

func TestBindingCodes(t *testing.T) {
	f := newFixture(t, testenv.WithPolicy(func(p *auth.Policy) { p.SendsPerHour = 1000 }))
	seen := map[string]bool{}
	for i := 0; i < 40; i++ {
		mfa, code := f.challenge(t, graceEmail, gracePass)
		if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code) {
			t.Fatalf("code %q is not 6 digits", code)
		}
		seen[code] = true
		wantBearer(t, "MFA token", mfa)
		body := f.Outbox.Entries()[i].Body
		if strings.Count(body, code) != 1 {
			t.Errorf("body %q", body)
		}
	}
	if len(seen) < 35 {
		t.Errorf("only %d distinct codes in 40", len(seen))
	}
}

func TestMalformedMFAToken(t *testing.T) {
	f := newFixture(t)
	mfa, code := f.challenge(t, adaEmail, adaPassword)
	unknown := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	tests := []struct{ name, token string }{
		{"empty", ""},
		{"short", "abc"},
		{"one short", mfa[:42]},
		{"one long", mfa + "A"},
		{"padded", mfa + "="},
		{"standard base64 alphabet", strings.Repeat("+", 43)},
		{"spaces", " " + mfa[1:]},
		{"non-ASCII", strings.Repeat("é", 21) + "a"},
		{"the hash instead of the token", auth.TokenID(mfa)},
		{"unknown but well formed", unknown},
		{"NUL bytes", strings.Repeat("\x00", 43)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Verify(f.Ctx, tt.token, "", code)
			wantIs(t, err, auth.ErrInvalidMFAToken)
			_, err = f.svc.Resend(f.Ctx, tt.token)
			wantIs(t, err, auth.ErrInvalidMFAToken)
		})
	}
	if got := f.getChallenge(t, mfa).Attempts; got != 0 {
		t.Errorf("attempts = %d after verifies with other tokens", got)
	}
}

func TestSecretsAtRest(t *testing.T) {
	f := newFixture(t)
	mfa, code := f.challenge(t, adaEmail, adaPassword)
	v, err := f.svc.Verify(f.Ctx, mfa, "", code)
	if err != nil {
		t.Fatal(err)
	}
	items := f.Items(t, "")
	if len(items) == 0 {
		t.Fatal("no items in the table")
	}
	for _, item := range items {
		pk := strings.Join(abuseValues(item["pk"]), "")
		dump := itemDump(item)
		if pk == "" || !strings.Contains(dump, pk) {
			t.Fatalf("item dump %q does not show the item's pk", dump)
		}
		for name, secret := range map[string]string{"MFA token": mfa, "auth token": v.Token, "password": adaPassword} {
			if strings.Contains(dump, secret) {
				t.Errorf("item %s holds the %s in the clear", pk, name)
			}
		}
		if strings.Contains(dump, "Your login code is "+code) {
			t.Errorf("item %s holds the message sent", pk)
		}
	}
}

// itemDump is every attribute name and every string value of an item (numbers as written, binaries as
// bytes, sets, lists and maps flattened through abuseValues), one per line, names sorted; searching it
// finds a secret held in any attribute.
func itemDump(item map[string]types.AttributeValue) string {
	names := make([]string, 0, len(item))
	for name := range item {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		b.WriteString(name)
		b.WriteByte('\n')
		for _, s := range abuseValues(item[name]) {
			b.WriteString(s)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
