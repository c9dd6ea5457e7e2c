// Command bench is the benchmark harness behind `make bench`: it builds the functions and a floor
// (cmd/benchfloor, the smallest aws-lambda-go handler) with the deploy flags, measures cold starts,
// init costs, the login against one password hash, DynamoDB round trips per flow, forgotPassword for
// a known email against an unknown one (its fixed answer time must hide the difference), warm latency of
// every route under the Lambda Runtime Interface Emulator against the embedded engine and moto,
// binary size, peak memory, the AWS clients each function links, and the Go benchmarks of the hot
// paths; and prints one Markdown table in which every figure is held against a floor measured in the
// same run. Progress goes to stderr, the table to stdout and to docs/performance.md.
//
//	go run ./cmd/bench [-quick] [-out docs/performance.md]
//
// A missing moto_server or aws-lambda-rie turns the rows that need it into "not measured (tool
// missing)". Everything it starts listens on 127.0.0.1 and is stopped by its own PID before it exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

type options struct {
	out        string
	rie        string
	starts     int
	execRuns   int
	probes     int
	hashN      int
	forgotN    int
	warm       warmLimits
	benchtime  string
	quick      bool
	keepBuilds bool
	total      time.Duration
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == probeFlag {
		probeInit()
		return
	}
	var o options
	flag.StringVar(&o.out, "out", "docs/performance.md", "write the table here too, relative to the module root (empty: stdout only)")
	flag.StringVar(&o.rie, "rie", "", "the aws-lambda-rie binary (default: bin/aws-lambda-rie, else PATH)")
	flag.IntVar(&o.starts, "starts", 12, "cold starts per bootstrap (at least 10)")
	flag.IntVar(&o.execRuns, "exec-runs", 10, "runs of each bootstrap outside the RIE (init cost)")
	flag.IntVar(&o.probes, "probes", 10, "fresh processes timing the functions' wiring")
	flag.IntVar(&o.hashN, "hash-n", 30, "logins and argon2id verifies timed against each other")
	flag.IntVar(&o.forgotN, "forgot-n", 30, "forgotPassword calls for a known and for an unknown email timed against each other, per backend")
	flag.IntVar(&o.warm.n, "warm-n", 200, "timed invokes per route")
	flag.IntVar(&o.warm.hashN, "warm-hash-n", 110, "timed invokes per route that hashes a password")
	flag.IntVar(&o.warm.minN, "warm-min", 100, "least timed invokes per route, whatever the budget")
	flag.DurationVar(&o.warm.budget, "warm-budget", 8*time.Second, "time per route after which it stops once -warm-min are done")
	flag.StringVar(&o.benchtime, "benchtime", "150ms", "-benchtime of the Go benchmarks")
	flag.BoolVar(&o.quick, "quick", false, "few iterations: a smoke run, not figures to keep")
	flag.BoolVar(&o.keepBuilds, "keep", false, "keep the build directory")
	flag.DurationVar(&o.total, "total", 270*time.Second, "the whole run's target: the warm runs shrink their per-route budget to fit")
	flag.Parse()
	if o.quick {
		o.starts, o.execRuns, o.probes, o.hashN, o.forgotN = 3, 3, 3, 5, 5
		o.warm = warmLimits{n: 20, hashN: 10, minN: 5, budget: 2 * time.Second}
		o.benchtime = "20ms"
	}
	o.starts = max(o.starts, 1)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, o)
	stopAll()
	os.Exit(code)
}

var began = time.Now()

func progress(msg string) {
	fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(began).Seconds(), msg)
}

