package httpapi_test

// /odata/users through the applications function's router over the demo seed: the entity as
// answered, the routes' successes, and what a user's status and deletion do to its logins and tokens.

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
)

// The demo seed's userIds (derived from the emails).
const (
	adaID   = "3418f89f-aa6c-5d68-8ba1-038a0fdca6fe"
	graceID = "36841690-5a00-5f32-a499-a1bff4a8e267"
)

// userKeys are the properties of the user entity, exactly.
var userKeys = []string{"id", "email", "name", "mobilePhone", "cultureInfo", "status", "failedLogins", "admin",
	"role", "applications", "createDate", "updateDate"}

// verdictOf is the authorizer's context of a good token of the demo user, live for an hour of the
// env's clock.
func (e *apiEnv) verdictOf(userID, email string, admin bool) map[string]any {
	return map[string]any{"valid": true, "tokenId": "t-" + userID, "userId": userID, "email": email, "name": "x",
		"appId": demoPlain, "admin": admin, "expiresAt": float64(e.Clock.Now().Unix() + 3600)}
}

// callUsers sends method path?query with body to the applications function as API Gateway's $default
// route would, with the authorizer's verdict, and decodes the answer (an error's inner object).
func (e *apiEnv) callUsers(t *testing.T, verdict map[string]any, method, path, query, body string, headers ...string) answer {
	t.Helper()
	resp := e.callProtected(t, httpapi.ApplicationsFunction, verdict, method, path, query, body, headers...)
	a := answer{Status: resp.StatusCode, Headers: resp.Headers, Raw: resp.Body}
	if resp.Body != "" {
		if err := json.Unmarshal([]byte(resp.Body), &a.Body); err != nil {
			t.Fatalf("body %q: %v", resp.Body, err)
		}
	}
	if a.Status >= 400 {
		a = odataAnswer(t, a)
	}
	return a
}

// callProtected sends method path?query with body and headers (name, value, ...) to the function fn
// as API Gateway's $default route would, with the authorizer's verdict; a 5xx fails the test.
func (e *apiEnv) callProtected(t *testing.T, fn string, verdict map[string]any, method, path, query, body string, headers ...string) httpapi.Response {
	t.Helper()
	req := event(method+" "+path, nil, body)
	req.RouteKey, req.RequestContext.RouteKey, req.RawQueryString = "$default", "$default", query
	for i := 0; i+1 < len(headers); i += 2 {
		req.Headers[headers[i]] = headers[i+1]
	}
	if verdict != nil {
		req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: verdict}
	}
	resp, err := e.routers[fn].Serve(e.Ctx, req)
	if err != nil {
		t.Fatalf("handler error: %v", err)
	}
	if resp.StatusCode >= 500 {
		t.Errorf("%s %s: %d %s for client input", method, path, resp.StatusCode, resp.Body)
	}
	return resp
}

// admin is the verdict of ada, an admin.
func (e *apiEnv) admin() map[string]any { return e.verdictOf(adaID, adaEmail, true) }

// wantUserEntity checks that body is a user entity with exactly its properties.
func wantUserEntity(t *testing.T, body map[string]any) {
	t.Helper()
	if got := slices.Sorted(maps.Keys(body)); !slices.Equal(got, slices.Sorted(slices.Values(userKeys))) {
		t.Errorf("entity properties %v, want %v", got, userKeys)
	}
}

// tableItems is every item of the env's table, for checking that a refusal wrote nothing.
func (e *apiEnv) tableItems(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, it := range e.Items(t, "") {
		var m map[string]any
		if err := attributevalue.UnmarshalMap(it, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b map[string]any) int { return strings.Compare(a["pk"].(string), b["pk"].(string)) })
	return out
}

