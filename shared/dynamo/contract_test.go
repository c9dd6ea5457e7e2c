package dynamo_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
	"mfagateway/shared/testenv"
)

// storeEnv is one fresh, empty table on one engine: the test stack, whose Store is under test and
// whose Client, Table and Item look at the items behind the store's back.
type storeEnv = *testenv.Stack

// tablesOn makes each case a table of its own: on a fresh embedded engine, or where opts put it.
func tablesOn(opts ...testenv.Option) func(t *testing.T) storeEnv {
	return func(t *testing.T) storeEnv { return testenv.NewStack(t, opts...) }
}

// contractCase is one behaviour of auth.Store (and of the admin writes the login path reads).
type contractCase struct {
	name string
	run  func(t *testing.T, e storeEnv)
}

// testStoreContract runs the store contract against newEnv's engine: every case on its own table, in
// parallel. Engines differ only in newEnv; a case never asks which engine it runs on.
func testStoreContract(t *testing.T, newEnv func(t *testing.T) storeEnv) {
	for _, c := range contractCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newEnv(t))
		})
	}
}

func contractCases() []contractCase {
	return append([]contractCase{
		{"LoadLogin", contractLoadLogin},
		{"PutUser round trip", contractPutUser},
		{"PutApplication url uniqueness", contractPutApplication},
		{"AdmitAttempt: the rules decide as the domain", contractAttemptRule},
		{"AdmitAttempt counts on both counters or neither", contractAttemptBoth},
		{"AdmitAttempt concurrent", contractAttemptConcurrent},
		{"AdmitAttempt locking concurrent", contractAttemptLockingConcurrent},
		{"SettleAttempt", contractSettleAttempt},
		{"IssueToken", contractIssueToken},
		{"CreateChallenge", contractCreateChallenge},
		{"CreateChallenge send cap", contractCreateChallengeSendCap},
		{"SetChannel", contractSetChannel},
		{"DeleteChallenge", contractDeleteChallenge},
		{"GetChallenge missing", contractGetChallengeMissing},
		{"CountAttempt success", contractCountAttemptSuccess},
		{"CountAttempt refusals", contractCountAttemptRefusals},
		{"CountAttempt concurrent", contractCountAttemptConcurrent},
		{"Consume once", contractConsumeOnce},
		{"Consume refusals", contractConsumeRefusals},
		{"Consume concurrent", contractConsumeConcurrent},
		{"RotateCode success", contractRotateCodeSuccess},
		{"RotateCode refusals", contractRotateCodeRefusals},
		{"challenge rule: the store decides as the domain", contractChallengeRule},
		{"Consume after its own lost answer", contractConsumeOwnRetry},
		{"RotateCode after its own lost answer", contractRotateCodeOwnRetry},
		{"RotateCode compares the send count read", contractRotateCodeSendCount},
		{"RotateCode switches channel", contractRotateCodeSwitchesChannel},
		{"RotateCode switching channel after its own lost answer", contractRotateCodeSwitchOwnRetry},
		{"application secrets issued concurrently", contractSecretsConcurrent},
		{"authenticator app", contractOTP},
	}, contractRunCases()...)
}

const (
	contractMaxAttempts = 5
	contractUserID      = "user-ada"
	contractEmail       = "ada@example.com"
	contractMobile      = "+31612345678"
)

// contractNow is a wall-clock-near instant, so that the ttl attributes the store writes lie in the
// future and an engine that does sweep by TTL (real DynamoDB) would not touch the fixtures. Every
// comparison uses the times passed in, never the clock.
func contractNow() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// contractID is a fresh hex SHA-256, the shape of challenge and token IDs.
func contractID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func contractCodeHash(code string) string {
	sum := sha256.Sum256([]byte("code:" + code))
	return hex.EncodeToString(sum[:])
}

// contractChallenge is a live SMS challenge with one send and no attempts.
func contractChallenge(t *testing.T, now time.Time) auth.Challenge {
	return auth.Challenge{
		ID: contractID(t), UserID: contractUserID, Email: contractEmail, Name: "Ada", AppID: "app-1", Admin: true,
		Channel: auth.ChannelSMS, Authenticator: "AmazonSNS", To: contractMobile, Destination: "+31******78",
		CodeHash: contractCodeHash("111111"), CodeExpiresAt: now.Add(5 * time.Minute), ExpiresAt: now.Add(15 * time.Minute),
		Sends: 1, LastSentAt: now,
	}
}

func contractSlot(userID string, now time.Time, limit int) auth.SendSlot {
	w := now.UTC().Truncate(time.Hour)
	return auth.SendSlot{UserID: userID, Window: w, Limit: limit, ExpiresAt: w.Add(2 * time.Hour)}
}

func contractToken(t *testing.T, now time.Time) auth.Token {
	return auth.Token{
		ID: contractID(t), UserID: contractUserID, Email: contractEmail, Name: "Ada", AppID: "app-1",
		IssuedAt: now, ExpiresAt: now.Add(10 * time.Hour),
	}
}

// contractCreate stores c with room in its send slot.
func contractCreate(t *testing.T, e storeEnv, c auth.Challenge) {
	t.Helper()
	if err := e.Store.CreateChallenge(t.Context(), c, contractSlot(c.UserID, c.LastSentAt, 100), ""); err != nil {
		t.Fatalf("CreateChallenge: %v", err)
	}
}

