package httpapi_test

// PATCH /odata/users/me and POST /odata/users/me/confirmMobile through the applications function's
// router over the demo seed: what a user may change of themselves, a new number that waits for its
// code, and each answer of the confirmation.

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/testenv"
)

const (
	meNewMobile = "+31687654321"
	meMasked    = "+31******21" // meNewMobile as the entity shows it while it waits
	confirmPath = "/odata/users/me/confirmMobile"
	mePath      = "/odata/users/me"
)

// self is the verdict of a user's own token.
func (e *apiEnv) self(userID, email string) map[string]any { return e.verdictOf(userID, email, false) }

// askNumber PATCHes ada's own number to meNewMobile and returns the code texted to it.
func (e *apiEnv) askNumber(t *testing.T) string {
	t.Helper()
	if a := e.callUsers(t, e.self(adaID, adaEmail), http.MethodPatch, mePath, "", `{"mobilePhone": "+31 6 8765 4321"}`); a.Status != http.StatusNoContent {
		t.Fatalf("PATCH me mobilePhone: %d %s", a.Status, a.Raw)
	}
	entries := e.Outbox.Entries()
	if last := entries[len(entries)-1]; last.Channel != "SMS" || last.To != meNewMobile {
		t.Fatalf("newest message %+v, want an SMS to %s", last, meNewMobile)
	}
	return e.LastCode(t)
}

func (e *apiEnv) confirm(t *testing.T, path, code string) answer {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"bindingCode": code})
	return e.callUsers(t, e.self(adaID, adaEmail), http.MethodPost, path, "", string(body))
}

