package faultinject_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/faultinject"
)

// state is what a flow's preparation leaves for its request and checks.
type state struct {
	mfa        string // MFA token of the prepared challenge
	channel    string // its channel
	to         string // where its codes go
	failures   int64  // stored failed passwords before the request
	attempts   int64  // stored attempts of the challenge before the request
	sends      int64  // stored sends of the challenge before the request
	sentBefore int    // messages the fake had accepted before the request
	drawn      string // the MFA token a login under test drew, whether or not the client got it
}

// row is one fault at one step of one flow.
type row struct {
	flow       *flow
	step       step
	kind       faultinject.Kind
	persistent bool // every attempt fails (the SDK gives up); otherwise only the first (the SDK retries)
}

func (r row) name() string {
	p := "once"
	if r.persistent {
		p = "always"
	}
	return fmt.Sprintf("%s/%s/%s-%s", r.flow.name, r.step.label(), r.kind, p)
}

// rule is the fault of the row. Persistent DynamoDB throttling uses ThrottlingException, so both of
// DynamoDB's throttling codes are exercised.
func (r row) rule() faultinject.Rule {
	rl := faultinject.Rule{Op: r.step.op, Nth: r.step.n, Times: 1, Kind: r.kind}
	if r.persistent {
		rl.Times = 0
		if r.kind == faultinject.Throttle && strings.HasPrefix(r.step.op, "DynamoDB.") {
			rl.Code = "ThrottlingException"
		}
	}
	return rl
}

// step is the nth request of one operation in a flow, as found by a fault-free run.
type step struct {
	op   string
	n    int
	what string
}

func (s step) label() string { return fmt.Sprintf("%s#%d", strings.TrimPrefix(s.op, "DynamoDB."), s.n) }

// result is what a row saw, for the summary.
type result struct {
	answer   string
	injected int
	notes    []string
}

// outcome collects the checks' observations of one row.
type outcome struct {
	t     *testing.T
	row   row
	notes []string
}

func (o *outcome) note(format string, args ...any) {
	o.notes = append(o.notes, fmt.Sprintf(format, args...))
}

// flow is one request of the API, prepared fault-free, then sent with a fault, then checked.
type flow struct {
	name string
	// background faults belong to the flow itself (SNS down for the email fallback); their operations
	// are not steps.
	background []faultinject.Rule
	// keepBackground leaves the background faults in place for the client's retry.
	keepBackground bool
	want           string // the fault-free answer
	prepare        func(w *world) *state
	run            func(w *world, s *state) answer
	// check inspects the store after the faulted request; recover is the client's retry once the fault
	// has cleared, which must end in success.
	check   func(o *outcome, w *world, s *state, a answer)
	recover func(o *outcome, w *world, s *state, a answer)
}

