package main

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"mfagateway/shared/roundtrip"
)

// measurements is everything one run measured.
type measurements struct {
	art         *artifacts
	rie         bool
	motoMissing bool
	cold        map[string]*coldResult
	exec        map[string]*execResult
	probes      []probeResult
	probeErr    error
	login, hash []time.Duration
	loginErr    error
	calls       flowCalls
	callsErr    error
	growth      []growthResult
	forgot      map[string]*forgotResult // by backend name
	warm        map[string]*warmResult
	warmErr     map[string]error
	bench       map[string]benchResult
	benchErr    error
	load        [2]string
	elapsed     time.Duration

	// secretStarts are the cold starts of the functions that read the server secret, by value and by
	// its ARN on moto; secretErr is why there are none.
	secretStarts map[string]*secretStart
	secretErr    error
}

const coldGoal, loginGoal = 1.5, 1.15

// forgotResult is forgotPassword timed in process for a known and an unknown email.
type forgotResult struct {
	known, unknown []time.Duration
	err            error
}

// Goals of the forgotPassword rows: the known email's median within forgotTolerance of the unknown's.
const forgotGoal, forgotTolerance = 1.0, 0.05

// coldGoalOf is a function's cold-start goal, as a ratio to the floor's, and what the row says of
// it. The account function alone sets passwords, so it alone links the password dictionaries, whose
// package initialisers take tens of milliseconds, about twice the floor's whole cold start: it is
// held to the others' goal plus two floors.
func coldGoalOf(id string) (float64, string) {
	if id == "AccountFunction" {
		return coldGoal + dictionaryFloors, fmt.Sprintf("; it alone links the password dictionaries (zxcvbn: tens of ms of "+
			"package initialisers, see its init rows), so its own goal: the others' %.2g× plus %.2g floors for them", coldGoal, dictionaryFloors)
	}
	return coldGoal, ""
}

// dictionaryFloors is what the password dictionaries may add to a cold start, in floors.
const dictionaryFloors = 2.0

