package auth_test

// Abuse tests, part 1: races. Every race goes through the HTTP handlers (payload 2.0 events into the
// routers of httpapi's LoginFunction and VerifyFunction) so that statuses, codes and Retry-After are
// asserted as a client sees them, and ends by reading the table back.
//
// Each race runs on the embedded engine (shared/localdynamo) and on moto_server (testenv.StartMoto:
// skipped when moto_server is missing or under -short, a failure under CI=true).
//
// This file also holds the helpers of the abuse_*_test.go files; every top-level name starts with
// "abuse" so that they never collide with the other test files of package auth_test.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/seed"
	"mfagateway/shared/testenv"
)

// The demo seed (seed.Demo) is the data of every abuse test; these name its entries.
const (
	abuseAppMFA    = "7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10" // "Demo (MFA)", MFA on
	abuseAppPlain  = "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90" // "Demo", MFA off
	abuseURLMFA    = "demo-mfa.localhost"
	abuseAda       = "ada@example.com"   // mobile, both applications, admin
	abuseGrace     = "grace@example.com" // no mobile, both applications
	abuseLinus     = "linus@example.com" // no mobile, Demo only
	abuseAdaMobile = "+31612345678"
)

// abuseT0 is on a whole hour, so the hourly send window of a test starts with it.
var abuseT0 = time.Date(2031, 5, 6, 10, 0, 0, 0, time.UTC)

// abuseBackend is where a world's table lives: a fresh embedded engine (abuseEmbedded, no options) or
// a table of its own on the calling test's moto_server (abuseMoto).
type abuseBackend []testenv.Option

var abuseEmbedded abuseBackend

// abuseMoto starts one moto_server for the calling test; each world gets a fresh table on it.
func abuseMoto(t *testing.T) abuseBackend {
	t.Helper()
	return abuseBackend{testenv.OnMoto(testenv.StartMoto(t))}
}

// abuseWorld is the test stack seeded with the demo seed, its login service and the functions' routers.
type abuseWorld struct {
	*testenv.Stack
	svc  *auth.Service
	api  map[string]*httpapi.Router // the functions' routers by logical ID
	seed seed.File
}

// abuseNewWorld builds a world on backend; opts change the contract's defaults (cheap hashing, the
// default policy) or wrap the service's dependencies.
func abuseNewWorld(tb testing.TB, backend abuseBackend, opts ...testenv.Option) *abuseWorld {
	tb.Helper()
	w := &abuseWorld{Stack: testenv.NewStack(tb, append(append([]testenv.Option{testenv.WithClock(abuseT0)}, backend...), opts...)...)}
	w.seed = w.SeedDemo(tb)
	for _, email := range []string{abuseAda, abuseGrace, abuseLinus} {
		w.password(tb, email) // fails early if the demo seed no longer has the users these tests name
	}
	w.svc = w.Service()
	w.api = w.Routers(httpapi.LoginFunction, httpapi.VerifyFunction)
	return w
}

// password is the demo seed's password of a user.
func (w *abuseWorld) password(tb testing.TB, email string) string {
	tb.Helper()
	for _, u := range w.seed.Users {
		if u.Email == email {
			return u.Password
		}
	}
	tb.Fatalf("the demo seed has no user %s", email)
	return ""
}

// abuseAnswer is a handler's response as a client reads it.
type abuseAnswer struct {
	Status     int
	Code       string // the error code; "" on success
	Token      string
	RetryAfter string
	Body       map[string]any
	Raw        string
	Err        error
}

// outcome is the answer's status and code, the unit races are tallied in.
func (a abuseAnswer) outcome() string {
	if a.Err != nil {
		return fmt.Sprintf("error(%v)", a.Err)
	}
	if a.Code == "" {
		return strconv.Itoa(a.Status)
	}
	return fmt.Sprintf("%d %s", a.Status, a.Code)
}

// abuseRequest is an HTTP API payload 2.0 event as API Gateway hands it over: lower-cased headers.
func abuseRequest(route string, headers map[string]string, body any) httpapi.Request {
	b, _ := json.Marshal(body)
	method, path, _ := strings.Cut(route, " ")
	h := map[string]string{"content-type": "application/json"}
	for k, v := range headers {
		h[strings.ToLower(k)] = v
	}
	return httpapi.Request{
		Version: "2.0", RouteKey: route, RawPath: path, Headers: h, Body: string(b),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: uuid.NewString(),
			HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path},
		},
	}
}

