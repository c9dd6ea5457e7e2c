package httpapi_test

// /odata/users answers about other people mask their email and number, as the logs do; the caller's
// own user shows them in full; an entity read and written back as it is changes neither.

import (
	"net/http"
	"net/url"
	"testing"

	"mfagateway/shared/httpapi"
	"mfagateway/shared/mask"
)

const (
	adaMasked    = "a***@example.com"
	mobileMasked = "+31******78" // adaMobile and ines's number
)

func TestUsersMaskOthers(t *testing.T) {
	e := newAPIEnv(t)
	if mask.Email(adaEmail) != adaMasked || mask.Phone(adaMobile) != mobileMasked {
		t.Fatalf("the masks are %s and %s", mask.Email(adaEmail), mask.Phone(adaMobile))
	}
	// The admin's list: ada (the caller) in full, everyone else masked.
	a := e.callUsers(t, e.admin(), http.MethodGet, "/odata/users", "$orderby=email", "")
	value, _ := a.Body["value"].([]any)
	if a.Status != http.StatusOK || len(value) != 3 {
		t.Fatalf("list: %d %s, want ada, grace, linus", a.Status, a.Raw)
	}
	for i, want := range []string{adaEmail, "g***@example.com", "l***@example.com"} {
		if got := value[i].(map[string]any)["email"]; got != want {
			t.Errorf("listed email %d: %v, want %s", i, got, want)
		}
	}
	if got := value[0].(map[string]any)["mobilePhone"]; got != adaMobile {
		t.Errorf("the caller's own number in the list: %v, want %s", got, adaMobile)
	}
	// $filter compares the stored values, not the masks.
	q := url.Values{"$filter": {"email eq '" + graceEmail + "'"}}.Encode()
	a = e.callUsers(t, e.admin(), http.MethodGet, "/odata/users", q, "")
	if value, _ := a.Body["value"].([]any); len(value) != 1 || value[0].(map[string]any)["id"] != graceID ||
		value[0].(map[string]any)["email"] != "g***@example.com" {
		t.Errorf("$filter email eq grace's: %s, want grace, masked", a.Raw)
	}
	q = url.Values{"$filter": {"email eq 'g***@example.com'"}}.Encode()
	if a = e.callUsers(t, e.admin(), http.MethodGet, "/odata/users", q, ""); len(a.Body["value"].([]any)) != 0 {
		t.Errorf("$filter on a mask: %s, want no user", a.Raw)
	}

	for _, tc := range []struct {
		name          string
		verdict       map[string]any
		path          string
		email, mobile any
	}{
		{"the admin's own id", e.admin(), "/odata/users/" + adaID, adaEmail, adaMobile},
		{"the admin's me", e.admin(), "/odata/users/me", adaEmail, adaMobile},
		{"a user's me", e.verdictOf(graceID, graceEmail, false), "/odata/users/me", graceEmail, nil},
		{"another user", e.admin(), "/odata/users/" + graceID, "g***@example.com", nil},
		{"another admin", e.verdictOf(graceID, graceEmail, true), "/odata/users/" + adaID, adaMasked, mobileMasked},
		{"an application by its credentials", e.clientVerdict(demoPlain), "/odata/users/" + adaID, adaMasked, mobileMasked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := e.callUsers(t, tc.verdict, http.MethodGet, tc.path, "", "")
			if a.Status != http.StatusOK || a.Body["email"] != tc.email || a.Body["mobilePhone"] != tc.mobile {
				t.Errorf("%d %s, want email %v and mobilePhone %v", a.Status, a.Raw, tc.email, tc.mobile)
			}
		})
	}
}

// TestUsersWriteBackMasked: an entity read with its email and number masked and sent back as it is
// changes neither; a mask of another value is 400 naming the property.
func TestUsersWriteBackMasked(t *testing.T) {
	e := newAPIEnv(t)
	// The create answer is about another person than the admin: masked; the store holds the full values.
	a := e.callUsers(t, e.admin(), http.MethodPost, "/odata/users", "",
		`{"email": "ines@example.com", "name": "Ines", "mobilePhone": "+31 6 1234 5678", "applications": ["`+demoPlain+`"]}`)
	if a.Status != http.StatusCreated || a.Body["email"] != "i***@example.com" || a.Body["mobilePhone"] != mobileMasked {
		t.Fatalf("create: %d %s, want 201 with the email and number masked", a.Status, a.Raw)
	}
	id := a.Body["id"].(string)
	wantStored := func(step string) {
		t.Helper()
		u, err := e.Store.GetUserByID(e.Ctx, id)
		if err != nil || u.Email != "ines@example.com" || u.Mobile != "+31612345678" {
			t.Errorf("%s: stored %q, %q (%v), want ines@example.com and +31612345678", step, u.Email, u.Mobile, err)
		}
	}
	wantStored("create")

	// PUT of the entity read, as it is, by the admin and by the application.
	for _, who := range []map[string]any{e.admin(), e.clientVerdict(demoPlain)} {
		got := e.callUsers(t, who, http.MethodGet, "/odata/users/"+id, "", "")
		if got.Body["email"] != "i***@example.com" {
			t.Fatalf("GET: %s, want the email masked", got.Raw)
		}
		if a := e.callUsers(t, who, http.MethodPut, "/odata/users/"+id, "", got.Raw); a.Status != http.StatusNoContent {
			t.Errorf("PUT of the entity read: %d %s, want 204", a.Status, a.Raw)
		}
		wantStored("PUT back")
	}
	// PATCH with a representation: the answer masked, the store in full.
	a = e.callUsers(t, e.admin(), http.MethodPatch, "/odata/users/"+id, "",
		`{"email": "i***@example.com", "mobilePhone": "+31******78", "name": "Ines B"}`, "prefer", "return=representation")
	if a.Status != http.StatusOK || a.Body["name"] != "Ines B" || a.Body["email"] != "i***@example.com" || a.Body["mobilePhone"] != mobileMasked {
		t.Errorf("PATCH with the masks: %d %s, want 200, the name changed, the rest masked", a.Status, a.Raw)
	}
	wantStored("PATCH with the masks")
	if found := e.callUsers(t, e.admin(), http.MethodGet, "/odata/users", url.Values{"$filter": {"email eq 'ines@example.com'"}}.Encode(), ""); len(found.Body["value"].([]any)) != 1 {
		t.Errorf("$filter on the full email after the write-back: %s, want ines", found.Raw)
	}

	// A mask that is not the stored value's says nothing to set: 400, nothing written.
	for _, tc := range []struct{ body, property string }{
		{`{"email": "x***@example.com"}`, "email"},
		{`{"mobilePhone": "+32******78"}`, "mobilePhone"},
		{`{"mobilePhone": "+31******77"}`, "mobilePhone"},
	} {
		a := e.callUsers(t, e.admin(), http.MethodPatch, "/odata/users/"+id, "", tc.body)
		wantError(t, a, http.StatusBadRequest, httpapi.CodeInvalidRequest, "")
		wantMessageNames(t, a, tc.property)
		wantStored(tc.body)
	}
	// grace has no number: the mask of one is no write-back.
	a = e.callUsers(t, e.admin(), http.MethodPatch, "/odata/users/"+graceID, "", `{"mobilePhone": "+31******78"}`)
	wantError(t, a, http.StatusBadRequest, httpapi.CodeInvalidRequest, "")
	wantMessageNames(t, a, "mobilePhone")
}
