package httpapi_test

// Bad input to /odata/users: every refusal is a 4xx with a stable code, never a 5xx, and writes
// nothing (the whole table is compared before and after).

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"mfagateway/shared/httpapi"
	"mfagateway/shared/mask"
)

func TestUsersBadInput(t *testing.T) {
	e := newAPIEnv(t)
	grace := "/odata/users/" + graceID
	nonAdmin := e.verdictOf(graceID, graceEmail, false)
	filter := func(f string) string { return url.Values{"$filter": {f}}.Encode() }
	for _, tc := range []struct {
		name                      string
		verdict                   map[string]any
		method, path, query, body string
		status                    int
		code                      string
		names                     string // a word the message must hold, when it names what was refused
	}{
		{"unknown option", nil, http.MethodGet, "/odata/users", "$expand=applications", "", 400, httpapi.CodeInvalidRequest, "$expand"},
		{"unknown option, any name", nil, http.MethodGet, "/odata/users", "$foo=1", "", 400, httpapi.CodeInvalidRequest, "$foo"},
		{"option twice in two cases", nil, http.MethodGet, "/odata/users", "$top=1&$TOP=2", "", 400, httpapi.CodeInvalidRequest, "more than once"},
		{"filter on a property not declared", nil, http.MethodGet, "/odata/users", filter("role eq 'Admin'"), "", 400, httpapi.CodeInvalidRequest, "role"},
		{"filter without a value", nil, http.MethodGet, "/odata/users", filter("status eq"), "", 400, httpapi.CodeInvalidRequest, "$filter"},
		{"filter with parentheses", nil, http.MethodGet, "/odata/users", filter("(status eq 'Blocked')"), "", 400, httpapi.CodeInvalidRequest, "$filter"},
		{"filter with another operator", nil, http.MethodGet, "/odata/users", filter("email gt 'a'"), "", 400, httpapi.CodeInvalidRequest, "gt"},
		{"filter with or", nil, http.MethodGet, "/odata/users", filter("admin eq true or admin eq false"), "", 400, httpapi.CodeInvalidRequest, "or"},
		{"a boolean compared with a string", nil, http.MethodGet, "/odata/users", filter("admin eq 'yes'"), "", 400, httpapi.CodeInvalidRequest, "admin"},
		{"a string without its closing quote", nil, http.MethodGet, "/odata/users", filter("email eq 'ada"), "", 400, httpapi.CodeInvalidRequest, "quote"},
		{"a function", nil, http.MethodGet, "/odata/users", filter("contains(email,'a')"), "", 400, httpapi.CodeInvalidRequest, "$filter"},
		{"$top -1", nil, http.MethodGet, "/odata/users", "$top=-1", "", 400, httpapi.CodeInvalidRequest, "$top"},
		{"$top 100000", nil, http.MethodGet, "/odata/users", "$top=100000", "", 400, httpapi.CodeInvalidRequest, "$top"},
		{"$orderby on a property not declared", nil, http.MethodGet, "/odata/users", "$orderby=name", "", 400, httpapi.CodeInvalidRequest, "name"},
		{"$select of no property", nil, http.MethodGet, "/odata/users", "$select=password", "", 400, httpapi.CodeInvalidRequest, "password"},
		{"unknown property", nil, http.MethodPost, "/odata/users", "", `{"email": "x@example.com", "name": "X", "password": "p"}`, 400, httpapi.CodeInvalidRequest, "password"},
		{"admin not a boolean", nil, http.MethodPost, "/odata/users", "", `{"email": "x@example.com", "name": "X", "admin": "yes"}`, 400, httpapi.CodeInvalidRequest, "admin"},
		{"applications not a list", nil, http.MethodPost, "/odata/users", "", `{"email": "x@example.com", "name": "X", "applications": "x"}`, 400, httpapi.CodeInvalidRequest, "applications"},
		{"applications naming no application", nil, http.MethodPost, "/odata/users", "", `{"email": "x@example.com", "name": "X", "applications": ["00000000-0000-4000-8000-000000000000"]}`, 400, httpapi.CodeInvalidRequest, "applications"},
		{"mobilePhone a number", nil, http.MethodPost, "/odata/users", "", `{"email": "x@example.com", "name": "X", "mobilePhone": 31612345678}`, 400, httpapi.CodeInvalidRequest, "mobilePhone"},
		{"mobilePhone a fixed line", nil, http.MethodPost, "/odata/users", "", `{"email": "x@example.com", "name": "X", "mobilePhone": "+31201234567"}`, 400, httpapi.CodeInvalidRequest, "mobilePhone"},
		{"email no address", nil, http.MethodPost, "/odata/users", "", `{"email": "x at example", "name": "X"}`, 400, httpapi.CodeInvalidRequest, "email"},
		{"email missing", nil, http.MethodPost, "/odata/users", "", `{"name": "X"}`, 400, httpapi.CodeInvalidRequest, "email"},
		{"name blank", nil, http.MethodPost, "/odata/users", "", `{"email": "x@example.com", "name": "  "}`, 400, httpapi.CodeInvalidRequest, "name"},
		{"cultureInfo no tag", nil, http.MethodPost, "/odata/users", "", `{"email": "x@example.com", "name": "X", "cultureInfo": "not a tag"}`, 400, httpapi.CodeInvalidRequest, "cultureInfo"},
		{"created Activated", nil, http.MethodPost, "/odata/users", "", `{"email": "x@example.com", "name": "X", "status": "Activated"}`, 400, httpapi.CodeInvalidRequest, "status"},
		{"the same name twice", nil, http.MethodPost, "/odata/users", "", `{"email": "x@example.com", "Email": "y@example.com", "name": "X"}`, 400, httpapi.CodeInvalidRequest, ""},
		{"email taken", nil, http.MethodPost, "/odata/users", "", `{"email": "GRACE@example.com", "name": "X"}`, 409, httpapi.CodeConflict, ""},
		{"status Pending by PATCH", nil, http.MethodPatch, grace, "", `{"status": "Pending"}`, 400, httpapi.CodeInvalidRequest, "status"},
		{"status unknown", nil, http.MethodPatch, grace, "", `{"status": "Frozen"}`, 400, httpapi.CodeInvalidRequest, "status"},
		{"status not a string", nil, http.MethodPatch, grace, "", `{"status": 3}`, 400, httpapi.CodeInvalidRequest, "status"},
		{"email moved onto another user's", nil, http.MethodPatch, grace, "", `{"email": "ada@example.com"}`, 409, httpapi.CodeConflict, ""},
		{"PUT without name", nil, http.MethodPut, grace, "", `{"email": "grace@example.com"}`, 400, httpapi.CodeInvalidRequest, "name"},
		{"name with a control character", nil, http.MethodPatch, grace, "", `{"name": "Gr\u0007ace"}`, 400, httpapi.CodeInvalidRequest, "name"},
		{"not JSON", nil, http.MethodPatch, grace, "", `{"name":`, 400, httpapi.CodeInvalidRequest, ""},
		{"unknown user", nil, http.MethodPatch, "/odata/users/00000000-0000-4000-8000-000000000000", "", `{"name": "X"}`, 404, httpapi.CodeNotFound, ""},
		{"implausible id", nil, http.MethodGet, "/odata/users/" + strings.Repeat("x", 200), "", "", 404, httpapi.CodeNotFound, ""},
		{"unblock without userId", nil, http.MethodPost, "/odata/users/unblockUser", "", `{}`, 400, httpapi.CodeInvalidRequest, "userId"},
		{"unblock of a userId not a string", nil, http.MethodPost, "/odata/users/unblockUser", "", `{"userId": 7}`, 400, httpapi.CodeInvalidRequest, "userId"},
		{"unblock of no user", nil, http.MethodPost, "/odata/users/unblockUser", "", `{"userId": "nobody"}`, 404, httpapi.CodeNotFound, ""},
		{"a plain user lists", nonAdmin, http.MethodGet, "/odata/users", "", "", 403, httpapi.CodeForbidden, ""},
		{"a plain user reads", nonAdmin, http.MethodGet, "/odata/users/" + adaID, "", "", 403, httpapi.CodeForbidden, ""},
		{"a plain user creates", nonAdmin, http.MethodPost, "/odata/users", "", `{"email": "x@example.com", "name": "X"}`, 403, httpapi.CodeForbidden, ""},
		{"a plain user changes itself", nonAdmin, http.MethodPatch, grace, "", `{"admin": true}`, 403, httpapi.CodeForbidden, ""},
		{"a plain user deletes", nonAdmin, http.MethodDelete, grace, "", "", 403, httpapi.CodeForbidden, ""},
		{"a plain user unblocks", nonAdmin, http.MethodPost, "/odata/users/unblockUser", "", `{"userId": "` + graceID + `"}`, 403, httpapi.CodeForbidden, ""},
		{"no token", map[string]any{"valid": false}, http.MethodGet, "/odata/users", "", "", 401, httpapi.CodeInvalidToken, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			verdict := tc.verdict
			if verdict == nil {
				verdict = e.admin()
			}
			before := e.tableItems(t)
			a := e.callUsers(t, verdict, tc.method, tc.path, tc.query, tc.body)
			wantError(t, a, tc.status, tc.code, "")
			if msg, _ := a.Body["message"].(string); tc.names != "" && !strings.Contains(msg, tc.names) {
				t.Errorf("message %q does not name %q", msg, tc.names)
			}
			if after := e.tableItems(t); !reflect.DeepEqual(before, after) {
				t.Error("a refused request changed the table")
			}
		})
	}
}