// call runs one event through a function handler. It is safe for concurrent use and never fails the test.
func (w *abuseWorld) call(fn httpapi.HandlerFunc, route string, headers map[string]string, body any) abuseAnswer {
	resp, err := fn(w.Ctx, abuseRequest(route, headers, body))
	a := abuseAnswer{Status: resp.StatusCode, Raw: resp.Body, RetryAfter: resp.Headers["Retry-After"], Err: err}
	if err == nil && resp.Body != "" {
		if jerr := json.Unmarshal([]byte(resp.Body), &a.Body); jerr != nil {
			a.Err = fmt.Errorf("response body %q: %w", resp.Body, jerr)
		}
		a.Code, _ = a.Body["code"].(string)
		a.Token, _ = a.Body["token"].(string)
	}
	return a
}

func (w *abuseWorld) login(email, pw, appID string) abuseAnswer {
	return w.call(w.api[httpapi.LoginFunction].Serve, httpapi.RouteLogin, map[string]string{"appId": appID},
		map[string]string{"email": email, "password": pw})
}

func (w *abuseWorld) loginURL(email, pw, url string) abuseAnswer {
	return w.call(w.api[httpapi.LoginFunction].Serve, httpapi.RouteLogin, nil,
		map[string]string{"email": email, "password": pw, "url": url})
}

func (w *abuseWorld) verify(mfaToken, channel, code string) abuseAnswer {
	body := map[string]string{"token": mfaToken, "bindingCode": code}
	if channel != "" {
		body["authenticatorCode"] = channel
	}
	return w.call(w.api[httpapi.VerifyFunction].Serve, httpapi.RouteVerify, nil, body)
}

func (w *abuseWorld) resend(mfaToken string) abuseAnswer {
	return w.call(w.api[httpapi.LoginFunction].Serve, httpapi.RouteResend, nil, map[string]string{"token": mfaToken})
}

// challenge logs a seed user in to the MFA application and returns the MFA token and the code sent.
func (w *abuseWorld) challenge(tb testing.TB, email string) (mfaToken, code string) {
	tb.Helper()
	a := w.login(email, w.password(tb, email), abuseAppMFA)
	if a.Status != http.StatusForbidden || a.Token == "" {
		tb.Fatalf("MFA login of %s: %s %s, want 403 with an MFA token", email, a.outcome(), a.Raw)
	}
	return a.Token, w.LastCode(tb)
}

// abuseOtherCode is a well-formed code that is not code.
func abuseOtherCode(code string) string {
	n, _ := strconv.Atoi(code)
	return fmt.Sprintf("%06d", (n+1)%1_000_000)
}

func abusePK(item map[string]types.AttributeValue) string {
	if s, ok := item["pk"].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// abuseNum is a number attribute, or -1 when it is absent or not a number.
func abuseNum(item map[string]types.AttributeValue, name string) int64 {
	n, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return -1
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return -1
	}
	return v
}

func abuseBool(item map[string]types.AttributeValue, name string) bool {
	b, ok := item[name].(*types.AttributeValueMemberBOOL)
	return ok && b.Value
}

// abuseRace runs fn n times at once, all released together, and returns the results by index.
func abuseRace[T any](n int, fn func(i int) T) []T {
	out := make([]T, n)
	start := make(chan struct{})
	var done sync.WaitGroup
	for i := range n {
		done.Go(func() {
			<-start
			out[i] = fn(i)
		})
	}
	close(start)
	done.Wait()
	return out
}

// abuseTally counts answers by outcome.
type abuseTally map[string]int

func abuseTallyOf(answers []abuseAnswer) abuseTally {
	t := abuseTally{}
	for _, a := range answers {
		t[a.outcome()]++
	}
	return t
}

func (t abuseTally) String() string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, t[k])
	}
	return strings.Join(parts, ", ")
}

// abuseRetryAfter checks a Retry-After header: whole seconds, at least 1.
func abuseRetryAfter(a abuseAnswer) bool {
	n, err := strconv.Atoi(a.RetryAfter)
	return err == nil && n >= 1
}

