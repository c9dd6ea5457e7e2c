package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"mfagateway/shared/auth"
)

// app secret prints a new secret on stdout alone, through the applications service: the application
// keeps the two newest, which the sessions accept as its credentials.
func TestAppSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.must(t, "", "app", "create", "--name", "Secrets", "--url", "secrets.example.com")
	var secrets []string
	for range 3 {
		r := e.cli(t, "", "app", "secret", id)
		secret := strings.TrimSuffix(r.stdout, "\n")
		if r.code != exitOK || r.stderr != "" || !auth.IsBearer(secret) {
			t.Fatalf("app secret: exit %d, stdout %d characters, stderr %q; want exit 0, one 43-character secret line, no stderr", r.code, len(r.stdout), r.stderr)
		}
		secrets = append(secrets, secret)
	}
	sessions := auth.NewSessions(e.Store, nil, nil)
	for i, want := range []bool{false, true, true} {
		_, err := sessions.AuthorizeClient(e.Ctx, auth.ClientCredentials{ID: id, Secret: secrets[i]})
		if got := err == nil; got != want || (err != nil && !errors.Is(err, auth.ErrInvalidToken)) {
			t.Errorf("secret %d of 3: accepted %v (%v), want %v", i+1, got, err, want)
		}
	}
	if got := e.app(t, id).SecretHashes; len(got) != 2 || got[1] != auth.TokenID(secrets[2]) {
		t.Errorf("stored hashes %v, want the SHA-256 of the two newest", got)
	}

	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no appId", []string{"app", "secret"}, exitUsage, "want 1 argument(s), APP_ID; got 0"},
		{"bad appId", []string{"app", "secret", "demo"}, exitUsage, `"demo" is not an appId`},
		{"unknown app", []string{"app", "secret", uuid.NewString()}, exitFailure, "no application has appId"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.cli(t, "", tt.args...)
			r.want(t, tt.code, tt.stderr)
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
}
