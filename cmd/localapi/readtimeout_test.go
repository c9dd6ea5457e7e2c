package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startRaw serves the local gateway through newServer with the given read timeout and returns its address.
func startRaw(t *testing.T, readTimeout time.Duration) string {
	t.Helper()
	a, err := newApp(context.Background(), "", envOf(nil), io.Discard, io.Discard)
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(a.gateway, readTimeout)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
		a.close()
	})
	return ln.Addr().String()
}

// TestLocalReadTimeout sends requests over raw TCP connections, some of which never finish, and checks
// that the server lets go of an unfinished one once the read timeout has passed, while a request that
// arrives slowly but whole within the timeout is answered as usual.
func TestLocalReadTimeout(t *testing.T) {
	const timeout = 400 * time.Millisecond
	// Far above the timeout, far below the minutes an unbounded read would wait.
	const patience = timeout + 3*time.Second
	addr := startRaw(t, timeout)
	body := `{"email": "ada@example.com", "password": "wrong-password", "url": "demo.localhost"}`
	head := func(length int) string {
		return "POST /api/auth/login HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\n" +
			"Content-Length: " + strconv.Itoa(length) + "\r\n\r\n"
	}
	tests := []struct {
		name   string
		pieces []string // written in order, with pause between them; the connection then stays open
		pause  time.Duration
		// complete: the request was sent whole, so an ordinary answer is due; otherwise the server must
		// close the connection (after at most an error answer) within the timeout.
		complete   bool
		wantStatus string
	}{
		{name: "body shorter than Content-Length", pieces: []string{head(100), body[:10]}, wantStatus: "400"},
		{name: "headers never finished", pieces: []string{"POST /api/auth/login HTTP/1.1\r\nHost: " + addr + "\r\n"}},
		{name: "no bytes at all", pieces: nil},
		{name: "whole request in slow pieces", pieces: []string{head(len(body)), body[:10], body[10:]},
			pause: timeout / 8, complete: true, wantStatus: "401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			start := time.Now()
			for i, p := range tt.pieces {
				if i > 0 {
					time.Sleep(tt.pause)
				}
				if _, err := io.WriteString(conn, p); err != nil {
					t.Fatalf("write piece %d: %v", i, err)
				}
			}
			if err := conn.SetReadDeadline(start.Add(patience)); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(conn)
			if tt.complete {
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					t.Fatalf("no answer to a whole request: %v", err)
				}
				resp.Body.Close()
				if got := strconv.Itoa(resp.StatusCode); got != tt.wantStatus {
					t.Errorf("status %s, want %s", got, tt.wantStatus)
				}
				return
			}
			got, err := io.ReadAll(r) // returns at EOF, when the server closes the connection
			elapsed := time.Since(start)
			var netErr net.Error
			if errors.As(err, &netErr) && netErr.Timeout() {
				t.Fatalf("connection still open %s after the request began (read timeout %s); read %q", elapsed.Round(time.Millisecond), timeout, got)
			}
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if elapsed < timeout-50*time.Millisecond {
				t.Errorf("closed after %s, before the read timeout %s: the client was not given its time", elapsed, timeout)
			}
			switch {
			case tt.wantStatus == "" && len(got) > 0:
				t.Errorf("answer %q to a request whose headers never came", got)
			case tt.wantStatus != "" && !strings.HasPrefix(string(got), "HTTP/1.1 "+tt.wantStatus+" "):
				t.Errorf("answer %q, want status %s before the close", got, tt.wantStatus)
			}
		})
	}
}
