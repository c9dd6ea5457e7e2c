package seed_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/password"
	"mfagateway/shared/seed"
	"mfagateway/shared/testenv"
)

const (
	mfaApp   = "7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10"
	plainApp = "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90"
)

func TestDemoSeed(t *testing.T) {
	f, err := seed.ParseBytes(seed.Demo)
	if err != nil {
		t.Fatalf("demo seed: %v", err)
	}
	if len(f.Applications) != 2 || len(f.Users) != 3 {
		t.Fatalf("demo seed has %d applications and %d users, want 2 and 3", len(f.Applications), len(f.Users))
	}
	apps := map[string]seed.Application{}
	for _, a := range f.Applications {
		apps[a.AppID] = a
	}
	if a := apps[mfaApp]; !a.MFA || a.URL != "demo-mfa.localhost" {
		t.Errorf("Demo (MFA) = %+v", a)
	}
	if a := apps[plainApp]; a.MFA || a.URL != "demo.localhost" {
		t.Errorf("Demo = %+v", a)
	}
	users := map[string]seed.User{}
	for _, u := range f.Users {
		users[u.Email] = u
	}
	tests := []struct {
		email, mobile string
		admin         bool
		apps          int
	}{
		{"ada@example.com", "+31612345678", true, 2},
		{"grace@example.com", "", false, 2},
		{"linus@example.com", "", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			u, ok := users[tt.email]
			if !ok {
				t.Fatal("missing")
			}
			if u.Mobile != tt.mobile || u.Admin != tt.admin || len(u.Applications) != tt.apps || u.Password == "" {
				t.Errorf("user = %+v", u)
			}
		})
	}
}

// valid is a small valid seed; bad seeds below change one thing in it.
const valid = `{
  "applications": [
    {"appId": "7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10", "name": "MFA", "url": "mfa.example.com", "enableMultiFactorAuthentication": true},
    {"appId": "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90", "name": "Plain", "url": "plain.example.com"}
  ],
  "users": [
    {"email": "ada@example.com", "name": "Ada", "password": "pw-ada-violet-anchor-marble", "mobile": "+31612345678",
     "applications": ["7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10"], "admin": true},
    {"email": "grace@example.com", "name": "Grace", "password": "pw-grace-violet-anchor-marble",
     "applications": ["2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90"]}
  ]
}`

