package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/testenv"
)

const (
	demoMFA   = "7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10"
	demoPlain = "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90"
)

// localServer is the local gateway behind a loopback test server.
type localServer struct {
	url    string
	stdout *testenv.LogBuffer
	client *http.Client
	app    *app
}

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func startLocal(t *testing.T, seedFile string, vars map[string]string) *localServer {
	t.Helper()
	stdout := &testenv.LogBuffer{} // the terminal: the outbox writes to it from request goroutines
	// Listening first, as run does, so that the ticket links point at this server.
	srv := httptest.NewUnstartedServer(nil)
	a, err := newApp(context.Background(), seedFile, localLinks(envOf(vars), "http://"+srv.Listener.Addr().String()), stdout, io.Discard)
	if err != nil {
		srv.Close()
		t.Fatalf("newApp: %v", err)
	}
	srv.Config.Handler = a.gateway
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		a.close()
	})
	return &localServer{url: srv.URL, stdout: stdout, client: srv.Client(), app: a}
}

type reply struct {
	status  int
	header  http.Header
	raw     []byte
	body    map[string]any
	entries []map[string]any
}

func (s *localServer) do(t *testing.T, method, path string, headers map[string]string, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if ct := resp.Header.Get("Content-Type"); r.status != http.StatusNoContent && !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type = %q, want application/json", method, path, ct)
	}
	if len(bytes.TrimSpace(raw)) > 0 && bytes.TrimSpace(raw)[0] == '[' {
		if err := json.Unmarshal(raw, &r.entries); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, raw, err)
		}
	} else if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, raw, err)
		}
	}
	if r.status >= 500 {
		t.Errorf("%s %s: %d %s", method, path, r.status, raw)
	}
	return r
}