func TestUsersEntity(t *testing.T) {
	e := newAPIEnv(t)
	a := e.callUsers(t, e.admin(), http.MethodGet, "/odata/users/"+graceID, "", "")
	if a.Status != http.StatusOK {
		t.Fatalf("GET grace: %d %s", a.Status, a.Raw)
	}
	wantUserEntity(t, a.Body)
	// Another user's email is masked, as in the logs.
	want := map[string]any{"id": graceID, "email": "g***@example.com", "name": "Grace", "mobilePhone": nil, "cultureInfo": "",
		"status": "Activated", "failedLogins": float64(0), "admin": false, "role": "User",
		"applications": []any{"7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10", demoPlain}}
	for k, v := range want {
		if !reflect.DeepEqual(a.Body[k], v) {
			t.Errorf("%s = %#v, want %#v", k, a.Body[k], v)
		}
	}
	a = e.callUsers(t, e.admin(), http.MethodGet, "/odata/users/"+adaID, "", "")
	if a.Body["role"] != "Admin" || a.Body["mobilePhone"] != adaMobile || a.Body["email"] != adaEmail {
		t.Errorf("ada: %s, want role Admin, her number and email in full", a.Raw)
	}
	// me: the caller's own user, for any user's token.
	a = e.callUsers(t, e.verdictOf(graceID, graceEmail, false), http.MethodGet, "/odata/users/me", "", "")
	if a.Status != http.StatusOK || a.Body["id"] != graceID || a.Body["email"] != graceEmail {
		t.Errorf("me: %d %s, want grace's own user", a.Status, a.Raw)
	}
	wantUserEntity(t, a.Body)
	// Failed logins show.
	e.login(t, appHeader(demoPlain), loginBody(graceEmail, "wrong-password-1"))
	if a := e.callUsers(t, e.admin(), http.MethodGet, "/odata/users/"+graceID, "", ""); a.Body["failedLogins"] != float64(1) {
		t.Errorf("failedLogins %v after one wrong password, want 1", a.Body["failedLogins"])
	}
}

