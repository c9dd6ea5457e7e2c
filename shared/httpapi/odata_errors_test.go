package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"mfagateway/shared/fault/faulttest"
	"mfagateway/shared/httpapi"
)

// odataAnswer checks that a is an error in OData's JSON error format — exactly one property, "error",
// an object — and returns it with that object as its body, for the checks every error answer gets
// (wantError, wantMessageNames).
func odataAnswer(t *testing.T, a answer) answer {
	t.Helper()
	inner, ok := a.Body["error"].(map[string]any)
	if !ok || len(a.Body) != 1 {
		t.Fatalf("status %d, body %s: want OData's {\"error\": {\"code\", \"message\"}}", a.Status, a.Raw)
	}
	a.Body = inner
	return a
}

// errorOf decodes the error body of an answer to a request for path, in the format of the routes under
// it: {"error": {"code", "message", ...}} under /odata (the first segment, in any case), {"code",
// "message", ...} elsewhere. The other shape fails the test.
func errorOf(t *testing.T, path, raw string) (code, message string) {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal([]byte(raw), &body); err != nil {
		t.Fatalf("body %q: %v", raw, err)
	}
	if first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/"); strings.EqualFold(first, "odata") {
		inner, ok := body["error"].(map[string]any)
		if !ok || len(body) != 1 {
			t.Fatalf("%s: body %s, want OData's {\"error\": {...}}", path, raw)
		}
		body = inner
	} else if _, nested := body["error"]; nested {
		t.Fatalf("%s: body %s, want {\"code\", \"message\"}: OData's error format is for /odata only", path, raw)
	}
	code, _ = body["code"].(string)
	message, _ = body["message"].(string)
	return code, message
}

// callAnswer calls h with req and decodes its answer as it is, without the checks of serve.
func callAnswer(t *testing.T, h httpapi.HandlerFunc, req httpapi.Request) answer {
	t.Helper()
	resp, err := h(t.Context(), req)
	if err != nil {
		t.Fatalf("handler error: %v", err)
	}
	a := answer{Status: resp.StatusCode, Headers: resp.Headers, Raw: resp.Body}
	if resp.Body != "" {
		if err := json.Unmarshal([]byte(resp.Body), &a.Body); err != nil {
			t.Fatalf("body %q: %v", resp.Body, err)
		}
	}
	return a
}

// TestODataErrorFormat: every error the applications function answers on an /odata route — the
// guard's and the router's included — is {"error": {"code", "message"}} with the code, status and
// Retry-After of the plain format.
func TestODataErrorFormat(t *testing.T) {
	one := "/odata/Applications/" + demoPlain
	for _, tc := range []struct {
		name, method, path, body string
		verdict                  map[string]any
		status                   int
		code, retryAfter         string
	}{
		{"401 no authorizer context", http.MethodGet, one, "", nil, 401, "invalid_token", ""},
		{"401 bad verdict", http.MethodPatch, one, `{"name": "x"}`, map[string]any{"valid": false}, 401, "invalid_token", ""},
		{"403 plain user", http.MethodGet, one, "", appsVerdict(false), 403, "forbidden", ""},
		{"404 unknown application", http.MethodGet, "/odata/Applications/" + uuid.NewString(), "", appsVerdict(true), 404, "not_found", ""},
		{"404 no such route", http.MethodGet, one + "/nothing/here", "", appsVerdict(true), 404, "not_found", ""},
		{"404 no such route, lower case", http.MethodGet, "/odata/applications/x/y/z", "", appsVerdict(true), 404, "not_found", ""},
		{"400 unknown property", http.MethodPatch, one, `{"parentId": "x"}`, appsVerdict(true), 400, "invalid_request", ""},
		{"400 not JSON", http.MethodPost, "/odata/Applications", `{"name": `, appsVerdict(true), 400, "invalid_request", ""},
		{"400 url lookup without url", http.MethodPost, "/odata/Applications/url", `{}`, nil, 400, "invalid_request", ""},
		{"404 url lookup", http.MethodPost, "/odata/applications/url", `{"url": "nobody.example.com"}`, nil, 404, "not_found", ""},
		{"409 url taken", http.MethodPatch, one, `{"url": "demo-mfa.localhost"}`, appsVerdict(true), 409, "conflict", ""},
		{"413 body too large", http.MethodPut, one, `{"name": "` + strings.Repeat("x", httpapi.MaxBodyBytes) + `"}`, appsVerdict(true), 413, "payload_too_large", ""},
		{"503 authorizer unavailable", http.MethodGet, one, "", map[string]any{"valid": false, "unavailable": true}, 503, "unavailable",
			strconv.Itoa(httpapi.UnavailableRetryAfter)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newAPIEnv(t)
			a := callAnswer(t, e.appsRouter(), appsEvent(tc.method, tc.path, tc.body, tc.verdict))
			wantError(t, odataAnswer(t, a), tc.status, tc.code, tc.retryAfter)
		})
	}

	// AWS failing the store: 503 with Retry-After, or 500, in the same format.
	for _, f := range []faulttest.Fault{
		{Name: "throttling", Status: 400, Code: "ThrottlingException", Transient: true},
		{Name: "missing table", Status: 400, Code: "ResourceNotFoundException"},
	} {
		t.Run("AWS fault: "+f.Name, func(t *testing.T) {
			_, apps := faultEnv(t, f)
			for _, req := range []httpapi.Request{
				appsEvent(http.MethodGet, one, "", appsVerdict(true)),
				appsEvent(http.MethodPost, "/odata/Applications/url", `{"url": "demo.localhost"}`, nil),
			} {
				a := odataAnswer(t, callAnswer(t, apps, req))
				if f.Transient {
					wantError(t, a, http.StatusServiceUnavailable, "unavailable", "1")
				} else {
					wantError(t, a, http.StatusInternalServerError, "internal", "")
				}
			}
		})
	}
}