func flows() []*flow {
	snsDown := faultinject.Rule{Op: "SNS.Publish", Kind: faultinject.ServerError}
	sesDown := faultinject.Rule{Op: "SES.SendEmail", Kind: faultinject.ServerError}
	noPrep := func(w *world) *state { return &state{} }
	loginRun := func(email, app string) func(w *world, s *state) answer {
		return func(w *world, s *state) answer {
			s.sentBefore = len(w.mail.messages())
			w.random.mark()
			a := w.login(email, rightPW, app)
			s.drawn = w.random.firstToken()
			return a
		}
	}
	challengeRecover := func(email, channel string) func(o *outcome, w *world, s *state, a answer) {
		return func(o *outcome, w *world, s *state, a answer) {
			if a.Status == http.StatusForbidden {
				w.wantVerified(o, a.str("token"), a.str("authenticatorCode"))
				return
			}
			w.wantLoginAndVerify(o, email, channel)
		}
	}
	prepChallenge := func(email string) func(w *world) *state {
		return func(w *world) *state {
			a := w.login(email, rightPW, appMFA)
			if a.Status != http.StatusForbidden {
				w.t.Fatalf("prepare: login %s = %s %s, want 403", email, a, a.Raw)
			}
			s := &state{mfa: a.str("token"), channel: a.str("authenticatorCode"), to: w.addressOf(email, a.str("authenticatorCode"))}
			it := w.challengeItem(s.mfa)
			s.attempts, s.sends = nAttr(it, "attempts"), nAttr(it, "sends")
			return s
		}
	}
	return []*flow{
		{
			name: "login-mfa-off", want: "200", prepare: noPrep, run: loginRun(samEmail, appPlain),
			check: func(o *outcome, w *world, s *state, a answer) {
				w.wantTokens(o, a, a.Status == http.StatusOK)
				w.wantFailuresAfterLogin(o, a, samEmail)
			},
			recover: func(o *outcome, w *world, s *state, a answer) {
				if a.Status != http.StatusOK {
					w.wantLoginToken(o, samEmail)
				}
			},
		},
		{
			name: "login-mfa-sms", want: "403", prepare: noPrep, run: loginRun(samEmail, appMFA),
			check:   func(o *outcome, w *world, s *state, a answer) { w.checkChallengeLogin(o, s, a, samEmail, "") },
			recover: challengeRecover(samEmail, "SMS"),
		},
		{
			name: "login-mfa-email", want: "403", prepare: noPrep, run: loginRun(eveEmail, appMFA),
			check:   func(o *outcome, w *world, s *state, a answer) { w.checkChallengeLogin(o, s, a, eveEmail, "") },
			recover: challengeRecover(eveEmail, "Email"),
		},
		{
			name: "login-mfa-fallback", want: "403", background: []faultinject.Rule{snsDown}, keepBackground: true,
			prepare: noPrep, run: loginRun(samEmail, appMFA),
			check:   func(o *outcome, w *world, s *state, a answer) { w.checkChallengeLogin(o, s, a, samEmail, "Email") },
			recover: challengeRecover(samEmail, "Email"),
		},
		{
			name: "login-mfa-undeliverable", want: "503 delivery_failed", background: []faultinject.Rule{snsDown, sesDown},
			prepare: noPrep, run: loginRun(samEmail, appMFA),
			check:   func(o *outcome, w *world, s *state, a answer) { w.checkChallengeLogin(o, s, a, samEmail, "") },
			recover: challengeRecover(samEmail, "SMS"),
		},
		{
			name: "login-wrong-password", want: "401 invalid_credentials", prepare: noPrep,
			run:     func(w *world, s *state) answer { return w.login(samEmail, wrongPW, appPlain) },
			check:   func(o *outcome, w *world, s *state, a answer) { w.checkFailedPassword(o, s, a, false) },
			recover: func(o *outcome, w *world, s *state, a answer) { w.wantPasswordRecovery(o) },
		},
		{
			name: "login-wrong-password-at-limit", want: "401 invalid_credentials",
			prepare: func(w *world) *state {
				for i := range auth.DefaultPolicy.LoginMaxFailures - 1 {
					if a := w.login(samEmail, wrongPW, appPlain); a.Code != "invalid_credentials" {
						w.t.Fatalf("prepare: wrong password %d = %s, want 401", i+1, a)
					}
				}
				return &state{failures: w.failures(samEmail)}
			},
			run:     func(w *world, s *state) answer { return w.login(samEmail, wrongPW, appPlain) },
			check:   func(o *outcome, w *world, s *state, a answer) { w.checkFailedPassword(o, s, a, true) },
			recover: func(o *outcome, w *world, s *state, a answer) { w.wantPasswordRecovery(o) },
		},
		{
			name: "verify-right-code", want: "200", prepare: prepChallenge(samEmail),
			run: func(w *world, s *state) answer {
				return w.verify(s.mfa, s.channel, w.lastCode(s.to))
			},
			check: func(o *outcome, w *world, s *state, a answer) { w.checkVerify(o, s, a) },
			recover: func(o *outcome, w *world, s *state, a answer) {
				if a.Status != http.StatusOK {
					w.wantVerifyRetry(o, s)
				}
			},
		},
		{
			name: "verify-wrong-code", want: "401 invalid_code", prepare: prepChallenge(samEmail),
			run: func(w *world, s *state) answer {
				return w.verify(s.mfa, s.channel, otherCode(w.lastCode(s.to)))
			},
			check:   func(o *outcome, w *world, s *state, a answer) { w.checkVerify(o, s, a) },
			recover: func(o *outcome, w *world, s *state, a answer) { w.wantVerifyRetry(o, s) },
		},
		{
			name: "resend-sms", want: "200", prepare: resendPrep(prepChallenge(samEmail)),
			run:     func(w *world, s *state) answer { s.sentBefore = len(w.mail.messages()); return w.resend(s.mfa) },
			check:   func(o *outcome, w *world, s *state, a answer) { w.checkResend(o, s, a) },
			recover: func(o *outcome, w *world, s *state, a answer) { w.wantResendRecovery(o, s, a) },
		},
		{
			name: "resend-email", want: "200", prepare: resendPrep(prepChallenge(eveEmail)),
			run:     func(w *world, s *state) answer { s.sentBefore = len(w.mail.messages()); return w.resend(s.mfa) },
			check:   func(o *outcome, w *world, s *state, a answer) { w.checkResend(o, s, a) },
			recover: func(o *outcome, w *world, s *state, a answer) { w.wantResendRecovery(o, s, a) },
		},
	}
}

