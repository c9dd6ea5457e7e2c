package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"mfagateway/shared/testenv"
)

// browserTests is the directory of the browser tests of the hosted pages, with their npm packages.
const browserTests = "../../web/test"

// Applications and users of the browser tests' seed; each flow has its own user, so that no flow's
// sends or failures reach another's limits.
const (
	webMFAApp    = "1f5e7a3c-2b4d-4e6f-8a9b-0c1d2e3f4a50"
	webPlainApp  = "1f5e7a3c-2b4d-4e6f-8a9b-0c1d2e3f4a51"
	webOddApp    = "1f5e7a3c-2b4d-4e6f-8a9b-0c1d2e3f4a52"
	webPassword  = "Lantern-Quartz-Violet-Oboe-77"
	webBrowserOK = "the hosted pages in Debian's chromium"
)

// TestHostedPagesInBrowser runs web/test/pages.test.mjs (node's test runner, playwright-core driving
// /usr/bin/chromium, axe-core) against this local server with RESEND_COOLDOWN=2s and a receiver of
// handed-off tokens, both on 127.0.0.1. It skips without node, chromium or the npm packages (`npm ci`
// in web/test), except under CI=true. With WEB_SCREENSHOTS set to a directory, the run also writes
// the pages' pictures there (make screenshots).
func TestHostedPagesInBrowser(t *testing.T) {
	if testing.Short() && !testenv.InCI() {
		t.Skip("-short: skipping the browser tests")
	}
	node := testenv.RequireTool(t, "node", webBrowserOK)
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		requireMissing(t, "/usr/bin/chromium (apt-get install chromium)")
	}
	for _, pkg := range []string{"playwright-core", "axe-core", "@zxing/library"} {
		if _, err := os.Stat(filepath.Join(browserTests, "node_modules", pkg)); err != nil {
			requireMissing(t, "web/test/node_modules/"+pkg+" (npm ci in web/test)")
		}
	}

	receiver := newReceiver()
	rs := httptest.NewServer(receiver)
	t.Cleanup(rs.Close)
	seedFile := filepath.Join(t.TempDir(), "seed.json")
	writeBrowserSeed(t, seedFile, rs.URL)
	s := startLocal(t, seedFile, map[string]string{"RESEND_COOLDOWN": "2s"})

	env := []string{
		"BASE_URL=" + s.url, "RECEIVER_URL=" + rs.URL, "USER_PASSWORD=" + webPassword,
		"MFA_APP_URL=web-mfa.localhost", "PLAIN_APP_URL=web.localhost", "ODD_APP_URL=odd.localhost",
		"PLAIN_APP_ID=" + webPlainApp,
	}
	if dir := os.Getenv("WEB_SCREENSHOTS"); dir != "" {
		env = append(env, "SCREENSHOTS="+dir)
	}
	out, err := runNode(t, node, env, "--test", "--test-reporter=spec", "pages.test.mjs")
	t.Logf("node --test pages.test.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("the browser tests failed: %v", err)
	}
}

// requireMissing skips the test, or fails it under CI, for a missing piece of the browser tests.
func requireMissing(t *testing.T, what string) {
	t.Helper()
	if testenv.InCI() {
		t.Fatalf("%s is missing: .ci/run installs it", what)
	}
	t.Skipf("%s is missing; skipping the browser tests", what)
}

// runNode runs node in the browser tests' directory in its own process group, which it ends by its
// PID when the run is over or takes longer than ten minutes (chromium goes with playwright, which
// closes it when node ends).
func runNode(t *testing.T, node string, env []string, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = browserTests
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // anything of the group still there
	}
	return out.Bytes(), err
}

// writeBrowserSeed writes the seed of the browser tests: an application with MFA on, one without, one
// whose name is markup, each allowing the receiver's origin; an admin, and one user per flow.
func writeBrowserSeed(t *testing.T, file, receiver string) {
	t.Helper()
	apps := []string{webMFAApp, webPlainApp, webOddApp}
	user := func(email, mobile string, admin bool) map[string]any {
		u := map[string]any{"email": email, "name": email[:3], "password": webPassword, "applications": apps, "admin": admin}
		if mobile != "" {
			u["mobile"] = mobile
		}
		return u
	}
	seed := map[string]any{
		"applications": []map[string]any{
			{"appId": webMFAApp, "name": "Web (MFA)", "url": "web-mfa.localhost", "enableMultiFactorAuthentication": true, "allowedOrigins": []string{receiver}},
			{"appId": webPlainApp, "name": "Web", "url": "web.localhost", "enableMultiFactorAuthentication": false, "allowedOrigins": []string{receiver}},
			{"appId": webOddApp, "name": "<b>Odd</b> & <script>window.__hit=1</script>", "url": "odd.localhost", "enableMultiFactorAuthentication": true},
		},
		"users": []map[string]any{
			user("root@example.com", "", true),
			user("sam@example.com", "+31612345601", false),
			user("kim@example.com", "+31612345602", false),
			user("lee@example.com", "+31612345603", false),
			user("kb@example.com", "+31612345604", false),
			user("ria@example.com", "", false),
			user("tom@example.com", "", false),
			user("otp@example.com", "", false),
			user("old@example.com", "", false),
		},
	}
	raw, err := json.Marshal(seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// receiver plays the application a token is handed to: it keeps the last request's form and shows
// it back on GET /last.
type receiver struct {
	mu   sync.Mutex
	last map[string]any
}

func newReceiver() *receiver { return &receiver{last: map[string]any{}} }

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/last" {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(rc.last)
		return
	}
	if r.URL.Path == "/favicon.ico" { // the browser's own request, not the application's
		http.NotFound(w, r)
		return
	}
	_ = r.ParseForm()
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	rc.mu.Lock()
	rc.last = map[string]any{"method": r.Method, "path": r.URL.Path, "form": form}
	rc.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(`<!doctype html><html lang=en><link rel=icon href="data:,"><title>Received</title><main><h1>Received</h1></main></html>`))
}
