package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
)

// listEnv is the demo seed (Demo and Demo (MFA), both created at epoch) plus five applications created
// a minute apart after them, App 5 first: seven applications, their names in the order of creation.
func listEnv(t *testing.T) (*apiEnv, []string) {
	t.Helper()
	e := newAPIEnv(t)
	names := []string{"Demo", "Demo (MFA)"} // same createDate: appId decides, 2b0f… before 7d6c…
	for i := 5; i >= 1; i-- {
		at := epoch.Add(time.Duration(6-i) * time.Minute)
		app := auth.Application{ID: uuid.NewString(), Name: fmt.Sprintf("App %d", i), URL: fmt.Sprintf("app%d.example.com", i),
			MFA: i%2 == 1, CreateDate: at, UpdateDate: at}
		if err := e.Store.CreateApplication(e.Ctx, app); err != nil {
			t.Fatal(err)
		}
		names = append(names, app.Name)
	}
	return e, names
}

// callApps calls the applications function with an authorizer verdict of Ada (admin or not).
func (e *apiEnv) callApps(t *testing.T, method, target string, admin bool) (int, map[string]any, string) {
	t.Helper()
	path, query, _ := strings.Cut(target, "?")
	req := appsEvent(method, path, "", e.verdict(admin))
	req.RawQueryString = query
	resp, err := e.routers[httpapi.ApplicationsFunction].Serve(e.Ctx, req)
	if err != nil {
		t.Fatalf("%s %s: handler error %v", method, target, err)
	}
	var body map[string]any
	if resp.Body != "" {
		if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, target, resp.Body, err)
		}
	}
	return resp.StatusCode, body, resp.Body
}

// verdict is appsVerdict on the env's clock, so that the guard sees it unexpired.
func (e *apiEnv) verdict(admin bool) map[string]any {
	v := appsVerdict(admin)
	v["expiresAt"] = float64(e.Clock.Now().Add(time.Hour).Unix())
	return v
}

func valueNames(t *testing.T, body map[string]any) []string {
	t.Helper()
	value, ok := body["value"].([]any)
	if !ok {
		t.Fatalf("body %v has no value array", body)
	}
	names := []string{}
	for _, v := range value {
		names = append(names, v.(map[string]any)["name"].(string))
	}
	return names
}