// TestUsersFilterLiterals: whatever a string literal holds, it is only compared.
func TestUsersFilterLiterals(t *testing.T) {
	e := newAPIEnv(t)
	for _, tc := range []struct {
		filter string
		want   int
	}{
		{"email eq 'o''brien@example.com'", 0},
		{`email eq 'a\'`, 0},
		{`email eq 'ada@example.com\u0000'`, 0},
		{"email eq 'ädä@exämple.com'", 0},
		{"email eq '😀'", 0},
		{"email eq 'ada@example.com'", 1},
		{"status eq 'Activated' and admin eq false", 2},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			a := e.callUsers(t, e.admin(), http.MethodGet, "/odata/users", url.Values{"$filter": {tc.filter}, "$count": {"true"}}.Encode(), "")
			if a.Status != http.StatusOK || a.Body["@odata.count"] != float64(tc.want) {
				t.Errorf("%d %s, want 200 with %d users", a.Status, a.Raw, tc.want)
			}
		})
	}
	// $top=0 answers the count alone.
	a := e.callUsers(t, e.admin(), http.MethodGet, "/odata/users", "$top=0&$count=true", "")
	if value, _ := a.Body["value"].([]any); a.Status != http.StatusOK || len(value) != 0 || a.Body["@odata.count"] != float64(3) || a.Body["@odata.nextLink"] != nil {
		t.Errorf("$top=0: %d %s, want no users, the count 3 and no nextLink", a.Status, a.Raw)
	}
}

// TestUsersLongEmail: an email is held to its own bound, 254 bytes, not to the 200 of names.
func TestUsersLongEmail(t *testing.T) {
	e := newAPIEnv(t)
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + ".example.com" // 204 bytes
	a := e.callUsers(t, e.admin(), http.MethodPost, "/odata/users", "", `{"email": "`+long+`", "name": "Long"}`)
	if a.Status != http.StatusCreated || a.Body["email"] != mask.Email(long) {
		t.Errorf("a %d-byte email: %d %s, want 201 and it masked", len(long), a.Status, a.Raw)
	}
	if _, err := e.Store.GetUser(e.Ctx, long); err != nil {
		t.Errorf("the %d-byte email is not stored in full: %v", len(long), err)
	}
	tooLong := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com"
	wantError(t, e.callUsers(t, e.admin(), http.MethodPost, "/odata/users", "", `{"email": "`+tooLong+`", "name": "Long"}`), http.StatusBadRequest, httpapi.CodeInvalidRequest, "")
}