// abuseEngine is a backend and what it can be held to.
type abuseEngine struct {
	name    string
	backend abuseBackend
	// atomic engines apply each conditional write and transaction atomically, so every invariant of a
	// race holds on them. Both engines are: the embedded one orders every request behind one lock, and
	// testenv.StartMoto serves moto one request at a time (moto_server's threads check a condition and
	// write without a lock; see shared/dynamo/engines_test.go). Races run only on atomic engines, where
	// every broken invariant and every unexpected answer is a failure, never a skip.
	atomic bool
}

// abuseCheck asserts a race: shape (every answer is one the contract allows) and the count and state
// invariants, all as failures.
type abuseCheck struct {
	t      *testing.T
	engine abuseEngine
}

func (c *abuseCheck) shape(format string, args ...any) {
	c.t.Helper()
	c.t.Errorf(format, args...)
}

// unexpected reports an answer a race should not give: a failure.
func (c *abuseCheck) unexpected(what string, a abuseAnswer) {
	c.t.Helper()
	c.shape("%s answered %s %s", what, a.outcome(), a.Raw)
}

// invariant reports a broken count or state invariant of a race: a failure.
func (c *abuseCheck) invariant(format string, args ...any) {
	c.t.Helper()
	c.t.Errorf(format, args...)
}

// report logs one line of the race table (race, engine, runs, outcome).
func (c *abuseCheck) report(race string, runs int, outcome string) {
	c.t.Helper()
	c.t.Logf("RACE | %s | %s | %d | %s", race, c.engine.name, runs, outcome)
}

// TestAbuseRace runs every race on the embedded engine and on moto.
func TestAbuseRace(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		abuseRaces(t, abuseEngine{name: "embedded", backend: abuseEmbedded, atomic: true})
	})
	t.Run("moto", func(t *testing.T) {
		abuseRaces(t, abuseEngine{name: "moto", backend: abuseMoto(t), atomic: true})
	})
}

func abuseRaces(t *testing.T, e abuseEngine) {
	if !e.atomic {
		t.Fatalf("engine %s is not atomic: races cannot be settled on it", e.name)
	}
	races := []struct {
		name string
		run  func(c *abuseCheck)
	}{
		{"verify_right_code_x100", abuseRaceVerifyRight},
		{"verify_wrong_code_x100", abuseRaceVerifyWrong},
		{"resend_vs_verify_x20_rounds", abuseRaceResendVerify},
		{"resend_vs_resend_x20", abuseRaceResendResend},
		{"login_last_hourly_slot_x10", abuseRaceLastSlot},
		{"failed_passwords_x20_limit20", func(c *abuseCheck) { abuseRaceFailedPasswords(c, 20) }},
		{"failed_passwords_x20_default", func(c *abuseCheck) { abuseRaceFailedPasswords(c, 0) }},
	}
	for _, r := range races {
		t.Run(r.name, func(t *testing.T) { r.run(&abuseCheck{t: t, engine: e}) })
	}
}

// 100 verifies with the right code: one auth token, in the answers and in the table.
func abuseRaceVerifyRight(c *abuseCheck) {
	const n = 100
	t := c.t
	w := abuseNewWorld(t, c.engine.backend)
	mfa, code := w.challenge(t, abuseAda)
	answers := abuseRace(n, func(int) abuseAnswer { return w.verify(mfa, "SMS", code) })
	tally := abuseTallyOf(answers)

	var winners []abuseAnswer
	for _, a := range answers {
		switch {
		case a.Err != nil:
			c.shape("answer: %v", a.Err)
		case a.Status == http.StatusOK:
			winners = append(winners, a)
		case a.Status == http.StatusUnauthorized && a.Code == "invalid_mfa_token":
		case a.Status == http.StatusTooManyRequests && a.Code == "too_many_attempts":
			// Right-code verifies used up the attempts before any of them consumed the challenge.
		default:
			c.unexpected("losing verify", a)
		}
	}
	tokens := w.Items(t, "TOKEN#")
	if len(winners) != 1 {
		c.invariant("%d verifies answered 200, want exactly 1", len(winners))
	}
	if len(tokens) != 1 {
		c.invariant("%d TOKEN# items after the race, want exactly 1", len(tokens))
	} else if len(winners) == 1 {
		if got, want := abusePK(tokens[0]), "TOKEN#"+auth.TokenID(winners[0].Token); got != want {
			c.invariant("the stored token %s is not the one answered (%s)", got, want)
		}
	}
	if ch := w.Item(t, "MFA#"+auth.TokenID(mfa)); ch == nil || !abuseBool(ch, "used") {
		c.invariant("the challenge is not marked used: %v", ch)
	}
	if a := w.verify(mfa, "SMS", code); a.Status == http.StatusOK {
		c.invariant("a verify after the race got another token")
	}
	c.report("verify right code", n, fmt.Sprintf("%s; TOKEN# items=%d", tally, len(tokens)))
}