func contractGet(t *testing.T, e storeEnv, id string) auth.Challenge {
	t.Helper()
	c, err := e.Store.GetChallenge(t.Context(), id)
	if err != nil {
		t.Fatalf("GetChallenge: %v", err)
	}
	return c
}

// contractSame compares challenges field by field; times by instant, since the store hands them back
// in local time.
func contractSame(t *testing.T, what string, got, want auth.Challenge) {
	t.Helper()
	norm := func(c auth.Challenge) auth.Challenge {
		c.CodeExpiresAt, c.ExpiresAt, c.LastSentAt = c.CodeExpiresAt.UTC(), c.ExpiresAt.UTC(), c.LastSentAt.UTC()
		return c
	}
	if norm(got) != norm(want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, norm(got), norm(want))
	}
}

func contractN(t *testing.T, item map[string]types.AttributeValue, name string) int64 {
	t.Helper()
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("attribute %s = %#v, want a number", name, item[name])
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		t.Fatalf("attribute %s: %v", name, err)
	}
	return n
}

func contractS(item map[string]types.AttributeValue, name string) string {
	v, _ := item[name].(*types.AttributeValueMemberS)
	if v == nil {
		return ""
	}
	return v.Value
}

// contractSends is the per-user hourly send counter as stored (0 when absent).
func contractSends(t *testing.T, e storeEnv, slot auth.SendSlot) int64 {
	t.Helper()
	item := e.Item(t, "SENDS#"+slot.UserID+"#"+strconv.FormatInt(slot.Window.Unix()/3600, 10))
	if item == nil {
		return 0
	}
	return contractN(t, item, "n")
}

func contractErrIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error %v, want %v", what, err, want)
	}
}

// ---- login state ----

// contractLogin is the email's LOGIN# item (the account's counter) as stored, read behind the store's
// back: the attempts and lock it holds and its ttl; ok is false when there is no item.
func contractLogin(t *testing.T, e storeEnv, email string) (a auth.LoginAttempts, ttl int64, ok bool) {
	t.Helper()
	return contractCounter(t, e, "LOGIN#"+email)
}

// contractSameAttempts compares login states; lock times by instant.
func contractSameAttempts(t *testing.T, what string, got, want auth.LoginAttempts) {
	t.Helper()
	if got.Failures != want.Failures || !got.LockedUntil.Equal(want.LockedUntil) {
		t.Errorf("%s: attempts %+v, want %+v", what, got, want)
	}
}

// contractStored checks the email's LOGIN# item holds want (and exists).
func contractStored(t *testing.T, e storeEnv, what, email string, want auth.LoginAttempts) {
	t.Helper()
	got, _, ok := contractLogin(t, e, email)
	if !ok {
		t.Errorf("%s: no LOGIN# item, want %+v", what, want)
		return
	}
	contractSameAttempts(t, what+", stored", got, want)
}

// contractCount counts n password attempts for the email from contractNetwork at now, far below any limit.
func contractCount(t *testing.T, e storeEnv, email string, now time.Time, n int) {
	t.Helper()
	e.CountAttempts(t, auth.PasswordAttempt{Email: email, Network: contractNetwork}, now, n)
}

// contractLock counts one attempt for an email whose account has exactly failures counted and locks the
// account until until.
func contractLock(t *testing.T, e storeEnv, email string, now time.Time, failures int, until time.Time) {
	t.Helper()
	e.LockAccount(t, auth.PasswordAttempt{Email: email, Network: contractNetwork}, now, failures, until)
}

func contractLoadLogin(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()
	app := auth.Application{
		ID: "app-demo", Name: "Demo", URL: auth.NormalizeURL("https://Demo.IoT.example.com/sub/"), UniqueIdentifier: "demo",
		MFA: true, CreateDate: now.Truncate(time.Second), UpdateDate: now.Truncate(time.Second),
	}
	user := auth.User{ID: "u-1", Email: contractEmail, Name: "Ada", PasswordHash: "$argon2id$x", Mobile: contractMobile,
		Applications: []string{app.ID}}
	if err := e.Store.PutApplication(ctx, app); err != nil {
		t.Fatalf("PutApplication: %v", err)
	}
	if err := e.Store.PutUser(ctx, user); err != nil {
		t.Fatalf("PutUser: %v", err)
	}
	// Counted attempts and a lock in force, for the user's email and for an email without a user: the
	// login record is the same with or without them, and reading it leaves them as they are.
	until := now.Add(time.Minute)
	contractCount(t, e, contractEmail, now, 5)
	contractLock(t, e, contractEmail, now, 5, until)
	contractCount(t, e, "ghost@example.com", now, 1)
	locked := auth.LoginAttempts{Failures: 6, LockedUntil: until}

	tests := []struct {
		name  string
		email string
		ref   auth.AppRef
		user  bool
		app   bool
	}{
		{"by appId, all present", contractEmail, auth.AppRef{ID: app.ID}, true, true},
		{"by url, all present", contractEmail, auth.AppRef{URL: "demo.iot.example.com/sub"}, true, true},
		{"unknown email", "nobody@example.com", auth.AppRef{ID: app.ID}, false, true},
		{"unknown email with attempts counted", "ghost@example.com", auth.AppRef{URL: app.URL}, false, true},
		{"unknown appId", contractEmail, auth.AppRef{ID: "app-nope"}, true, false},
		{"unknown url", contractEmail, auth.AppRef{URL: "other.example.com"}, true, false},
		{"url is not an appId", contractEmail, auth.AppRef{ID: app.URL}, true, false},
		{"appId is not a url", contractEmail, auth.AppRef{URL: app.ID}, true, false},
		{"nothing by appId", "nobody@example.com", auth.AppRef{ID: "app-nope"}, false, false},
		{"nothing by url", "nobody@example.com", auth.AppRef{URL: "other.example.com"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := e.Store.LoadLogin(t.Context(), tt.email, tt.ref)
			if err != nil {
				t.Fatalf("LoadLogin: %v", err)
			}
			switch {
			case !tt.user && rec.User != nil:
				t.Errorf("User = %+v, want nil", rec.User)
			case tt.user && rec.User == nil:
				t.Error("User = nil, want the user")
			case tt.user && (rec.User.ID != user.ID || rec.User.Mobile != user.Mobile || !rec.User.MemberOf(app.ID)):
				t.Errorf("User = %+v, want %+v", rec.User, user)
			}
			switch {
			case !tt.app && rec.App != nil:
				t.Errorf("App = %+v, want nil", rec.App)
			case tt.app && rec.App == nil:
				t.Error("App = nil, want the application")
			case tt.app && (rec.App.ID != app.ID || rec.App.URL != app.URL || !rec.App.MFA):
				t.Errorf("App = %+v, want %+v", rec.App, app)
			}
		})
	}
	contractStored(t, e, "after LoadLogin", contractEmail, locked)
	contractStored(t, e, "after LoadLogin", "ghost@example.com", auth.LoginAttempts{Failures: 1})
	if e.Item(t, "LOGIN#nobody@example.com") != nil {
		t.Error("LoadLogin created a LOGIN# item")
	}
}