func TestApplicationsList(t *testing.T) {
	e, all := listEnv(t)
	q := url.QueryEscape
	byName := slices.Clone(all)
	slices.Sort(byName)
	byNameDesc := slices.Clone(byName)
	slices.Reverse(byNameDesc)
	mfaOn := []string{"Demo (MFA)", "App 5", "App 3", "App 1"}
	for _, tc := range []struct {
		name, target string
		want         []string
		count        int // -1: no @odata.count
		next         string
	}{
		{"everything, in the order of creation", "/odata/Applications", all, -1, ""},
		{"lower-case path", "/odata/applications", all, -1, ""},
		// The token is sealed (its nonce differs on each page), of 2031-05-06T09:00:00Z#7d6c…: the list
		// index key of Demo (MFA); sealedLink opens it.
		{"top pages by key", "/odata/Applications?$top=2", all[:2], -1,
			sealedLink("/odata/Applications?%24skiptoken=", "2031-05-06T09:00:00Z#7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10", "&%24top=2")},
		{"skip", "/odata/Applications?$skip=5", all[5:], -1, ""},
		{"skip past the end", "/odata/Applications?$skip=50&$count=true", []string{}, 7, ""},
		{"count", "/odata/Applications?$count=true&$top=1", all[:1], 7, "/odata/Applications?%24count=true&%24skip=1&%24top=1"},
		{"filter bool, counted", "/odata/Applications?$count=true&$filter=" + q("enableMultiFactorAuthentication eq true"), mfaOn, 4, ""},
		{"filter name", "/odata/Applications?$filter=" + q("name eq 'Demo'"), []string{"Demo"}, -1, ""},
		{"filter ne and", "/odata/Applications?$filter=" + q("url ne 'demo.localhost' and enableMultiFactorAuthentication eq false"),
			[]string{"App 4", "App 2"}, -1, ""},
		{"filter case sensitive", "/odata/Applications?$filter=" + q("name eq 'demo'"), []string{}, -1, ""},
		{"injection is a literal", "/odata/Applications?$filter=" + q("name eq 'x'' or ''1'' eq ''1'"), []string{}, -1, ""},
		{"orderby name", "/odata/Applications?$orderby=name", byName, -1, ""},
		{"orderby name desc", "/odata/Applications?$orderby=" + q("name desc"), byNameDesc, -1, ""},
		{"orderby createDate desc keeps ties in creation order", "/odata/Applications?$orderby=" + q("createDate desc"),
			[]string{"App 1", "App 2", "App 3", "App 4", "App 5", "Demo", "Demo (MFA)"}, -1, ""},
		{"filter, order and page", "/odata/applications?$top=1&$skip=1&$orderby=name&$filter=" + q("enableMultiFactorAuthentication eq true"),
			[]string{"App 3"}, -1, "/odata/applications?%24filter=enableMultiFactorAuthentication+eq+true&%24orderby=name&%24skip=2&%24top=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, raw := e.callApps(t, http.MethodGet, tc.target, true)
			if status != http.StatusOK {
				t.Fatalf("%d %s", status, raw)
			}
			if got := valueNames(t, body); !slices.Equal(got, tc.want) {
				t.Errorf("names %q, want %q", got, tc.want)
			}
			if c, ok := body["@odata.count"]; (tc.count >= 0) != ok || (ok && c != float64(tc.count)) {
				t.Errorf("@odata.count = %v (present %v), want %d", c, ok, tc.count)
			}
			if n, _ := body["@odata.nextLink"].(string); n != tc.next && !opensTo(e, n, tc.next) {
				t.Errorf("@odata.nextLink = %q, want %q", n, tc.next)
			}
		})
	}

	t.Run("following nextLink reads every application once", func(t *testing.T) {
		var got []string
		target := "/odata/Applications?$top=3&$orderby=name"
		for pages := 0; target != ""; pages++ {
			if pages > 5 {
				t.Fatal("nextLink does not end")
			}
			status, body, raw := e.callApps(t, http.MethodGet, target, true)
			if status != http.StatusOK {
				t.Fatalf("%s: %d %s", target, status, raw)
			}
			got = append(got, valueNames(t, body)...)
			target, _ = body["@odata.nextLink"].(string)
		}
		if !slices.Equal(got, byName) {
			t.Errorf("pages read %q, want %q", got, byName)
		}
	})

	t.Run("select", func(t *testing.T) {
		status, body, raw := e.callApps(t, http.MethodGet, "/odata/Applications?$top=1&$select=id,name", true)
		if status != http.StatusOK {
			t.Fatalf("%d %s", status, raw)
		}
		entity := body["value"].([]any)[0].(map[string]any)
		if len(entity) != 2 || entity["id"] != demoPlain || entity["name"] != "Demo" {
			t.Errorf("entity %v, want only id and name", entity)
		}
	})

	t.Run("the whole entity", func(t *testing.T) {
		_, body, _ := e.callApps(t, http.MethodGet, "/odata/Applications?$top=1", true)
		entity := body["value"].([]any)[0].(map[string]any)
		for _, k := range []string{"id", "appId", "name", "url", "uniqueIdentifier", "enableMultiFactorAuthentication", "createDate", "updateDate"} {
			if _, ok := entity[k]; !ok {
				t.Errorf("entity %v lacks %q", entity, k)
			}
		}
	})
}

