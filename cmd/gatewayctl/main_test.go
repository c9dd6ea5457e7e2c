package main

// The CLI is driven the way an operator drives it: a command line, stdin, and the exit code, against
// an embedded engine reached by --endpoint; the table is then checked through the store. (A main
// package cannot be imported, so these tests live in it, but they only call run and report.)

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/password"
	"mfagateway/shared/testenv"
)

// env is the test stack: an embedded engine with the gateway's table, which the CLI reaches by its URL.
// Its helpers take the *testing.T of the test or subtest that calls them, so a failure is reported by
// (and a Fatalf stops) that test, never the parent the env was made for.
type env struct{ *testenv.Stack }

func newEnv(t *testing.T) env {
	t.Helper()
	return env{testenv.NewStack(t)}
}

// result is what an operator sees of one invocation.
type result struct {
	stdout, stderr string
	code           int
}

// cli runs the command line against the env's table, with stdin as given.
func (e env) cli(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return invoke(t, nil, stdin, append([]string{"--endpoint", e.URL, "--table", e.Table}, args...)...)
}

func invoke(t *testing.T, environ map[string]string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), args, func(k string) string { return environ[k] }, strings.NewReader(stdin), &stdout, &stderr)
	code := report(err, &stderr)
	return result{stdout.String(), stderr.String(), code}
}

// must runs a command that has to succeed and returns its trimmed stdout.
func (e env) must(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := e.cli(t, stdin, args...)
	if r.code != exitOK {
		t.Fatalf("gatewayctl %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

func (r result) want(t *testing.T, code int, stderr string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.stderr, stderr) {
		t.Errorf("exit %d, stderr %q; want exit %d, stderr containing %q", r.code, r.stderr, code, stderr)
	}
}

func (e env) app(t *testing.T, id string) auth.Application {
	t.Helper()
	a, err := e.Store.GetApplication(t.Context(), id)
	if err != nil {
		t.Fatalf("GetApplication %s: %v", id, err)
	}
	return a
}

func (e env) apps(t *testing.T) []auth.Application {
	t.Helper()
	apps, err := e.Store.ListApplications(t.Context())
	if err != nil {
		t.Fatalf("ListApplications: %v", err)
	}
	return apps
}

func (e env) user(t *testing.T, email string) auth.User {
	t.Helper()
	u, err := e.Store.GetUser(t.Context(), email)
	if err != nil {
		t.Fatalf("GetUser %s: %v", email, err)
	}
	return u
}

func (e env) noUser(t *testing.T, email string) {
	t.Helper()
	if u, err := e.Store.GetUser(t.Context(), email); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("GetUser %s = %+v, %v; want no user", email, u, err)
	}
}

// testUser is a user as a seed or an earlier run would have stored it.
func testUser(email string, apps ...string) auth.User {
	return auth.User{ID: uuid.NewString(), Email: email, Name: "Ada", PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5", Applications: apps}
}

// seedUser stores a user directly, as a seed or an earlier run would have.
func (e env) seedUser(t *testing.T, email string, apps ...string) auth.User {
	t.Helper()
	u := testUser(email, apps...)
	if err := e.Store.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

func sameUser(a, b auth.User) bool {
	return a.ID == b.ID && a.Email == b.Email && a.Name == b.Name && a.PasswordHash == b.PasswordHash &&
		a.Mobile == b.Mobile && a.Admin == b.Admin &&
		slices.Equal(slices.Sorted(slices.Values(a.Applications)), slices.Sorted(slices.Values(b.Applications)))
}

// fields is the output's lines with runs of spaces made one, so tests need not count padding.
func fields(out string) []string {
	var lines []string
	for _, line := range strings.Split(out, "\n") {
		lines = append(lines, strings.Join(strings.Fields(line), " "))
	}
	return lines
}

var uuidLine = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"help", []string{"help"}, exitOK, "Commands:", ""},
		{"-h", []string{"-h"}, exitOK, "Commands:", ""},
		{"help of a command", []string{"help", "user", "create"}, exitOK, "Usage: gatewayctl user create", ""},
		{"-h of a command", []string{"app", "mfa", "-h"}, exitOK, "Usage: gatewayctl app mfa APP_ID on|off", ""},
		{"--help among arguments", []string{"user", "show", "a@example.com", "--help"}, exitOK, "Usage: gatewayctl user show", ""},
		{"no command", nil, exitUsage, "", "no command given"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{"group without command", []string{"user"}, exitUsage, "", "name a command: create, show"},
		{"unknown command in group", []string{"app", "delete"}, exitUsage, "", `unknown command "delete"`},
		{"help of unknown command", []string{"help", "app", "delete"}, exitUsage, "", `unknown command "delete"`},
		{"unknown global flag", []string{"--bogus", "app", "list"}, exitUsage, "", "flag provided but not defined: -bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := invoke(t, nil, "", tt.args...)
			r.want(t, tt.code, tt.stderr)
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("stdout %q, want it to contain %q", r.stdout, tt.stdout)
			}
		})
	}
	t.Run("every command has help", func(t *testing.T) {
		for _, cmd := range commands() {
			r := invoke(t, nil, "", append([]string{"help"}, strings.Fields(cmd.name)...)...)
			if r.code != exitOK || !strings.Contains(r.stdout, "Usage: gatewayctl "+cmd.name) || !strings.Contains(r.stdout, "-table") {
				t.Errorf("help %s: exit %d, stdout %q", cmd.name, r.code, r.stdout)
			}
		}
	})
}

func TestTableAndEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name    string
		environ map[string]string
		args    []string
		code    int
		stderr  string
	}{
		{"table from TABLE_NAME", map[string]string{"TABLE_NAME": e.Table}, []string{"--endpoint", e.URL, "app", "list"}, exitOK, ""},
		{"flags after the command", nil, []string{"app", "list", "--endpoint", e.URL, "--table", e.Table}, exitOK, ""},
		{"--table overrides TABLE_NAME", map[string]string{"TABLE_NAME": "nope"}, []string{"--endpoint", e.URL, "--table", e.Table, "app", "list"}, exitOK, ""},
		{"no table", nil, []string{"--endpoint", e.URL, "app", "list"}, exitUsage, "no table: set TABLE_NAME or pass --table"},
		{"endpoint not a URL", nil, []string{"--endpoint", "localhost:8000", "--table", e.Table, "app", "list"}, exitUsage, "is not an http(s) URL"},
		{"table missing from the engine", nil, []string{"--endpoint", e.URL, "--table", "nope", "app", "list"}, exitFailure, "list applications"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := invoke(t, tt.environ, "", tt.args...)
			r.want(t, tt.code, tt.stderr)
			if tt.code == exitOK && !strings.HasPrefix(r.stdout, "APP ID") {
				t.Errorf("stdout %q, want the application table", r.stdout)
			}
		})
	}
}

func TestAppCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	id := e.must(t, "", "app", "create", "--name", "Demo", "--url", "HTTPS://Demo.Example.com/Sub/", "--unique-identifier", "demo-1")
	if !uuidLine.MatchString(id) {
		t.Fatalf("app create printed %q, want a UUID", id)
	}
	a := e.app(t, id)
	if a.Name != "Demo" || a.URL != "demo.example.com/sub" || a.UniqueIdentifier != "demo-1" || a.MFA || a.CreateDate.IsZero() {
		t.Errorf("stored application %+v", a)
	}
	mfaID := e.must(t, "", "app", "create", "--mfa", "--name", "Another", "--url", "other.example.com")
	if !e.app(t, mfaID).MFA {
		t.Error("app created with --mfa has MFA off")
	}

	list := e.must(t, "", "app", "list")
	if lines := fields(list); !slices.Equal(lines, []string{
		"APP ID NAME URL MFA", mfaID + " Another other.example.com on", id + " Demo demo.example.com/sub off",
	}) {
		t.Errorf("app list:\n%s", list)
	}

	for _, step := range []struct {
		arg  string
		want bool
	}{{"on", true}, {"ON", true}, {"off", false}} {
		out := e.must(t, "", "app", "mfa", id, step.arg)
		if got := e.app(t, id).MFA; got != step.want || !strings.Contains(out, "MFA "+onOff(step.want)) {
			t.Errorf("after app mfa %s: MFA %v, stdout %q", step.arg, got, out)
		}
	}

	bad := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"create without name", []string{"app", "create", "--url", "x.example.com"}, exitUsage, "--name is required"},
		{"create with blank name", []string{"app", "create", "--name", "  ", "--url", "x.example.com"}, exitUsage, "--name is required"},
		{"create without url", []string{"app", "create", "--name", "X"}, exitUsage, "--url is required"},
		{"create with url only a scheme", []string{"app", "create", "--name", "X", "--url", "https://"}, exitUsage, "--url is required"},
		{"create with white space in url", []string{"app", "create", "--name", "X", "--url", "x.example.com/a b"}, exitUsage, "white space"},
		{"create with taken url", []string{"app", "create", "--name", "X", "--url", "http://demo.example.com/sub/"}, exitFailure, "url demo.example.com/sub already belongs to another application"},
		{"create with argument", []string{"app", "create", "--name", "X", "--url", "x.example.com", "extra"}, exitUsage, `unexpected argument "extra"`},
		{"create with bad --mfa", []string{"app", "create", "--name", "X", "--url", "x.example.com", "--mfa=maybe"}, exitUsage, "invalid boolean value"},
		{"list with argument", []string{"app", "list", "all"}, exitUsage, `unexpected argument "all"`},
		{"mfa without switch", []string{"app", "mfa", id}, exitUsage, "want 2 argument(s), APP_ID on|off; got 1"},
		{"mfa bad switch", []string{"app", "mfa", id, "yes"}, exitUsage, `"yes": want on or off`},
		{"mfa bad appId", []string{"app", "mfa", "demo", "on"}, exitUsage, `"demo" is not an appId`},
		{"mfa unknown app", []string{"app", "mfa", uuid.NewString(), "on"}, exitFailure, "no application has appId"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			e.cli(t, "", tt.args...).want(t, tt.code, tt.stderr)
		})
	}
	if got := e.apps(t); len(got) != 2 || got[0].ID != mfaID || got[1].ID != id || got[1].MFA {
		t.Errorf("applications after the refusals: %+v", got)
	}
}

func TestUserCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	app1 := e.must(t, "", "app", "create", "--name", "One", "--url", "one.example.com")
	app2 := e.must(t, "", "app", "create", "--name", "Two", "--url", "two.example.com")
	taken := e.seedUser(t, "taken@example.com")
	hasher := password.New(password.Default)

	good := []struct {
		name     string
		stdin    string
		args     []string
		want     auth.User
		password string
	}{
		{"everything", "correct horse battery\n",
			[]string{"--email", " Ada@Example.COM ", "--name", "Ada", "--mobile", "+31 6 1234 5678", "--admin", "--app", app1, "--app", app2, "--app", app1},
			auth.User{Email: "ada@example.com", Name: "Ada", Mobile: "+31612345678", Admin: true, Applications: []string{app1, app2}},
			"correct horse battery"},
		{"minimal, CRLF, more lines ignored", "  spaces kept  \r\nsecond line\n",
			[]string{"--email", "bob@example.com", "--name", "Bob"},
			auth.User{Email: "bob@example.com", Name: "Bob"}, "  spaces kept  "},
		{"no final newline, flags after nothing", "pw-without-newline",
			[]string{"--name", "Cy", "--email", "cy@example.com", "--app", app2},
			auth.User{Email: "cy@example.com", Name: "Cy", Applications: []string{app2}}, "pw-without-newline"},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			id := e.must(t, tt.stdin, append([]string{"user", "create"}, tt.args...)...)
			if !uuidLine.MatchString(id) {
				t.Fatalf("user create printed %q, want a UUID", id)
			}
			got := e.user(t, tt.want.Email)
			tt.want.ID, tt.want.PasswordHash = id, got.PasswordHash
			if !sameUser(got, tt.want) {
				t.Errorf("stored user\n got %+v\nwant %+v", got, tt.want)
			}
			if ok, err := hasher.Verify(tt.password, got.PasswordHash); !ok || err != nil {
				t.Errorf("stored hash does not verify %q: %v, %v", tt.password, ok, err)
			}
		})
	}

	unknownApp := uuid.NewString()
	bad := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr string
	}{
		{"empty stdin", "", []string{"--email", "new@example.com", "--name", "N"}, exitUsage, "empty password refused"},
		{"empty line", "\nsecret\n", []string{"--email", "new@example.com", "--name", "N"}, exitUsage, "empty password refused"},
		{"blank line", " \t\r\n", []string{"--email", "new@example.com", "--name", "N"}, exitUsage, "empty password refused"},
		{"password too long", strings.Repeat("x", maxPasswordBytes+1), []string{"--email", "new@example.com", "--name", "N"}, exitUsage, "longer than 1024 bytes"},
		{"password too long, with newline", strings.Repeat("x", maxPasswordBytes+1) + "\n", []string{"--email", "new@example.com", "--name", "N"}, exitUsage, "longer than 1024 bytes"},
		{"--password flag", "secret\n", []string{"--email", "new@example.com", "--name", "N", "--password", "secret"}, exitUsage, "passwords are read from stdin, never from the command line"},
		{"--password= flag", "secret\n", []string{"--email", "new@example.com", "--name", "N", "--password=secret"}, exitUsage, "passwords are read from stdin"},
		{"-passwd flag", "secret\n", []string{"-passwd", "secret", "--email", "new@example.com", "--name", "N"}, exitUsage, "passwords are read from stdin"},
		{"password as argument", "secret\n", []string{"--email", "new@example.com", "--name", "N", "secret"}, exitUsage, `unexpected argument "secret"`},
		{"no email", "secret\n", []string{"--name", "N"}, exitUsage, `--email "" is not an email address`},
		{"bad email", "secret\n", []string{"--email", "new.example.com", "--name", "N"}, exitUsage, `--email "new.example.com" is not an email address`},
		{"email with display name", "secret\n", []string{"--email", "New <new@example.com>", "--name", "N"}, exitUsage, "is not an email address"},
		{"no name", "secret\n", []string{"--email", "new@example.com"}, exitUsage, "--name is required"},
		{"mobile without country code", "secret\n", []string{"--email", "new@example.com", "--name", "N", "--mobile", "0612345678"}, exitUsage, "invalid mobile number"},
		{"mobile not a number", "secret\n", []string{"--email", "new@example.com", "--name", "N", "--mobile", "+31abc"}, exitUsage, "invalid mobile number"},
		{"mobile a fixed line", "secret\n", []string{"--email", "new@example.com", "--name", "N", "--mobile", "+31201234567"}, exitUsage, "not a mobile number"},
		{"bad appId", "secret\n", []string{"--email", "new@example.com", "--name", "N", "--app", "one"}, exitUsage, `"one" is not an appId`},
		{"unknown application", "secret\n", []string{"--email", "new@example.com", "--name", "N", "--app", app1, "--app", unknownApp}, exitFailure, "no application has appId " + unknownApp},
		{"email taken", "secret\n", []string{"--email", "TAKEN@example.com", "--name", "Other"}, exitFailure, "a user with email taken@example.com already exists"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			r := e.cli(t, tt.stdin, append([]string{"user", "create"}, tt.args...)...)
			r.want(t, tt.code, tt.stderr)
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			if strings.Contains(r.stderr, "secret") && !strings.Contains(tt.stderr, "secret") {
				t.Errorf("stderr %q repeats the password", r.stderr)
			}
		})
	}
	e.noUser(t, "new@example.com")
	if got := e.user(t, taken.Email); !sameUser(got, taken) {
		t.Errorf("existing user changed by a refused create: %+v", got)
	}
}

// The applications of TestUserChanges, with fixed appIds so that its table can name them.
const (
	changeApp1 = "0a000000-0000-4000-8000-000000000001"
	changeApp2 = "0a000000-0000-4000-8000-000000000002"
)

// changesEnv is a fresh table with the two applications, ada (a member of the first, edited by before
// when given) and bob, a bystander.
func changesEnv(t *testing.T, before func(u *auth.User)) (env, auth.User, auth.User) {
	t.Helper()
	e := newEnv(t)
	for i, id := range []string{changeApp1, changeApp2} {
		a := auth.Application{ID: id, Name: fmt.Sprintf("App %d", i+1), URL: fmt.Sprintf("app%d.example.com", i+1), MFA: i == 0}
		if err := e.Store.CreateApplication(t.Context(), a); err != nil {
			t.Fatalf("CreateApplication: %v", err)
		}
	}
	ada := testUser("ada@example.com", changeApp1)
	if before != nil {
		before(&ada)
	}
	if err := e.Store.CreateUser(t.Context(), ada); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return e, ada, e.seedUser(t, "bob@example.com")
}