func resendPrep(prep func(w *world) *state) func(w *world) *state {
	return func(w *world) *state {
		s := prep(w)
		w.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
		return s
	}
}

// TestFaults fails every DynamoDB, SNS and SES request of every flow, once (the SDK retries) and for
// good (the SDK gives up), with each kind of fault, and checks the answer, the table afterwards and the
// client's retry. The steps are found by a fault-free run of each flow, so a flow that changes its
// requests is still covered request by request.
func TestFaults(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: the fault matrix takes several seconds")
	}
	var rows []row
	for _, f := range flows() {
		for _, st := range discover(t, f) {
			for _, k := range faultinject.Kinds {
				for _, persistent := range []bool{false, true} {
					rows = append(rows, row{flow: f, step: st, kind: k, persistent: persistent})
				}
			}
		}
	}
	results := make([]result, len(rows))
	// Rows wait on timeouts and backoff far more than they compute, so run many at once; t.Run may be
	// called from several goroutines.
	sem := make(chan struct{}, matrixConcurrency)
	var wg sync.WaitGroup
	for i, r := range rows {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			t.Run(r.name(), func(t *testing.T) { results[i] = runRow(t, r) })
		})
	}
	wg.Wait()
	summarize(t, rows, results)
}

// discover runs the flow fault-free (but with its background faults) and returns its requests as steps.
func discover(t *testing.T, f *flow) []step {
	t.Helper()
	w := newWorld(t, worldOptions{})
	s := f.prepare(w)
	w.ft.Set(f.background...)
	before := len(w.rec.sent())
	a := f.run(w, s)
	if a.String() != f.want {
		t.Fatalf("%s without faults answered %s (%s), want %s", f.name, a, a.Raw, f.want)
	}
	var steps []step
	seen := map[string]int{}
	for _, r := range w.rec.sent()[before:] {
		seen[r.Op]++
		steps = append(steps, step{op: r.Op, n: seen[r.Op], what: r.What})
	}
	if len(steps) == 0 {
		t.Fatalf("%s made no requests", f.name)
	}
	return steps
}

