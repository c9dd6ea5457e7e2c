package httpapi_test

import (
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
)

// TestRouteTable checks the rows themselves: each is well formed, no route key is listed twice, and the
// route-key constants handlers log by name rows of the table.
func TestRouteTable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range httpapi.Routes() {
		if len(r.Paths) == 0 {
			t.Fatalf("%s row of %s has no path", r.Method, r.Function)
		}
		if !slices.Contains([]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}, r.Method) {
			t.Errorf("%s: method %q", r.Key(), r.Method)
		}
		if !slices.Contains(httpapi.Functions(), r.Function) {
			t.Errorf("%s: function %q is not one of Functions()", r.Key(), r.Function)
		}
		for _, key := range r.Keys() {
			if seen[key] {
				t.Errorf("%s is listed twice", key)
			}
			seen[key] = true
			if _, path, _ := strings.Cut(key, " "); !strings.HasPrefix(path, "/") || strings.HasSuffix(path, "/") {
				t.Errorf("%s: a path starts with / and does not end with one", key)
			}
		}
	}
	if got, want := httpapi.Functions(), []string{httpapi.LoginFunction, httpapi.VerifyFunction, httpapi.ApplicationsFunction, httpapi.AccountFunction, httpapi.WebFunction}; !slices.Equal(got, want) {
		t.Errorf("Functions() = %v, want %v", got, want)
	}
	for _, key := range []string{httpapi.RouteLogin, httpapi.RouteResend, httpapi.RouteVerify, httpapi.RouteMe, httpapi.RouteLogout} {
		if !seen[key] {
			t.Errorf("route-key constant %q names no row of the table", key)
		}
	}
	// Routes hands out a copy: a caller cannot change what the routers serve.
	rs := httpapi.Routes()
	rs[0].Paths[0] = "/changed"
	if httpapi.Routes()[0].Paths[0] == "/changed" {
		t.Error("Routes() shares its rows' paths with the table")
	}
}

// concrete is a request path for a spelling, each {name} segment filled in, and the path parameters
// API Gateway would send with it.
func concrete(spelling string) (string, map[string]string) {
	segs := strings.Split(spelling, "/")
	params := map[string]string{}
	for i, s := range segs {
		if name, ok := strings.CutPrefix(s, "{"); ok {
			name = strings.TrimSuffix(name, "}")
			segs[i] = demoPlain
			params[name] = demoPlain
		}
	}
	return strings.Join(segs, "/"), params
}

// rowEvent is an event for one spelling of a row, with a body every public handler refuses before its
// service (400 invalid_request) and no authorizer verdict (401 invalid_token from the guard). With
// viaDefault it arrives as on the $default route: only the method and raw path, no path parameters.
func rowEvent(r httpapi.Route, spelling string, viaDefault bool) httpapi.Request {
	path, params := concrete(spelling)
	req := event(r.Method+" "+spelling, nil, `{}`)
	req.RawPath, req.RequestContext.HTTP.Path = path, path
	req.PathParameters = params
	if viaDefault {
		req.RouteKey, req.RequestContext.RouteKey, req.PathParameters = "$default", "$default", nil
	}
	return req
}

