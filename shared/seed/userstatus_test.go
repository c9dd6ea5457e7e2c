package seed_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/password"
	"mfagateway/shared/seed"
	"mfagateway/shared/testenv"
)

const statusSeed = `{
  "applications": [{"appId": "` + plainApp + `", "name": "Plain", "url": "plain.example.com"}],
  "users": [
    {"email": "ada@example.com", "name": "Ada", "password": "pw-ada-violet-anchor-marble", "cultureInfo": "nl_nl"},
    {"email": "bo@example.com", "name": "Bo", "password": "pw-bo-violet-anchor-marble", "status": "blocked"},
    {"email": "cy@example.com", "name": "Cy", "status": "Pending"}
  ]
}`

// A seed's users take cultureInfo (stored canonical) and status (Activated when left out; a Pending
// user has no password).
func TestSeedUserStatusAndCulture(t *testing.T) {
	f, err := seed.ParseBytes([]byte(statusSeed))
	if err != nil {
		t.Fatal(err)
	}
	store := &memStore{}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := f.Load(context.Background(), store, password.New(testenv.CheapPassword), now); err != nil {
		t.Fatalf("Load: %v", err)
	}
	ada, bo, cy := store.users[0], store.users[1], store.users[2]
	if ada.CultureInfo != "nl-NL" || ada.Status != auth.StatusActivated || !ada.CreateDate.Equal(now) {
		t.Errorf("ada %+v, want nl-NL, Activated, created now", ada)
	}
	if bo.Status != auth.StatusBlocked || bo.PasswordHash == "" {
		t.Errorf("bo %+v, want Blocked with a password", bo)
	}
	if cy.Status != auth.StatusPending || cy.PasswordHash != "" {
		t.Errorf("cy %+v, want Pending without a password", cy)
	}
}

func TestSeedUserStatusInvalid(t *testing.T) {
	for _, tc := range []struct{ from, to, want string }{
		{`"status": "blocked"`, `"status": "Frozen"`, "users[1] (bo@example.com): status: must be Pending, Activated or Blocked"},
		{`"cultureInfo": "nl_nl"`, `"cultureInfo": "not a tag"`, "users[0] (ada@example.com): cultureInfo: must be a BCP 47 language tag"},
		{`"name": "Cy", "status": "Pending"`, `"name": "Cy", "status": "Pending", "password": "pw-cy-violet-anchor-marble"`, "users[2] (cy@example.com): password: a Pending user has none yet"},
		{`"name": "Cy", "status": "Pending"`, `"name": "Cy", "status": "Activated"`, "users[2] (cy@example.com): password: give exactly one"},
		{`"cultureInfo": "nl_nl"`, `"cultureInfo": 5`, "cultureInfo"},
	} {
		t.Run(tc.to, func(t *testing.T) {
			bad := strings.Replace(statusSeed, tc.from, tc.to, 1)
			if bad == statusSeed {
				t.Fatalf("%q is not in the seed", tc.from)
			}
			_, err := seed.ParseBytes([]byte(bad))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseBytes: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