// TestUserChanges runs each change on its own table, from the state the change starts from.
func TestUserChanges(t *testing.T) {
	t.Parallel()
	withMobile := func(u *auth.User) { u.Mobile, u.MobileCountry = "+31612345678", "NL" }
	withBoth := func(u *auth.User) { u.Applications = []string{changeApp1, changeApp2} }
	withSecond := func(u *auth.User) { u.Applications = []string{changeApp2} }
	asAdmin := func(u *auth.User) { u.Admin = true }
	steps := []struct {
		name   string
		before func(u *auth.User) // ada before the command; nil: a member of changeApp1, no mobile, no admin
		args   []string
		code   int
		stdout string
		stderr string
		edit   func(u *auth.User) // ada after the command, from before; nil: unchanged
	}{
		{"set mobile", nil, []string{"user", "set-mobile", "Ada@Example.com", "+31 (0)6-12345678"}, exitOK, "user ada@example.com: mobile +31612345678", "", withMobile},
		{"set same mobile", withMobile, []string{"user", "set-mobile", "ada@example.com", "+31612345678"}, exitOK, "user ada@example.com: already so, nothing changed", "", nil},
		{"set bad mobile", nil, []string{"user", "set-mobile", "ada@example.com", "12345"}, exitUsage, "", "invalid mobile number", nil},
		{"set fixed-line mobile", nil, []string{"user", "set-mobile", "ada@example.com", "+31201234567"}, exitUsage, "", "not a mobile number", nil},
		{"clear mobile", withMobile, []string{"user", "set-mobile", "ada@example.com", "none"}, exitOK, "mobile none", "",
			func(u *auth.User) { u.Mobile, u.MobileCountry = "", "" }},
		{"add app", nil, []string{"user", "add-app", "ada@example.com", changeApp2}, exitOK, "added to application " + changeApp2, "", withBoth},
		{"add app again", withBoth, []string{"user", "add-app", "ada@example.com", changeApp2}, exitOK, "nothing changed", "", nil},
		{"add unknown app", nil, []string{"user", "add-app", "ada@example.com", uuid.NewString()}, exitFailure, "", "no application has appId", nil},
		{"add bad appId", nil, []string{"user", "add-app", "ada@example.com", "two"}, exitUsage, "", `"two" is not an appId`, nil},
		{"remove app", withBoth, []string{"user", "remove-app", "ada@example.com", changeApp1}, exitOK, "removed from application " + changeApp1, "", withSecond},
		{"remove app not a member of", withSecond, []string{"user", "remove-app", "ada@example.com", changeApp1}, exitOK, "nothing changed", "", nil},
		{"remove last app", withSecond, []string{"user", "remove-app", "ada@example.com", changeApp2}, exitOK, "removed", "",
			func(u *auth.User) { u.Applications = nil }},
		{"remove bad appId", nil, []string{"user", "remove-app", "ada@example.com", "x"}, exitUsage, "", "is not an appId", nil},
		{"admin on", nil, []string{"user", "admin", "ada@example.com", "on"}, exitOK, "admin on", "", asAdmin},
		{"admin on again", asAdmin, []string{"user", "admin", "ada@example.com", "on"}, exitOK, "nothing changed", "", nil},
		{"admin bad switch", nil, []string{"user", "admin", "ada@example.com", "true"}, exitUsage, "", `"true": want on or off`, nil},
		{"admin off", asAdmin, []string{"user", "admin", "ada@example.com", "off"}, exitOK, "admin off", "",
			func(u *auth.User) { u.Admin = false }},
		{"set email", withMobile, []string{"user", "set-email", "ada@example.com", "Ada@Example.ORG"}, exitOK, "user ada@example.com: email now ada@example.org", "",
			func(u *auth.User) { u.Email = "ada@example.org" }},
		{"set email to a taken one", nil, []string{"user", "set-email", "ada@example.com", "bob@example.com"}, exitFailure, "", "a user with email bob@example.com already exists", nil},
		{"set email to the same", nil, []string{"user", "set-email", "ada@example.com", "ADA@example.com"}, exitUsage, "", "the new email is the current one", nil},
		{"set email to a bad one", nil, []string{"user", "set-email", "ada@example.com", "ada"}, exitUsage, "", `new email "ada" is not an email address`, nil},
		{"delete", nil, []string{"user", "delete", "ADA@example.com"}, exitOK, "user ada@example.com: deleted", "",
			func(u *auth.User) { u.Email = "" }},
		{"missing argument", nil, []string{"user", "set-mobile", "ada@example.com"}, exitUsage, "", "want 2 argument(s), EMAIL NUMBER|none; got 1", nil},
		{"bad email argument", nil, []string{"user", "admin", "ada", "on"}, exitUsage, "", `email "ada" is not an email address`, nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			e, want, bob := changesEnv(t, s.before)
			r := e.cli(t, "", s.args...)
			r.want(t, s.code, s.stderr)
			if !strings.Contains(r.stdout, s.stdout) {
				t.Errorf("stdout %q, want it to contain %q", r.stdout, s.stdout)
			}
			if s.edit != nil {
				s.edit(&want)
			}
			if want.Email != "ada@example.com" {
				e.noUser(t, "ada@example.com")
			}
			if want.Email != "" {
				if got := e.user(t, want.Email); !sameUser(got, want) {
					t.Errorf("stored user\n got %+v\nwant %+v", got, want)
				}
			}
			if got := e.user(t, bob.Email); !sameUser(got, bob) {
				t.Errorf("bystander changed: %+v", got)
			}
		})
	}

	t.Run("unknown user", func(t *testing.T) {
		t.Parallel()
		e, ada, _ := changesEnv(t, nil)
		for _, args := range [][]string{
			{"user", "show", "nobody@example.com"},
			{"user", "set-mobile", "nobody@example.com", "+31612345678"},
			{"user", "set-email", "nobody@example.com", "somebody@example.com"},
			{"user", "add-app", "nobody@example.com", changeApp1},
			{"user", "remove-app", "nobody@example.com", changeApp1},
			{"user", "admin", "nobody@example.com", "on"},
			{"user", "delete", "nobody@example.com"},
		} {
			e.cli(t, "", args...).want(t, exitFailure, "no user has email nobody@example.com")
		}
		e.noUser(t, "nobody@example.com")
		e.noUser(t, "somebody@example.com")
		if got := e.user(t, ada.Email); !sameUser(got, ada) {
			t.Errorf("bystander changed: %+v", got)
		}
	})
}