func TestUsersRoutes(t *testing.T) {
	e := newAPIEnv(t)
	// Create: Pending, the number normalised (stored in full, answered masked: the user is another
	// person), Location, the entity.
	a := e.callUsers(t, e.admin(), http.MethodPost, "/odata/users", "",
		`{"email": "Ines@Example.com", "name": "Ines", "mobilePhone": "+31 6 1234 5678", "cultureInfo": "nl_nl", "applications": ["`+demoPlain+`"], "id": "ignored", "role": "Admin", "failedLogins": 9}`)
	if a.Status != http.StatusCreated || a.Body["status"] != "Pending" || a.Body["mobilePhone"] != "+31******78" ||
		a.Body["cultureInfo"] != "nl-NL" || a.Body["email"] != "i***@example.com" || a.Body["role"] != "User" {
		t.Fatalf("create: %d %s", a.Status, a.Raw)
	}
	wantUserEntity(t, a.Body)
	id := a.Body["id"].(string)
	if loc := header(a.Headers, "Location"); loc != "/odata/users/"+id {
		t.Errorf("Location %q", loc)
	}
	if stored, err := e.Store.GetUser(e.Ctx, "ines@example.com"); err != nil || stored.Mobile != "+31612345678" || stored.PasswordHash != "" {
		t.Errorf("stored %+v, %v; want +31612345678 and no password", stored, err)
	}
	// A second create of the email: 409.
	a = e.callUsers(t, e.admin(), http.MethodPost, "/odata/users", "", `{"email": "ines@example.com", "name": "Ines"}`)
	wantError(t, a, http.StatusConflict, httpapi.CodeConflict, "")

	// PATCH with the entity back.
	a = e.callUsers(t, e.admin(), http.MethodPatch, "/odata/users/"+id, "", `{"name": "Ines B", "mobilePhone": null}`, "prefer", "return=representation")
	if a.Status != http.StatusOK || a.Body["name"] != "Ines B" || a.Body["mobilePhone"] != nil || header(a.Headers, "Preference-Applied") != "return=representation" {
		t.Errorf("patch: %d %s", a.Status, a.Raw)
	}
	// PUT of what GET answered: accepted as it is.
	got := e.callUsers(t, e.admin(), http.MethodGet, "/odata/users/"+graceID, "", "")
	a = e.callUsers(t, e.admin(), http.MethodPut, "/odata/users/"+graceID, "", got.Raw)
	if a.Status != http.StatusNoContent {
		t.Errorf("PUT of the entity read: %d %s", a.Status, a.Raw)
	}
	// PUT leaves out what it resets.
	a = e.callUsers(t, e.admin(), http.MethodPut, "/odata/users/"+graceID, "", `{"email": "grace@example.com", "name": "Grace"}`, "prefer", "return=representation")
	if a.Status != http.StatusOK || len(a.Body["applications"].([]any)) != 0 || a.Body["status"] != "Activated" {
		t.Errorf("PUT without applications: %d %s, want none and the status kept", a.Status, a.Raw)
	}
	// The list, filtered by membership, counted, selected.
	q := url.Values{"$filter": {"appId eq '" + demoPlain + "'"}, "$count": {"true"}, "$select": {"email,status"}, "$orderby": {"email"}}
	a = e.callUsers(t, e.admin(), http.MethodGet, "/odata/users", q.Encode(), "")
	value, _ := a.Body["value"].([]any)
	if a.Status != http.StatusOK || a.Body["@odata.count"] != float64(3) || len(value) != 3 {
		t.Fatalf("list: %d %s, want ada, ines, linus", a.Status, a.Raw)
	}
	if first := value[0].(map[string]any); first["email"] != adaEmail || len(first) != 2 {
		t.Errorf("first listed %v, want ada with email and status only", first)
	}
	// Paging.
	a = e.callUsers(t, e.admin(), http.MethodGet, "/odata/users", "$top=1&$orderby=email", "")
	if next, _ := a.Body["@odata.nextLink"].(string); !strings.Contains(next, "%24skip=1") {
		t.Errorf("nextLink %q, want $skip=1", next)
	}
	// Unblock (both spellings), delete twice.
	for _, p := range []string{"/odata/users/unblockUser", "/odata/users/unblockuser"} {
		if a := e.callUsers(t, e.admin(), http.MethodPost, p, "", `{"userId": "`+graceID+`"}`); a.Status != http.StatusNoContent {
			t.Errorf("%s: %d %s", p, a.Status, a.Raw)
		}
	}
	if a := e.callUsers(t, e.admin(), http.MethodDelete, "/odata/users/"+id, "", ""); a.Status != http.StatusNoContent {
		t.Errorf("delete: %d %s", a.Status, a.Raw)
	}
	wantError(t, e.callUsers(t, e.admin(), http.MethodDelete, "/odata/users/"+id, "", ""), http.StatusNotFound, httpapi.CodeNotFound, "")
	wantError(t, e.callUsers(t, e.admin(), http.MethodGet, "/odata/users/"+id, "", ""), http.StatusNotFound, httpapi.CodeNotFound, "")
	// Emails and numbers of other users stay out of the log.
	if logs := e.Logs.String(); strings.Contains(logs, "ines@example.com") || strings.Contains(logs, "+31612345678") {
		t.Error("the log shows an email or a number in full")
	}
}