func contractPutUser(t *testing.T, e storeEnv) {
	ctx := t.Context()
	tests := []struct {
		name string
		user auth.User
	}{
		{"every field", auth.User{ID: "u-1", Email: "ada@example.com", Name: "Ada Lovelace", PasswordHash: "$argon2id$v=19$a",
			Mobile: contractMobile, Admin: true, Applications: []string{"app-b", "app-a"}}},
		{"no mobile, no applications", auth.User{ID: "u-2", Email: "bob@example.com", Name: "Bob", PasswordHash: "$argon2id$v=19$b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := e.Store.PutUser(ctx, tt.user); err != nil {
				t.Fatalf("PutUser: %v", err)
			}
			rec, err := e.Store.LoadLogin(ctx, tt.user.Email, auth.AppRef{ID: "app-a"})
			if err != nil {
				t.Fatalf("LoadLogin: %v", err)
			}
			if rec.User == nil {
				t.Fatal("User = nil after PutUser")
			}
			got, want := *rec.User, tt.user
			// Applications are a string set: order is not kept.
			slices.Sort(got.Applications)
			want.Applications = slices.Sorted(slices.Values(want.Applications))
			if !slices.Equal(got.Applications, want.Applications) {
				t.Errorf("Applications = %v, want %v", got.Applications, want.Applications)
			}
			got.Applications, want.Applications = nil, nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("User = %+v, want %+v", got, want)
			}
		})
	}
	t.Run("replace", func(t *testing.T) {
		u := auth.User{ID: "u-3", Email: "cy@example.com", Name: "Cy", PasswordHash: "h1", Mobile: contractMobile, Applications: []string{"app-a"}}
		if err := e.Store.PutUser(ctx, u); err != nil {
			t.Fatalf("PutUser: %v", err)
		}
		u.Name, u.PasswordHash, u.Mobile, u.Applications = "Cyrus", "h2", "", nil
		if err := e.Store.PutUser(ctx, u); err != nil {
			t.Fatalf("PutUser again: %v", err)
		}
		rec, err := e.Store.LoadLogin(ctx, u.Email, auth.AppRef{ID: "app-a"})
		if err != nil || rec.User == nil {
			t.Fatalf("LoadLogin: %+v, %v", rec, err)
		}
		if rec.User.Name != "Cyrus" || rec.User.PasswordHash != "h2" || rec.User.Mobile != "" || rec.User.MemberOf("app-a") {
			t.Errorf("User = %+v, want the replacement", rec.User)
		}
	})
}

func contractPutApplication(t *testing.T, e storeEnv) {
	ctx := t.Context()
	at := contractNow().Truncate(time.Second)
	a := auth.Application{ID: "app-a", Name: "A", URL: "a.example.com", MFA: false, CreateDate: at, UpdateDate: at}
	b := auth.Application{ID: "app-b", Name: "B", URL: "a.example.com", MFA: true, CreateDate: at, UpdateDate: at}
	if err := e.Store.PutApplication(ctx, a); err != nil {
		t.Fatalf("PutApplication a: %v", err)
	}
	err := e.Store.PutApplication(ctx, b)
	contractErrIs(t, "PutApplication b with a's url", err, auth.ErrURLTaken)

	rec, err := e.Store.LoadLogin(ctx, "x@example.com", auth.AppRef{ID: b.ID})
	if err != nil {
		t.Fatalf("LoadLogin: %v", err)
	}
	if rec.App != nil {
		t.Errorf("refused application written anyway: %+v", rec.App)
	}
	rec, err = e.Store.LoadLogin(ctx, "x@example.com", auth.AppRef{URL: a.URL})
	if err != nil {
		t.Fatalf("LoadLogin: %v", err)
	}
	if rec.App == nil || rec.App.ID != a.ID {
		t.Errorf("url names %+v, want app-a", rec.App)
	}

	// The same application may write its url again: a change of MFA reaches both copies.
	a.MFA, a.Name = true, "A2"
	if err := e.Store.PutApplication(ctx, a); err != nil {
		t.Fatalf("PutApplication a again: %v", err)
	}
	for _, ref := range []auth.AppRef{{ID: a.ID}, {URL: a.URL}} {
		rec, err := e.Store.LoadLogin(ctx, "x@example.com", ref)
		if err != nil {
			t.Fatalf("LoadLogin %+v: %v", ref, err)
		}
		if rec.App == nil || !rec.App.MFA || rec.App.Name != "A2" || !rec.App.CreateDate.Equal(at) {
			t.Errorf("LoadLogin %+v: App = %+v, want the updated app-a", ref, rec.App)
		}
	}

	// Another url is free for b.
	b.URL = "b.example.com"
	if err := e.Store.PutApplication(ctx, b); err != nil {
		t.Fatalf("PutApplication b with its own url: %v", err)
	}
}