func (s *localServer) outbox(t *testing.T) []map[string]any {
	t.Helper()
	r := s.do(t, http.MethodGet, "/_local/outbox", nil, "")
	if r.status != http.StatusOK {
		t.Fatalf("outbox: %d %s", r.status, r.raw)
	}
	if r.entries == nil {
		t.Fatalf("outbox body %q is not a JSON array", r.raw)
	}
	return r.entries
}

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestLocalLoginFlow(t *testing.T) {
	s := startLocal(t, "", nil)
	tests := []struct {
		name    string
		headers map[string]string
		body    map[string]any
		channel string
		to      string
	}{
		{"appId header", map[string]string{"appId": demoMFA}, map[string]any{"email": "ada@example.com", "password": "ada-demo-password-1"}, "SMS", "+31612345678"},
		{"url", nil, map[string]any{"email": "grace@example.com", "password": "grace-demo-password-1", "url": "https://Demo-MFA.localhost/"}, "Email", "grace@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(s.outbox(t))
			r := s.do(t, http.MethodPost, "/api/auth/login", tt.headers, jsonBody(tt.body))
			if r.status != http.StatusForbidden {
				t.Fatalf("login: %d %s, want 403", r.status, r.raw)
			}
			if r.body["authenticatorCode"] != tt.channel || r.body["authenticator"] != "LocalOutbox" {
				t.Errorf("login answer = %s", r.raw)
			}
			mfa, _ := r.body["token"].(string)
			entries := s.outbox(t)
			if len(entries) != before+1 {
				t.Fatalf("outbox has %d entries, want %d", len(entries), before+1)
			}
			last := entries[len(entries)-1]
			var keys []string
			for k := range last {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, []string{"body", "channel", "sentAt", "subject", "to"}) {
				t.Errorf("outbox entry properties = %v", keys)
			}
			if last["channel"] != tt.channel || last["to"] != tt.to {
				t.Errorf("outbox entry = %v, want %s to %s (in full)", last, tt.channel, tt.to)
			}
			body, _ := last["body"].(string)
			m := sixDigits.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no code in %q", body)
			}
			if out := s.stdout.String(); !strings.Contains(out, m[1]) || !strings.Contains(out, tt.to) {
				t.Errorf("the code and its full recipient are not printed to the terminal")
			}
			v := s.do(t, http.MethodPost, "/api/auth/verifyMultifactorBindingCode", nil,
				jsonBody(map[string]string{"token": mfa, "authenticatorCode": tt.channel, "bindingCode": m[1]}))
			if v.status != http.StatusOK {
				t.Fatalf("verify: %d %s", v.status, v.raw)
			}
			tok, _ := v.body["token"].(string)
			if !auth.IsAuthToken(tok) || tok == mfa {
				t.Errorf("verify token = %q", tok)
			}
			// The auth token passes the authorizer of the protected routes; nothing else does.
			me := s.do(t, http.MethodGet, "/api/auth/me", map[string]string{"Authorization": "bearer " + tok, "appId": demoMFA}, "")
			if me.status != http.StatusOK {
				t.Errorf("me with the auth token: %d %s", me.status, me.raw)
			}
			if me := s.do(t, http.MethodGet, "/api/auth/me", map[string]string{"Authorization": "Bearer " + mfa, "appId": demoMFA}, ""); me.status < 400 || me.status >= 500 {
				t.Errorf("me with the MFA token: %d %s, want refused", me.status, me.raw)
			}
		})
	}
	t.Run("MFA off", func(t *testing.T) {
		r := s.do(t, http.MethodPost, "/api/auth/login", map[string]string{"APPID": demoPlain},
			jsonBody(map[string]string{"email": "linus@example.com", "password": "linus-demo-password-1"}))
		if r.status != http.StatusOK || r.body["name"] != "Linus" {
			t.Fatalf("login: %d %s", r.status, r.raw)
		}
		if v, ok := r.body["redirectUrl"]; !ok || v != nil {
			t.Errorf("redirectUrl = %v", v)
		}
	})
	t.Run("resend", func(t *testing.T) {
		r := s.do(t, http.MethodPost, "/api/auth/login", map[string]string{"appid": demoMFA},
			jsonBody(map[string]string{"email": "ada@example.com", "password": "ada-demo-password-1"}))
		mfa, _ := r.body["token"].(string)
		rs := s.do(t, http.MethodPost, "/api/auth/resendMultifactorBindingCode", nil, jsonBody(map[string]string{"token": mfa}))
		if rs.status != http.StatusTooManyRequests || rs.body["code"] != "too_many_requests" {
			t.Fatalf("resend inside the cooldown: %d %s", rs.status, rs.raw)
		}
		// The real clock runs between the login and the resend: any whole number of seconds the 30 s
		// cooldown can have left.
		if ra := rs.header.Get("Retry-After"); !retryAfterIn(ra, 1, 30) {
			t.Errorf("Retry-After = %q, want whole seconds in 1..30", ra)
		}
	})
}

func TestLocalOutboxStartsEmpty(t *testing.T) {
	s := startLocal(t, "", nil)
	r := s.do(t, http.MethodGet, "/_local/outbox", nil, "")
	if r.status != http.StatusOK || strings.TrimSpace(string(r.raw)) != "[]" {
		t.Errorf("outbox = %d %q, want 200 []", r.status, r.raw)
	}
}

func TestLocalSettingsFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string]string
		key     string
		want    float64
		attempt bool
	}{
		{"BINDING_CODE_TTL=2s", map[string]string{"BINDING_CODE_TTL": "2s"}, "expiresIn", 2, false},
		{"BINDING_CODE_TTL=90", map[string]string{"BINDING_CODE_TTL": "90"}, "expiresIn", 90, false},
		{"default", nil, "expiresIn", 300, false},
		{"MFA_MAX_ATTEMPTS=2", map[string]string{"MFA_MAX_ATTEMPTS": "2"}, "attemptsRemaining", 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startLocal(t, "", tt.vars)
			r := s.do(t, http.MethodPost, "/api/auth/login", map[string]string{"appid": demoMFA},
				jsonBody(map[string]string{"email": "ada@example.com", "password": "ada-demo-password-1"}))
			if r.status != http.StatusForbidden {
				t.Fatalf("login: %d %s", r.status, r.raw)
			}
			if tt.attempt {
				entries := s.outbox(t)
				code := sixDigits.FindStringSubmatch(entries[len(entries)-1]["body"].(string))[1]
				wrong := "000000"
				if code == wrong {
					wrong = "000001"
				}
				r = s.do(t, http.MethodPost, "/api/auth/verifyMultifactorBindingCode", nil,
					jsonBody(map[string]string{"token": r.body["token"].(string), "bindingCode": wrong}))
			}
			if got, _ := r.body[tt.key].(float64); got != tt.want {
				t.Errorf("%s = %v, want %v (%s)", tt.key, r.body[tt.key], tt.want, r.raw)
			}
		})
	}
}

func TestLocalBadStart(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `{"applications": [{"appId": "` + demoMFA + `", "name": "A", "url": "a.localhost"}],
	  "users": [{"email": "ada@example.com", "name": "Ada", "password": "pw-violet-anchor-marble"}, %s]}`
	tests := []struct {
		name string
		seed string
		vars map[string]string
		want []string
	}{
		{"bad mobile", write("mobile.json", strings.Replace(good, "%s", `{"email": "b@example.com", "name": "B", "password": "pw-violet-anchor-marble", "mobile": "06-12345678"}`, 1)), nil, []string{"users[1]", "mobile"}},
		{"bad email", write("email.json", strings.Replace(good, "%s", `{"email": "b.example.com", "name": "B", "password": "pw-violet-anchor-marble"}`, 1)), nil, []string{"users[1]", "email"}},
		{"unknown application", write("app.json", strings.Replace(good, "%s", `{"email": "b@example.com", "name": "B", "password": "pw-violet-anchor-marble", "applications": ["`+demoPlain+`"]}`, 1)), nil, []string{"users[1]", "applications[0]"}},
		{"missing name", write("name.json", strings.Replace(good, "%s", `{"email": "b@example.com", "password": "pw-violet-anchor-marble"}`, 1)), nil, []string{"users[1]", "name"}},
		{"not JSON", write("broken.json", `{"users": [`), nil, []string{"broken.json"}},
		{"missing file", filepath.Join(dir, "nope.json"), nil, []string{"nope.json"}},
		{"bad setting", "", map[string]string{"MFA_TOKEN_TTL": "soon"}, []string{"MFA_TOKEN_TTL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := newApp(context.Background(), tt.seed, envOf(tt.vars), io.Discard, io.Discard)
			if err == nil {
				a.close()
				t.Fatal("newApp accepted it")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
			// The command stops the same way, from the flag and from SEED_FILE, before it listens.
			if tt.seed != "" {
				if err := run([]string{"--addr", "127.0.0.1:0", "--seed", tt.seed}, envOf(tt.vars), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), tt.want[0]) {
					t.Errorf("run --seed: %v", err)
				}
				vars := map[string]string{"SEED_FILE": tt.seed, "ADDR": "127.0.0.1:0"}
				if err := run(nil, envOf(vars), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), tt.want[0]) {
					t.Errorf("run with SEED_FILE: %v", err)
				}
			}
		})
	}
	t.Run("unknown flag", func(t *testing.T) {
		if err := run([]string{"--bogus"}, envOf(nil), io.Discard, io.Discard); err == nil {
			t.Error("accepted")
		}
	})
}

