package httpapi_test

// /odata/users through the applications function's router for an application acting by its
// credentials, over the demo seed (grace is a member of both demo applications, linus of the plain
// one alone): what it may not do to a user it shares with another application, and the bound on a
// user's applications.

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
)

const linusID = "01af1f80-eea4-5cde-92f6-75a55cbc0a76" // the demo seed's linus, of demoPlain alone

// clientVerdict is the authorizer's context of good application credentials of appID.
func (e *apiEnv) clientVerdict(appID string) map[string]any {
	return map[string]any{"valid": true, "client": true, "appId": appID, "expiresAt": float64(e.Clock.Now().Unix() + 60)}
}

func TestUsersClientOfSharedUsers(t *testing.T) {
	e := newAPIEnv(t)
	mfa := e.clientVerdict(demoMFA)
	before := e.tableItems(t)
	for _, tc := range []struct {
		name, method, id, body string
	}{
		{"PATCH dropping the other application", http.MethodPatch, graceID, `{"applications": ["` + demoMFA + `"]}`},
		{"PATCH adding only its own, dropping the other", http.MethodPatch, graceID, `{"applications": ["` + demoMFA + `", "` + demoMFA + `"]}`},
		{"PUT leaving applications out", http.MethodPut, graceID, `{"email": "grace@example.com", "name": "Grace"}`},
		{"PUT with its own application alone", http.MethodPut, graceID, `{"email": "grace@example.com", "name": "Grace", "applications": ["` + demoMFA + `"]}`},
		{"PATCH of an admin's admin flag", http.MethodPatch, adaID, `{"admin": false}`},
		{"PATCH of a shared user's email", http.MethodPatch, graceID, `{"email": "grace@elsewhere.example"}`},
		{"PATCH of a shared user's mobilePhone", http.MethodPatch, graceID, `{"mobilePhone": "+31612345679"}`},
		{"PATCH of a shared user's status", http.MethodPatch, graceID, `{"status": "Blocked"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := e.callUsers(t, mfa, tc.method, "/odata/users/"+tc.id, "", tc.body)
			wantError(t, a, http.StatusForbidden, httpapi.CodeForbidden, "")
		})
	}
	t.Run("unblock of a shared user", func(t *testing.T) {
		a := e.callUsers(t, mfa, http.MethodPost, "/odata/users/unblockUser", "", `{"userId": "`+graceID+`"}`)
		wantError(t, a, http.StatusForbidden, httpapi.CodeForbidden, "")
	})
	if after := e.tableItems(t); !reflect.DeepEqual(before, after) {
		t.Error("a refused Client session's request changed the table")
	}
	// The other application's membership is where it was: grace still logs in to both.
	a := e.callUsers(t, e.admin(), http.MethodGet, "/odata/users/"+graceID, "", "")
	if apps := fmt.Sprint(a.Body["applications"]); a.Status != http.StatusOK || !strings.Contains(apps, demoMFA) || !strings.Contains(apps, demoPlain) {
		t.Errorf("grace: %d, applications %s; want both demo applications", a.Status, apps)
	}

	// What the client may: a shared user's name, and everything of a member of its application alone.
	if a := e.callUsers(t, mfa, http.MethodPatch, "/odata/users/"+graceID, "", `{"name": "Grace H", "cultureInfo": "nl-NL"}`); a.Status != http.StatusNoContent {
		t.Errorf("name and cultureInfo of a shared user: %d %s, want 204", a.Status, a.Raw)
	}
	plain := e.clientVerdict(demoPlain)
	a = e.callUsers(t, plain, http.MethodPatch, "/odata/users/"+linusID, "", `{"email": "linus@example.org", "mobilePhone": "+31 6 1234 5679", "status": "Blocked"}`)
	if a.Status != http.StatusNoContent {
		t.Errorf("email, mobilePhone and status of its own member alone: %d %s, want 204", a.Status, a.Raw)
	}
	// Read from the store: an answer about another person may mask the email.
	if u, err := e.Store.GetUserByID(e.Ctx, linusID); err != nil || u.Email != "linus@example.org" || u.Mobile != "+31612345679" || u.State() != auth.StatusBlocked {
		t.Errorf("linus after the change: %+v, %v", u, err)
	}
	if a := e.callUsers(t, plain, http.MethodPost, "/odata/users/unblockUser", "", `{"userId": "`+linusID+`"}`); a.Status != http.StatusNoContent {
		t.Errorf("unblock of its own member alone: %d %s, want 204", a.Status, a.Raw)
	}
}

func TestUsersApplicationsBound(t *testing.T) {
	e := newAPIEnv(t)
	// appIds that no application has: the bound is checked before any of them is, and more than a
	// transaction takes (100 actions) must be the same 400.
	list := func(n int) string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf(`"00000000-0000-4000-8000-%012d"`, i)
		}
		return "[" + strings.Join(ids, ", ") + "]"
	}
	before := e.tableItems(t)
	for _, tc := range []struct{ name, method, path, body string }{
		{"create", http.MethodPost, "/odata/users", `{"email": "many@example.com", "name": "Many", "applications": ` + list(51) + `}`},
		{"create with more than a transaction takes", http.MethodPost, "/odata/users", `{"email": "many@example.com", "name": "Many", "applications": ` + list(120) + `}`},
		{"patch", http.MethodPatch, "/odata/users/" + graceID, `{"applications": ` + list(51) + `}`},
		{"patch with more than a transaction takes", http.MethodPatch, "/odata/users/" + graceID, `{"applications": ` + list(120) + `}`},
		{"put", http.MethodPut, "/odata/users/" + graceID, `{"email": "grace@example.com", "name": "Grace", "applications": ` + list(51) + `}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := e.callUsers(t, e.admin(), tc.method, tc.path, "", tc.body)
			wantError(t, a, http.StatusBadRequest, httpapi.CodeInvalidRequest, "")
			if msg, _ := a.Body["message"].(string); !strings.Contains(msg, "applications") || !strings.Contains(msg, "50") {
				t.Errorf("message %q, want it to name applications and the bound", msg)
			}
		})
	}
	if after := e.tableItems(t); !reflect.DeepEqual(before, after) {
		t.Error("a refused list of applications changed the table")
	}
}