func TestParseValid(t *testing.T) {
	tests := []struct {
		name, from, to string
		check          func(seed.File) bool
	}{
		{"as is", "", "", func(f seed.File) bool { return len(f.Users) == 2 }},
		{"url normalised", `"url": "mfa.example.com"`, `"url": "HTTPS://MFA.example.com/"`,
			func(f seed.File) bool { return f.Applications[0].URL == "mfa.example.com" }},
		{"email normalised", `"email": "ada@example.com"`, `"email": "  Ada@Example.COM "`,
			func(f seed.File) bool { return f.Users[0].Email == "ada@example.com" }},
		{"mobile normalised to E.164", `"mobile": "+31612345678"`, `"mobile": "+31 6 1234 5678"`,
			func(f seed.File) bool { return f.Users[0].Mobile == "+31612345678" }},
		{"passwordHash instead of password", `"password": "pw-grace-violet-anchor-marble"`, `"passwordHash": "` + mustHash(t, "pw-grace-violet-anchor-marble") + `"`,
			func(f seed.File) bool { return f.Users[1].Password == "" && f.Users[1].PasswordHash != "" }},
		{"a user in no application", `"applications": ["2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90"]}`, `"applications": []}`,
			func(f seed.File) bool { return len(f.Users[1].Applications) == 0 }},
		{"a given userId", `"name": "Grace",`, `"name": "Grace", "userId": "6f1e0b9c-3a2d-4c5e-8f7a-1b2c3d4e5f60",`,
			func(f seed.File) bool { return f.Users[1].UserID == "6f1e0b9c-3a2d-4c5e-8f7a-1b2c3d4e5f60" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := valid
			if tt.from != "" {
				if !strings.Contains(src, tt.from) {
					t.Fatalf("test seed lacks %q", tt.from)
				}
				src = strings.Replace(src, tt.from, tt.to, 1)
			}
			f, err := seed.Parse(strings.NewReader(src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !tt.check(f) {
				t.Errorf("parsed = %+v", f)
			}
		})
	}
}

func mustHash(t *testing.T, pw string) string {
	t.Helper()
	phc, err := password.New(testenv.CheapPassword).Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	return phc
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name     string
		from, to string // replace from by to in the valid seed; from "" replaces the whole seed
		entry    string // the error must name it
		field    string // and this
	}{
		{"unknown field in a user", `"name": "Grace",`, `"name": "Grace", "mobil": "+31612345678",`, "users[1]", "mobil"},
		{"unknown field in an application", `"name": "Plain",`, `"name": "Plain", "enableMFA": true,`, "applications[1]", "enableMFA"},
		{"wrong type in a user", `"admin": true`, `"admin": "yes"`, "users[0]", "admin"},
		{"wrong type in an application", `"enableMultiFactorAuthentication": true`, `"enableMultiFactorAuthentication": "true"`, "applications[0]", "enableMultiFactorAuthentication"},
		{"bad email", `"email": "grace@example.com"`, `"email": "grace.example.com"`, "users[1]", "email"},
		{"email with display name", `"email": "grace@example.com"`, `"email": "Grace <grace@example.com>"`, "users[1]", "email"},
		{"missing email", `"email": "grace@example.com", `, ``, "users[1]", "email"},
		{"duplicate email", `"email": "grace@example.com"`, `"email": "ADA@example.com"`, "users[1]", "email"},
		{"duplicate url", `"url": "plain.example.com"`, `"url": "https://MFA.example.com/"`, "applications[1]", "url"},
		{"missing url", `, "url": "plain.example.com"`, ``, "applications[1]", "url"},
		{"duplicate appId", `"appId": "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90"`, `"appId": "7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10"`, "applications[1]", "appId"},
		{"appId not a UUID", `"appId": "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90"`, `"appId": "plain"`, "applications[1]", "appId"},
		{"application without name", `"name": "Plain", `, ``, "applications[1]", "name"},
		{"unknown application id in a user", `"applications": ["2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90"]}`, `"applications": ["2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90", "9a9a9a9a-8c1e-4d7a-9e3b-5a4c6d7e8f90"]}`, "users[1]", "applications[1]"},
		{"same application twice in a user", `"applications": ["2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90"]}`, `"applications": ["2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90", "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90"]}`, "users[1]", "applications"},
		{"mobile without country code", `"mobile": "+31612345678"`, `"mobile": "0612345678"`, "users[0]", "mobile"},
		{"mobile with letters", `"mobile": "+31612345678"`, `"mobile": "+31 6 CALL ME"`, "users[0]", "mobile"},
		{"mobile too short", `"mobile": "+31612345678"`, `"mobile": "+316"`, "users[0]", "mobile"},
		{"missing user name", `"name": "Grace", `, ``, "users[1]", "name"},
		{"blank user name", `"name": "Grace"`, `"name": "   "`, "users[1]", "name"},
		{"both password and passwordHash", `"password": "pw-grace-violet-anchor-marble"`, `"password": "pw-grace-violet-anchor-marble", "passwordHash": "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"`, "users[1]", "password"},
		{"neither password nor passwordHash", `, "password": "pw-grace-violet-anchor-marble"`, ``, "users[1]", "password"},
		{"passwordHash not a PHC string", `"password": "pw-grace-violet-anchor-marble"`, `"passwordHash": "pw-grace-violet-anchor-marble"`, "users[1]", "passwordHash"},
		{"userId not a UUID", `"name": "Grace",`, `"name": "Grace", "userId": "grace",`, "users[1]", "userId"},
		{"userId a UUID in capitals", `"name": "Grace",`, `"name": "Grace", "userId": "6F1E0B9C-3A2D-4C5E-8F7A-1B2C3D4E5F60",`, "users[1]", "userId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(valid, tt.from) {
				t.Fatalf("test seed lacks %q", tt.from)
			}
			src := strings.Replace(valid, tt.from, tt.to, 1)
			_, err := seed.ParseBytes([]byte(src))
			if err == nil {
				t.Fatalf("seed accepted:\n%s", src)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.entry) {
				t.Errorf("error %q does not name the entry %s", msg, tt.entry)
			}
			if !strings.Contains(msg, tt.field) {
				t.Errorf("error %q does not name the field %s", msg, tt.field)
			}
		})
	}
}