func TestPatchMe(t *testing.T) {
	t.Run("an entity read is written back as it is", func(t *testing.T) {
		e := newAPIEnv(t)
		for _, who := range []struct{ id, email string }{{graceID, graceEmail}, {adaID, adaEmail}} {
			got := e.callUsers(t, e.self(who.id, who.email), http.MethodGet, mePath, "", "")
			before := e.tableItems(t)
			a := e.callUsers(t, e.self(who.id, who.email), http.MethodPatch, mePath, "", got.Raw)
			if a.Status != http.StatusNoContent {
				t.Fatalf("%s writes back %s: %d %s", who.email, got.Raw, a.Status, a.Raw)
			}
			if after := e.tableItems(t); !slices.EqualFunc(before, after, func(x, y map[string]any) bool { return maps.EqualFunc(x, y, sameJSON) }) {
				t.Errorf("%s: writing back the entity changed the table", who.email)
			}
			a = e.callUsers(t, e.self(who.id, who.email), http.MethodPatch, mePath, "", got.Raw, "prefer", "return=representation")
			if a.Status != http.StatusOK || a.Raw != got.Raw {
				t.Errorf("%s with return=representation: %d %s, want 200 %s", who.email, a.Status, a.Raw, got.Raw)
			}
			wantUserEntity(t, a.Body)
		}
	})

	t.Run("name and cultureInfo", func(t *testing.T) {
		e := newAPIEnv(t)
		a := e.callUsers(t, e.self(graceID, graceEmail), http.MethodPatch, mePath, "", `{"Name": "Grace H.", "cultureInfo": "fr_fr"}`,
			"prefer", "return=representation")
		if a.Status != http.StatusOK || a.Body["name"] != "Grace H." || a.Body["cultureInfo"] != "fr-FR" || a.Body["email"] != graceEmail {
			t.Errorf("PATCH me: %d %s", a.Status, a.Raw)
		}
	})

	t.Run("what a user may not change of themselves", func(t *testing.T) {
		e := newAPIEnv(t)
		before := e.tableItems(t)
		for _, body := range []string{
			`{"email": "grace.h@example.com"}`, `{"status": "Blocked"}`, `{"admin": true}`,
			`{"applications": ["` + demoPlain + `"]}`, `{"name": "Grace H.", "admin": true}`,
		} {
			a := e.callUsers(t, e.self(graceID, graceEmail), http.MethodPatch, mePath, "", body)
			wantError(t, a, http.StatusForbidden, "forbidden", "")
		}
		a := e.callUsers(t, e.self(graceID, graceEmail), http.MethodPatch, mePath, "", `{"password": "x"}`)
		wantError(t, a, http.StatusBadRequest, "invalid_request", "")
		if after := e.tableItems(t); !slices.EqualFunc(before, after, func(x, y map[string]any) bool { return maps.EqualFunc(x, y, sameJSON) }) {
			t.Error("a refused change wrote to the table")
		}
	})

	t.Run("an application has no profile", func(t *testing.T) {
		e := newAPIEnv(t)
		wantError(t, e.callUsers(t, e.clientVerdict(demoPlain), http.MethodPatch, mePath, "", `{"name": "App"}`), http.StatusForbidden, "forbidden", "")
		wantError(t, e.callUsers(t, e.clientVerdict(demoPlain), http.MethodPost, confirmPath, "", `{"bindingCode": "123456"}`),
			http.StatusForbidden, "forbidden", "")
	})

	t.Run("a new number waits for its code", func(t *testing.T) {
		e := newAPIEnv(t)
		a := e.callUsers(t, e.self(adaID, adaEmail), http.MethodPatch, mePath, "", `{"mobilePhone": "+31 6 8765 4321"}`,
			"prefer", "return=representation")
		if a.Status != http.StatusOK || a.Body["mobilePhone"] != adaMobile || a.Body["pendingMobilePhone"] != meMasked {
			t.Fatalf("PATCH me: %d %s, want ada's number in full and the new one masked as pending", a.Status, a.Raw)
		}
		code := e.LastCode(t)
		got := e.callUsers(t, e.self(adaID, adaEmail), http.MethodGet, mePath, "", "")
		if got.Body["mobilePhone"] != adaMobile || got.Body["pendingMobilePhone"] != meMasked {
			t.Errorf("GET me: %s", got.Raw)
		}
		// Written back, the entity leaves the pending number as it is.
		if a := e.callUsers(t, e.self(adaID, adaEmail), http.MethodPatch, mePath, "", got.Raw); a.Status != http.StatusNoContent {
			t.Errorf("write back: %d %s", a.Status, a.Raw)
		}
		wrong := e.confirm(t, confirmPath, wrongCode(code))
		wantError(t, wrong, http.StatusUnauthorized, "invalid_code", "", "attemptsRemaining")
		if wrong.Body["attemptsRemaining"] != float64(auth.DefaultPolicy.MaxAttempts-1) {
			t.Errorf("a wrong code: %s, want attemptsRemaining %d", wrong.Raw, auth.DefaultPolicy.MaxAttempts-1)
		}
		wantError(t, e.confirm(t, confirmPath, "12345"), http.StatusBadRequest, "invalid_request", "")
		wantError(t, e.callUsers(t, e.self(adaID, adaEmail), http.MethodPost, confirmPath, "", `{}`), http.StatusBadRequest, "invalid_request", "")
		if u, _ := e.Store.GetUserByID(e.Ctx, adaID); u.PendingMobile.Attempts != 1 {
			t.Errorf("%d attempts stored, want the wrong code's one", u.PendingMobile.Attempts)
		}
		if a := e.confirm(t, "/odata/users/me/confirmmobile", code); a.Status != http.StatusNoContent {
			t.Fatalf("confirm: %d %s", a.Status, a.Raw)
		}
		got = e.callUsers(t, e.self(adaID, adaEmail), http.MethodGet, mePath, "", "")
		if _, pending := got.Body["pendingMobilePhone"]; got.Body["mobilePhone"] != meNewMobile || pending {
			t.Errorf("GET me after the confirmation: %s", got.Raw)
		}
		wantUserEntity(t, got.Body)
		wantError(t, e.confirm(t, confirmPath, code), http.StatusBadRequest, "invalid_request", "")
	})

	t.Run("the same number again within the cooldown", func(t *testing.T) {
		e := newAPIEnv(t)
		e.askNumber(t)
		e.Clock.Advance(10 * time.Second)
		a := e.callUsers(t, e.self(adaID, adaEmail), http.MethodPatch, mePath, "", `{"mobilePhone": "`+meNewMobile+`"}`)
		wantError(t, a, http.StatusTooManyRequests, "too_many_requests", "20")
	})

	t.Run("past the hourly send cap", func(t *testing.T) {
		e := newAPIEnv(t, testenv.WithPolicy(func(p *auth.Policy) { p.SendsPerHour = 1 }))
		e.askNumber(t)
		a := e.callUsers(t, e.self(adaID, adaEmail), http.MethodPatch, mePath, "", `{"mobilePhone": "+31611122233"}`)
		wantError(t, a, http.StatusTooManyRequests, "too_many_requests", "3600")
	})

	t.Run("an expired code", func(t *testing.T) {
		e := newAPIEnv(t)
		code := e.askNumber(t)
		e.Clock.Advance(auth.DefaultPolicy.CodeTTL)
		wantError(t, e.confirm(t, confirmPath, code), http.StatusUnauthorized, "code_expired", "")
	})

	t.Run("wrong codes used up", func(t *testing.T) {
		e := newAPIEnv(t)
		code := e.askNumber(t)
		for range auth.DefaultPolicy.MaxAttempts {
			wantError(t, e.confirm(t, confirmPath, wrongCode(code)), http.StatusUnauthorized, "invalid_code", "", "attemptsRemaining")
		}
		wantError(t, e.confirm(t, confirmPath, code), http.StatusTooManyRequests, "too_many_attempts", "")
		wantError(t, e.confirm(t, confirmPath, code), http.StatusBadRequest, "invalid_request", "")
	})

	t.Run("null removes the number", func(t *testing.T) {
		e := newAPIEnv(t)
		if a := e.callUsers(t, e.self(adaID, adaEmail), http.MethodPatch, mePath, "", `{"mobilePhone": null}`); a.Status != http.StatusNoContent {
			t.Fatalf("PATCH me: %d %s", a.Status, a.Raw)
		}
		if got := e.callUsers(t, e.self(adaID, adaEmail), http.MethodGet, mePath, "", ""); got.Body["mobilePhone"] != nil {
			t.Errorf("GET me: %s, want no number", got.Raw)
		}
		entries := e.Outbox.Entries()
		if len(entries) != 1 || entries[0].Channel != "Email" || entries[0].To != adaEmail {
			t.Errorf("sent %+v, want one email to %s", entries, adaEmail)
		}
	})

	t.Run("an admin's change of an email tells the old address", func(t *testing.T) {
		e := newAPIEnv(t)
		a := e.callUsers(t, e.admin(), http.MethodPatch, "/odata/users/"+graceID, "", `{"email": "grace.h@example.org"}`)
		if a.Status != http.StatusNoContent {
			t.Fatalf("PATCH grace: %d %s", a.Status, a.Raw)
		}
		entries := e.Outbox.Entries()
		if len(entries) != 1 || entries[0].Channel != "Email" || entries[0].To != graceEmail {
			t.Errorf("sent %+v, want one email to the old address %s", entries, graceEmail)
		}
	})
}

// sameJSON compares two decoded JSON values.
func sameJSON(x, y any) bool {
	a, _ := json.Marshal(x)
	b, _ := json.Marshal(y)
	return string(a) == string(b)
}