// 100 verifies with a wrong code: exactly MaxAttempts of them are compared, the rest are refused unread.
func abuseRaceVerifyWrong(c *abuseCheck) {
	const n = 100
	t := c.t
	w := abuseNewWorld(t, c.engine.backend)
	maxAttempts := w.Deps.Policy.MaxAttempts
	mfa, code := w.challenge(t, abuseAda)
	wrong := abuseOtherCode(code)
	answers := abuseRace(n, func(int) abuseAnswer { return w.verify(mfa, "SMS", wrong) })
	tally := abuseTallyOf(answers)
	attempts := abuseNum(w.Item(t, "MFA#"+auth.TokenID(mfa)), "attempts")

	var remaining []int
	for _, a := range answers {
		switch {
		case a.Err != nil:
			c.shape("answer: %v", a.Err)
		case a.Status == http.StatusUnauthorized && a.Code == "invalid_code":
			r, ok := a.Body["attemptsRemaining"].(float64)
			if !ok {
				c.shape("invalid_code without attemptsRemaining: %s", a.Raw)
			}
			remaining = append(remaining, int(r))
		case a.Status == http.StatusTooManyRequests && a.Code == "too_many_attempts":
		default:
			c.unexpected("wrong code", a)
		}
	}
	if len(remaining) != maxAttempts {
		c.invariant("%d invalid_code answers, want exactly MFA_MAX_ATTEMPTS = %d", len(remaining), maxAttempts)
	}
	if got := tally["429 too_many_attempts"]; got != n-maxAttempts {
		c.invariant("%d too_many_attempts answers, want %d", got, n-maxAttempts)
	}
	slices.Sort(remaining)
	want := make([]int, maxAttempts)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(remaining, want) {
		c.invariant("attemptsRemaining over the invalid_code answers = %v, want each of %v once", remaining, want)
	}
	if attempts != int64(maxAttempts) {
		c.invariant("item attempts = %d, want %d", attempts, maxAttempts)
	}
	// The challenge is dead for the right code and for a resend, too.
	if a := w.verify(mfa, "SMS", code); a.Status != http.StatusTooManyRequests || a.Code != "too_many_attempts" {
		c.invariant("right code after the race: %s, want 429 too_many_attempts", a.outcome())
	}
	w.Clock.Advance(w.Deps.Policy.ResendCooldown + time.Second)
	if a := w.resend(mfa); a.Status != http.StatusTooManyRequests || a.Code != "too_many_attempts" {
		c.invariant("resend after the race: %s, want 429 too_many_attempts", a.outcome())
	}
	tokens := len(w.Items(t, "TOKEN#"))
	if tokens != 0 {
		c.invariant("%d TOKEN# items, want none", tokens)
	}
	c.report("verify wrong code", n, fmt.Sprintf("%s; item attempts=%d, TOKEN# items=%d", tally, attempts, tokens))
}