func TestParseNotASeed(t *testing.T) {
	tests := []struct{ name, src string }{
		{"empty", ``},
		{"array", `[]`},
		{"broken", `{"users": [`},
		{"trailing data", valid + `{}`},
		{"unknown top-level property", `{"applications": [], "users": [], "roles": []}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := seed.ParseBytes([]byte(tt.src)); err == nil {
				t.Errorf("accepted %q", tt.src)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	src := strings.Replace(valid, `"mobile": "+31612345678"`, `"mobile": "12"`, 1)
	src = strings.Replace(src, `"url": "plain.example.com"`, `"url": ""`, 1)
	_, err := seed.ParseBytes([]byte(src))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"users[0]", "mobile", "applications[1]", "url"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %s", err, want)
		}
	}
}

// memStore records what Load writes.
type memStore struct {
	apps  []auth.Application
	users []auth.User
	fail  error
}

func (s *memStore) PutApplication(_ context.Context, a auth.Application) error {
	if s.fail != nil {
		return s.fail
	}
	s.apps = append(s.apps, a)
	return nil
}

func (s *memStore) PutUser(_ context.Context, u auth.User) error {
	if s.fail != nil {
		return s.fail
	}
	s.users = append(s.users, u)
	return nil
}

func TestLoad(t *testing.T) {
	phc := mustHash(t, "pw-grace-violet-anchor-marble")
	src := strings.Replace(valid, `"password": "pw-grace-violet-anchor-marble"`, `"passwordHash": "`+phc+`"`, 1)
	f, err := seed.ParseBytes([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	hasher := password.New(testenv.CheapPassword)
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	store := &memStore{}
	if err := f.Load(context.Background(), store, hasher, now); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(store.apps) != 2 || len(store.users) != 2 {
		t.Fatalf("wrote %d applications and %d users", len(store.apps), len(store.users))
	}
	t.Run("applications", func(t *testing.T) {
		a := store.apps[0]
		if a.ID != mfaApp || a.Name != "MFA" || a.URL != "mfa.example.com" || !a.MFA || !a.CreateDate.Equal(now) || !a.UpdateDate.Equal(now) {
			t.Errorf("application = %+v", a)
		}
		if store.apps[1].MFA {
			t.Errorf("MFA defaults to on")
		}
	})
	t.Run("plain password hashed", func(t *testing.T) {
		u := store.users[0]
		if u.PasswordHash == "pw-ada-violet-anchor-marble" || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
			t.Fatalf("password stored as %q", u.PasswordHash)
		}
		if ok, err := hasher.Verify("pw-ada-violet-anchor-marble", u.PasswordHash); !ok || err != nil {
			t.Errorf("hash does not verify: %v", err)
		}
		if u.Email != "ada@example.com" || u.Name != "Ada" || u.Mobile != "+31612345678" || !u.Admin || len(u.Applications) != 1 || u.Applications[0] != mfaApp {
			t.Errorf("user = %+v", u)
		}
	})
	t.Run("passwordHash kept", func(t *testing.T) {
		if got := store.users[1].PasswordHash; got != phc {
			t.Errorf("passwordHash = %q, want it unchanged", got)
		}
	})
	t.Run("stable user ids", func(t *testing.T) {
		again := &memStore{}
		if err := f.Load(context.Background(), again, hasher, now); err != nil {
			t.Fatal(err)
		}
		for i := range store.users {
			id := store.users[i].ID
			if _, err := uuid.Parse(id); err != nil {
				t.Errorf("user id %q is not a UUID", id)
			}
			if again.users[i].ID != id {
				t.Errorf("reseeding changed the id of %s", store.users[i].Email)
			}
		}
		if store.users[0].ID == store.users[1].ID {
			t.Errorf("two users share an id")
		}
	})
	t.Run("store failure names the entry", func(t *testing.T) {
		err := f.Load(context.Background(), &memStore{fail: errors.New("boom")}, hasher, now)
		if err == nil || !strings.Contains(err.Error(), mfaApp) {
			t.Errorf("err = %v, want one naming the application", err)
		}
	})
}
