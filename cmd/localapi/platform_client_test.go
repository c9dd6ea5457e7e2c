package main

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"mfagateway/shared/httpapi"
)

// platformClient is a client of the local gateway that calls it as a Planon IoT Platform client
// would: a token and appId, or an application's ClientId and ClientSecret, and the OData conventions.
type platformClient struct {
	s              *localServer
	token, appID   string
	clientID, secr string
}

func (c platformClient) headers(extra map[string]string) map[string]string {
	h := map[string]string{}
	if c.token != "" {
		h["Authorization"], h["appId"] = "bearer "+c.token, c.appID
	}
	if c.clientID != "" {
		h["ClientId"], h["ClientSecret"] = c.clientID, c.secr
	}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

func (c platformClient) do(t *testing.T, method, path, body string, extra map[string]string) reply {
	t.Helper()
	return c.s.do(t, method, path, c.headers(extra), body)
}

// values are the entities of a collection answer, and the ids of them.
func values(t *testing.T, r reply) []map[string]any {
	t.Helper()
	raw, ok := r.body["value"].([]any)
	if r.status != http.StatusOK || !ok {
		t.Fatalf("collection: %d %s, want 200 and a value array", r.status, r.raw)
	}
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i] = v.(map[string]any)
	}
	return out
}

func ids(es []map[string]any) []string {
	var out []string
	for _, e := range es {
		id, _ := e["id"].(string)
		out = append(out, id)
	}
	return out
}