func TestApplicationsListRefusals(t *testing.T) {
	e := newAPIEnv(t)
	q := url.QueryEscape
	for _, tc := range []struct{ name, query, mentions string }{
		{"top negative", "$top=-3", "$top"},
		{"top too big", "$top=1001", "$top"},
		{"top not a number", "$top=all", "$top"},
		{"skip negative", "$skip=-1", "$skip"},
		{"count not a boolean", "$count=1", "$count"},
		{"unknown option", "$expand=users", "$expand"},
		{"option twice", "$top=1&$top=2", "$top"},
		{"unknown property", "$filter=" + q("uniqueIdentifier eq 'demo'"), "uniqueIdentifier"},
		{"or", "$filter=" + q("name eq 'a' or name eq 'b'"), `"or"`},
		{"function", "$filter=" + q("startswith(name,'D')"), "$filter"},
		{"unterminated", "$filter=" + q("name eq 'D"), "$filter"},
		{"orderby undeclared", "$orderby=url", `"url"`},
		{"select undeclared", "$select=passwordHash", "passwordHash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, raw := e.callApps(t, http.MethodGet, "/odata/Applications?"+tc.query, true)
			code, msg := errorOf(t, "/odata/Applications", raw)
			if status != http.StatusBadRequest || code != "invalid_request" || !strings.Contains(msg, tc.mentions) {
				t.Fatalf("%d %s, want 400 invalid_request naming %s", status, raw, tc.mentions)
			}
		})
	}
	t.Run("non-admin", func(t *testing.T) {
		for _, target := range []string{"/odata/Applications", "/odata/applications?$top=1", "/odata/Applications/" + demoPlain} {
			method := http.MethodGet
			if strings.Contains(target, demoPlain) {
				method = http.MethodDelete
			}
			status, _, raw := e.callApps(t, method, target, false)
			if code, _ := errorOf(t, target, raw); status != http.StatusForbidden || code != "forbidden" {
				t.Errorf("%s %s: %d %s, want 403 forbidden", method, target, status, raw)
			}
		}
		if _, err := e.Store.GetApplication(e.Ctx, demoPlain); err != nil {
			t.Fatalf("a non-admin's DELETE removed the application: %v", err)
		}
	})
}

