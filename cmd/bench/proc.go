package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a process the harness started. It is stopped by its own PID; a bootstrap the RIE started
// under it is remembered by PID and ended by that PID if the RIE leaves it behind.
type proc struct {
	name  string
	cmd   *exec.Cmd
	done  chan struct{}
	group bool // stop the process group the process leads (moto), not only the process
	child int  // the bootstrap the RIE started, once seen
	lines *lineFilter
}

var procs struct {
	sync.Mutex
	running map[*proc]bool
}

// startProc starts a command in its own process group with exactly env (plus PATH and HOME).
// keep selects the output lines worth keeping (nil: none; output is discarded).
func startProc(name, bin string, args, env []string, keep func(string) bool, group bool) (*proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{}), group: group}
	if keep != nil {
		p.lines = &lineFilter{keep: keep}
		cmd.Stdout, cmd.Stderr = p.lines, p.lines
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	procs.Lock()
	if procs.running == nil {
		procs.running = map[*proc]bool{}
	}
	procs.running[p] = true
	procs.Unlock()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the process: SIGTERM (the RIE then kills its runtime), SIGKILL after 3 s; then the
// bootstrap it started, by its PID, if it outlived it.
func (p *proc) stop() {
	target := p.pid()
	if p.group {
		target = -target
	}
	if !p.exited() {
		_ = syscall.Kill(target, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(target, syscall.SIGKILL)
			<-p.done
		}
	}
	if p.child != 0 && isProcess(p.child, p.childComm()) {
		_ = syscall.Kill(p.child, syscall.SIGKILL)
	}
	procs.Lock()
	delete(procs.running, p)
	procs.Unlock()
}

// childComm is the command name the bootstrap runs under (the last argument of the RIE, truncated as
// the kernel does), so that a PID reused by another process is never signalled.
func (p *proc) childComm() string {
	c := filepath.Base(p.cmd.Args[len(p.cmd.Args)-1])
	if len(c) > 15 {
		c = c[:15]
	}
	return c
}

// stopAll stops every process still running (on the way out, also after an error or a signal).
func stopAll() {
	procs.Lock()
	var all []*proc
	for p := range procs.running {
		all = append(all, p)
	}
	procs.Unlock()
	var wg sync.WaitGroup
	for _, p := range all {
		wg.Add(1)
		go func() { defer wg.Done(); p.stop() }()
	}
	wg.Wait()
}

// isProcess reports whether pid exists and runs the command comm.
func isProcess(pid int, comm string) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	return err == nil && strings.TrimSpace(string(b)) == comm
}

// childOf returns the PID of a child process of parent, or 0.
func childOf(parent int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", parent, parent))
	if err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			pid, _ := strconv.Atoi(f[0])
			return pid
		}
	}
	// Kernels without the children file: scan /proc for a process whose parent is parent.
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndex(s, ") ")
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+2:])
		if len(f) >= 2 && f[1] == strconv.Itoa(parent) {
			pid, _ := strconv.Atoi(strings.Fields(s)[0])
			return pid
		}
	}
	return 0
}

// vmHWM is the peak resident set size of a process, in bytes, from /proc/<pid>/status.
func vmHWM(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/" + strconv.Itoa(pid) + "/status")
}

// freePort returns a loopback port in [20000, 32000) that was free a moment ago.
func freePort() (int, error) {
	for range 200 {
		port := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			_ = ln.Close()
			return port, nil
		}
	}
	return 0, errors.New("no free loopback port below 32768")
}

// lineFilter is an io.Writer that keeps only the output lines a predicate selects.
type lineFilter struct {
	mu      sync.Mutex
	keep    func(string) bool
	partial []byte
	lines   []string
}

func (w *lineFilter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, b...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := string(w.partial[:i])
		w.partial = w.partial[i+1:]
		if w.keep(line) && len(w.lines) < 1000 {
			w.lines = append(w.lines, line)
		}
	}
	if len(w.partial) > 64<<10 { // a runaway line: keep the tail only
		w.partial = append([]byte(nil), w.partial[len(w.partial)-4096:]...)
	}
	return len(b), nil
}

func (w *lineFilter) Lines() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.lines...)
}

var _ io.Writer = (*lineFilter)(nil)