// A resend racing a verify of the old code, over many rounds: either the verify wins (a token, and the
// resend is refused with invalid_mfa_token and sends nothing) or the resend wins (a new code, and the
// old code is refused with invalid_code, then and later). Never a token and a usable new code.
func abuseRaceResendVerify(c *abuseCheck) {
	const rounds = 20
	t := c.t
	w := abuseNewWorld(t, c.engine.backend, testenv.WithPolicy(func(p *auth.Policy) { p.SendsPerHour = 1000 }))
	outcomes := abuseTally{}
	tokensIssued := 0
	for round := range rounds {
		mfa, oldCode := w.challenge(t, abuseAda)
		w.Clock.Advance(w.Deps.Policy.ResendCooldown + time.Second)
		sent := len(w.Outbox.Entries())
		res := abuseRace(2, func(i int) abuseAnswer {
			if i == 0 {
				return w.verify(mfa, "SMS", oldCode)
			}
			return w.resend(mfa)
		})
		v, r := res[0], res[1]
		newMessages := len(w.Outbox.Entries()) - sent
		switch v.outcome() {
		case "200", "401 invalid_code", "401 invalid_mfa_token":
		default:
			c.unexpected(fmt.Sprintf("round %d: verify", round), v)
		}
		switch r.outcome() {
		case "200", "401 invalid_mfa_token":
		case "429 too_many_requests":
			if !abuseRetryAfter(r) {
				c.shape("round %d: resend 429 with Retry-After %q", round, r.RetryAfter)
			}
		default:
			c.unexpected(fmt.Sprintf("round %d: resend", round), r)
		}
		if v.Status == http.StatusOK {
			tokensIssued++
		}
		switch {
		case v.Status == http.StatusOK && r.outcome() == "401 invalid_mfa_token":
			outcomes["verify won; resend 401 invalid_mfa_token"]++
			if newMessages != 0 {
				c.invariant("round %d: the verify won, yet %d new codes went out", round, newMessages)
			}
			if a := w.resend(mfa); a.outcome() != "401 invalid_mfa_token" {
				c.invariant("round %d: a resend after the won verify: %s, want 401 invalid_mfa_token", round, a.outcome())
			}
		case r.Status == http.StatusOK && v.Status == http.StatusUnauthorized:
			outcomes["resend won; old code 401 "+v.Code]++
			if v.Code != "invalid_code" {
				// The MFA token lives on with a new code: "log in again" (invalid_mfa_token) would be wrong.
				c.invariant("round %d: the resend won, the old code answered %s, want 401 invalid_code", round, v.outcome())
			}
			if newMessages != 1 {
				c.invariant("round %d: the resend won but %d codes went out", round, newMessages)
				continue
			}
			newCode := w.LastCode(t)
			if newCode != oldCode {
				if a := w.verify(mfa, "SMS", oldCode); a.outcome() != "401 invalid_code" {
					c.invariant("round %d: the old code after the resend: %s, want 401 invalid_code", round, a.outcome())
				}
			}
			if a := w.verify(mfa, "SMS", newCode); a.Status != http.StatusOK {
				c.invariant("round %d: the new code after the resend: %s, want 200", round, a.outcome())
			} else {
				tokensIssued++
			}
		default:
			outcomes[fmt.Sprintf("BROKEN: verify %s, resend %s", v.outcome(), r.outcome())]++
			c.invariant("round %d: verify answered %s and resend %s: want exactly one of them to win", round, v.outcome(), r.outcome())
		}
	}
	tokens := len(w.Items(t, "TOKEN#"))
	if tokens != tokensIssued {
		c.invariant("%d TOKEN# items, want %d (one per verify answered 200)", tokens, tokensIssued)
	}
	c.report("resend vs verify (old code)", rounds, fmt.Sprintf("%s; TOKEN# items=%d", outcomes, tokens))
}

// 20 resends after the cooldown: one sends a code, the others get the cooldown answer.
func abuseRaceResendResend(c *abuseCheck) {
	const n = 20
	t := c.t
	w := abuseNewWorld(t, c.engine.backend)
	mfa, _ := w.challenge(t, abuseAda)
	w.Clock.Advance(w.Deps.Policy.ResendCooldown + time.Second)
	answers := abuseRace(n, func(int) abuseAnswer { return w.resend(mfa) })
	tally := abuseTallyOf(answers)
	retry := abuseTally{}
	for _, a := range answers {
		switch {
		case a.Err != nil:
			c.shape("answer: %v", a.Err)
		case a.Status == http.StatusOK:
			if a.Token != mfa {
				c.shape("the resend answered another MFA token")
			}
		case a.Status == http.StatusTooManyRequests && a.Code == "too_many_requests":
			retry["Retry-After "+a.RetryAfter]++
			if !abuseRetryAfter(a) {
				c.shape("429 too_many_requests with Retry-After %q, want whole seconds ≥ 1", a.RetryAfter)
			}
		default:
			c.unexpected("resend", a)
		}
	}
	item := w.Item(t, "MFA#"+auth.TokenID(mfa))
	var counted int64
	for _, s := range w.Items(t, "SENDS#") {
		counted += abuseNum(s, "n")
	}
	sent := len(w.Outbox.Entries())
	if got := tally["200"]; got != 1 {
		c.invariant("%d resends answered 200, want exactly 1", got)
	}
	if got := abuseNum(item, "sends"); got != 2 {
		c.invariant("challenge sends = %d, want 2 (the login's and one resend)", got)
	}
	if counted != 2 {
		c.invariant("hourly send count = %d, want 2", counted)
	}
	if sent != 2 {
		c.invariant("%d messages went out, want 2", sent)
	}
	if a := w.verify(mfa, "SMS", w.LastCode(t)); a.Status != http.StatusOK {
		c.invariant("the newest code: %s, want 200", a.outcome())
	}
	c.report("resend vs resend", n, fmt.Sprintf("%s (%s); item sends=%d, hourly count=%d, messages=%d",
		tally, retry, abuseNum(item, "sends"), counted, sent))
}