// fill turns the measurements into the table's rows, in reading order.
func fill(t *table, m *measurements, o options) {
	// Cold starts under the RIE.
	for _, f := range functions {
		goal, why := coldGoalOf(f.ID)
		what := fmt.Sprintf("cold start %s: RIE start → first answer, median of %d (floor: benchfloor)%s", f.Name, o.starts, why)
		switch {
		case !m.rie:
			t.missingRow(what, notMeasure, fmt.Sprintf("≤ %.2g×", goal))
		case m.cold[f.ID].err != nil || m.cold["floor"].err != nil:
			t.missingRow(what, "failed: "+firstErr(m.cold[f.ID].err, m.cold["floor"].err), fmt.Sprintf("≤ %.2g×", goal))
		default:
			t.ratioRow(what, nsOf(median(m.cold[f.ID].total)), nsOf(median(m.cold["floor"].total)), durf, goal)
		}
	}
	secretRows(t, m, o)
	for _, f := range functions {
		what := fmt.Sprintf("↳ init %s as the RIE reports it (INIT REPORT: bootstrap start → first /next), median", f.Name)
		if !m.rie {
			t.missingRow(what, notMeasure, dash)
			continue
		}
		c, fl := m.cold[f.ID], m.cold["floor"]
		if c.err != nil || fl.err != nil || len(c.init) == 0 || len(fl.init) == 0 {
			t.missingRow(what, "no INIT REPORT from the RIE", dash)
			continue
		}
		t.ratioRow(what, nsOf(median(c.init)), nsOf(median(fl.init)), durf, 0)
	}
	// What costs at init, outside the RIE.
	for _, f := range functions {
		what := fmt.Sprintf("↳ init %s outside the RIE: exec → lambda.Start, median of %d", f.Name, o.execRuns)
		e, fl := m.exec[f.ID], m.exec["floor"]
		if e.err != nil || fl.err != nil {
			t.missingRow(what, "failed: "+firstErr(e.err, fl.err), dash)
			continue
		}
		t.ratioRow(what, nsOf(median(e.wall)), nsOf(median(fl.wall)), durf, 0)
	}
	for _, f := range functions {
		e, fl := m.exec[f.ID], m.exec["floor"]
		if e.err != nil || fl.err != nil {
			continue
		}
		var top []string
		for _, p := range e.topPackages(2) {
			top = append(top, fmt.Sprintf("%s %s", shortPkg(p.pkg), msf(p.ms)))
		}
		what := fmt.Sprintf("↳ init %s: process start → main (GODEBUG=inittrace), median", f.Name)
		t.ratioRow(what, nsOf(median(e.mainAt)), nsOf(median(fl.mainAt)), durf, 0)
		what = fmt.Sprintf("↳ init %s: package initialisers, sum (GODEBUG=inittrace); largest: %s", f.Name, strings.Join(top, ", "))
		t.ratioRow(what, nsOf(median(e.initSum)), nsOf(median(fl.initSum)), durf, 0)
	}
	if m.probeErr != nil || len(m.probes) == 0 {
		t.missingRow("↳ init: the functions' wiring in a fresh process", "failed: "+firstErr(m.probeErr), dash)
	} else {
		pick := func(f func(probeResult) time.Duration) time.Duration {
			var ds []time.Duration
			for _, p := range m.probes {
				ds = append(ds, f(p))
			}
			return median(ds)
		}
		n := len(m.probes)
		t.infoRow(fmt.Sprintf("↳ init: config.Load (environment), first call in a fresh process, median of %d", n), fmtDur(pick(func(p probeResult) time.Duration { return p.ConfigLoad })), dash, dash)
		t.infoRow(fmt.Sprintf("↳ init: awsclient.Load = config.LoadDefaultConfig, first call in a fresh process, median of %d", n), fmtDur(pick(func(p probeResult) time.Duration { return p.AWSConfig })), dash, dash)
		t.infoRow("↳ init: dynamodb.NewFromConfig, first call", fmtDur(pick(func(p probeResult) time.Duration { return p.DynamoClient })), dash, dash)
		t.infoRow("↳ init: sns.NewFromConfig + ses.NewFromConfig (login only), first calls", fmtDur(pick(func(p probeResult) time.Duration { return p.NotifyClient })), dash, dash)
		t.ratioRow("↳ first DynamoDB call of a fresh process (GetItem, embedded engine; floor: the second call)",
			nsOf(pick(func(p probeResult) time.Duration { return p.FirstCall })), nsOf(pick(func(p probeResult) time.Duration { return p.SecondCall })), durf, 0)
	}

	// Login against the hash floor.
	what := fmt.Sprintf("login, MFA off, through the handler in process (embedded engine) vs one argon2id verify (password.Default), medians of %d", o.hashN)
	if m.loginErr != nil {
		t.missingRow(what, "failed: "+m.loginErr.Error(), fmt.Sprintf("≤ %.3g×", loginGoal))
	} else {
		t.ratioRow(what, nsOf(median(m.login)), nsOf(median(m.hash)), durf, loginGoal)
	}

	// Round trips.
	for _, f := range flows {
		what := "DynamoDB round trips: " + f.name + " (SDK middleware; operations, of which sequential)"
		c, ok := m.calls[f.name]
		if !ok {
			t.missingRow(what, "failed: "+firstErr(m.callsErr), fmt.Sprintf("≤ %d", f.goal))
			continue
		}
		t.goalRow(what, callsText(c), dash, fmt.Sprintf("≤ %d", f.goal), c.N() <= f.goal,
			fmt.Sprintf("round trips, %s: %d operations (%d sequential), goal ≤ %d", f.name, c.N(), c.Sequential, f.goal))
	}

	growthRows(t, m.growth)

	// forgotPassword's padding: a known email costs a write and an email more than an unknown one,
	// which the answer's fixed time must hide.
	for _, backend := range []string{"embedded engine", "moto"} {
		what := fmt.Sprintf("forgotPassword, known email vs unknown (floor), through the handler in process, FORGOT_PASSWORD_TIME %s, %s, medians of %d interleaved",
			fmtDur(forgotTimed), backend, o.forgotN)
		goal := fmt.Sprintf("%.2f ± %.2f×", forgotGoal, forgotTolerance)
		f := m.forgot[backend]
		switch {
		case backend == "moto" && m.motoMissing:
			t.missingRow(what, notMeasure, goal)
		case f == nil || f.err != nil:
			var err error
			if f != nil {
				err = f.err
			}
			t.missingRow(what, "failed: "+firstErr(err), goal)
		default:
			t.bandRow(what, nsOf(median(f.known)), nsOf(median(f.unknown)), durf, forgotGoal, forgotTolerance)
		}
	}

	// Warm latency.
	for _, backend := range []string{"embedded engine", "moto"} {
		w := m.warm[backend]
		for _, r := range warmRoutes(nil, nil) {
			for _, p := range []float64{50, 99} {
				what := fmt.Sprintf("warm p%.0f %s, %s, via RIE (floor: benchfloor via RIE, interleaved)", p, r.name, backend)
				switch {
				case !m.rie || (backend == "moto" && m.motoMissing):
					t.missingRow(what, notMeasure, dash)
				case w == nil:
					t.missingRow(what, "failed: "+firstErr(m.warmErr[backend]), dash)
				case len(w.latency[r.name]) == 0:
					t.missingRow(what, "failed: "+firstErr(w.errs[r.name], m.warmErr[backend]), dash)
				default:
					lat := w.latency[r.name]
					what = fmt.Sprintf("warm p%.0f %s, %s, via RIE, n=%d (floor: benchfloor via RIE, interleaved)", p, r.name, backend, len(lat))
					if err := w.errs[r.name]; err != nil {
						what += " — " + err.Error()
					}
					t.ratioRow(what, nsOf(percentile(lat, p)), nsOf(percentile(w.floor[r.name], p)), durf, 0)
				}
			}
		}
	}

	// Size, memory, linked clients.
	for _, f := range functions {
		t.ratioRow(fmt.Sprintf("size of the stripped linux/arm64 bootstrap, %s", f.Name),
			float64(m.art.arm64Size[f.ID]), float64(m.art.arm64Size["floor"]), bytesf, 0)
	}
	for _, f := range functions {
		what := fmt.Sprintf("peak RSS (VmHWM) of the %s bootstrap under the RIE after the warm runs (embedded engine)", f.Name)
		w := m.warm["embedded engine"]
		switch {
		case !m.rie:
			t.missingRow(what, notMeasure, dash)
		case w == nil || w.rss[f.ID] == 0 || w.rss["floor"] == 0:
			t.missingRow(what, "failed: no bootstrap process found", dash)
		default:
			t.ratioRow(what, float64(w.rss[f.ID]), float64(w.rss["floor"]), bytesf, 0)
		}
	}
	for _, f := range functions {
		clients := awsClients(m.art.deps[f.ID])
		minidyn := slices.ContainsFunc(m.art.deps[f.ID], func(d string) bool {
			return d == "mfagateway/shared/localdynamo" || strings.HasPrefix(d, "github.com/truora/minidyn")
		})
		what := fmt.Sprintf("AWS clients linked by %s (go list -deps, linux/arm64)", f.Name)
		measured := strings.Join(clients, ", ")
		if minidyn {
			measured += "; and the embedded engine (shared/localdynamo)"
		}
		// What each function sends, so the senders it must link, and no others.
		send := map[string]struct {
			sns, ses bool
			what     string
		}{
			"LoginFunction":        {true, true, "codes"},
			"AccountFunction":      {true, true, "tickets, notices and codes"},
			"ApplicationsFunction": {true, true, "notices and a new number's code"},
			"VerifyFunction":       {false, true, "notices"},
		}[f.ID]
		goal := "no sns, no ses, no test engine"
		switch {
		case send.sns && send.ses:
			goal = "sns, ses (it sends " + send.what + "); no test engine"
		case send.ses:
			goal = "ses, no sns (it sends " + send.what + "); no test engine"
		}
		ok := slices.Contains(clients, "sns") == send.sns && slices.Contains(clients, "ses") == send.ses && !minidyn
		t.goalRow(what, measured, dash, goal, ok, f.Name+" links "+measured)
	}

	// Go benchmarks.
	for _, g := range goBenchRows {
		what := fmt.Sprintf("go bench %s: %s", g.pkg, g.name)
		r, ok := m.bench[g.name]
		var floorNs float64
		for _, fname := range g.floors {
			fr, fok := m.bench[fname]
			ok = ok && fok
			floorNs += fr.nsPerOp
		}
		if !ok {
			t.missingRow(what, "failed: "+firstErr(m.benchErr), dash)
			continue
		}
		what = fmt.Sprintf("go bench %s %s — %s; %d B/op, %d allocs/op (floor: %s)", g.pkg, g.name, g.what, r.bytesPerOp, r.allocsPerOp, g.floorWhat)
		t.ratioRow(what, r.nsPerOp, floorNs, durf, 0)
	}
}