// lock fails the email's passwords until it is locked, as failed logins would, and returns the lock's end.
func (e env) lock(t *testing.T, email string) time.Time {
	t.Helper()
	now := time.Now()
	a := auth.PasswordAttempt{Email: email, Network: auth.NetworkOf("203.0.113.10")}
	e.CountAttempts(t, a, now, 5)
	until := now.Add(10 * time.Minute)
	e.LockAccount(t, a, now, 5, until)
	return until
}

func TestUserShowAndUnlock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	app1 := e.must(t, "", "app", "create", "--name", "One", "--url", "one.example.com", "--mfa")
	id := e.must(t, "s3cret-Pa55-quartz-otter\n", "user", "create", "--email", "ada@example.com", "--name", "Ada Lovelace",
		"--mobile", "+31612345678", "--admin", "--app", app1)
	until := e.lock(t, "ada@example.com")

	show := e.must(t, "", "user", "show", "ADA@example.com")
	for _, want := range []string{"userId " + id, "email ada@example.com", "name Ada Lovelace", "mobile +31612345678", "admin yes",
		"applications " + app1 + " One (one.example.com, MFA on)", "failed logins 6, locked until " + until.UTC().Format(time.RFC3339)} {
		if !slices.Contains(fields(show), want) {
			t.Errorf("user show lacks %q:\n%s", want, show)
		}
	}
	if strings.Contains(show, "argon2") || strings.Contains(show, e.user(t, "ada@example.com").PasswordHash) || strings.Contains(show, "s3cret") {
		t.Errorf("user show reveals the password or its hash:\n%s", show)
	}

	// Each subtest locks the email it unlocks, or none.
	tests := []struct {
		name   string
		lock   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"unlock", "una@example.com", []string{"user", "unlock", "Una@example.com"}, exitOK, "una@example.com: failed logins cleared, not locked", ""},
		{"unlock an unlocked email", "", []string{"user", "unlock", "una@example.com"}, exitOK, "una@example.com: no failed logins recorded", ""},
		{"unlock an email without a user", "", []string{"user", "unlock", "nobody@example.com"}, exitOK, "no failed logins recorded", ""},
		{"unlock a bad email", "", []string{"user", "unlock", "nobody"}, exitUsage, "", "is not an email address"},
		{"unlock without email", "", []string{"user", "unlock"}, exitUsage, "", "want 1 argument(s), EMAIL; got 0"},
		{"show a bad email", "", []string{"user", "show", "@example.com"}, exitUsage, "", "is not an email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.lock != "" {
				e.lock(t, tt.lock)
			}
			r := e.cli(t, "", tt.args...)
			r.want(t, tt.code, tt.stderr)
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("stdout %q, want it to contain %q", r.stdout, tt.stdout)
			}
			if tt.lock == "" {
				return
			}
			if got, err := e.Store.GetLoginAttempts(t.Context(), tt.lock); err != nil || got != (auth.LoginAttempts{}) {
				t.Errorf("login attempts after unlock = %+v, %v; want none", got, err)
			}
			e.seedUser(t, tt.lock)
			if show := e.must(t, "", "user", "show", tt.lock); !slices.Contains(fields(show), "failed logins 0") {
				t.Errorf("user show after unlock:\n%s", show)
			}
		})
	}
	if show := e.must(t, "", "user", "show", "ada@example.com"); !slices.Contains(fields(show), "failed logins 6, locked until "+until.UTC().Format(time.RFC3339)) {
		t.Errorf("another email's unlock changed ada's lock:\n%s", show)
	}

	t.Run("application gone", func(t *testing.T) {
		ghost := uuid.NewString()
		u := testUser("cy@example.com", ghost)
		// Only a raw write can leave a dangling appId (the store checks applications exist).
		if err := e.Store.PutUser(t.Context(), u); err != nil {
			t.Fatalf("PutUser: %v", err)
		}
		if show := e.must(t, "", "user", "show", "cy@example.com"); !slices.Contains(fields(show), "applications "+ghost+" (no such application)") {
			t.Errorf("user show with a missing application:\n%s", show)
		}
		e.must(t, "", "user", "remove-app", "cy@example.com", ghost)
		if got := e.user(t, "cy@example.com"); len(got.Applications) != 0 {
			t.Errorf("dangling appId not removed: %+v", got)
		}
	})
}