func runRow(t *testing.T, r row) (res result) {
	var o0 worldOptions
	if r.kind == faultinject.Timeout {
		o0.attemptTimeout = shortAttempt
	}
	w := newWorld(t, o0)
	s := r.flow.prepare(w)
	w.ft.Set(append(append([]faultinject.Rule(nil), r.flow.background...), r.rule())...)
	a := r.flow.run(w, s)
	res = result{answer: a.String(), injected: w.ft.Injected(r.step.op)}
	o := &outcome{t: t, row: r}
	defer func() {
		res.notes = o.notes
		if t.Failed() {
			t.Logf("answer %s %s\nrequests: %+v\nlog:\n%s", a, a.Raw, w.rec.sent(), w.logText())
		}
	}()
	if res.injected == 0 {
		t.Errorf("no fault was injected on %s", r.step.label())
	}
	if a.Code == "internal" {
		t.Errorf("an AWS fault answered 500 internal (%s): it should be 503 unavailable", a.Raw)
	}
	// A fault the SDK's retry absorbs must not show. A dropped answer to a request that was carried out
	// is the exception: a retry of a non-idempotent write may be refused or counted twice.
	if !r.persistent && r.kind != faultinject.DropAfterSend && a.String() != r.flow.want {
		t.Errorf("one %s on %s answered %s, want %s as without faults (%s)", r.kind, r.step.label(), a, r.flow.want, a.Raw)
	}
	// The fault clears; a flow's background faults stay when the flow is about them.
	w.ft.Clear()
	if r.flow.keepBackground {
		w.ft.Set(r.flow.background...)
	}
	r.flow.check(o, w, s, a)
	r.flow.recover(o, w, s, a)
	return res
}

// summarize logs one line per step: the request, the faults injected, and each row's answer.
func summarize(t *testing.T, rows []row, results []result) {
	type key struct{ flow, step string }
	var order []key
	lines := map[key][]string{}
	injected := map[key]int{}
	what := map[key]string{}
	for i, r := range rows {
		k := key{r.flow.name, r.step.label()}
		if _, ok := lines[k]; !ok {
			order = append(order, k)
			what[k] = r.step.what
		}
		p := "1x"
		if r.persistent {
			p = "all"
		}
		res := results[i]
		s := fmt.Sprintf("%s/%s→%s", r.kind, p, res.answer)
		if len(res.notes) > 0 {
			s += " (" + strings.Join(res.notes, "; ") + ")"
		}
		lines[k] = append(lines[k], s)
		injected[k] += res.injected
	}
	var b strings.Builder
	total := 0
	for _, k := range order {
		fmt.Fprintf(&b, "| %s | %s [%s] | %d | %s |\n", k.flow, k.step, what[k], injected[k], strings.Join(lines[k], ", "))
		total += injected[k]
	}
	t.Logf("fault matrix: %d rows, %d faults injected\n| flow | step | faults injected | results |\n%s", len(rows), total, b.String())
}

// --- checks shared by the flows ---

func (w *world) addressOf(email, channel string) string {
	if channel == "SMS" {
		return samPhone
	}
	return email
}

func (w *world) lastCode(to string) string {
	w.t.Helper()
	codes := w.mail.codes(to)
	if len(codes) == 0 {
		w.t.Fatalf("no code was delivered to %s", to)
	}
	return codes[len(codes)-1]
}

func otherCode(code string) string {
	n, _ := strconv.Atoi(code)
	return fmt.Sprintf("%06d", (n+1)%1_000_000)
}

// wantTokens checks the auth tokens of a login: one when the client got it, at most one otherwise.
func (w *world) wantTokens(o *outcome, a answer, got bool) {
	tokens := w.items("TOKEN#")
	switch {
	case got && w.item("TOKEN#"+auth.TokenID(a.str("token"))) == nil:
		o.t.Errorf("the token the client got is not stored")
	case got && len(tokens) != 1, len(tokens) > 1:
		o.t.Errorf("%d tokens stored for one login", len(tokens))
	case !got && len(tokens) == 1:
		o.note("token stored, answer lost")
	}
}