func run(ctx context.Context, o options) int {
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	ev, err := loadEvents(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	dir, err := os.MkdirTemp("", "mfagateway-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if o.keepBuilds {
		progress("builds kept in " + dir)
	} else {
		defer os.RemoveAll(dir)
	}
	load0 := loadAvg()

	rie := findRIE(root, o.rie)
	if rie == "" {
		progress("aws-lambda-rie not found (bin/ or PATH; `make tools` installs it): its rows will say so")
	}
	progress("starting moto_server in the background; building the bootstraps (" + runtime.GOARCH + " and arm64), the benchmark test binaries, dependency lists")
	moto := startMoto()
	art := buildAll(ctx, root, dir)
	if len(art.errs) > 0 {
		for _, e := range art.errs {
			fmt.Fprintln(os.Stderr, "bench:", e)
		}
		return 1
	}

	t := &table{}
	m := &measurements{}

	// The embedded engine and the SNS/SES stand-in serve the bootstraps of the cold starts and the
	// embedded warm runs, from this process.
	emb, err := startEmbedded(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: embedded engine:", err)
		return 1
	}
	defer emb.close()
	stub, err := startNotifyStub()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: notify stub:", err)
		return 1
	}
	defer stub.close()
	env := functionEnv(emb.url, stub.url)

	<-moto.ready // its start-up must not run beside the timings
	if rie != "" {
		progress(fmt.Sprintf("cold starts: %d per bootstrap under the RIE, interleaved", o.starts))
		m.cold = coldStarts(ctx, rie, art.host, env, ev, o.starts, progress)
	}
	progress(fmt.Sprintf("init: %d runs of each bootstrap outside the RIE (GODEBUG=inittrace=1); %d probes of the wiring", o.execRuns, o.probes))
	m.exec = execToExit(ctx, art.host, env, o.execRuns, max(3, o.execRuns/3))
	m.probes, m.probeErr = runProbes(ctx, env, o.probes)

	progress(fmt.Sprintf("login against the hash floor: %d of each, in process, embedded engine", o.hashN))
	m.login, m.hash, m.loginErr = loginVsHash(ctx, emb, ev, o.hashN)

	progress("round trips per flow (SDK middleware)")
	m.calls, m.callsErr = countRoundTrips(ctx, emb, ev)

	runs := growthRuns
	if o.quick {
		runs = growthQuickRuns
	}
	progress(fmt.Sprintf("growth: %d MFA logins and verifies on the embedded engine holding each of %v items", runs, growthSizes))
	m.growth = measureGrowth(ctx, ev, runs)

	// moto, once it answers, gets the table and the seed here, untimed; its timed rows follow.
	var mb *backend
	var motoErr error
	if !moto.missing {
		mb, motoErr = moto.backend(ctx)
	}
	if rie != "" && mb != nil && motoErr == nil {
		progress(fmt.Sprintf("cold starts with the server secret from Secrets Manager on moto: %d pairs per function that reads it", o.starts))
		m.secretStarts, m.secretErr = secretColdStarts(ctx, rie, art.host, env, mb.url, ev, o.starts)
	} else if motoErr != nil {
		m.secretErr = motoErr
	}
	progress(fmt.Sprintf("forgotPassword, known vs unknown email: %d of each, in process, FORGOT_PASSWORD_TIME %s", o.forgotN, fmtDur(forgotTimed)))
	m.forgot = map[string]*forgotResult{emb.name: forgotVsUnknown(ctx, emb, ev, o.forgotN)}
	switch {
	case motoErr != nil:
		m.forgot["moto"] = &forgotResult{err: motoErr}
	case mb != nil:
		m.forgot[mb.name] = forgotVsUnknown(ctx, mb, ev, o.forgotN)
	}

	m.warm = map[string]*warmResult{}
	m.warmErr = map[string]error{}
	// What is left of the run's target, less the Go benchmarks, is shared by the warm runs: each
	// route gets at most its share, of which twice its budget is the hard stop.
	budget := func(share float64) warmLimits {
		lim := o.warm
		left := time.Until(began.Add(o.total)) - 30*time.Second
		perRoute := time.Duration(share * float64(left) / float64(2*len(warmRoutes(nil, nil))))
		lim.budget = max(min(lim.budget, perRoute), time.Second).Round(100 * time.Millisecond)
		return lim
	}
	if rie != "" {
		lim := budget(0.45)
		progress(fmt.Sprintf("warm runs against the embedded engine (at most %s per route once %d are done)", lim.budget, lim.minN))
		m.warm["embedded engine"], m.warmErr["embedded engine"] = warmRuns(ctx, rie, art.host, emb, stub, ev, lim, progress)
		if !moto.missing {
			if motoErr != nil {
				m.warmErr["moto"] = motoErr
			} else {
				lim := budget(1)
				progress(fmt.Sprintf("warm runs against moto (at most %s per route once %d are done)", lim.budget, lim.minN))
				m.warm["moto"], m.warmErr["moto"] = warmRuns(ctx, rie, art.host, mb, stub, ev, lim, progress)
			}
		}
	}
	if moto.proc != nil {
		moto.proc.stop()
	}

	progress("Go benchmarks (-benchtime " + o.benchtime + ")")
	m.bench, m.benchErr = runGoBenchmarks(ctx, root, art.tests, o.benchtime)

	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "bench: interrupted")
		return 1
	}
	m.art, m.rie, m.motoMissing, m.load = art, rie != "", moto.missing, [2]string{load0, loadAvg()}
	m.elapsed = time.Since(began)
	fill(t, m, o)
	reading := m.reading(t)
	out := t.markdown() + "\n" + reading + "\n"
	fmt.Print(out)
	progress(fmt.Sprintf("done in %s", time.Since(began).Round(100*time.Millisecond)))
	if o.out != "" {
		path := filepath.Join(root, o.out)
		if err := os.WriteFile(path, []byte(m.document(out)+capacity(m.hash)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		progress("wrote " + o.out)
	}
	return 0
}

// moduleRoot is the directory of the go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(dir, "go.mod")) && fileExists(filepath.Join(dir, "cmd", "benchfloor", "main.go")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the mfagateway module")
		}
		dir = parent
	}
}

// findRIE is the emulator: the flag, bin/ (where `make tools` installs it), else PATH; "" when missing.
func findRIE(root, flagValue string) string {
	if flagValue != "" {
		if fileExists(flagValue) {
			return flagValue
		}
		return ""
	}
	if p := filepath.Join(root, "bin", "aws-lambda-rie"); fileExists(p) {
		return p
	}
	p, _ := exec.LookPath("aws-lambda-rie")
	return p
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
