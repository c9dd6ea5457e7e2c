package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"mfagateway/shared/auth"
	"mfagateway/shared/awsclient"
	"mfagateway/shared/config"
	"mfagateway/shared/dynamo"
)

// coldEvent is the first request of each cold start: one that reaches the handler and answers
// without the table or the password hash, so what is timed is starting up, not the work of a route.
var coldEvent = map[string]struct {
	file  string
	check func([]byte) error
}{
	"floor":                {"verify.json", func(b []byte) error { _, err := wantStatus(b, 200); return err }},
	"LoginFunction":        {"login-no-application.json", func(b []byte) error { _, err := wantStatus(b, 400); return err }},
	"VerifyFunction":       {"verify.json", func(b []byte) error { _, err := wantStatus(b, 401); return err }},
	"AuthorizerFunction":   {"authorizer-no-header.json", func(b []byte) error { return wantVerdict(b, false) }},
	"ApplicationsFunction": {"applications-forbidden.json", func(b []byte) error { _, err := wantStatus(b, 403); return err }},
	"AccountFunction":      {"users-change-password-bad-ticket.json", func(b []byte) error { _, err := wantStatus(b, 401); return err }},
}

// coldResult is one target's cold starts.
type coldResult struct {
	total []time.Duration // RIE started -> first answer
	init  []time.Duration // the RIE's INIT REPORT: bootstrap started -> first request for an event
	err   error
}

// coldStarts starts each target under a fresh RIE n times, interleaved so that the floor and the
// functions see the same machine, and times the RIE's start to the first answer.
func coldStarts(ctx context.Context, rie string, bins map[string]string, env []string, ev events, n int, progress func(string)) map[string]*coldResult {
	res := map[string]*coldResult{}
	for _, t := range allTargets {
		res[t.ID] = &coldResult{}
	}
	for round := range n {
		order := slices.Clone(allTargets)
		// Rotate the order each round so no target is always first after a pause.
		k := round % len(order)
		order = append(order[k:], order[:k]...)
		for _, t := range order {
			r := res[t.ID]
			if r.err != nil || ctx.Err() != nil {
				continue
			}
			d, initD, err := coldStart(ctx, rie, t, bins[t.ID], env, ev)
			if err != nil {
				r.err = err
				continue
			}
			r.total = append(r.total, d)
			if initD > 0 {
				r.init = append(r.init, initD)
			}
		}
		progress(fmt.Sprintf("cold starts: round %d/%d", round+1, n))
	}
	return res
}

func coldStart(ctx context.Context, rie string, t target, bootstrap string, env []string, ev events) (time.Duration, time.Duration, error) {
	ce := coldEvent[t.ID]
	event := ev.get(ce.file)
	start := time.Now()
	f, err := startFn(rie, t, bootstrap, env, true)
	if err != nil {
		return 0, 0, err
	}
	raw, at, err := f.firstAnswer(ctx, event, 20*time.Second)
	f.proc.stop()
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", t.Name, err)
	}
	if err := ce.check(raw); err != nil {
		return 0, 0, fmt.Errorf("%s: first answer: %w", t.Name, err)
	}
	initD, _ := f.initDuration()
	return at.Sub(start), initD, nil
}

// execResult is a target run without the RIE until lambda.Start gives up (no Runtime API in the
// environment): everything a cold start does before its first request.
type execResult struct {
	wall     []time.Duration      // exec -> exit
	initSum  []time.Duration      // sum of the package initialisers (GODEBUG=inittrace=1 runs)
	mainAt   []time.Duration      // process start -> end of the last initialiser: when main starts
	packages map[string][]float64 // package -> its initialiser's clock, ms, per traced run
	err      error
}

var inittraceLine = regexp.MustCompile(`^init (\S+) @([0-9.]+) (m?s), ([0-9.]+) (m?s) clock`)

func traceMS(v, unit string) float64 {
	f, _ := strconv.ParseFloat(v, 64)
	if unit == "s" {
		f *= 1000
	}
	return f
}