func contractSetChannel(t *testing.T, e storeEnv) {
	ctx := t.Context()
	c := contractChallenge(t, contractNow())
	contractCreate(t, e, c)
	c.Channel, c.Authenticator, c.To, c.Destination = auth.ChannelEmail, "AmazonSES", c.Email, "a***@example.com"
	if err := e.Store.SetChannel(ctx, c); err != nil {
		t.Fatalf("SetChannel: %v", err)
	}
	contractSame(t, "after SetChannel", contractGet(t, e, c.ID), c)

	missing := contractChallenge(t, contractNow())
	if err := e.Store.SetChannel(ctx, missing); err == nil {
		t.Error("SetChannel on a missing challenge succeeded")
	}
	if e.Item(t, "MFA#"+missing.ID) != nil {
		t.Error("SetChannel created a challenge")
	}
}

func contractDeleteChallenge(t *testing.T, e storeEnv) {
	ctx := t.Context()
	c := contractChallenge(t, contractNow())
	contractCreate(t, e, c)
	if err := e.Store.DeleteChallenge(ctx, c.ID); err != nil {
		t.Fatalf("DeleteChallenge: %v", err)
	}
	_, err := e.Store.GetChallenge(ctx, c.ID)
	contractErrIs(t, "GetChallenge after delete", err, auth.ErrChallengeGone)
	if err := e.Store.DeleteChallenge(ctx, c.ID); err != nil {
		t.Errorf("DeleteChallenge of a missing challenge: %v, want nil", err)
	}
}

func contractGetChallengeMissing(t *testing.T, e storeEnv) {
	_, err := e.Store.GetChallenge(t.Context(), contractID(t))
	contractErrIs(t, "GetChallenge", err, auth.ErrChallengeGone)
}

func contractCountAttemptSuccess(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()
	c := contractChallenge(t, now)
	contractCreate(t, e, c)
	for i, channel := range []auth.Channel{"", auth.ChannelSMS} {
		if err := e.Store.CountAttempt(ctx, c, channel, now, contractMaxAttempts, contractStep(c)); err != nil {
			t.Fatalf("CountAttempt #%d: %v", i+1, err)
		}
		c.Attempts = i + 1
		contractSame(t, fmt.Sprintf("CountAttempt #%d", i+1), contractGet(t, e, c.ID), c)
	}
	if got := contractGet(t, e, c.ID).Attempts; got != 2 {
		t.Errorf("stored attempts = %d, want 2", got)
	}
}

func contractCountAttemptRefusals(t *testing.T, e storeEnv) {
	now := contractNow()
	tests := []struct {
		name    string
		absent  bool
		edit    func(*auth.Challenge)
		channel auth.Channel
		want    error
	}{
		{"missing", true, nil, "", auth.ErrChallengeGone},
		{"used", false, func(c *auth.Challenge) { c.Used = true }, "", auth.ErrChallengeGone},
		// Still in the table: TTL has not swept it, so expiry is the store's to enforce.
		{"token expired, item present", false, func(c *auth.Challenge) { c.ExpiresAt = now.Add(-time.Millisecond) }, "", auth.ErrChallengeGone},
		{"token expires now", false, func(c *auth.Challenge) { c.ExpiresAt = now }, "", auth.ErrChallengeGone},
		{"attempts used up", false, func(c *auth.Challenge) { c.Attempts = contractMaxAttempts }, "", auth.ErrAttemptsExhausted},
		{"channel mismatch", false, nil, auth.ChannelEmail, auth.ErrChannelMismatch},
		{"code expired", false, func(c *auth.Challenge) { c.CodeExpiresAt = now.Add(-time.Millisecond) }, "", auth.ErrCodeExpired},
		{"code expires now", false, func(c *auth.Challenge) { c.CodeExpiresAt = now }, auth.ChannelSMS, auth.ErrCodeExpired},
		{"used and used up: gone first", false, func(c *auth.Challenge) { c.Used, c.Attempts = true, contractMaxAttempts }, "", auth.ErrChallengeGone},
		{"used up and code expired: used up first", false, func(c *auth.Challenge) {
			c.Attempts, c.CodeExpiresAt = contractMaxAttempts, now.Add(-time.Second)
		}, auth.ChannelEmail, auth.ErrAttemptsExhausted},
		{"mismatch and code expired: mismatch first", false, func(c *auth.Challenge) { c.CodeExpiresAt = now }, auth.ChannelEmail, auth.ErrChannelMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := contractChallenge(t, now)
			if tt.edit != nil {
				tt.edit(&c)
			}
			if !tt.absent {
				contractCreate(t, e, c)
			}
			err := e.Store.CountAttempt(t.Context(), c, tt.channel, now, contractMaxAttempts, contractStep(c))
			contractErrIs(t, "CountAttempt", err, tt.want)
			if e.Item(t, "MFAFAIL#"+contractStep(c).Email) != nil {
				t.Error("a refused CountAttempt counted a wrong code in the user's run")
			}
			if tt.absent {
				if e.Item(t, "MFA#"+c.ID) != nil {
					t.Error("CountAttempt created a challenge")
				}
				return
			}
			// A refused attempt is not counted.
			if got := contractGet(t, e, c.ID); got.Attempts != c.Attempts {
				t.Errorf("attempts = %d after refusal, want %d", got.Attempts, c.Attempts)
			}
		})
	}
}