// TestFunctionRouters proves that each function's router serves exactly its rows of the table, each
// spelling, by routeKey and by method and path alike, protected rows behind the guard, and answers every
// other row with the 404 of an unknown route.
func TestFunctionRouters(t *testing.T) {
	e := newAPIEnv(t)
	for _, id := range httpapi.Functions() {
		for _, r := range httpapi.Routes() {
			for _, spelling := range r.Paths {
				for _, viaDefault := range []bool{false, true} {
					name := id + "/" + r.Method + " " + spelling
					if viaDefault {
						name += " via $default"
					}
					t.Run(name, func(t *testing.T) {
						req := rowEvent(r, spelling, viaDefault)
						resp, err := e.routers[id].Serve(e.Ctx, req)
						if err != nil {
							t.Fatal(err)
						}
						if r.Function == id && r.Page() {
							checkPageRow(t, r, resp)
							return
						}
						var body struct{ Code, Message string }
						body.Code, body.Message = errorOf(t, req.RawPath, resp.Body)
						got := body.Code + " " + body.Message
						switch {
						case r.Function != id:
							if resp.StatusCode != http.StatusNotFound || got != "not_found No such route." {
								t.Errorf("a route of %s: %d %s, want 404 not_found No such route.", r.Function, resp.StatusCode, got)
							}
						case r.Protected():
							if resp.StatusCode != http.StatusUnauthorized || body.Code != "invalid_token" {
								t.Errorf("protected, no verdict: %d %s, want the guard's 401 invalid_token", resp.StatusCode, got)
							}
						default:
							if resp.StatusCode != http.StatusBadRequest || body.Code != "invalid_request" {
								t.Errorf("public, empty body: %d %s, want the handler's 400 invalid_request", resp.StatusCode, got)
							}
						}
					})
				}
			}
		}
	}
}

// TestDefaultRoutePathParameters sends applications requests as the $default route does, with no path
// parameters: the router matches the path against the rows and hands the handler the {appId} it holds.
func TestDefaultRoutePathParameters(t *testing.T) {
	e := newAPIEnv(t)
	verdict := map[string]any{"valid": true, "tokenId": "t", "userId": "u", "email": adaEmail, "appId": demoPlain,
		"admin": true, "expiresAt": float64(epoch.Add(time.Hour).Unix())}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		appID                    string // the appId of the answer; "" for an error answer
	}{
		{"GET one", http.MethodGet, "/odata/Applications/" + demoMFA, "", 200, demoMFA},
		{"GET another", http.MethodGet, "/odata/Applications/" + demoPlain, "", 200, demoPlain},
		{"PATCH alias reads the id after Patch", http.MethodPatch, "/odata/Applications/Patch/" + demoMFA, `{"appId": "` + demoPlain + `"}`, 200, demoMFA},
		{"unknown method", http.MethodPost, "/odata/Applications/" + demoMFA, "", 404, ""},
		{"one segment too many", http.MethodGet, "/odata/Applications/" + demoMFA + "/x", "", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := event("$default", nil, tc.body)
			req.RawPath, req.RequestContext.HTTP.Method, req.RequestContext.HTTP.Path = tc.path, tc.method, tc.path
			req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: verdict}
			req.Headers["prefer"] = "return=representation" // a PATCH answers with the application it changed
			resp, err := e.routers[httpapi.ApplicationsFunction].Serve(e.Ctx, req)
			if err != nil || resp.StatusCode != tc.status {
				t.Fatalf("%s %s: %d %s (%v), want %d", tc.method, tc.path, resp.StatusCode, resp.Body, err, tc.status)
			}
			var body struct{ AppID, Message string }
			_ = json.Unmarshal([]byte(resp.Body), &body)
			if tc.appID != "" && body.AppID != tc.appID {
				t.Errorf("appId %q, want %q: the handler did not get the path's {appId}", body.AppID, tc.appID)
			}
		})
	}
}

