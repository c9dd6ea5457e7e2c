package auth_test

// What Patch and Replace return is what they stored, and ByURL finds an application as a login by url
// does, for anyone.

import (
	"errors"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/auth"
)

// TestChangesReturnWhatIsStored: Patch and Replace answer the application as the store now holds it —
// the edit, the new updateDate and version, and a concurrent change kept by the retry — so that a
// caller can show it without reading it again.
func TestChangesReturnWhatIsStored(t *testing.T) {
	on := true
	name := "Patched"
	for _, tc := range []struct {
		name        string
		interfering int32 // concurrent changes slipped in before the service's writes
		change      func(*auth.Applications, *fixture) (auth.Application, error)
	}{
		{"patch", 0, func(a *auth.Applications, f *fixture) (auth.Application, error) {
			return a.Patch(f.Ctx, admin, appPlain, auth.ApplicationPatch{Name: &name, MFA: &on})
		}},
		{"replace", 0, func(a *auth.Applications, f *fixture) (auth.Application, error) {
			return a.Replace(f.Ctx, admin, appPlain, auth.Application{Name: "Replaced", URL: "HTTPS://Replaced.Example.com/"})
		}},
		{"patch retried after a concurrent change", 1, func(a *auth.Applications, f *fixture) (auth.Application, error) {
			return a.Patch(f.Ctx, admin, appPlain, auth.ApplicationPatch{MFA: &on})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.Clock.Advance(time.Hour)
			got, err := tc.change(f.applications(&interferingApps{ApplicationStore: f.Store, times: tc.interfering}), f)
			if err != nil {
				t.Fatalf("change: %v", err)
			}
			stored, err := f.Store.GetApplication(f.Ctx, appPlain)
			if err != nil {
				t.Fatalf("GetApplication: %v", err)
			}
			if !sameApplication(got, stored) {
				t.Errorf("returned\n %+v\nstored\n %+v", got, stored)
			}
			if !got.UpdateDate.Equal(f.Clock.Now().UTC().Truncate(time.Second)) || got.Version != 1+int(tc.interfering) {
				t.Errorf("returned %+v, want updateDate now and version %d", got, 1+tc.interfering)
			}
		})
	}
}

func sameApplication(a, b auth.Application) bool {
	return a.ID == b.ID && a.Name == b.Name && a.URL == b.URL && a.UniqueIdentifier == b.UniqueIdentifier &&
		a.MFA == b.MFA && a.Version == b.Version && a.CreateDate.Equal(b.CreateDate) && a.UpdateDate.Equal(b.UpdateDate)
}

// TestApplicationByURL: ByURL needs no session and normalises the url as a login does; an unknown url
// is ErrNotFound.
func TestApplicationByURL(t *testing.T) {
	f := newFixture(t)
	apps := f.applications(f.Store)
	for _, url := range []string{urlMFA, "https://MFA.example.com/sub/", " http://mfa.example.com/SUB "} {
		app, err := apps.ByURL(f.Ctx, url)
		if err != nil || app.ID != appMFA || app.URL != urlMFA || !app.MFA {
			t.Errorf("ByURL(%q) = %+v, %v; want the MFA application", url, app, err)
		}
	}
	for _, url := range []string{"nobody.example.com", "mfa.example.com", "", "https://"} {
		if _, err := apps.ByURL(f.Ctx, url); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("ByURL(%q) error %v, want ErrNotFound", url, err)
		}
	}
}

// TestApplicationByURLLogs: a miss is logged as a refusal, at INFO, without a user (there is none).
func TestApplicationByURLLogs(t *testing.T) {
	f := newFixture(t)
	var logs strings.Builder
	apps := auth.NewApplications(f.Store, f.Clock.Now, nil, jsonLog(&logs))
	if _, err := apps.ByURL(f.Ctx, "nobody.example.com"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("ByURL: %v, want ErrNotFound", err)
	}
	if line := logs.String(); !strings.Contains(line, `"level":"INFO"`) || !strings.Contains(line, `"action":"url"`) ||
		!strings.Contains(line, `"outcome":"not found"`) || strings.Contains(line, "userId") {
		t.Errorf("log %q, want one INFO refusal of the url action without a userId", line)
	}
}
