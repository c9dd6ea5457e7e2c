package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
)

// nameCase is one body on one route. The body may hold T (replaced by a fresh MFA token) and C (by
// its binding code). name is the property the 400 must name; "" means the body is accepted.
type nameCase struct {
	name, route, body, repeated string
	status                      int
}

// TestAmbiguousPropertyNames: names match regardless of letter case (as encoding/json matches them,
// Unicode simple folding included), and a body that gives one name twice in an object, at any depth,
// in any spelling or escaping, is 400 invalid_request naming the property, on every route with a body.
func TestAmbiguousPropertyNames(t *testing.T) {
	ada := `"email":"` + adaEmail + `","password":"` + adaPassword + `"`
	one := "/odata/Applications/" + demoPlain
	for _, tc := range []nameCase{
		{"login: exact repeat", httpapi.RouteLogin, `{` + ada + `,"email":"grace@example.com"}`, "email", 400},
		{"login: case variant", httpapi.RouteLogin, `{` + ada + `,"Email":"grace@example.com"}`, "Email", 400},
		{"login: upper case password", httpapi.RouteLogin, `{` + ada + `,"PASSWORD":"x"}`, "PASSWORD", 400},
		{"login: long s folds with s", httpapi.RouteLogin, `{` + ada + `,"pa\u017Fsword":"x"}`, "pa\u017Fsword", 400},
		{"login: escaped name", httpapi.RouteLogin, `{` + ada + `,"em\u0061il":"grace@example.com"}`, "email", 400},
		{"login: repeat in an ignored object", httpapi.RouteLogin, `{` + ada + `,"device":{"id":1,"ID":2}}`, "ID", 400},
		{"login: Kelvin sign in an array's object", httpapi.RouteLogin, `{` + ada + `,"tags":[{"k":1},{"k":1,"\u212A":2}]}`, "\u212A", 400},
		{"login: repeat three deep", httpapi.RouteLogin, `{` + ada + `,"a":{"b":{"c":1,"C":2}}}`, "C", 400},
		{"login: names in other case", httpapi.RouteLogin, `{"EMAIL":"` + adaEmail + `","Password":"` + adaPassword + `"}`, "", 200},
		{"login: escaped names", httpapi.RouteLogin, `{"em\u0061il":"` + adaEmail + `","p\u0061ssword":"` + adaPassword + `"}`, "", 200},
		{"login: one name in two objects", httpapi.RouteLogin, `{` + ada + `,"a":{"email":1},"b":[{"email":2},{"email":3}]}`, "", 200},

		{"verify: Kelvin sign (raw UTF-8) repeats token", httpapi.RouteVerify, `{"token":"T","to` + "\u212A" + `en":"T","bindingCode":"C"}`, "to\u212Aen", 400},
		{"verify: case variant", httpapi.RouteVerify, `{"token":"T","bindingCode":"C","BindingCode":"C"}`, "BindingCode", 400},
		{"verify: Kelvin sign spells token", httpapi.RouteVerify, `{"to` + "\u212A" + `en":"T","BINDINGCODE":"C"}`, "", 200},

		{"resend: case variant", httpapi.RouteResend, `{"token":"T","TOKEN":"T"}`, "TOKEN", 400},
		{"resend: repeat in an ignored object", httpapi.RouteResend, `{"token":"T","meta":{"a":{"b":1,"B":2}}}`, "B", 400},
		{"resend: name in other case", httpapi.RouteResend, `{"Token":"T","email":"x","url":"y"}`, "", 200},

		{"create: case variant", routeAppCreate, `{"name":"A","Name":"B","url":"a.example.com"}`, "Name", 400},
		{"create: escaped name", routeAppCreate, `{"name":"A","n\u0061me":"B"}`, "name", 400},
		{"create: names in other case", routeAppCreate, `{"NAME":"A","Url":"a.example.com"}`, "", 201},
		{"patch: flag in two spellings", routeAppPatch, `{"enableMultiFactorAuthentication": true, "enablemultifactorauthentication": false}`, "enablemultifactorauthentication", 400},
		{"patch: exact repeat", routeAppPatch, `{"url":"a.example.com","url":"b.example.com"}`, "url", 400},
		{"patch: flag in other case", routeAppPatch, `{"EnableMultiFactorAuthentication": true}`, "", 204},
		{"put: case variant", routeAppPut, `{"name":"Demo","uniqueIdentifier":"x","UniqueIdentifier":"y"}`, "UniqueIdentifier", 400},
		{"put: names in other case", routeAppPut, `{"NAME":"Demo","Url":"demo.localhost"}`, "", 204},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newAPIEnv(t)
			var a answer
			switch tc.route {
			case httpapi.RouteLogin:
				a = e.serve(t, event(tc.route, appHeader(demoPlain), tc.body))
			case httpapi.RouteVerify, httpapi.RouteResend:
				mfa, code := e.challenge(t, adaEmail, adaPassword)
				body := strings.ReplaceAll(strings.ReplaceAll(tc.body, `"T"`, `"`+mfa+`"`), `"C"`, `"`+code+`"`)
				if tc.route == httpapi.RouteResend {
					e.Clock.Advance(auth.DefaultPolicy.ResendCooldown + time.Second)
				}
				a = e.serve(t, event(tc.route, nil, body))
			default:
				method, _, _ := strings.Cut(tc.route, " ")
				path := one
				if tc.route == routeAppCreate {
					path = "/odata/Applications"
				}
				a = e.serveApps(t, appsEvent(method, path, tc.body, appsVerdict(true)))
			}
			if tc.repeated == "" {
				if a.Status != tc.status {
					t.Fatalf("status %d %s, want %d", a.Status, a.Raw, tc.status)
				}
				return
			}
			wantError(t, a, http.StatusBadRequest, "invalid_request", "")
			wantMessageNames(t, a, `"`+tc.repeated+`"`)
		})
	}
}

// Route keys of the applications rows these tests address.
const (
	routeAppCreate = "POST /odata/Applications"
	routeAppGet    = "GET /odata/Applications/{appId}"
	routeAppPatch  = "PATCH /odata/Applications/{appId}"
	routeAppPut    = "PUT /odata/Applications/{appId}"
)

// appsRouter is the applications function's router over the env's store, its guard on the real clock
// (appsVerdict expires an hour from the real now).
func (e *apiEnv) appsRouter() httpapi.HandlerFunc {
	return httpapi.Function(httpapi.ApplicationsFunction, httpapi.Handlers{
		Applications: httpapi.NewApplications(e.Applications(), e.Log),
		Users:        httpapi.NewUsers(e.Users(), e.Log),
		Guard:        httpapi.NewGuard(nil, e.Log),
	}).Serve
}

// serveApps hands the event to the applications function behind the guard, over the env's store.
func (e *apiEnv) serveApps(t *testing.T, req httpapi.Request) answer {
	t.Helper()
	resp, err := e.appsRouter()(e.Ctx, req)
	if err != nil {
		t.Fatalf("handler error: %v", err)
	}
	a := answer{Status: resp.StatusCode, Headers: resp.Headers, Raw: resp.Body}
	if resp.Body != "" {
		if !strings.HasSuffix(resp.Body, "}\n") {
			t.Errorf("response body %q does not end with a newline", resp.Body)
		}
		if err := json.Unmarshal([]byte(resp.Body), &a.Body); err != nil {
			t.Fatalf("body %q: %v", resp.Body, err)
		}
	}
	if a.Status >= 400 {
		a = odataAnswer(t, a)
	}
	return a
}
