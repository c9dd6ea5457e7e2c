// Package testenv is test-only: no production package imports it. It builds the one test stack every
// package's tests run on (NewStack: an engine, SDK clients, the store, fakes, the services and
// routers), and starts and stops the external tools integration tests need (moto_server, the Lambda
// Runtime Interface Emulator) on loopback ports below 32768, skipping or failing when a tool is missing.
//
// It imports the gateway's packages, so only external test packages (package x_test) and main
// packages' tests may import it: an internal test of a package it imports would be an import cycle.
package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"mfagateway/shared/localdeploy"
)

// InCI reports whether the tests run under CI, where a missing tool is a failure, not a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// RequireTool returns the path of a tool, skipping the test when it is missing (failing under CI=true).
// Tests that need tools also skip under -short.
func RequireTool(t testing.TB, name, why string) string {
	t.Helper()
	if testing.Short() && !InCI() {
		t.Skipf("-short: skipping test that needs %s", name)
	}
	path, err := exec.LookPath(name)
	if err != nil {
		missing(t, fmt.Sprintf("%s not found on PATH (%s)", name, why), "install it to run this test")
	}
	return path
}

// missing settles a test whose tool is missing or unusable: a failure under CI=true, else a skip.
func missing(t testing.TB, problem, remedy string) {
	t.Helper()
	if InCI() {
		t.Fatalf("required under CI=true: %s; %s", problem, remedy)
	}
	t.Skipf("%s; %s", problem, remedy)
}

// FreePort returns a loopback port in [20000, 32000) that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 200 {
		port := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			_ = ln.Close()
			return port
		}
	}
	t.Fatal("no free loopback port below 32768")
	return 0
}

// Process is a started tool; Stop ends it by its own PID.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs a command in its own process group, with this process's environment and env on top, and
// registers its stop with t.Cleanup.
func Start(t testing.TB, name string, args []string, env []string) *Process {
	t.Helper()
	return StartIsolated(t, name, args, append(os.Environ(), env...))
}

// StartIsolated runs a command as Start does, with environ as its whole environment: nothing of this
// process's own reaches it, as nothing of the host's reaches a container.
func StartIsolated(t testing.TB, name string, args []string, environ []string) *Process {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = environ
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if testing.Verbose() {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(p.Stop)
	return p
}

// PID is the process ID.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Stop ends the process and its children (its process group): SIGTERM, then SIGKILL after 3 s. It
// returns once no process of the group is left, so a caller checking PIDs right after Stop finds them
// gone.
func (p *Process) Stop() {
	pgid := p.cmd.Process.Pid
	select {
	case <-p.done:
	default:
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
	}
	waitGroupGone(pgid)
}

// waitGroupGone waits, polling every 10 ms, until kill(-pgid, 0) reports ESRCH: no process of the group
// is left. Members still there after 3 s are SIGKILLed and waited for up to 3 s more. The group ID
// cannot be reused while any member of the group remains.
func waitGroupGone(pgid int) {
	gone := func(within time.Duration) bool {
		deadline := time.Now().Add(within)
		for {
			if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
				return true
			}
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if gone(3 * time.Second) {
		return
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	gone(3 * time.Second)
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// WaitHTTP polls url until it answers (any status) or the timeout passes.
func WaitHTTP(t testing.TB, p *Process, url string, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			return
		}
		if p != nil && p.Exited() {
			t.Fatalf("process exited before %s answered", url)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s did not answer within %s: %v", url, timeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Moto is a running moto_server.
type Moto struct {
	URL     string
	Process *Process
}

// motoSerial runs moto one request at a time (see localdeploy.MotoSerial).
const motoSerial = localdeploy.MotoSerial

// StartMoto starts moto (DynamoDB, SNS, SES) on a free loopback port for the test, with the Python
// that runs moto_server, serving one request at a time (see motoSerial).
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	RequireTool(t, "moto_server", "local DynamoDB, SNS and SES")
	python := RequireTool(t, "python3", "runs moto")
	// motoSerial runs moto from python3, which need not be the Python moto_server was installed with.
	if out, err := exec.Command(python, "-c", "import moto.moto_server.werkzeug_app").CombinedOutput(); err != nil {
		lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
		missing(t, fmt.Sprintf("%s cannot import moto.moto_server.werkzeug_app (%v: %s)", python, err, lines[len(lines)-1]),
			"install moto[server] for that python3, or put the Python that runs moto_server first on PATH")
	}
	port := FreePort(t)
	p := Start(t, python, []string{"-c", motoSerial, "127.0.0.1", strconv.Itoa(port)}, []string{"MOTO_PORT=" + strconv.Itoa(port)})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	WaitHTTP(t, p, url+"/moto-api/", 30*time.Second)
	return &Moto{URL: url, Process: p}
}