// wantFailuresAfterLogin checks a right password's login: a success takes its counted attempt back,
// leaving no failed password on the account's count and no count for its network. An admission whose
// answer was lost ran twice on an engine that ignores ClientRequestToken (DynamoDB answers the retry
// with the first run's result); the success takes one of the two back.
func (w *world) wantFailuresAfterLogin(o *outcome, a answer, email string) {
	n := w.failures(email)
	success := a.Status == http.StatusOK || a.Status == http.StatusForbidden
	rerun := o.row.kind == faultinject.DropAfterSend && o.row.step.op == "DynamoDB.TransactWriteItems" && o.row.step.n == 1
	switch {
	case success && n == 1 && rerun:
		o.note("admission run again after its lost answer: 1 failed password left counted")
	case success && n != 0:
		o.t.Errorf("a successful login left %d failed passwords counted", n)
	case a.Status >= 500 && n > 0:
		o.note("right password counted as %d failure(s)", n)
	}
	if success && w.networkCount(email) != nil {
		o.t.Errorf("a successful login left its network's count")
	}
}

// checkChallengeLogin checks the table after an MFA login: a 403's challenge is live on the channel the
// answer names; after any other answer no challenge is left that could be verified.
func (w *world) checkChallengeLogin(o *outcome, s *state, a answer, email, wantChannel string) {
	w.wantFailuresAfterLogin(o, a, email)
	if len(w.items("TOKEN#")) != 0 {
		o.t.Errorf("an MFA login stored an auth token")
	}
	for pk, it := range w.items("SENDS#") {
		if n := nAttr(it, "n"); n > int64(auth.DefaultPolicy.SendsPerHour) {
			o.t.Errorf("%s counts %d sends, above the limit", pk, n)
		}
	}
	if a.Status == http.StatusForbidden {
		ch := a.str("authenticatorCode")
		if wantChannel != "" && ch != wantChannel {
			o.t.Errorf("code went by %s, want %s", ch, wantChannel)
		}
		it := w.challengeItem(a.str("token"))
		switch {
		case !w.live(it):
			o.t.Errorf("the 403's challenge is not live: %v", it)
		case sAttr(it, "channel") != ch:
			o.t.Errorf("challenge stored with channel %q, answer says %q: verify naming %s would be refused", sAttr(it, "channel"), ch, ch)
		}
		if len(w.mail.codes(w.addressOf(email, ch))) == 0 {
			o.t.Errorf("403 but no code was delivered by %s", ch)
		}
		return
	}
	w.wantNoUsableChallenge(o, s)
}

// wantNoUsableChallenge checks that what a failed login left behind cannot be verified: any live
// challenge left is tried with the MFA token the login drew (the client never got it) and every code
// delivered meanwhile.
func (w *world) wantNoUsableChallenge(o *outcome, s *state) {
	left := 0
	for pk, it := range w.items("MFA#") {
		if !w.live(it) {
			continue
		}
		left++
		if s.drawn == "" || pk != "MFA#"+auth.TokenID(s.drawn) {
			o.t.Errorf("a live challenge %s that the failed login did not draw", pk[:16])
			continue
		}
		for _, m := range w.mail.messages()[s.sentBefore:] {
			code := codeRE.FindString(m.Body)
			if v := w.verify(s.drawn, "", code); v.Status == http.StatusOK {
				o.t.Errorf("the challenge left by a failed login verifies with the code sent by %s", m.Service)
			}
		}
	}
	if left > 0 {
		o.note("%d live challenge(s) left, token never given out", left)
	}
}

// checkFailedPassword checks that a wrong password checked was counted: exactly once unless an answer
// was lost after the count was written; and that the limit's lock is in force after the last failure.
func (w *world) checkFailedPassword(o *outcome, s *state, a answer, atLimit bool) {
	n := w.failures(samEmail)
	added := n - s.failures
	lost := o.row.kind == faultinject.DropAfterSend && o.row.step.op == "DynamoDB.TransactWriteItems"
	switch {
	case a.Code == "invalid_credentials" && added < 1:
		o.t.Errorf("a wrong password answered 401 but the count went %d → %d", s.failures, n)
	case a.Code == "invalid_credentials" && added != 1 && !lost:
		o.t.Errorf("one wrong password counted %d times", added)
	case added > 1:
		o.note("counted %d times", added)
	case added < 0:
		o.t.Errorf("failed passwords went down %d → %d", s.failures, n)
	}
	if atLimit && a.Code == "invalid_credentials" {
		until := nAttr(w.networkCount(samEmail), "lockedUntil")
		if until <= w.Clock.Now().UnixMilli() {
			o.t.Errorf("failure %d answered 401 but no lock is in force", n)
		}
	}
	if a.Code != "invalid_credentials" && a.Status < 500 && a.Code != "too_many_requests" {
		o.t.Errorf("a wrong password answered %s", a)
	}
}