// contractCountAttemptConcurrent: CountAttempts from one read race; each that loses reads what the
// store returned with the refusal and tries again, as the domain does. Exactly the limit are counted,
// each at a count of its own.
func contractCountAttemptConcurrent(t *testing.T, e storeEnv) {
	const n = 30
	now := contractNow()
	c := contractChallenge(t, now)
	contractCreate(t, e, c)
	results := make([]auth.Challenge, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			read := c
			for {
				err := e.Store.CountAttempt(context.Background(), read, auth.ChannelSMS, now, contractMaxAttempts, contractStep(read))
				var changed *auth.ChangedError
				if errors.As(err, &changed) && changed.Challenge != nil {
					read = *changed.Challenge
					continue
				}
				read.Attempts++
				results[i], errs[i] = read, err
				return
			}
		})
	}
	wg.Wait()
	var seen []int
	for i, err := range errs {
		switch {
		case err == nil:
			seen = append(seen, results[i].Attempts)
		case !errors.Is(err, auth.ErrAttemptsExhausted):
			t.Errorf("CountAttempt #%d: %v, want nil or ErrAttemptsExhausted", i, err)
		}
	}
	slices.Sort(seen)
	if !slices.Equal(seen, []int{1, 2, 3, 4, 5}) {
		t.Errorf("successful attempts saw counts %v, want exactly [1 2 3 4 5]", seen)
	}
	if got := contractGet(t, e, c.ID).Attempts; got != contractMaxAttempts {
		t.Errorf("stored attempts = %d, want %d", got, contractMaxAttempts)
	}
}

func contractConsumeOnce(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()
	c := contractChallenge(t, now)
	contractCreate(t, e, c)
	first := contractToken(t, now)
	if err := e.Store.Consume(ctx, c, first, "", now, contractMaxAttempts); err != nil {
		t.Fatalf("Consume: %v", err)
	}
	if got := contractGet(t, e, c.ID); !got.Used || got.Attempts != 1 {
		t.Errorf("challenge used %v with %d attempts, want used with 1: the right code's", got.Used, got.Attempts)
	}
	if e.Item(t, "TOKEN#"+first.ID) == nil {
		t.Error("token not stored")
	}
	second := contractToken(t, now)
	err := e.Store.Consume(ctx, c, second, "", now, contractMaxAttempts)
	contractErrIs(t, "second Consume", err, auth.ErrChallengeGone)
	if e.Item(t, "TOKEN#"+second.ID) != nil {
		t.Error("second Consume stored a token")
	}
	err = e.Store.CountAttempt(ctx, c, "", now, contractMaxAttempts, contractStep(c))
	contractErrIs(t, "CountAttempt after Consume", err, auth.ErrChallengeGone)
}

func contractConsumeRefusals(t *testing.T, e storeEnv) {
	now := contractNow()
	tests := []struct {
		name   string
		absent bool
		edit   func(stored, compared *auth.Challenge)
		want   error
	}{
		// A live challenge that no longer holds the compared code lost to a resend.
		{"stale code hash", false, func(s, c *auth.Challenge) { c.CodeHash = contractCodeHash("999999") }, auth.ErrConflict},
		{"code rotated meanwhile", false, func(s, c *auth.Challenge) { s.CodeHash, s.Sends = contractCodeHash("333333"), 2 }, auth.ErrConflict},
		{"token expired, item present", false, func(s, c *auth.Challenge) { s.ExpiresAt = now.Add(-time.Millisecond) }, auth.ErrChallengeGone},
		{"used", false, func(s, c *auth.Challenge) { s.Used = true }, auth.ErrChallengeGone},
		{"used and code rotated: gone first", false, func(s, c *auth.Challenge) {
			s.Used, s.CodeHash, s.Sends = true, contractCodeHash("333333"), 2
		}, auth.ErrChallengeGone},
		{"expired and code rotated: gone first", false, func(s, c *auth.Challenge) {
			s.ExpiresAt, s.CodeHash, s.Sends = now, contractCodeHash("333333"), 2
		}, auth.ErrChallengeGone},
		{"missing", true, nil, auth.ErrChallengeGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := contractChallenge(t, now)
			compared := stored
			if tt.edit != nil {
				tt.edit(&stored, &compared)
			}
			if !tt.absent {
				contractCreate(t, e, stored)
			}
			tok := contractToken(t, now)
			err := e.Store.Consume(t.Context(), compared, tok, "", now, contractMaxAttempts)
			contractErrIs(t, "Consume", err, tt.want)
			if e.Item(t, "TOKEN#"+tok.ID) != nil {
				t.Error("refused Consume stored a token")
			}
			if tt.absent {
				if e.Item(t, "MFA#"+stored.ID) != nil {
					t.Error("Consume created a challenge")
				}
				return
			}
			if got := contractGet(t, e, stored.ID); got.Used != stored.Used {
				t.Errorf("used = %v after a refused Consume, want %v", got.Used, stored.Used)
			}
		})
	}
}

