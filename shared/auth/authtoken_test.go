package auth_test

// An auth token names its user, so the authorizer reads token, application and user in one
// BatchGetItem: these tests hold it to that read, and to what it must refuse by a token's shape or by
// what the read finds.

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/roundtrip"
	"mfagateway/shared/testenv"
)

// batchKeys records the keys of every BatchGetItem sent, in order.
type batchKeys struct {
	mu    sync.Mutex
	reads [][]string // the pk of each key, sorted, per BatchGetItem
}

func (k *batchKeys) attach(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("batchKeys",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if b, ok := in.Parameters.(*dynamodb.BatchGetItemInput); ok {
					var pks []string
					for _, ka := range b.RequestItems {
						for _, key := range ka.Keys {
							if pk, ok := key["pk"].(*types.AttributeValueMemberS); ok {
								pks = append(pks, pk.Value)
							}
						}
					}
					slices.Sort(pks)
					k.mu.Lock()
					k.reads = append(k.reads, pks)
					k.mu.Unlock()
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	})
}

func (k *batchKeys) reset() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.reads = nil
}

func (k *batchKeys) last() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.reads) == 0 {
		return nil
	}
	return k.reads[len(k.reads)-1]
}

// tokenFixture is the service fixture with the authorizer's reads counted.
type tokenFixture struct {
	*fixture
	counter  *roundtrip.Counter
	keys     *batchKeys
	sessions *auth.Sessions
}

func newTokenFixture(t *testing.T) *tokenFixture {
	t.Helper()
	counter, keys := roundtrip.New(), &batchKeys{}
	f := newFixture(t, testenv.WithClientOptions(counter.Attach, keys.attach))
	return &tokenFixture{fixture: f, counter: counter, keys: keys, sessions: f.Sessions()}
}

// loginToken logs in to the plain application and returns the auth token.
func (f *tokenFixture) loginToken(t *testing.T, email, pw string) string {
	t.Helper()
	res, err := f.login(email, pw, appPlain)
	if err != nil || res.Token == "" {
		t.Fatalf("login: %+v, %v; want a token", res, err)
	}
	return res.Token
}

// authorize checks bearer for appPlain and returns the verdict and the DynamoDB operations it took.
func (f *tokenFixture) authorize(bearer string) (auth.Session, roundtrip.Calls, error) {
	f.counter.Reset()
	f.keys.reset()
	sess, err := f.sessions.Authorize(f.Ctx, bearer, appPlain)
	return sess, f.counter.Calls(), err
}

// wantOneRead checks that a check made exactly one BatchGetItem, of the token, appPlain and userID.
func (f *tokenFixture) wantOneRead(t *testing.T, bearer, userID string, calls roundtrip.Calls) {
	t.Helper()
	if calls.N() != 1 || calls.Operations[0] != "BatchGetItem" {
		t.Fatalf("the check made %s, want one BatchGetItem", calls)
	}
	want := []string{"APP#" + appPlain, "TOKEN#" + auth.TokenID(bearer), "USERID#" + userID}
	if got := f.keys.last(); !slices.Equal(got, want) {
		t.Errorf("BatchGetItem keys %q, want %q", got, want)
	}
}