// execToExit runs each bootstrap n times outside the RIE, interleaved, timing exec to exit; then
// traced times with GODEBUG=inittrace=1 (whose printing would inflate the timed runs) for the
// package initialisers and when main starts.
func execToExit(ctx context.Context, bins map[string]string, env []string, n, traced int) map[string]*execResult {
	res := map[string]*execResult{}
	for _, t := range allTargets {
		res[t.ID] = &execResult{packages: map[string][]float64{}}
	}
	for i := range n + traced {
		trace := i >= n
		for _, t := range allTargets {
			r := res[t.ID]
			if r.err != nil || ctx.Err() != nil {
				continue
			}
			cmd := exec.CommandContext(ctx, bins[t.ID])
			cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH")}, lambdaEnv(t)...), env...)
			if trace {
				cmd.Env = append(cmd.Env, "GODEBUG=inittrace=1")
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			err := cmd.Run()
			wall := time.Since(start)
			// lambda.Start exits 1 without AWS_LAMBDA_RUNTIME_API; anything else is a failed start.
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "AWS_LAMBDA_RUNTIME_API") {
				r.err = fmt.Errorf("%s outside the RIE: %v: %s", t.Name, err, clip(stderr.Bytes()))
				continue
			}
			if !trace {
				r.wall = append(r.wall, wall)
				continue
			}
			var sum, end float64
			for _, line := range strings.Split(stderr.String(), "\n") {
				m := inittraceLine.FindStringSubmatch(line)
				if m == nil {
					continue
				}
				at, clock := traceMS(m[2], m[3]), traceMS(m[4], m[5])
				sum += clock
				end = max(end, at+clock)
				r.packages[m[1]] = append(r.packages[m[1]], clock)
			}
			r.initSum = append(r.initSum, time.Duration(sum*float64(time.Millisecond)))
			r.mainAt = append(r.mainAt, time.Duration(end*float64(time.Millisecond)))
		}
	}
	return res
}

// topPackages are the package initialisers with the largest median clock, in ms.
func (r *execResult) topPackages(k int) []pkgCost {
	var out []pkgCost
	for p, v := range r.packages {
		out = append(out, pkgCost{p, medianF(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ms > out[j].ms })
	if len(out) > k {
		out = out[:k]
	}
	return out
}

type pkgCost struct {
	pkg string
	ms  float64
}

// probeResult is what the functions' wiring costs in a fresh process, step by step (see probeInit).
type probeResult struct {
	ConfigLoad   time.Duration `json:"configLoad"`   // config.Load (environment)
	AWSConfig    time.Duration `json:"awsConfig"`    // awsclient.Load: config.LoadDefaultConfig
	DynamoClient time.Duration `json:"dynamoClient"` // dynamodb.NewFromConfig
	NotifyClient time.Duration `json:"notifyClient"` // sns.NewFromConfig + ses.NewFromConfig (login only)
	FirstCall    time.Duration `json:"firstCall"`    // the first DynamoDB call (GetItem)
	SecondCall   time.Duration `json:"secondCall"`   // the same call again
}

const probeFlag = "-probe-init"

// probeInit runs in a child process started by the harness (os.Args[1] == probeFlag) with a
// function's environment: it times the wiring steps of functions/*/main.go, first call each, and
// prints them as JSON.
func probeInit() {
	ctx := context.Background()
	var p probeResult
	t := time.Now()
	if _, err := config.Load(os.Getenv, config.Need{Table: true, Secret: true, SESSender: true}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	p.ConfigLoad = time.Since(t)
	t = time.Now()
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	p.AWSConfig = time.Since(t)
	t = time.Now()
	db := dynamodb.NewFromConfig(cfg)
	p.DynamoClient = time.Since(t)
	t = time.Now()
	_ = sns.NewFromConfig(cfg)
	_ = ses.NewFromConfig(cfg)
	p.NotifyClient = time.Since(t)
	store := dynamo.New(db, os.Getenv("TABLE_NAME"))
	t = time.Now()
	// The authorizer's own read: the token, its application and its user in one BatchGetItem.
	if _, err := store.TokenForApp(ctx, "bench-probe-first", "bench-probe-user", "bench-probe-app"); err != nil && !errors.Is(err, auth.ErrNotFound) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	p.FirstCall = time.Since(t)
	t = time.Now()
	_, _ = store.TokenForApp(ctx, "bench-probe-second", "bench-probe-user", "bench-probe-app")
	p.SecondCall = time.Since(t)
	_ = json.NewEncoder(os.Stdout).Encode(p)
}

// runProbes starts the probe n times in fresh processes and returns the results.
func runProbes(ctx context.Context, env []string, n int) ([]probeResult, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var out []probeResult
	for range n {
		cmd := exec.CommandContext(ctx, self, probeFlag)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			return out, fmt.Errorf("probe: %v: %s", err, clip(stderr.Bytes()))
		}
		var p probeResult
		if err := json.Unmarshal(b, &p); err != nil {
			return out, fmt.Errorf("probe: %v: %s", err, clip(b))
		}
		out = append(out, p)
	}
	return out, nil
}