// TestLookup matches requests against the whole table, as the local gateway does.
func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		key          string // "" when nothing matches
		params       map[string]string
	}{
		{http.MethodPost, "/api/auth/login", httpapi.RouteLogin, nil},
		{http.MethodGet, "/api/auth/me", httpapi.RouteMe, nil},
		{http.MethodGet, "/api/auth/login", "", nil},
		{http.MethodPost, "/API/auth/login", "", nil}, // paths are case-sensitive, as in API Gateway
		{http.MethodPost, "/api/auth/login/", httpapi.RouteLogin, nil},
		{http.MethodGet, "/odata/Applications/abc", "GET /odata/Applications/{appId}", map[string]string{"appId": "abc"}},
		{http.MethodPut, "/odata/Applications/Put/abc", "PUT /odata/Applications/Put/{appId}", map[string]string{"appId": "abc"}},
		{http.MethodPatch, "/odata/Applications/Patch", "PATCH /odata/Applications/{appId}", map[string]string{"appId": "Patch"}},
		{http.MethodGet, "/odata/Applications", "GET /odata/Applications", nil},
		{http.MethodGet, "/odata/Applications//abc", "", nil}, // an empty segment fills no parameter
		{http.MethodDelete, "/odata/Applications/Put/abc", "", nil},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			m, ok := httpapi.Lookup(tc.method, tc.path)
			if ok != (tc.key != "") || m.Key != tc.key {
				t.Fatalf("Lookup = %q, %v; want %q", m.Key, ok, tc.key)
			}
			if ok && (!maps.Equal(m.Params, tc.params) || m.Route.Key() != tc.key) {
				t.Errorf("params %v of row %s, want %v of %s", m.Params, m.Route.Key(), tc.params, tc.key)
			}
		})
	}
}

// TestFunctionFailsFast: a function wired without a handler its rows need fails when its router is
// built, at cold start, naming what is missing; it is never found out by a request.
func TestFunctionFailsFast(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	auths := httpapi.New(auth.NewService(auth.Deps{Log: log}), log)
	session := httpapi.NewSession(auth.NewSessions(nil, nil, log), log)
	apps := httpapi.NewApplications(auth.NewApplications(nil, nil, nil, log), log)
	users := httpapi.NewUsers(auth.NewUsers(auth.UsersDeps{Log: log}), log)
	guard := httpapi.NewGuard(nil, log)
	for _, tc := range []struct {
		name, function string
		hs             httpapi.Handlers
		panic          string // "" when the router builds
	}{
		{"login without session", httpapi.LoginFunction, httpapi.Handlers{Auth: auths, Guard: guard}, "needs Handlers.Session"},
		{"login without guard", httpapi.LoginFunction, httpapi.Handlers{Auth: auths, Session: session}, "needs Handlers.Guard"},
		{"login without auth", httpapi.LoginFunction, httpapi.Handlers{Session: session, Guard: guard}, "needs Handlers.Auth"},
		{"login", httpapi.LoginFunction, httpapi.Handlers{Auth: auths, Session: session, Guard: guard}, ""},
		{"verify without auth", httpapi.VerifyFunction, httpapi.Handlers{Session: session, Applications: apps, Guard: guard}, "needs Handlers.Auth"},
		{"verify", httpapi.VerifyFunction, httpapi.Handlers{Auth: auths}, ""},
		{"applications without guard", httpapi.ApplicationsFunction, httpapi.Handlers{Applications: apps, Users: users}, "needs Handlers.Guard"},
		{"applications without applications", httpapi.ApplicationsFunction, httpapi.Handlers{Auth: auths, Users: users, Guard: guard}, "needs Handlers.Applications"},
		{"applications without users", httpapi.ApplicationsFunction, httpapi.Handlers{Applications: apps, Guard: guard}, "needs Handlers.Users"},
		{"applications", httpapi.ApplicationsFunction, httpapi.Handlers{Applications: apps, Users: users, Guard: guard}, ""},
		{"a function without routes", "AuthorizerFunction", httpapi.Handlers{Auth: auths, Session: session, Applications: apps, Guard: guard}, "has no route of that function"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			func() {
				defer func() {
					if p := recover(); p != nil {
						got = p.(string)
					}
				}()
				httpapi.Function(tc.function, tc.hs)
			}()
			switch {
			case tc.panic == "" && got != "":
				t.Fatalf("Function(%s) panicked: %s", tc.function, got)
			case tc.panic != "" && !strings.Contains(got, tc.panic):
				t.Fatalf("Function(%s) panicked with %q, want it to say %q", tc.function, got, tc.panic)
			}
		})
	}
}