func contractConsumeConcurrent(t *testing.T, e storeEnv) {
	const n = 20
	now := contractNow()
	c := contractChallenge(t, now)
	contractCreate(t, e, c)
	tokens := make([]auth.Token, n)
	for i := range tokens {
		tokens[i] = contractToken(t, now)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = e.Store.Consume(context.Background(), c, tokens[i], "", now, contractMaxAttempts) })
	}
	wg.Wait()
	winners := 0
	for i, err := range errs {
		stored := e.Item(t, "TOKEN#"+tokens[i].ID) != nil
		switch {
		case err == nil:
			winners++
			if !stored {
				t.Errorf("Consume #%d won but its token is missing", i)
			}
		case errors.Is(err, auth.ErrChallengeGone):
			if stored {
				t.Errorf("Consume #%d lost but its token is stored", i)
			}
		default:
			t.Errorf("Consume #%d: %v, want nil or ErrChallengeGone", i, err)
		}
	}
	if winners != 1 {
		t.Errorf("%d Consumes succeeded, want exactly 1", winners)
	}
}

// contractNext is the challenge as a resend at `at` would write it: the attempts used stay used.
func contractNext(prev auth.Challenge, at time.Time, code string) auth.Challenge {
	next := prev
	next.Sends++
	next.LastSentAt = at
	next.CodeExpiresAt = at.Add(5 * time.Minute)
	next.CodeHash = contractCodeHash(code)
	return next
}

func contractRotateCodeSuccess(t *testing.T, e storeEnv) {
	now := contractNow()
	tests := []struct {
		name string
		edit func(*auth.Challenge)
	}{
		{"with attempts used", func(c *auth.Challenge) { c.Attempts = contractMaxAttempts - 1 }},
		// A resend works whether or not the previous code has expired.
		{"previous code expired", func(c *auth.Challenge) { c.CodeExpiresAt = now.Add(-time.Minute) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			c := contractChallenge(t, now.Add(-time.Minute))
			c.UserID = "user-" + contractID(t)[:12] // a send slot of its own
			tt.edit(&c)
			slot := contractSlot(c.UserID, now, 10)
			if err := e.Store.CreateChallenge(ctx, c, slot, ""); err != nil {
				t.Fatalf("CreateChallenge: %v", err)
			}
			prev := contractGet(t, e, c.ID)
			next := contractNext(prev, now, "222222")
			if err := e.Store.RotateCode(ctx, prev, next, slot, contractMaxAttempts); err != nil {
				t.Fatalf("RotateCode: %v", err)
			}
			got := contractGet(t, e, c.ID)
			contractSame(t, "after RotateCode", got, next)
			if got.Attempts != prev.Attempts || got.Sends != prev.Sends+1 {
				t.Errorf("attempts %d, sends %d; want %d (kept) and %d", got.Attempts, got.Sends, prev.Attempts, prev.Sends+1)
			}
			if n := contractSends(t, e, slot); n != 2 {
				t.Errorf("sends counted = %d, want 2", n)
			}
			// The new code is the one Consume accepts; the old one lost to the resend.
			if err := e.Store.Consume(ctx, prev, contractToken(t, now), "", now, contractMaxAttempts); !errors.Is(err, auth.ErrConflict) {
				t.Errorf("Consume with the old code: %v, want ErrConflict", err)
			}
			if err := e.Store.Consume(ctx, next, contractToken(t, now), "", now, contractMaxAttempts); err != nil {
				t.Errorf("Consume with the new code: %v", err)
			}
		})
	}
}