// TestErrorFormatPerRow: the /api routes keep {"code", "message"}; a function's 404 for a path it does
// not serve is in the format of that path; a row's ErrorResponse puts extra fields inside "error" and
// keeps Retry-After.
func TestErrorFormatPerRow(t *testing.T) {
	t.Run("api routes stay plain", func(t *testing.T) {
		e := newAPIEnv(t)
		a := e.login(t, appHeader(demoPlain), loginBody(adaEmail, "wrong"))
		wantError(t, a, http.StatusUnauthorized, "invalid_credentials", "")
		me := callAnswer(t, e.routers[httpapi.LoginFunction].Serve, event(httpapi.RouteMe, nil, ""))
		wantError(t, me, http.StatusUnauthorized, "invalid_token", "")
	})
	t.Run("404 in the format of the path", func(t *testing.T) {
		e := newAPIEnv(t)
		for _, id := range httpapi.Functions() {
			for _, path := range []string{"/odata/Applications/a/b/c", "/api/auth/nothing", "/elsewhere"} {
				req := event("$default", nil, "")
				req.RawPath, req.RequestContext.HTTP.Method, req.RequestContext.HTTP.Path = path, http.MethodGet, path
				resp, err := e.routers[id].Serve(e.Ctx, req)
				if err != nil || resp.StatusCode != http.StatusNotFound {
					t.Fatalf("%s %s: %d %s (%v), want 404", id, path, resp.StatusCode, resp.Body, err)
				}
				if code, msg := errorOf(t, path, resp.Body); code != "not_found" || msg != "No such route." {
					t.Errorf("%s %s: %q %q, want not_found No such route.", id, path, code, msg)
				}
			}
		}
	})
	t.Run("a row's ErrorResponse", func(t *testing.T) {
		e := &httpapi.Error{Status: http.StatusTooManyRequests, Code: httpapi.CodeTooManyRequests, Message: "Wait.",
			RetryAfter: 7, Extra: map[string]any{"attemptsRemaining": 2}}
		for path, want := range map[string]string{
			"/odata/Applications": `{"error":{"attemptsRemaining":2,"code":"too_many_requests","message":"Wait."}}` + "\n",
			"/api/auth/login":     `{"attemptsRemaining":2,"code":"too_many_requests","message":"Wait."}` + "\n",
		} {
			m, ok := httpapi.Lookup(http.MethodPost, path)
			if !ok {
				t.Fatalf("no row for POST %s", path)
			}
			resp := m.Route.ErrorResponse(e)
			if resp.StatusCode != 429 || resp.Body != want || resp.Headers["Retry-After"] != "7" {
				t.Errorf("%s: %d %q Retry-After %q, want 429 %q Retry-After 7", path, resp.StatusCode, resp.Body, resp.Headers["Retry-After"], want)
			}
		}
	})
	t.Run("every spelling of a row shares its format", func(t *testing.T) {
		for _, r := range httpapi.Routes() {
			for _, p := range r.Paths {
				if strings.HasPrefix(p, "/odata/") != strings.HasPrefix(r.Paths[0], "/odata/") {
					t.Errorf("%s: spelling %s is not under the first one's prefix", r.Key(), p)
				}
			}
		}
	})
}

// checkAnswerAt holds for anything a client can send to path: no handler error, no 5xx, and an error
// body with a stable code and a message for every 4xx, in the format of path's routes.
func checkAnswerAt(t *testing.T, path string, resp httpapi.Response, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("handler error: %v", err)
	}
	if resp.StatusCode >= 500 {
		t.Fatalf("status %d for client input: %s", resp.StatusCode, resp.Body)
	}
	if resp.StatusCode >= 400 {
		if code, msg := errorOf(t, path, resp.Body); code == "" || msg == "" {
			t.Fatalf("status %d without a code and a message: %q", resp.StatusCode, resp.Body)
		}
	}
}
