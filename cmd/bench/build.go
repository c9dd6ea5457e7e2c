package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// target is one bootstrap: the floor or a function of template.yaml.
type target struct {
	ID   string // logical ID, or "floor"
	Name string // short name in the table
	Pkg  string // package path relative to the module root
}

var (
	floor     = target{"floor", "floor", "./cmd/benchfloor"}
	functions = []target{
		{"LoginFunction", "login", "./functions/login"},
		{"VerifyFunction", "verify", "./functions/verify"},
		{"AuthorizerFunction", "authorizer", "./functions/authorizer"},
		{"ApplicationsFunction", "applications", "./functions/applications"},
		{"AccountFunction", "account", "./functions/account"},
	}
	allTargets = append([]target{floor}, functions...)
)

// lambdaFlags are the Makefile's LAMBDA_FLAGS: the deploy build, here for the floor and the functions alike.
var lambdaFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}

// benchPackages are the packages whose bench_test.go the harness runs, with the benchmarks it runs.
var benchPackages = []struct {
	Pkg, Run string
}{
	{"./shared/httpapi", "^Benchmark(DecodeLoginEvent|FloorScanLoginEvent|DecodeAuthorizerEvent|FloorScanAuthorizerEvent|LoginRejected|VerifyRejected|FloorDecodeBody)$"},
	{"./shared/auth", "^Benchmark(TokenID|FloorSHA256|Resend|FloorRandomCode|VerifyRightCode|VerifyWrongCode|FloorHMAC|Authorize)$"},
	{"./shared/dynamo", "^Benchmark(IssueToken|FloorMarshalToken|GetToken|FloorUnmarshalToken|LoadLogin|FloorUnmarshalLogin|CreateChallenge|FloorMarshalChallenge|CountAttempt|FloorUnmarshalChallenge)$"},
}

// artifacts is everything the build phase produced.
type artifacts struct {
	host      map[string]string // target ID -> bootstrap for this machine (GOARCH of the host)
	arm64Size map[string]int64  // target ID -> size of the stripped linux/arm64 bootstrap
	tests     map[string]string // package -> compiled test binary
	deps      map[string][]string
	errs      []error
}

// buildAll builds, concurrently: the bootstraps for this machine and for arm64, the benchmark test
// binaries, and the dependency lists of the functions.
func buildAll(ctx context.Context, root, dir string) *artifacts {
	a := &artifacts{host: map[string]string{}, arm64Size: map[string]int64{}, tests: map[string]string{}, deps: map[string][]string{}}
	var mu sync.Mutex
	fail := func(err error) { mu.Lock(); a.errs = append(a.errs, err); mu.Unlock() }
	var wg sync.WaitGroup
	for _, arch := range []string{runtime.GOARCH, "arm64"} {
		if arch == "arm64" && runtime.GOARCH == "arm64" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := buildBootstraps(ctx, root, filepath.Join(dir, arch), arch)
			if err != nil {
				fail(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for id, path := range out {
				if arch == runtime.GOARCH {
					a.host[id] = path
				}
				if arch == "arm64" {
					if st, err := os.Stat(path); err == nil {
						a.arm64Size[id] = st.Size()
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		testDir := filepath.Join(dir, "tests")
		args := []string{"test", "-c", "-o", testDir + string(filepath.Separator)}
		for _, p := range benchPackages {
			args = append(args, p.Pkg)
		}
		if out, err := goCmd(ctx, root, nil, args...); err != nil {
			fail(fmt.Errorf("go test -c: %v\n%s", err, out))
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, p := range benchPackages {
			a.tests[p.Pkg] = filepath.Join(testDir, filepath.Base(p.Pkg)+".test")
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, t := range functions {
			out, err := goCmd(ctx, root, []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0"},
				"list", "-deps", "-tags", "lambda.norpc", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", t.Pkg)
			if err != nil {
				fail(fmt.Errorf("go list -deps %s: %v\n%s", t.Pkg, err, out))
				continue
			}
			mu.Lock()
			a.deps[t.ID] = strings.Fields(out)
			mu.Unlock()
		}
	}()
	wg.Wait()
	return a
}

// buildBootstraps builds every target for linux/arch with the deploy flags into dir, in one go build.
func buildBootstraps(ctx context.Context, root, dir, arch string) (map[string]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	args := append([]string{"build"}, lambdaFlags...)
	args = append(args, "-o", dir+string(filepath.Separator))
	for _, t := range allTargets {
		args = append(args, t.Pkg)
	}
	if out, err := goCmd(ctx, root, []string{"GOOS=linux", "GOARCH=" + arch, "CGO_ENABLED=0"}, args...); err != nil {
		return nil, fmt.Errorf("go build (%s): %v\n%s", arch, err, out)
	}
	paths := map[string]string{}
	for _, t := range allTargets {
		paths[t.ID] = filepath.Join(dir, filepath.Base(t.Pkg))
	}
	return paths, nil
}

func goCmd(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, goBin(), args...)
	cmd.Dir = dir
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		// An enclosing `make` must not leak into the builds.
		name, _, _ := strings.Cut(kv, "=")
		return name == "MAKEFLAGS" || name == "MFLAGS" || name == "MAKELEVEL"
	}), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func goBin() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if p := filepath.Join(os.Getenv("GOROOT"), "bin", "go"); os.Getenv("GOROOT") != "" && fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// awsClients returns the AWS service clients a dependency list links (service/<name>, not internal ones).
func awsClients(deps []string) []string {
	var out []string
	for _, d := range deps {
		rest, ok := strings.CutPrefix(d, "github.com/aws/aws-sdk-go-v2/service/")
		if !ok || strings.Contains(rest, "/") || rest == "internal" {
			continue
		}
		out = append(out, rest)
	}
	slices.Sort(out)
	return out
}