func contractRotateCodeRefusals(t *testing.T, e storeEnv) {
	now := contractNow()
	tests := []struct {
		name      string
		absent    bool
		edit      func(*auth.Challenge)
		slotLimit int
		stalePrev func(*auth.Challenge) // what the resend believes it read, when not what is stored
		want      error
	}{
		{"stale prev: rotated meanwhile", false, nil, 10, func(p *auth.Challenge) { p.Sends, p.CodeHash = 0, contractCodeHash("000000") }, auth.ErrConflict},
		{"stale prev: code hash only", false, nil, 10, func(p *auth.Challenge) { p.CodeHash = contractCodeHash("000000") }, auth.ErrConflict},
		{"attempts used up", false, func(c *auth.Challenge) { c.Attempts = contractMaxAttempts }, 10, nil, auth.ErrAttemptsExhausted},
		{"used", false, func(c *auth.Challenge) { c.Used = true }, 10, nil, auth.ErrChallengeGone},
		{"token expired, item present", false, func(c *auth.Challenge) { c.ExpiresAt = now.Add(-time.Millisecond) }, 10, nil, auth.ErrChallengeGone},
		{"missing", true, nil, 10, nil, auth.ErrChallengeGone},
		{"send cap", false, nil, 1, nil, auth.ErrSendLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			c := contractChallenge(t, now.Add(-time.Minute))
			c.UserID = "user-" + contractID(t)[:12] // a send slot of its own
			if tt.edit != nil {
				tt.edit(&c)
			}
			slot := contractSlot(c.UserID, now, tt.slotLimit)
			before := int64(0)
			if !tt.absent {
				if err := e.Store.CreateChallenge(ctx, c, slot, ""); err != nil {
					t.Fatalf("CreateChallenge: %v", err)
				}
				before = 1
			}
			prev := c
			if tt.stalePrev != nil {
				tt.stalePrev(&prev)
			}
			err := e.Store.RotateCode(ctx, prev, contractNext(prev, now, "222222"), slot, contractMaxAttempts)
			contractErrIs(t, "RotateCode", err, tt.want)
			if n := contractSends(t, e, slot); n != before {
				t.Errorf("sends counted = %d after a refused rotate, want %d", n, before)
			}
			if tt.absent {
				if e.Item(t, "MFA#"+c.ID) != nil {
					t.Error("RotateCode created a challenge")
				}
				return
			}
			contractSame(t, "after a refused rotate", contractGet(t, e, c.ID), c)
		})
	}

	t.Run("second of two racing rotates from one read", func(t *testing.T) {
		ctx := t.Context()
		c := contractChallenge(t, now.Add(-time.Minute))
		c.UserID = "user-race"
		slot := contractSlot(c.UserID, now, 10)
		if err := e.Store.CreateChallenge(ctx, c, slot, ""); err != nil {
			t.Fatalf("CreateChallenge: %v", err)
		}
		if err := e.Store.RotateCode(ctx, c, contractNext(c, now, "222222"), slot, contractMaxAttempts); err != nil {
			t.Fatalf("first RotateCode: %v", err)
		}
		err := e.Store.RotateCode(ctx, c, contractNext(c, now, "333333"), slot, contractMaxAttempts)
		contractErrIs(t, "second RotateCode", err, auth.ErrConflict)
		if got := contractGet(t, e, c.ID).CodeHash; got != contractCodeHash("222222") {
			t.Error("the losing rotate replaced the code")
		}
		if n := contractSends(t, e, slot); n != 2 {
			t.Errorf("sends counted = %d, want 2", n)
		}
	})
}

// contractChallengeRule holds the store's conditions on a challenge to the domain's rule,
// auth.Challenge.Usable and Verifiable. Challenges in every combination of used or not, MFA token and
// code expiring a millisecond before, exactly at and a millisecond after now, and attempts none, one
// short of and at the limit go to CountAttempt (naming another channel, the challenge's and none, in turn on
// one challenge whose state the domain follows), then Consume (whose attempt counts too), and on a
// second challenge to RotateCode; every decision of the store must be the domain's. Dropping a part of a store condition,
// or changing the domain's rule, makes the two disagree in some state.
func contractChallengeRule(t *testing.T, e storeEnv) {
	now := contractNow()
	offsets := []struct {
		name string
		d    time.Duration
	}{{"before", -time.Millisecond}, {"at", 0}, {"after", time.Millisecond}}
	type state struct {
		name string
		edit func(*auth.Challenge)
	}
	var states []state
	for _, used := range []bool{false, true} {
		for _, token := range offsets {
			for _, code := range offsets {
				for _, attempts := range []int{0, contractMaxAttempts - 1, contractMaxAttempts} {
					states = append(states, state{
						name: fmt.Sprintf("used %v, token expires %s now, code expires %s now, %d attempts", used, token.name, code.name, attempts),
						edit: func(c *auth.Challenge) {
							c.Used, c.Attempts = used, attempts
							c.ExpiresAt, c.CodeExpiresAt = now.Add(token.d), now.Add(code.d)
						},
					})
				}
			}
		}
	}
	// Each refusal, and acceptance, happens somewhere in the table: it cannot shrink to a trivial one.
	// That is checked when every state ran, not when a -run pattern chose some.
	seen, ran := map[string]bool{}, 0
	decided := func(t *testing.T, op string, got, want error) {
		t.Helper()
		contractErrIs(t, fmt.Sprintf("%s (domain: %v)", op, want), got, want)
		seen[fmt.Sprint(strings.Fields(op)[0], " ", want)] = true
	}
	for _, st := range states {
		t.Run(st.name, func(t *testing.T) {
			ran++
			ctx := t.Context()
			stored := func() auth.Challenge {
				c := contractChallenge(t, now)
				c.UserID = "user-" + contractID(t)[:12] // a send slot of its own
				st.edit(&c)
				contractCreate(t, e, c)
				return c
			}
			c := stored()
			for _, channel := range []auth.Channel{auth.ChannelEmail, auth.ChannelSMS, ""} {
				want := c.Verifiable(now, contractMaxAttempts, channel)
				err := e.Store.CountAttempt(ctx, c, channel, now, contractMaxAttempts, contractStep(c))
				decided(t, fmt.Sprintf("CountAttempt naming %q", channel), err, want)
				if want == nil {
					c.Attempts++
				}
			}
			// Consume counts the right code's attempt: those CountAttempt counted may have used the last.
			err := e.Store.Consume(ctx, c, contractToken(t, now), "", now, contractMaxAttempts)
			decided(t, "Consume", err, c.Verifiable(now, contractMaxAttempts, ""))

			c = stored()
			err = e.Store.RotateCode(ctx, c, contractNext(c, now, "222222"), contractSlot(c.UserID, now, 10), contractMaxAttempts)
			decided(t, "RotateCode", err, c.Usable(now, contractMaxAttempts))
		})
	}
	if ran < len(states) {
		return
	}
	for op, wants := range map[string][]error{
		"CountAttempt": {nil, auth.ErrChallengeGone, auth.ErrAttemptsExhausted, auth.ErrChannelMismatch, auth.ErrCodeExpired},
		"Consume":      {nil, auth.ErrChallengeGone, auth.ErrAttemptsExhausted, auth.ErrCodeExpired},
		"RotateCode":   {nil, auth.ErrChallengeGone, auth.ErrAttemptsExhausted},
	} {
		for _, w := range wants {
			if !seen[fmt.Sprint(op, " ", w)] {
				t.Errorf("no state of the table gives %s the decision %v", op, w)
			}
		}
	}
}