func TestUsersStatusFelt(t *testing.T) {
	e := newAPIEnv(t)
	authorize := func(token string) bool {
		t.Helper()
		v, err := e.Authorizer().Handle(e.Ctx, httpapi.AuthorizerRequest{Headers: map[string]string{
			"authorization": "Bearer " + token, "appid": demoPlain}})
		if err != nil {
			t.Fatal(err)
		}
		valid, _ := v.Context["valid"].(bool)
		return valid
	}
	login := e.login(t, appHeader(demoPlain), loginBody(graceEmail, gracePass))
	token := str(t, login.Body, "token")
	if !authorize(token) {
		t.Fatal("grace's token refused before any change")
	}
	wrong := e.login(t, appHeader(demoPlain), loginBody(graceEmail, "wrong-password-1"))

	if a := e.callUsers(t, e.admin(), http.MethodPatch, "/odata/users/"+graceID, "", `{"status": "Blocked"}`); a.Status != http.StatusNoContent {
		t.Fatalf("block: %d %s", a.Status, a.Raw)
	}
	if authorize(token) {
		t.Error("a blocked user's token passes the authorizer")
	}
	blocked := e.login(t, appHeader(demoPlain), loginBody(graceEmail, gracePass))
	if blocked.Status != http.StatusUnauthorized || blocked.Raw != wrong.Raw {
		t.Errorf("blocked user's login: %d %s, want exactly the wrong password's %s", blocked.Status, blocked.Raw, wrong.Raw)
	}

	if a := e.callUsers(t, e.admin(), http.MethodPost, "/odata/users/unblockUser", "", `{"userId": "`+graceID+`"}`); a.Status != http.StatusNoContent {
		t.Fatalf("unblock: %d %s", a.Status, a.Raw)
	}
	if !authorize(token) {
		t.Error("token refused after unblock")
	}
	if a := e.callUsers(t, e.admin(), http.MethodDelete, "/odata/users/"+graceID, "", ""); a.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", a.Status, a.Raw)
	}
	if authorize(token) {
		t.Error("a deleted user's token passes the authorizer")
	}
	// The guard answers the refused verdict 401.
	wantError(t, e.callUsers(t, map[string]any{"valid": false}, http.MethodGet, "/odata/users/me", "", ""), http.StatusUnauthorized, httpapi.CodeInvalidToken, "")
}

// TestUsersClientSession calls the handlers as an application acting by its credentials: the
// authorizer that makes such sessions is not this package's, the rules are.
func TestUsersClientSession(t *testing.T) {
	e := newAPIEnv(t)
	h := httpapi.NewUsers(e.Users(), e.Log)
	linusID := "01af1f80-eea4-5cde-92f6-75a55cbc0a76"
	mfaClient := auth.Session{AppID: "7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10", Client: true}
	before := e.tableItems(t)
	for _, tc := range []struct {
		name string
		call func() (httpapi.Response, error)
	}{
		{"a non-member", func() (httpapi.Response, error) {
			return h.Get(e.Ctx, withID(linusID, ""), mfaClient)
		}},
		{"changes an admin user", func() (httpapi.Response, error) {
			return h.Patch(e.Ctx, withID(adaID, `{"name": "Eve"}`), mfaClient)
		}},
		{"makes an admin", func() (httpapi.Response, error) {
			return h.Patch(e.Ctx, withID(graceID, `{"admin": true}`), mfaClient)
		}},
		{"deletes", func() (httpapi.Response, error) {
			return h.Delete(e.Ctx, withID(graceID, ""), mfaClient)
		}},
		{"creates a member of another application", func() (httpapi.Response, error) {
			return h.Create(e.Ctx, withID("", `{"email": "x@example.com", "name": "X", "applications": ["`+demoPlain+`"]}`), mfaClient)
		}},
		{"unblocks an admin", func() (httpapi.Response, error) {
			return h.Unblock(e.Ctx, withID("", `{"userId": "`+adaID+`"}`), mfaClient)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.call()
			if err != nil || resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Body, `"forbidden"`) {
				t.Errorf("%d %s (%v), want 403 forbidden", resp.StatusCode, resp.Body, err)
			}
		})
	}
	if after := e.tableItems(t); !reflect.DeepEqual(before, after) {
		t.Error("a refused Client session's request changed the table")
	}
	resp, err := h.Get(e.Ctx, withID(graceID, ""), mfaClient)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("a member: %d %s (%v), want 200", resp.StatusCode, resp.Body, err)
	}
	resp, _ = h.Me(e.Ctx, withID("", ""), mfaClient)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("me of a Client session: %d %s, want 403", resp.StatusCode, resp.Body)
	}
}

// withID is a request for the handlers called directly: the {id} parameter and the body.
func withID(id, body string) httpapi.Request {
	req := event("POST /odata/users", nil, body)
	if id != "" {
		req.PathParameters = map[string]string{"id": id}
	}
	return req
}
