package functions_test

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"mfagateway/shared/testenv"
)

// started is every process this package's tests started (moto, the RIEs, the bootstraps the RIEs
// started), so that TestMain can check that none outlives the tests.
var started struct {
	sync.Mutex
	pids map[int]string
}

func track(pid int, what string) {
	started.Lock()
	defer started.Unlock()
	if started.pids == nil {
		started.pids = map[int]string{}
	}
	started.pids[pid] = what
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "functions-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir for the builds:", err)
		os.Exit(2)
	}
	buildDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	// Every test has ended and run its cleanups, so every process it started must be gone.
	started.Lock()
	for _, pid := range slices.Sorted(maps.Keys(started.pids)) {
		if err := gone(pid); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: %s (pid %d) outlived the tests: %v\n", started.pids[pid], pid, err)
			code = 1
		}
	}
	started.Unlock()
	os.Exit(code)
}

// gone reports nil when no process has the PID: kill(pid, 0) fails with ESRCH.
func gone(pid int) error {
	err := syscall.Kill(pid, 0)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return fmt.Errorf("kill(%d, 0) = %v, want ESRCH (state %s)", pid, err, procState(pid))
}

// procState is the process's state letter from /proc (Z for a zombie nobody reaped), for messages.
func procState(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return "unknown"
	}
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok || rest == "" {
		return "unknown"
	}
	return rest[:1]
}

// childOf returns the PID of a child process of parent (the bootstrap an RIE started), or 0.
func childOf(parent int) int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // ended meanwhile
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses, so cut at the last ")".
		s := string(b)
		i := strings.LastIndex(s, ") ")
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+2:])
		if len(fields) < 2 || fields[1] != strconv.Itoa(parent) {
			continue
		}
		if pid, err := strconv.Atoi(strings.Fields(s)[0]); err == nil {
			return pid
		}
	}
	return 0
}

// TestProcessesStopped starts moto and a function under the RIE in a subtest, and checks after the
// subtest (whose cleanups stop them) that neither they nor the bootstrap the RIE started exist.
func TestProcessesStopped(t *testing.T) {
	rie := rieBinary(t)
	testenv.RequireTool(t, "moto_server", "local DynamoDB, SNS and SES")
	pids := map[int]string{}
	t.Run("run", func(t *testing.T) {
		moto := testenv.StartMoto(t)
		track(moto.Process.PID(), "moto_server")
		b := &backend{moto: moto}
		b.secretARN = b.createSecret(t, hmacSecret)
		fn := startFunction(t, rie, "VerifyFunction", build(t, "VerifyFunction"), b.functionEnv(t))
		// The placeholder token is malformed, so this answers without touching the table: enough to
		// make the RIE start the bootstrap.
		fn.invoke(t, readEvent(t, "verify.json")).want(t, http.StatusUnauthorized, "invalid_mfa_token")
		if fn.bootstrap == 0 {
			t.Fatal("found no bootstrap process under the RIE after an invoke")
		}
		pids[moto.Process.PID()] = "moto_server"
		pids[fn.proc.PID()] = "aws-lambda-rie"
		pids[fn.bootstrap] = "bootstrap"
		for pid, what := range pids {
			if err := syscall.Kill(pid, 0); err != nil {
				t.Fatalf("%s (pid %d) is not running: %v", what, pid, err)
			}
		}
	})
	if len(pids) == 0 {
		t.Fatal("the processes did not start")
	}
	for _, pid := range slices.Sorted(maps.Keys(pids)) {
		if err := gone(pid); err != nil {
			t.Errorf("%s still exists after its test ended: %v", pids[pid], err)
		}
	}
}