// contractConsumeOwnRetry: a Consume whose answer was lost is sent again with the same token (as the
// SDK retries it); the store must know its own earlier success, answer nil and keep the one token,
// and still refuse every other token.
func contractConsumeOwnRetry(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()
	c := contractChallenge(t, now)
	contractCreate(t, e, c)
	tok := contractToken(t, now)
	if err := e.Store.Consume(ctx, c, tok, "", now, contractMaxAttempts); err != nil {
		t.Fatalf("Consume: %v", err)
	}
	if err := e.Store.Consume(ctx, c, tok, "", now, contractMaxAttempts); err != nil {
		t.Errorf("Consume again with the same token, its first answer lost: %v, want nil", err)
	}
	if e.Item(t, "TOKEN#"+tok.ID) == nil {
		t.Error("token not stored")
	}
	other := contractToken(t, now)
	err := e.Store.Consume(ctx, c, other, "", now, contractMaxAttempts)
	contractErrIs(t, "Consume with another token after", err, auth.ErrChallengeGone)
	if e.Item(t, "TOKEN#"+other.ID) != nil {
		t.Error("the other token was stored")
	}
	if err := e.Store.Consume(ctx, c, tok, "", now.Add(time.Second), contractMaxAttempts); err != nil {
		t.Errorf("a later retry with the same token: %v, want nil", err)
	}
	if got := contractGet(t, e, c.ID); !got.Used {
		t.Error("challenge not used")
	}
}

// contractRotateCodeOwnRetry: a RotateCode whose answer was lost is sent again with the same next
// code; the store must know its own earlier success, answer nil and count the send once, while a
// rotate to another code from the same read loses, and a rotate of a consumed challenge is gone.
func contractRotateCodeOwnRetry(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()
	c := contractChallenge(t, now.Add(-time.Minute))
	c.UserID = "user-" + contractID(t)[:12] // a send slot of its own
	slot := contractSlot(c.UserID, now, 10)
	if err := e.Store.CreateChallenge(ctx, c, slot, ""); err != nil {
		t.Fatalf("CreateChallenge: %v", err)
	}
	next := contractNext(c, now, "222222")
	if err := e.Store.RotateCode(ctx, c, next, slot, contractMaxAttempts); err != nil {
		t.Fatalf("RotateCode: %v", err)
	}
	if err := e.Store.RotateCode(ctx, c, next, slot, contractMaxAttempts); err != nil {
		t.Errorf("RotateCode again with the same next, its first answer lost: %v, want nil", err)
	}
	if n := contractSends(t, e, slot); n != 2 {
		t.Errorf("sends counted = %d, want 2: the retry counted a send", n)
	}
	contractSame(t, "after the retried rotate", contractGet(t, e, c.ID), next)

	err := e.Store.RotateCode(ctx, c, contractNext(c, now, "333333"), slot, contractMaxAttempts)
	contractErrIs(t, "RotateCode to another code from the same read", err, auth.ErrConflict)
	contractSame(t, "after the losing rotate", contractGet(t, e, c.ID), next)
	if n := contractSends(t, e, slot); n != 2 {
		t.Errorf("sends counted = %d, want 2: the losing rotate counted a send", n)
	}

	if err := e.Store.Consume(ctx, next, contractToken(t, now), "", now, contractMaxAttempts); err != nil {
		t.Fatalf("Consume the rotated code: %v", err)
	}
	err = e.Store.RotateCode(ctx, next, contractNext(next, now, "444444"), slot, contractMaxAttempts)
	contractErrIs(t, "RotateCode of a consumed challenge", err, auth.ErrChallengeGone)
}

// contractRotateCodeSendCount: a rotate applies only to the challenge exactly as it was read, send
// count included, even were the code hash the same: the send count is what the next code is bound to.
func contractRotateCodeSendCount(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()
	c := contractChallenge(t, now.Add(-time.Minute))
	c.UserID = "user-" + contractID(t)[:12] // a send slot of its own
	c.Sends = 2
	slot := contractSlot(c.UserID, now, 10)
	if err := e.Store.CreateChallenge(ctx, c, slot, ""); err != nil {
		t.Fatalf("CreateChallenge: %v", err)
	}
	read := c
	read.Sends = 1
	err := e.Store.RotateCode(ctx, read, contractNext(read, now, "222222"), slot, contractMaxAttempts)
	contractErrIs(t, "RotateCode from a read with another send count", err, auth.ErrConflict)
	contractSame(t, "after the refused rotate", contractGet(t, e, c.ID), c)
	if n := contractSends(t, e, slot); n != 1 {
		t.Errorf("sends counted = %d, want 1", n)
	}
}