// Ten MFA logins race for the user's one remaining hourly send: one challenge, nine 429s.
func abuseRaceLastSlot(c *abuseCheck) {
	const n = 10
	t := c.t
	w := abuseNewWorld(t, c.engine.backend, testenv.WithPolicy(func(p *auth.Policy) {
		p.SendsPerHour = 1
		p.LoginMaxFailures = 100 // the password backoff must not be what refuses these logins
	}))
	pw := w.password(t, abuseAda)
	answers := abuseRace(n, func(int) abuseAnswer { return w.login(abuseAda, pw, abuseAppMFA) })
	tally := abuseTallyOf(answers)
	retry := abuseTally{}
	wantWait := strconv.Itoa(int(abuseT0.Add(time.Hour).Sub(w.Clock.Now()) / time.Second))
	for _, a := range answers {
		switch {
		case a.Err != nil:
			c.shape("answer: %v", a.Err)
		case a.Status == http.StatusForbidden:
		case a.Status == http.StatusTooManyRequests && a.Code == "too_many_requests":
			retry["Retry-After "+a.RetryAfter]++
			if !abuseRetryAfter(a) {
				c.shape("429 with Retry-After %q, want whole seconds ≥ 1", a.RetryAfter)
			} else if a.RetryAfter != wantWait {
				c.invariant("429 with Retry-After %q, want %s (the rest of the clock hour)", a.RetryAfter, wantWait)
			}
		default:
			c.unexpected("login", a)
		}
	}
	challenges := len(w.Items(t, "MFA#"))
	var counted int64
	for _, s := range w.Items(t, "SENDS#") {
		counted += abuseNum(s, "n")
	}
	sent := len(w.Outbox.Entries())
	if got := tally["403"]; got != 1 {
		c.invariant("%d logins started a challenge, want exactly 1", got)
	}
	if got := tally["429 too_many_requests"]; got != n-1 {
		c.invariant("%d logins answered 429 too_many_requests, want %d", got, n-1)
	}
	if challenges != 1 || counted != 1 || sent != 1 {
		c.invariant("MFA# items %d, hourly count %d, messages %d: want 1 each", challenges, counted, sent)
	}
	c.report("logins for the last hourly send", n, fmt.Sprintf("%s (%s); MFA# items=%d, hourly count=%d, messages=%d",
		tally, retry, challenges, counted, sent))
}