// TestLocalAsPlatformClient walks through the platform API as a platform client would, against the
// local gateway (make run): the applications list and its query options, OData writes and errors, both
// spellings of every auth path, the users entity set, and an application acting by its credentials.
func TestLocalAsPlatformClient(t *testing.T) {
	s := startLocal(t, "", nil)
	status, login := s.loginStatus(t, "ada@example.com", "ada-demo-password-1", demoPlain)
	if status != http.StatusOK {
		t.Fatalf("admin login: %d %v", status, login)
	}
	admin := platformClient{s: s, token: login["token"].(string), appID: demoPlain}

	// Three more applications, two with MFA on: five in all, three with MFA.
	var made []string
	for i, mfa := range []bool{true, false, true} {
		body := jsonBody(map[string]any{"name": "Client app " + string(rune('A'+i)), "url": "client-" + string(rune('a'+i)) + ".example.com",
			"enableMultiFactorAuthentication": mfa})
		r := admin.do(t, http.MethodPost, "/odata/applications", body, nil)
		if r.status != http.StatusCreated || r.body["id"] != r.body["appId"] || r.body["id"] == "" {
			t.Fatalf("create application: %d %s, want 201 with id = appId", r.status, r.raw)
		}
		made = append(made, r.body["appId"].(string))
	}

	all := values(t, admin.do(t, http.MethodGet, "/odata/applications", "", nil))
	if len(all) != 5 || !slices.Contains(ids(all), demoMFA) || !slices.Contains(ids(all), made[2]) {
		t.Fatalf("list: %v, want the two demo applications and the three made", ids(all))
	}
	q := "/odata/applications?" + url.Values{"$filter": {"enableMultiFactorAuthentication eq true"}, "$count": {"true"}}.Encode()
	r := admin.do(t, http.MethodGet, q, "", nil)
	mfaApps := values(t, r)
	if len(mfaApps) != 3 || r.body["@odata.count"] != float64(3) || slices.ContainsFunc(mfaApps, func(a map[string]any) bool { return a["enableMultiFactorAuthentication"] != true }) {
		t.Fatalf("$filter MFA on: %s, want the three MFA applications and @odata.count 3", r.raw)
	}

	// Paging by $top and $skip, and by following @odata.nextLink: every application once, in order.
	first := admin.do(t, http.MethodGet, "/odata/applications?%24orderby=name&%24top=2", "", nil)
	var paged []string
	for page, next := first, ""; ; {
		paged = append(paged, ids(values(t, page))...)
		next, _ = page.body["@odata.nextLink"].(string)
		if next == "" {
			break
		}
		u, err := url.Parse(next)
		if err != nil || len(paged) > 10 {
			t.Fatalf("nextLink %q: %v after %d entities", next, err, len(paged))
		}
		page = admin.do(t, http.MethodGet, u.RequestURI(), "", nil)
	}
	skipped := ids(values(t, admin.do(t, http.MethodGet, "/odata/applications?%24orderby=name&%24top=2&%24skip=2", "", nil)))
	if len(paged) != 5 || len(skipped) != 2 || !slices.Equal(skipped, paged[2:4]) {
		t.Fatalf("pages by name %v, $skip=2 %v: want five applications once each, the second page equal to $skip=2", paged, skipped)
	}

	// PATCH with Prefer: return=representation answers the entity; an unknown id is 404 with error.message.
	r = admin.do(t, http.MethodPatch, "/odata/applications/"+made[1], `{"enableMultiFactorAuthentication": true}`,
		map[string]string{"Prefer": "return=representation"})
	if r.status != http.StatusOK || r.body["id"] != made[1] || r.body["enableMultiFactorAuthentication"] != true {
		t.Fatalf("PATCH with Prefer: %d %s, want 200 and the changed application", r.status, r.raw)
	}
	r = admin.do(t, http.MethodGet, "/odata/applications/00000000-0000-4000-8000-000000000000", "", nil)
	if msg, _ := errorAt("/odata/", r.body); r.status != http.StatusNotFound || odataCode(r.body) != "not_found" || msg == "" {
		t.Fatalf("unknown application: %d %s, want 404 with error.code and error.message", r.status, r.raw)
	}

	// Every spelling of every /api/auth row is a route: its handler's answer, or for a protected row
	// without credentials the authorizer's 401, never the 404 of no such route.
	anonymous := platformClient{s: s}
	for _, rt := range httpapi.Routes() {
		if !strings.HasPrefix(rt.Paths[0], "/api/auth/") {
			continue
		}
		for _, p := range rt.Paths {
			r := anonymous.do(t, rt.Method, p, "{}", nil)
			if r.status == http.StatusNotFound || r.status == http.StatusMethodNotAllowed {
				t.Errorf("%s %s: 404 %s, want its handler's answer", rt.Method, p, r.raw)
			}
		}
	}

	// An admin creates a user, gives it a number as people write them, and finds it by application.
	r = admin.do(t, http.MethodPost, "/odata/users", jsonBody(map[string]any{"email": "New.User@Example.com", "name": "New User",
		"applications": []string{made[0]}}), nil)
	// The answers mask the new user's email and number: it is another person than the admin.
	if r.status != http.StatusCreated || r.body["status"] != "Pending" || r.body["email"] != "n***@example.com" {
		t.Fatalf("create user: %d %s, want 201, Pending, the email masked", r.status, r.raw)
	}
	userID := r.body["id"].(string)
	if id := userIDOf(t, admin, "new.user@example.com"); id != userID { // stored in lower case
		t.Fatalf("user of new.user@example.com: %s, want %s", id, userID)
	}
	r = admin.do(t, http.MethodPatch, "/odata/users/"+userID, `{"mobilePhone": "+31 6 1234 5678"}`, map[string]string{"Prefer": "return=representation"})
	if r.status != http.StatusOK || r.body["mobilePhone"] != "+31******78" {
		t.Fatalf("set mobile: %d %s, want 200 and +31612345678 masked", r.status, r.raw)
	}
	members := values(t, admin.do(t, http.MethodGet, "/odata/users?"+url.Values{"$filter": {"appId eq '" + made[0] + "'"}}.Encode(), "", nil))
	if !slices.Equal(ids(members), []string{userID}) {
		t.Fatalf("users of %s: %v, want only %s", made[0], ids(members), userID)
	}

	// Blocked, a user with a password cannot log in, and its token stops working; unblocked, it can again.
	status, grace := s.loginStatus(t, "grace@example.com", "grace-demo-password-1", demoPlain)
	if status != http.StatusOK {
		t.Fatalf("grace login: %d %v", status, grace)
	}
	graceID := userIDOf(t, admin, "grace@example.com")
	if r := admin.do(t, http.MethodPatch, "/odata/users/"+graceID, `{"status": "Blocked"}`, nil); r.status != http.StatusNoContent {
		t.Fatalf("block: %d %s", r.status, r.raw)
	}
	_, wrong := s.loginStatus(t, "grace@example.com", "not-her-password-at-all", demoPlain)
	if status, body := s.loginStatus(t, "grace@example.com", "grace-demo-password-1", demoPlain); status != http.StatusUnauthorized || jsonBody(body) != jsonBody(wrong) {
		t.Fatalf("blocked login: %d %v, want 401 exactly as a wrong password (%v)", status, body, wrong)
	}
	graceClient := platformClient{s: s, token: grace["token"].(string), appID: demoPlain}
	if r := graceClient.do(t, http.MethodGet, "/api/auth/validateToken", "", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("blocked user's token: %d %s, want 401", r.status, r.raw)
	}
	if r := admin.do(t, http.MethodPost, "/odata/users/unblockUser", jsonBody(map[string]string{"userId": graceID}), nil); r.status != http.StatusNoContent {
		t.Fatalf("unblock: %d %s", r.status, r.raw)
	}
	if status, body := s.loginStatus(t, "grace@example.com", "grace-demo-password-1", demoPlain); status != http.StatusOK {
		t.Fatalf("login after unblock: %d %v", status, body)
	}

	// An application by its credentials reads its own record and its own users, nothing else.
	r = admin.do(t, http.MethodGet, "/odata/applications/"+made[0]+"/getAppSecret", "", nil)
	secret, _ := r.body["value"].(string)
	if r.status != http.StatusOK || secret == "" {
		t.Fatalf("getAppSecret: %d %s", r.status, r.raw)
	}
	app := platformClient{s: s, clientID: made[0], secr: secret}
	if r := app.do(t, http.MethodGet, "/odata/applications/"+made[0], "", nil); r.status != http.StatusOK || r.body["id"] != made[0] {
		t.Fatalf("own application by credentials: %d %s, want 200", r.status, r.raw)
	}
	if r := app.do(t, http.MethodGet, "/odata/applications/"+demoPlain, "", nil); r.status != http.StatusForbidden || odataCode(r.body) != "forbidden" {
		t.Fatalf("another application by credentials: %d %s, want 403 forbidden", r.status, r.raw)
	}
	if own := ids(values(t, app.do(t, http.MethodGet, "/odata/users", "", nil))); !slices.Equal(own, []string{userID}) {
		t.Fatalf("users by credentials: %v, want only the application's own user %s", own, userID)
	}
	if r := app.do(t, http.MethodGet, "/odata/users/"+graceID, "", nil); r.status != http.StatusForbidden {
		t.Fatalf("a user of other applications by credentials: %d %s, want 403", r.status, r.raw)
	}
	badSecret := "A" + secret[1:]
	if secret[0] == 'A' {
		badSecret = "B" + secret[1:]
	}
	if r := (platformClient{s: s, clientID: made[0], secr: badSecret}).do(t, http.MethodGet, "/odata/applications/"+made[0], "", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d %s, want 401", r.status, r.raw)
	}
}

// userIDOf finds a user's id by email through the list's $filter.
func userIDOf(t *testing.T, admin platformClient, email string) string {
	t.Helper()
	found := values(t, admin.do(t, http.MethodGet, "/odata/users?"+url.Values{"$filter": {"email eq '" + email + "'"}}.Encode(), "", nil))
	if len(found) != 1 {
		t.Fatalf("users with email %s: %d", email, len(found))
	}
	return found[0]["id"].(string)
}