func callsText(c roundtrip.Calls) string {
	if c.N() == 0 && c.Attempts == 0 {
		return "0"
	}
	s := fmt.Sprintf("%d (%s)", c.N(), strings.Join(c.Operations, ", "))
	if c.Sequential != c.N() {
		s += fmt.Sprintf(", %d sequential", c.Sequential)
	}
	if c.Attempts != c.N() {
		s += fmt.Sprintf(", %d HTTP attempts", c.Attempts)
	}
	return s
}

func shortPkg(p string) string {
	p = strings.TrimPrefix(p, "github.com/")
	p = strings.TrimPrefix(p, "aws/aws-sdk-go-v2/")
	return p
}

func firstErr(errs ...error) string {
	for _, e := range errs {
		if e != nil {
			return e.Error()
		}
	}
	return "unknown"
}

// reading is the two lines under the table: the goals, and where the time goes.
func (m *measurements) reading(t *table) string {
	met := t.goals - len(t.missed)
	notChecked := 0
	for _, r := range t.rows {
		if r.goal != dash && r.met == dash {
			notChecked++
		}
	}
	line1 := fmt.Sprintf("**Goals: %d of %d met.**", met, t.goals)
	if notChecked > 0 {
		line1 = fmt.Sprintf("**Goals: %d of %d measured met; %d not measured.**", met, t.goals, notChecked)
	}
	if len(t.missed) > 0 {
		line1 += " Missed: " + strings.Join(t.missed, "; ") + "."
	}
	var parts []string
	for _, f := range functions {
		// The login, the route every user takes; the account function, the slowest to start.
		l, fl := m.exec[f.ID], m.exec["floor"]
		if (f.ID != "LoginFunction" && f.ID != "AccountFunction") || l == nil || fl == nil || l.err != nil || fl.err != nil {
			continue
		}
		top := l.topPackages(1)
		above := median(l.wall) - median(fl.wall)
		if len(top) > 0 {
			parts = append(parts, fmt.Sprintf("%s starts %s slower than the floor outside the RIE, %s of it in the initialiser of %s",
				f.Name, fmtDur(above), msf(top[0].ms), shortPkg(top[0].pkg)))
		}
	}
	if len(m.probes) > 0 {
		var ds []time.Duration
		for _, p := range m.probes {
			ds = append(ds, p.AWSConfig)
		}
		parts = append(parts, fmt.Sprintf("LoadDefaultConfig costs %s", fmtDur(median(ds))))
	}
	if m.loginErr == nil && len(m.login) > 0 {
		parts = append(parts, fmt.Sprintf("a login is %s above its one argon2id verify (%s)", fmtDur(median(m.login)-median(m.hash)), fmtDur(median(m.hash))))
	}
	line2 := "Where the time goes: " + strings.Join(parts, "; ") +
		fmt.Sprintf(". Machine: %s/%s, %d CPUs, load average %s at the start and %s at the end; run took %s.",
			runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), m.load[0], m.load[1], m.elapsed.Round(time.Second))
	return line1 + "\n" + line2 + "\n"
}

// document is docs/performance.md: a short header, the table and its reading.
func (m *measurements) document(tableAndReading string) string {
	return fmt.Sprintf(`# Performance

Generated by `+"`make bench`"+` (`+"`go run ./cmd/bench`"+`) on %s, %s/%s with %d CPUs, %s; do not edit by hand.
Every timing is held against a floor measured in the same run: the cold starts and warm latencies
against `+"`cmd/benchfloor`"+` (the smallest aws-lambda-go handler, built with the same flags) under the same
Lambda Runtime Interface Emulator, the login against one argon2id verify, the Go benchmarks against
the primitive they are built on. The bootstraps run with the deployed environment, DynamoDB at the
embedded engine served by the harness (or moto), SNS and SES at a loopback stand-in of the harness.

%s`, time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), tableAndReading)
}