// wantPasswordRecovery is the client trying again once the fault is gone: the wrong password is refused
// with 401 or a 429 to wait out, and the right one then gets a token.
func (w *world) wantPasswordRecovery(o *outcome) {
	for _, pw := range []string{wrongPW, rightPW} {
		for i := 0; ; i++ {
			a := w.login(samEmail, pw, appPlain)
			if a.Status == http.StatusTooManyRequests && a.RetryAfter != "" && i < 3 {
				secs, _ := strconv.Atoi(a.RetryAfter)
				w.Clock.Advance(time.Duration(secs) * time.Second)
				continue
			}
			want := "401 invalid_credentials"
			if pw == rightPW {
				want = "200"
			}
			if a.String() != want {
				o.t.Errorf("retry with the %s password: %s, want %s (%s)", map[bool]string{true: "right", false: "wrong"}[pw == rightPW], a, want, a.Raw)
			}
			break
		}
	}
}

// wantLoginToken logs in without MFA and expects a stored token.
func (w *world) wantLoginToken(o *outcome, email string) {
	a := w.login(email, rightPW, appPlain)
	if a.Status != http.StatusOK {
		o.t.Errorf("retry of the login: %s, want 200 (%s)", a, a.Raw)
		return
	}
	if w.item("TOKEN#"+auth.TokenID(a.str("token"))) == nil {
		o.t.Errorf("retry's token is not stored")
	}
}

// wantVerified verifies a challenge with the last code delivered on its channel and expects a token.
func (w *world) wantVerified(o *outcome, mfa, channel string) {
	it := w.challengeItem(mfa)
	to := sAttr(it, "to")
	v := w.verify(mfa, channel, w.lastCode(to))
	if v.Status != http.StatusOK {
		o.t.Errorf("verify with the delivered code: %s, want 200 (%s)", v, v.Raw)
		return
	}
	if w.item("TOKEN#"+auth.TokenID(v.str("token"))) == nil {
		o.t.Errorf("the verified token is not stored")
	}
}

// wantLoginAndVerify is the client logging in again and finishing with the delivered code.
func (w *world) wantLoginAndVerify(o *outcome, email, channel string) {
	a := w.login(email, rightPW, appMFA)
	if a.Status != http.StatusForbidden || a.str("authenticatorCode") != channel {
		o.t.Errorf("retry of the login: %s by %q, want 403 by %s (%s)", a, a.str("authenticatorCode"), channel, a.Raw)
		return
	}
	w.wantVerified(o, a.str("token"), channel)
}

// checkVerify checks a verify's effect: a token exists only for a used challenge, at most one per
// challenge; a 401 invalid_code used at least one attempt and reports what is stored.
func (w *world) checkVerify(o *outcome, s *state, a answer) {
	it := w.challengeItem(s.mfa)
	tokens := w.items("TOKEN#")
	used, attempts := bAttr(it, "used"), nAttr(it, "attempts")
	switch {
	case len(tokens) > 1:
		o.t.Errorf("%d tokens for one challenge", len(tokens))
	case len(tokens) == 1 && !used:
		o.t.Errorf("a token is stored but its challenge is not used")
	case a.Status == http.StatusOK && (len(tokens) != 1 || w.item("TOKEN#"+auth.TokenID(a.str("token"))) == nil):
		o.t.Errorf("200 but the token is not stored")
	case a.Status != http.StatusOK && len(tokens) == 1:
		o.note("token stored, answer lost")
	}
	if attempts > int64(auth.DefaultPolicy.MaxAttempts) {
		o.t.Errorf("attempts = %d, above the limit", attempts)
	}
	added := attempts - s.attempts
	lost := o.row.kind == faultinject.DropAfterSend && o.row.step.op == "DynamoDB.TransactWriteItems"
	if a.Code == "invalid_code" {
		switch {
		case added < 1:
			o.t.Errorf("401 invalid_code but the attempt was not counted (%d → %d)", s.attempts, attempts)
		case added > 1 && !lost:
			o.t.Errorf("one wrong code counted %d times", added)
		}
		if got, _ := a.Body["attemptsRemaining"].(float64); int64(got) != int64(auth.DefaultPolicy.MaxAttempts)-attempts {
			o.t.Errorf("attemptsRemaining %v, but %d of %d attempts are used", a.Body["attemptsRemaining"], attempts, auth.DefaultPolicy.MaxAttempts)
		}
	}
	if added > 1 {
		o.note("attempt counted %d times", added)
	}
}