// 20 wrong passwords for one email at once. With LOGIN_MAX_FAILURES 20 every one of them is checked and
// counted and the last sets the lock; with the default 5 exactly 5 passwords are checked, the 5th sets
// the lock, and the other 15 answer 429 with Retry-After.
func abuseRaceFailedPasswords(c *abuseCheck, limit int) {
	const n = 20
	t := c.t
	w := abuseNewWorld(t, c.engine.backend, testenv.WithPolicy(func(p *auth.Policy) {
		if limit > 0 {
			p.LoginMaxFailures = limit
		}
	}))
	maxFailures := w.Deps.Policy.LoginMaxFailures
	answers := abuseRace(n, func(i int) abuseAnswer {
		return w.login(abuseAda, fmt.Sprintf("not-the-password-%d", i), abuseAppPlain)
	})
	tally := abuseTallyOf(answers)
	retry := abuseTally{}
	for _, a := range answers {
		switch {
		case a.Err != nil:
			c.shape("answer: %v", a.Err)
		case a.Status == http.StatusUnauthorized && a.Code == "invalid_credentials":
		case a.Status == http.StatusTooManyRequests && a.Code == "too_many_requests":
			retry["Retry-After "+a.RetryAfter]++
			if !abuseRetryAfter(a) {
				c.shape("429 with Retry-After %q, want whole seconds ≥ 1", a.RetryAfter)
			}
		default:
			c.unexpected("wrong password", a)
		}
	}
	// The account counts every checked password; the lock is the network's (these requests name none).
	failures := abuseNum(w.Item(t, "LOGIN#"+abuseAda), "failures")
	locked := abuseNum(w.Item(t, "LOGINNET#"+abuseAda+"#"+string(auth.UnknownNetwork)), "lockedUntil")
	now := w.Clock.Now()

	checked := min(n, maxFailures)
	if got := tally["401 invalid_credentials"]; got != checked {
		c.invariant("%d answers 401 invalid_credentials, want %d (passwords checked before the lock)", got, checked)
	}
	if got := tally["429 too_many_requests"]; got != n-checked {
		c.invariant("%d answers 429 too_many_requests, want %d", got, n-checked)
	}
	if failures != int64(checked) {
		c.invariant("failures counter = %d, want exactly %d", failures, checked)
	}
	lock := auth.Backoff(checked - maxFailures)
	if want := now.Add(lock).UnixMilli(); locked != want {
		c.invariant("lockedUntil = now%+d ms, want now + %s", locked-now.UnixMilli(), lock)
	}
	// The lock holds even for the right password, and says for how long.
	if a := w.login(abuseAda, w.password(t, abuseAda), abuseAppPlain); a.Status != http.StatusTooManyRequests || a.RetryAfter != strconv.Itoa(int(lock/time.Second)) {
		c.invariant("right password while locked: %s Retry-After %q, want 429 with Retry-After %d", a.outcome(), a.RetryAfter, int(lock/time.Second))
	}
	c.report(fmt.Sprintf("failed passwords, LOGIN_MAX_FAILURES=%d", maxFailures), n,
		fmt.Sprintf("%s (%s); failures=%d, lockedUntil=now+%s", tally, retry, failures, time.UnixMilli(locked).Sub(now)))
}

// abuseHookStore runs a hook just before Consume: the one interleaving of a resend and a verify that a
// race hits only sometimes, made certain.
type abuseHookStore struct {
	auth.Store
	beforeConsume func()
}

func (s *abuseHookStore) Consume(ctx context.Context, c auth.Challenge, t auth.Token, channel auth.Channel, now time.Time, maxAttempts int) error {
	if f := s.beforeConsume; f != nil {
		s.beforeConsume = nil
		f()
	}
	return s.Store.Consume(ctx, c, t, channel, now, maxAttempts)
}

// TestAbuseVerifyLosingToResend: a verify of the old code that has read the challenge and passed its
// code comparison when a resend replaces the code. The resend wins (a new code goes out, the MFA token
// lives on), so the old code must be refused as a wrong code, 401 invalid_code: the contract keeps
// 401 invalid_mfa_token ("log in again") for a token that is unknown, used, expired or lost to another
// verify. The resend_vs_verify race hits this interleaving in some of its rounds; here it is
// certain.
func TestAbuseVerifyLosingToResend(t *testing.T) {
	hook := &abuseHookStore{}
	w := abuseNewWorld(t, abuseEmbedded, testenv.WithDeps(func(d *auth.Deps) {
		hook.Store = d.Store
		d.Store = hook
	}))
	mfa, oldCode := w.challenge(t, abuseAda)
	w.Clock.Advance(w.Deps.Policy.ResendCooldown + time.Second)
	var resent abuseAnswer
	hook.beforeConsume = func() { resent = w.resend(mfa) }

	v := w.verify(mfa, "SMS", oldCode)
	if resent.Status != http.StatusOK {
		t.Fatalf("the resend inside the verify: %s %s, want 200", resent.outcome(), resent.Raw)
	}
	if v.outcome() != "401 invalid_code" {
		t.Errorf("the verify of the replaced code: %s %s, want 401 invalid_code", v.outcome(), v.Raw)
	}
	if after := w.verify(mfa, "SMS", w.LastCode(t)); after.Status != http.StatusOK {
		t.Errorf("the new code after the race: %s %s, want 200 (the MFA token is alive)", after.outcome(), after.Raw)
	}
	if n := len(w.Items(t, "TOKEN#")); n != 1 {
		t.Errorf("%d TOKEN# items, want 1", n)
	}
}
