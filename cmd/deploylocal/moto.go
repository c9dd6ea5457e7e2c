package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"mfagateway/shared/localdeploy"
)

type moto struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{}
}

// startMoto starts moto on a free loopback port with python, serving one request at a time as the
// tests' moto does, and waits until it answers.
func startMoto(ctx context.Context, python string) (*moto, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cmd := exec.Command(python, "-c", localdeploy.MotoSerial, "127.0.0.1", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "MOTO_PORT="+strconv.Itoa(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Ctrl-C reaches this program, which stops moto
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	m := &moto{url: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(m.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(m.url + "/moto-api/")
		if err == nil {
			_ = resp.Body.Close()
			return m, nil
		}
		select {
		case <-m.done:
			return nil, errors.New("moto exited before it answered (is moto[server] installed for " + python + "?)")
		case <-ctx.Done():
			m.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			m.stop()
			return nil, errors.New("moto did not answer within 60 s")
		}
	}
}

// stop ends moto's process group: SIGTERM, then SIGKILL after 3 s.
func (m *moto) stop() {
	pgid := m.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-m.done
	}
}