// wantVerifyRetry is the client verifying again with the right code once the fault is gone. When the
// lost answer was a success (the challenge is used and its token stored), the client must log in again.
func (w *world) wantVerifyRetry(o *outcome, s *state) {
	v := w.verify(s.mfa, s.channel, w.lastCode(s.to))
	if v.Status == http.StatusOK {
		return
	}
	it := w.challengeItem(s.mfa)
	if v.Code == "invalid_mfa_token" && bAttr(it, "used") && len(w.items("TOKEN#")) == 1 {
		o.note("retry: invalid_mfa_token, log in again")
		w.wantLoginAndVerify(o, samEmail, s.channel)
		return
	}
	if v.Code == "too_many_attempts" && nAttr(it, "attempts") >= int64(auth.DefaultPolicy.MaxAttempts) {
		o.note("retry: too_many_attempts, log in again")
		w.wantLoginAndVerify(o, samEmail, s.channel)
		return
	}
	o.t.Errorf("retry of verify with the right code: %s (%s), want 200", v, v.Raw)
}

// checkResend checks a resend: a 200 rotated the code and delivered it; otherwise the challenge's
// sends moved by at most the one send tried.
func (w *world) checkResend(o *outcome, s *state, a answer) {
	it := w.challengeItem(s.mfa)
	sends := nAttr(it, "sends")
	switch {
	case a.Status == http.StatusOK && sends != s.sends+1:
		o.t.Errorf("resend answered 200 with sends %d → %d", s.sends, sends)
	case a.Status == http.StatusOK && len(w.mail.messages()) == s.sentBefore:
		o.t.Errorf("resend answered 200 but nothing was delivered")
	case a.Status != http.StatusOK && sends > s.sends:
		o.note("send counted, code not delivered to the client's knowledge")
	}
	if sends > int64(auth.DefaultPolicy.MaxSends) {
		o.t.Errorf("sends = %d, above the limit", sends)
	}
}

// wantResendRecovery is the client asking again (waiting out a 429's Retry-After) and verifying the
// code it then receives; a 429 without Retry-After means log in again.
func (w *world) wantResendRecovery(o *outcome, s *state, a answer) {
	for i := 0; a.Status != http.StatusOK; i++ {
		if i == 3 {
			o.t.Errorf("resend did not recover: %s (%s)", a, a.Raw)
			return
		}
		if a.Status == http.StatusTooManyRequests && a.RetryAfter != "" {
			secs, _ := strconv.Atoi(a.RetryAfter)
			w.Clock.Advance(time.Duration(secs) * time.Second)
			o.note("retry: waited Retry-After %ss", a.RetryAfter)
		}
		a = w.resend(s.mfa)
		if a.Status == http.StatusTooManyRequests && a.RetryAfter == "" {
			o.note("retry: %s without Retry-After, log in again", a)
			email := samEmail
			if s.channel == "Email" {
				email = eveEmail
			}
			w.wantLoginAndVerify(o, email, s.channel)
			return
		}
	}
	w.wantVerified(o, s.mfa, s.channel)
}
