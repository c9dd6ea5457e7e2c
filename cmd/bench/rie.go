package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// fn is one bootstrap running under the Lambda Runtime Interface Emulator.
type fn struct {
	t      target
	proc   *proc
	url    string // the invocations URL
	client *http.Client
}

const invokePath = "/2015-03-31/functions/function/invocations"

// lambdaEnv is what Lambda sets for every function (as template.yaml's Globals).
func lambdaEnv(t target) []string {
	return []string{
		"AWS_LAMBDA_FUNCTION_NAME=" + t.ID,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=10",
	}
}

// initReport matches the RIE's line "INIT REPORT(durationMs: 43.962000)": from the bootstrap's
// start to its first request for an event.
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// startFn starts the RIE with the bootstrap on free loopback ports. The RIE starts the bootstrap on
// the first invoke. With keepInit, the RIE's INIT REPORT line is kept (see initDuration).
func startFn(rie string, t target, bootstrap string, env []string, keepInit bool) (*fn, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	apiPort, err := freePort()
	for err == nil && apiPort == port {
		apiPort, err = freePort()
	}
	if err != nil {
		return nil, err
	}
	args := []string{
		"--runtime-interface-emulator-address", "127.0.0.1:" + strconv.Itoa(port),
		"--runtime-api-address", "127.0.0.1:" + strconv.Itoa(apiPort),
		"--log-level", "info",
		bootstrap,
	}
	var keep func(string) bool
	if keepInit {
		keep = func(line string) bool { return strings.Contains(line, "INIT REPORT") }
	}
	p, err := startProc("aws-lambda-rie ("+t.Name+")", rie, args, append(lambdaEnv(t), env...), keep, false)
	if err != nil {
		return nil, err
	}
	return &fn{
		t: t, proc: p, url: fmt.Sprintf("http://127.0.0.1:%d%s", port, invokePath),
		client: &http.Client{Timeout: 30 * time.Second},
	}, nil
}

// initDuration is the RIE's own measure of the bootstrap's init, once reported.
func (f *fn) initDuration() (time.Duration, bool) {
	if f.proc.lines == nil {
		return 0, false
	}
	for _, l := range f.proc.lines.Lines() {
		if m := initReport.FindStringSubmatch(l); m != nil {
			ms, err := strconv.ParseFloat(m[1], 64)
			if err == nil {
				return time.Duration(ms * float64(time.Millisecond)), true
			}
		}
	}
	return 0, false
}

// invoke sends one event and returns the handler's answer; a handler error is an error.
func (f *fn) invoke(ctx context.Context, event []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if f.proc.child == 0 {
		f.proc.child = childOf(f.proc.pid())
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the RIE answered %d: %s", resp.StatusCode, clip(raw))
	}
	var failure struct{ ErrorType, ErrorMessage string }
	if json.Unmarshal(raw, &failure) == nil && failure.ErrorType != "" {
		return nil, fmt.Errorf("handler failed (%s): %s", failure.ErrorType, failure.ErrorMessage)
	}
	return raw, nil
}

// firstAnswer polls the invocations URL from the moment the RIE was started until an invoke is
// answered, on fresh connections, and returns when it was answered.
func (f *fn) firstAnswer(ctx context.Context, event []byte, timeout time.Duration) ([]byte, time.Time, error) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: timeout}
	deadline := time.Now().Add(timeout)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(event))
		resp, err := client.Do(req)
		if err == nil {
			raw, rerr := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			at := time.Now()
			if f.proc.child == 0 {
				f.proc.child = childOf(f.proc.pid())
			}
			if rerr != nil {
				return nil, at, rerr
			}
			if resp.StatusCode != http.StatusOK {
				return nil, at, fmt.Errorf("the RIE answered %d: %s", resp.StatusCode, clip(raw))
			}
			return raw, at, nil
		}
		if f.proc.exited() {
			return nil, time.Time{}, errors.New("the RIE exited before answering")
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, time.Time{}, fmt.Errorf("no answer within %s: %v", timeout, err)
		}
		time.Sleep(250 * time.Microsecond)
	}
}

// apiAnswer is an API Gateway payload 2.0 response as the functions return it.
type apiAnswer struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

func (a apiAnswer) field(name string) string {
	var m map[string]any
	_ = json.Unmarshal([]byte(a.Body), &m)
	s, _ := m[name].(string)
	return s
}

// wantStatus decodes an API answer and checks its status.
func wantStatus(raw []byte, status int) (apiAnswer, error) {
	var a apiAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, fmt.Errorf("not an API Gateway response: %s", clip(raw))
	}
	if a.StatusCode != status {
		return a, fmt.Errorf("status %d, want %d: %s", a.StatusCode, status, clip([]byte(a.Body)))
	}
	return a, nil
}

// wantVerdict checks an authorizer's simple response: authorized, with the verdict valid.
func wantVerdict(raw []byte, valid bool) error {
	var v struct {
		IsAuthorized bool           `json:"isAuthorized"`
		Context      map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("not an authorizer response: %s", clip(raw))
	}
	if got, _ := v.Context["valid"].(bool); !v.IsAuthorized || got != valid {
		return fmt.Errorf("isAuthorized %v, context %v; want valid %v", v.IsAuthorized, v.Context, valid)
	}
	return nil
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