func TestApplicationsDelete(t *testing.T) {
	e := newAPIEnv(t)
	login := e.login(t, appHeader(demoPlain), loginBody(adaEmail, adaPassword))
	if login.Status != http.StatusOK {
		t.Fatalf("login: %d %s", login.Status, login.Raw)
	}
	token := str(t, login.Body, "token")
	authz := httpapi.NewAuthorizer(auth.NewSessions(e.Store, e.Clock.Now, e.Log))
	verdict := func(t *testing.T) any {
		t.Helper()
		res, err := authz.Handle(e.Ctx, httpapi.AuthorizerRequest{
			Headers: map[string]string{"authorization": "Bearer " + token, "appid": demoPlain}})
		if err != nil || !res.IsAuthorized {
			t.Fatalf("authorizer: %+v, %v", res, err)
		}
		return res.Context["valid"]
	}
	if verdict(t) != true {
		t.Fatal("the token is not valid before the delete")
	}

	status, _, raw := e.callApps(t, http.MethodDelete, "/odata/Applications/"+demoPlain, true)
	if status != http.StatusNoContent || raw != "" {
		t.Fatalf("DELETE: %d %q, want 204 without a body", status, raw)
	}

	t.Run("an appId no application can have is refused, not a failed read", func(t *testing.T) {
		for _, id := range []string{strings.Repeat("a", 3000), "app\x00id"} {
			res, err := authz.Handle(e.Ctx, httpapi.AuthorizerRequest{
				Headers: map[string]string{"authorization": "Bearer " + token, "appid": id}})
			if err != nil || !res.IsAuthorized || res.Context["valid"] != false {
				t.Errorf("authorizer with appid %.20q: %+v, %v; want a refused verdict", id, res, err)
			}
		}
	})
	t.Run("its token is refused by the authorizer", func(t *testing.T) {
		if v := verdict(t); v != false {
			t.Errorf("verdict valid = %v, want false", v)
		}
	})
	t.Run("and by the guard's own check", func(t *testing.T) {
		g := httpapi.NewGuard(e.Clock.Now, e.Log).Rechecking(auth.NewSessions(e.Store, e.Clock.Now, e.Log))
		req := appsEvent(http.MethodGet, "/api/auth/me", "", map[string]any{"valid": false, "unavailable": true})
		req.Headers["authorization"], req.Headers["appid"] = "Bearer "+token, demoPlain
		resp, err := g.Wrap(httpapi.RouteMe, httpapi.NewSession(nil, e.Log).Me)(e.Ctx, req)
		if err != nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("me with the deleted application's token: %d %s (%v), want 401", resp.StatusCode, resp.Body, err)
		}
	})
	t.Run("logins to it are 401", func(t *testing.T) {
		for _, a := range []answer{
			e.login(t, appHeader(demoPlain), loginBody(adaEmail, adaPassword)),
			e.login(t, nil, jsonOf(map[string]any{"email": adaEmail, "password": adaPassword, "url": "demo.localhost"})),
		} {
			wantError(t, a, http.StatusUnauthorized, "invalid_credentials", "")
		}
	})
	t.Run("it is not listed", func(t *testing.T) {
		_, body, _ := e.callApps(t, http.MethodGet, "/odata/Applications", true)
		if got := valueNames(t, body); !slices.Equal(got, []string{"Demo (MFA)"}) {
			t.Errorf("listed %q, want only Demo (MFA)", got)
		}
	})
	t.Run("unknown now: 404", func(t *testing.T) {
		for _, target := range []string{"/odata/Applications/" + demoPlain, "/odata/applications/" + uuid.NewString(), "/odata/Applications/" + strings.Repeat("x", 200)} {
			status, _, raw := e.callApps(t, http.MethodDelete, target, true)
			if code, _ := errorOf(t, target, raw); status != http.StatusNotFound || code != "not_found" {
				t.Errorf("DELETE %s: %d %s, want 404 not_found", target, status, raw)
			}
		}
	})
	t.Run("its url is free", func(t *testing.T) {
		req := appsEvent(http.MethodPost, "/odata/applications", `{"name": "Heir", "url": "demo.localhost"}`, e.verdict(true))
		resp, err := e.routers[httpapi.ApplicationsFunction].Serve(e.Ctx, req)
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("create with the freed url: %d %s (%v), want 201", resp.StatusCode, resp.Body, err)
		}
	})
	t.Run("the other application is untouched", func(t *testing.T) {
		// MFA is on there: the answer is the challenge (403 with an MFA token), as for any such login.
		a := e.login(t, appHeader(demoMFA), loginBody(adaEmail, adaPassword))
		if a.Status != http.StatusForbidden || a.Body["token"] == nil {
			t.Errorf("login to the other application: %d %s, want its MFA challenge", a.Status, a.Raw)
		}
	})
}

// sealedLink is the nextLink expected of a page whose token, sealed, is of the index key mark:
// before and after the token, and the mark between, apart with NULs (which no link holds).
func sealedLink(before, mark, after string) string { return before + "\x00" + mark + "\x00" + after }

// opensTo reports whether link is the sealedLink want: the same text around a token that opens, as a
// token of the applications, to want's mark.
func opensTo(e *apiEnv, link, want string) bool {
	before, rest, ok := strings.Cut(want, "\x00")
	mark, after, _ := strings.Cut(rest, "\x00")
	if !ok || !strings.HasPrefix(link, before) || !strings.HasSuffix(link, after) {
		return false
	}
	got, opened := e.Pages.Open("APP", strings.TrimSuffix(strings.TrimPrefix(link, before), after))
	return opened && got == mark
}