// renamed is bearer with its first 16 bytes set to userID's UUID, its random part kept.
func renamed(t *testing.T, bearer, userID string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(bearer)
	if err != nil || len(b) != 48 {
		t.Fatalf("token %q: %d bytes, %v", bearer, len(b), err)
	}
	id := uuid.MustParse(userID)
	copy(b, id[:])
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestAuthorizeOneRead(t *testing.T) {
	t.Run("a good token: one BatchGetItem of token, application and user", func(t *testing.T) {
		f := newTokenFixture(t)
		tok := f.loginToken(t, adaEmail, adaPassword)
		sess, calls, err := f.authorize(tok)
		if err != nil || sess.UserID != adaID || sess.Email != adaEmail || !sess.Admin || sess.AppID != appPlain {
			t.Fatalf("Authorize = %+v, %v; want Ada's admin session", sess, err)
		}
		f.wantOneRead(t, tok, adaID, calls)
		if calls.Sequential != 1 {
			t.Errorf("%s: want one round trip", calls)
		}
	})
	t.Run("the user's current admin flag, from the same read", func(t *testing.T) {
		f := newTokenFixture(t)
		tok := f.loginToken(t, adaEmail, adaPassword)
		if _, err := f.Users().Change(f.Ctx, admin, "patch", adaID, auth.UserPatch{Admin: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		sess, calls, err := f.authorize(tok)
		if err != nil || sess.Admin {
			t.Fatalf("Authorize after the admin flag was dropped = %+v, %v; want a session without it", sess, err)
		}
		f.wantOneRead(t, tok, adaID, calls)
	})
	t.Run("another user's UUID with the same random part: refused in the one read", func(t *testing.T) {
		f := newTokenFixture(t)
		tok := f.loginToken(t, adaEmail, adaPassword)
		other := renamed(t, tok, graceID)
		if got, ok := auth.AuthTokenUser(other); !ok || got != graceID {
			t.Fatalf("renamed token names %q, %v; want Grace", got, ok)
		}
		f.wantRefused(t, other, graceID, "unknown")
		if _, err := f.sessions.Authorize(f.Ctx, tok, appPlain); err != nil {
			t.Errorf("Ada's own token after the attempt: %v", err)
		}
	})
	t.Run("a token item of another user than the token names: refused", func(t *testing.T) {
		f := newTokenFixture(t)
		// Both users are there and Activated, the token live and of its application: only the userId
		// the token's item holds differs from the one its bytes name.
		forged := renamed(t, f.loginToken(t, adaEmail, adaPassword), graceID)
		now := f.Clock.Now()
		if err := f.Store.IssueToken(f.Ctx, auth.Token{ID: auth.TokenID(forged), UserID: adaID, Email: adaEmail, Name: "Ada",
			AppID: appPlain, Admin: true, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}, ""); err != nil {
			t.Fatal(err)
		}
		f.wantRefused(t, forged, graceID, "unknown")
	})
	for _, tt := range []struct {
		name, reason string
		change       func(*tokenFixture) error
	}{
		{"a deleted user's token: refused in the one read", "user deleted", func(f *tokenFixture) error {
			return f.Users().DeleteByID(f.Ctx, admin, graceID)
		}},
		{"a blocked user's token: refused in the one read", "user blocked", func(f *tokenFixture) error {
			_, err := f.Users().Change(f.Ctx, admin, "patch", graceID, auth.UserPatch{Status: ptr(auth.StatusBlocked)})
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newTokenFixture(t)
			tok := f.loginToken(t, graceEmail, gracePass)
			if err := tt.change(f); err != nil {
				t.Fatal(err)
			}
			f.wantRefused(t, tok, graceID, tt.reason)
		})
	}
}

// wantRefused checks that bearer, naming userID, is refused for reason in one read.
func (f *tokenFixture) wantRefused(t *testing.T, bearer, userID, reason string) {
	t.Helper()
	_, calls, err := f.authorize(bearer)
	wantIs(t, err, auth.ErrInvalidToken)
	f.wantOneRead(t, bearer, userID, calls)
	if !strings.Contains(f.Logs.String(), `"reason":"`+reason+`"`) {
		t.Errorf("no log line with reason %s", reason)
	}
}

func TestAuthorizeMalformedUnread(t *testing.T) {
	f := newTokenFixture(t)
	tok := f.loginToken(t, adaEmail, adaPassword)
	mfa, _ := f.challenge(t, adaEmail, adaPassword)
	tests := []struct{ name, bearer string }{
		{"43 characters, the old shape", base64.RawURLEncoding.EncodeToString(make([]byte, 32))},
		{"an MFA token", mfa},
		{"one short", tok[:63]},
		{"one long", tok + "A"},
		{"padded", tok + "="},
		{"standard base64 alphabet", strings.Repeat("+", 64)},
		{"64 bytes that are not base64url", strings.Repeat("\x00", 64)},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, calls, err := f.authorize(tt.bearer)
			wantIs(t, err, auth.ErrInvalidToken)
			if calls.N() != 0 {
				t.Errorf("a malformed token cost %s, want no read", calls)
			}
		})
	}
}

func TestMintNeedsUUID(t *testing.T) {
	tests := []struct{ name, id string }{
		{"not a UUID", "u-linus"},
		{"a UUID in capitals", strings.ToUpper("1170500a-0000-4000-8000-000000011705")},
		{"a UUID in braces", "{1170500a-0000-4000-8000-000000011705}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			phc, err := f.Hasher.Hash("linus-password-1")
			if err != nil {
				t.Fatal(err)
			}
			u := auth.User{ID: tt.id, Email: "linus@example.com", Name: "Linus", PasswordHash: phc, Mobile: adaMobile,
				Applications: []string{appPlain, appMFA}}
			if err := f.Store.PutUser(f.Ctx, u); err != nil {
				t.Fatal(err)
			}
			res, err := f.login(u.Email, "linus-password-1", appPlain)
			if err == nil || res.Token != "" || errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("login = %+v, %v; want an internal error, no token", res, err)
			}
			mfa, code := f.challenge(t, u.Email, "linus-password-1") // a challenge names no token yet
			v, err := f.svc.Verify(f.Ctx, mfa, "", code)
			var codeErr *auth.CodeError
			if err == nil || v.Token != "" || errors.As(err, &codeErr) || errors.Is(err, auth.ErrInvalidMFAToken) {
				t.Fatalf("verify = %+v, %v; want an internal error, no token", v, err)
			}
			if items := f.Items(t, "TOKEN#"); len(items) != 0 {
				t.Errorf("%d tokens stored, want none", len(items))
			}
		})
	}
}