func TestLocalCustomSeed(t *testing.T) {
	p := filepath.Join(t.TempDir(), "seed.json")
	content := `{"applications": [{"appId": "` + demoPlain + `", "name": "Mine", "url": "https://Mine.localhost/"}],
	  "users": [{"email": "Me@Example.com", "name": "Me", "password": "my-secret-pw-violet-anchor", "applications": ["` + demoPlain + `"]}]}`
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startLocal(t, p, nil)
	if strings.Contains(s.stdout.String(), "my-secret-pw-violet-anchor") {
		t.Errorf("a custom seed's password was printed")
	}
	r := s.do(t, http.MethodPost, "/api/auth/login", nil, jsonBody(map[string]string{"email": "me@example.com", "password": "my-secret-pw-violet-anchor", "url": "mine.localhost"}))
	if r.status != http.StatusOK {
		t.Fatalf("login: %d %s", r.status, r.raw)
	}
	r = s.do(t, http.MethodPost, "/api/auth/login", map[string]string{"appId": demoMFA}, jsonBody(map[string]string{"email": "ada@example.com", "password": "ada-demo-password-1"}))
	if r.status != http.StatusUnauthorized {
		t.Errorf("a demo user in a custom seed: %d %s", r.status, r.raw)
	}
}

func TestLocalRequests(t *testing.T) {
	s := startLocal(t, "", nil)
	tests := []struct {
		name, method, path string
		headers            map[string]string
		body               string
		status             int
		code               string
	}{
		{"unknown path", http.MethodGet, "/nope", nil, "", 404, "not_found"},
		{"unknown api path", http.MethodPost, "/api/auth/nope", nil, "{}", 404, "not_found"},
		{"GET on login", http.MethodGet, "/api/auth/login", nil, "", 404, "not_found"},
		{"POST on outbox", http.MethodPost, "/_local/outbox", nil, "{}", 404, "not_found"},
		{"1 MiB body", http.MethodPost, "/api/auth/login", map[string]string{"appid": demoMFA}, `{"email":"` + strings.Repeat("a", 1<<20) + `"}`, 413, "payload_too_large"},
		{"16 KiB + 1 body", http.MethodPost, "/api/auth/login", map[string]string{"appid": demoMFA}, `{"email":"` + strings.Repeat("a", 16<<10+1-len(`{"email":""}`)) + `"}`, 413, "payload_too_large"},
		{"binary body", http.MethodPost, "/api/auth/login", map[string]string{"appid": demoMFA}, "\xff\xfe\x00\x01", 400, "invalid_request"},
		{"binary inside JSON", http.MethodPost, "/api/auth/login", map[string]string{"appid": demoMFA}, "{\"email\":\"nobody@example.com\",\"password\":\"\xff\"}", 401, "invalid_credentials"},
		{"no application", http.MethodPost, "/api/auth/login", nil, jsonBody(map[string]string{"email": "ada@example.com", "password": "x"}), 400, "application_required"},
		{"verify unknown token", http.MethodPost, "/api/auth/verifyMultifactorBindingCode", nil, jsonBody(map[string]string{"token": "REPLACE_WITH_MFA_TOKEN", "bindingCode": "123456"}), 401, "invalid_mfa_token"},
		{"protected route without token", http.MethodGet, "/api/auth/me", nil, "", 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(t, tt.method, tt.path, tt.headers, tt.body)
			if r.status != tt.status {
				t.Fatalf("%d %s, want %d", r.status, r.raw, tt.status)
			}
			if tt.code == "" {
				return
			}
			if r.body["code"] != tt.code {
				t.Errorf("code = %v, want %s", r.body["code"], tt.code)
			}
			if msg, _ := r.body["message"].(string); msg == "" || len(r.body) != 2 {
				t.Errorf("body %s, want exactly code and message", r.raw)
			}
		})
	}
}

// retryAfterIn reports whether a Retry-After value is an integer number of seconds in [lo, hi], written
// plainly (digits only, no sign, no leading zero).
func retryAfterIn(v string, lo, hi int) bool {
	n, err := strconv.Atoi(v)
	return err == nil && strconv.Itoa(n) == v && n >= lo && n <= hi
}