// TestBinary builds gatewayctl and runs it as a process, the password piped to its stdin.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping go build")
	}
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	bin := filepath.Join(t.TempDir(), "gatewayctl")
	build := exec.CommandContext(t.Context(), goBin, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	e := newEnv(t)
	// exe takes the calling test's t, as env's helpers do.
	exe := func(t *testing.T, stdin string, args ...string) result {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "TABLE_NAME="+e.Table)
		cmd.Stdin = strings.NewReader(stdin)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatalf("run %s: %v", bin, err)
		}
		return result{stdout.String(), stderr.String(), code}
	}

	r := exe(t, "", "--endpoint", e.URL, "app", "create", "--name", "Demo", "--url", "demo.example.com", "--mfa")
	appID := strings.TrimSpace(r.stdout)
	if r.code != 0 || !uuidLine.MatchString(appID) {
		t.Fatalf("app create: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = exe(t, "piped secret of quartz and otter\n", "--endpoint", e.URL, "user", "create", "--email", "ada@example.com", "--name", "Ada", "--app", appID)
	if r.code != 0 || !uuidLine.MatchString(strings.TrimSpace(r.stdout)) {
		t.Fatalf("user create: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	u := e.user(t, "ada@example.com")
	if ok, err := password.New(password.Default).Verify("piped secret of quartz and otter", u.PasswordHash); !ok || err != nil || !u.MemberOf(appID) {
		t.Errorf("stored user %+v: password verifies %v, %v", u, ok, err)
	}

	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr string
	}{
		{"empty password", "", []string{"--endpoint", e.URL, "user", "create", "--email", "bob@example.com", "--name", "Bob"}, 2, "empty password refused"},
		{"password in argv", "x\n", []string{"--endpoint", e.URL, "user", "create", "--email", "bob@example.com", "--name", "Bob", "--password", "x"}, 2, "never from the command line"},
		{"taken email", "x\n", []string{"--endpoint", e.URL, "user", "create", "--email", "ada@example.com", "--name", "Bob"}, 1, "already exists"},
		{"help", "", []string{"help"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exe(t, tt.stdin, tt.args...).want(t, tt.code, tt.stderr)
		})
	}
	e.noUser(t, "bob@example.com")
}
