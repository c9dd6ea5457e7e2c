package auth_test

// Abuse tests, part 3: account and application enumeration. The contract gives unknown email, wrong
// password, non-member and unknown application one answer "and no measurable timing difference".
//
// TestAbuseEnumerationSameAnswer checks, without timing anything, what makes the four look alike: the
// same status, headers and body bytes, one password verification each and one counted attempt each.
// BenchmarkLoginFailure measures them through the login handler with the production argon2id cost
// (password.Default) and reports median and p90 latency per case:
//
//	go test -run XXX -bench BenchmarkLoginFailure -benchtime 200x ./shared/auth/
//
// The "interleaved" sub-benchmark runs the cases in rotation in one loop, so drift over the run (GC,
// CPU frequency, other load) falls on all of them alike; compare its per-case medians.

import (
	"math"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/password"
	"mfagateway/shared/testenv"
)

// abuseCountingHasher counts password verifications, real and dummy.
type abuseCountingHasher struct {
	inner  *password.Hasher
	verify atomic.Int64
	dummy  atomic.Int64
}

func (h *abuseCountingHasher) Verify(pw, phc string) (bool, error) {
	h.verify.Add(1)
	return h.inner.Verify(pw, phc)
}

func (h *abuseCountingHasher) VerifyDummy(pw string) {
	h.dummy.Add(1)
	h.inner.VerifyDummy(pw)
}

// abuseFailure is one kind of credential failure: a login the gateway must refuse like the others.
type abuseFailure struct {
	name  string
	email string // whose password attempts it counts
	login func() abuseAnswer
}

const abuseUnknownEmail = "nobody-here@example.com"

// abuseFailures are the credential failures of the contract's one-answer row. The non-member and
// unknown-application cases give the right password: those are the ones that differ from a success
// only after the password check.
func abuseFailures(tb testing.TB, w *abuseWorld) []abuseFailure {
	tb.Helper()
	gracePW, linusPW := w.password(tb, abuseGrace), w.password(tb, abuseLinus)
	return []abuseFailure{
		{"unknown_email", abuseUnknownEmail, func() abuseAnswer {
			return w.login(abuseUnknownEmail, "a-plausible-password-1", abuseAppPlain)
		}},
		{"wrong_password", abuseAda, func() abuseAnswer {
			return w.login(abuseAda, "not-adas-password-1", abuseAppPlain)
		}},
		{"not_a_member", abuseLinus, func() abuseAnswer {
			return w.login(abuseLinus, linusPW, abuseAppMFA)
		}},
		{"unknown_application_appId", abuseGrace, func() abuseAnswer {
			return w.login(abuseGrace, gracePW, "0d1e2f30-4a5b-4c6d-8e7f-901234567890")
		}},
		{"unknown_application_url", abuseGrace, func() abuseAnswer {
			return w.loginURL(abuseGrace, gracePW, "https://nowhere.example.com/")
		}},
	}
}

// TestAbuseEnumerationSameAnswer: every credential failure answers the same bytes and costs the same work.
func TestAbuseEnumerationSameAnswer(t *testing.T) {
	var hasher *abuseCountingHasher
	w := abuseNewWorld(t, abuseEmbedded, testenv.WithDeps(func(d *auth.Deps) {
		hasher = &abuseCountingHasher{inner: d.Hasher.(*password.Hasher)}
		d.Hasher = hasher
	}))
	var first abuseAnswer
	for i, c := range abuseFailures(t, w) {
		before := abuseNum(w.Item(t, "LOGIN#"+c.email), "failures")
		v0, d0 := hasher.verify.Load(), hasher.dummy.Load()
		a := c.login()
		verified, dummies := hasher.verify.Load()-v0, hasher.dummy.Load()-d0
		after := abuseNum(w.Item(t, "LOGIN#"+c.email), "failures")

		if a.Err != nil || a.Status != http.StatusUnauthorized || a.Code != "invalid_credentials" {
			t.Errorf("%s: %s %s, want 401 invalid_credentials", c.name, a.outcome(), a.Raw)
		}
		if i == 0 {
			first = a
		} else if a.Raw != first.Raw || a.RetryAfter != first.RetryAfter {
			t.Errorf("%s answered %q, %s answered %q: want the same bytes", c.name, a.Raw, "unknown_email", first.Raw)
		}
		if verified+dummies != 1 {
			t.Errorf("%s: %d password verifications and %d dummy ones, want exactly one in all", c.name, verified, dummies)
		}
		if max(before, 0)+1 != after {
			t.Errorf("%s: failures of %s went from %d to %d, want one counted attempt", c.name, c.email, before, after)
		}
	}
}

// BenchmarkLoginFailure times each credential failure through the login handler at the real argon2id
// cost and reports the median and p90 of the per-login durations.
func BenchmarkLoginFailure(b *testing.B) {
	w := abuseNewWorld(b, abuseEmbedded, testenv.WithPassword(password.Default), testenv.DiscardLogs(),
		// Every case repeats one email, so the backoff must never start: the lock would answer 429
		// without a password check and measure something else.
		testenv.WithPolicy(func(p *auth.Policy) { p.LoginMaxFailures = math.MaxInt32 }))
	cases := abuseFailures(b, w)
	one := func(b *testing.B, c abuseFailure) time.Duration {
		start := time.Now()
		a := c.login()
		d := time.Since(start)
		if a.Err != nil || a.Status != http.StatusUnauthorized || a.Code != "invalid_credentials" {
			b.Fatalf("%s: %s %s, want 401 invalid_credentials", c.name, a.outcome(), a.Raw)
		}
		return d
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var durations []time.Duration
			for b.Loop() {
				durations = append(durations, one(b, c))
			}
			abuseReportQuantiles(b, "", durations)
		})
	}
	b.Run("interleaved", func(b *testing.B) {
		durations := make([][]time.Duration, len(cases))
		i := 0
		for b.Loop() {
			durations[i%len(cases)] = append(durations[i%len(cases)], one(b, cases[i%len(cases)]))
			i++
		}
		for k, c := range cases {
			abuseReportQuantiles(b, c.name+"-", durations[k])
		}
	})
}

// abuseReportQuantiles reports the median and p90 of durations in milliseconds.
func abuseReportQuantiles(b *testing.B, prefix string, durations []time.Duration) {
	b.Helper()
	if len(durations) == 0 {
		return
	}
	slices.Sort(durations)
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(durations)))) - 1
		return float64(durations[max(i, 0)]) / float64(time.Millisecond)
	}
	b.ReportMetric(q(0.5), prefix+"p50-ms")
	b.ReportMetric(q(0.9), prefix+"p90-ms")
}
