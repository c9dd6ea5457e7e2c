package main

import (
	"slices"
	"testing"
)

// TestAppAllowedOriginsFlag: app create and app set take the origins the hosted login page may post a
// token to, as the applications service stores them; none clears them, a bad one is a usage error
// naming the flag with nothing written.
func TestAppAllowedOriginsFlag(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.must(t, "", "app", "create", "--name", "Origins", "--url", "origins.example.com",
		"--allowed-origins", "HTTPS://App.Example.com:443, http://127.0.0.1:8080")
	if a := e.app(t, id); !slices.Equal(a.AllowedOrigins, []string{"https://app.example.com", "http://127.0.0.1:8080"}) {
		t.Errorf("created with --allowed-origins: %q", a.AllowedOrigins)
	}
	e.cli(t, "", "app", "set", id, "--allowed-origins", "https://app.example.com/callback").want(t, exitUsage, "--allowed-origins: has")
	if a := e.app(t, id); len(a.AllowedOrigins) != 2 {
		t.Errorf("a refused app set changed the origins: %q", a.AllowedOrigins)
	}
	out := e.must(t, "", "app", "set", id, "--allowed-origins", "none")
	if want := "application " + id + ": cultureInfo none, phoneCountryCode none, authenticators OTP,SMS,Email, SMS countries all, allowed origins none"; out != want {
		t.Errorf("app set printed %q, want %q", out, want)
	}
	if a := e.app(t, id); len(a.AllowedOrigins) != 0 {
		t.Errorf("after --allowed-origins none: %q", a.AllowedOrigins)
	}
}
