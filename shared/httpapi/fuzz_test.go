package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/testenv"
)

// fuzzTarget is one stack shared by every input of a fuzz target.
type fuzzTarget struct {
	login    *httpapi.Router
	verify   *httpapi.Router
	apps     *httpapi.Router
	authz    *httpapi.Authorizer
	mfaToken string
}

// fuzzSetup is the demo-seeded stack and a challenge of ada's. Its clock starts at the real now, which
// the authorizer verdicts of FuzzApplications expire an hour after; its log is dropped, as a long fuzz
// run would fill a buffer without end.
func fuzzSetup(f *testing.F) *fuzzTarget {
	f.Helper()
	s := testenv.NewStack(f, testenv.WithClock(time.Now()), testenv.DiscardLogs())
	s.SeedDemo(f)
	res, err := s.Service().Login(s.Ctx, auth.LoginInput{Email: "ada@example.com", Password: "ada-demo-password-1",
		App: auth.AppRef{ID: "7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10"}})
	if err != nil {
		f.Fatalf("fuzz setup: %v", err)
	}
	hs := s.Handlers()
	return &fuzzTarget{
		login:    httpapi.Function(httpapi.LoginFunction, hs),
		verify:   httpapi.Function(httpapi.VerifyFunction, hs),
		apps:     httpapi.Function(httpapi.ApplicationsFunction, hs),
		authz:    s.Authorizer(),
		mfaToken: res.MFA.Token,
	}
}

func fuzzEvent(routeKey, body string, b64 bool, headers map[string]string) httpapi.Request {
	method, path, _ := strings.Cut(routeKey, " ")
	if b64 {
		body = base64.StdEncoding.EncodeToString([]byte(body))
	}
	return httpapi.Request{
		Version: "2.0", RouteKey: routeKey, RawPath: path, Headers: headers, Body: body, IsBase64Encoded: b64,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: routeKey, HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path},
		},
	}
}

// checkAnswer holds for anything a client can send: no handler error, no 5xx, and a JSON error body
// with a stable code for every 4xx.
func checkAnswer(t *testing.T, resp httpapi.Response, err error) {
	t.Helper()
	checkAnswerAt(t, "/api/auth", resp, err)
}

func FuzzLogin(f *testing.F) {
	f.Add(`{"email":"ada@example.com","password":"ada-demo-password-1"}`, false, "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90")
	f.Add(`{"email":"grace@example.com","password":"x","url":"https://DEMO-MFA.localhost/"}`, false, "")
	f.Add(`{"email": 1}`, true, "")
	f.Add(`[]`, false, "x")
	f.Add("{\"email\":\"a\u0000@b.c\",\"password\":\"p\"}", false, "\x00")
	s := fuzzSetup(f)
	f.Fuzz(func(t *testing.T, body string, b64 bool, appID string) {
		resp, err := s.login.Serve(context.Background(),
			fuzzEvent(httpapi.RouteLogin, body, b64, map[string]string{"appid": appID}))
		checkAnswer(t, resp, err)
		if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusForbidden {
			var ok struct{ Token string }
			shaped := auth.IsAuthToken // 200: an auth token
			if resp.StatusCode == http.StatusForbidden {
				shaped = auth.IsBearer // 403: an MFA token
			}
			if json.Unmarshal([]byte(resp.Body), &ok) != nil || !shaped(ok.Token) {
				t.Fatalf("status %d without a token: %s", resp.StatusCode, resp.Body)
			}
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add(`{"token":"MFA","bindingCode":"123456"}`, false)
	f.Add(`{"token":"MFA","authenticatorCode":"Email","bindingCode":"000000"}`, false)
	f.Add(`{"token":"","bindingCode":""}`, true)
	f.Add(`{"token":"MFA","bindingCode":"１２３４５６"}`, false)
	s := fuzzSetup(f)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		body = strings.ReplaceAll(body, `"MFA"`, `"`+s.mfaToken+`"`)
		resp, err := s.verify.Serve(context.Background(), fuzzEvent(httpapi.RouteVerify, body, b64, nil))
		checkAnswer(t, resp, err)
	})
}

func FuzzResend(f *testing.F) {
	f.Add(`{"token":"MFA"}`, false)
	f.Add(`{"token":null}`, false)
	f.Add(`{"token":"`+strings.Repeat("A", 43)+`"}`, true)
	s := fuzzSetup(f)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		body = strings.ReplaceAll(body, `"MFA"`, `"`+s.mfaToken+`"`)
		resp, err := s.login.Serve(context.Background(), fuzzEvent(httpapi.RouteResend, body, b64, nil))
		checkAnswer(t, resp, err)
	})
}

func FuzzApplications(f *testing.F) {
	f.Add("PATCH", "/odata/Applications/Patch/2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90", `{"enableMultiFactorAuthentication":false}`, true)
	f.Add("POST", "/odata/Applications", `{"name":"n","url":"u.example.com"}`, true)
	f.Add("PUT", "/odata/Applications/Put/x", `{"name":"n","extra":1}`, false)
	f.Add("GET", "/odata/Applications/7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10", "", false)
	f.Add("POST", "/odata/users", `{"email":"x@example.com","name":"n","applications":["2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90"]}`, true)
	f.Add("PATCH", "/odata/users/36841690-5a00-5f32-a499-a1bff4a8e267", `{"mobilePhone":"+31 6 1234 5678","status":"Blocked"}`, true)
	f.Add("PUT", "/odata/users/36841690-5a00-5f32-a499-a1bff4a8e267", `{"email":"g***@example.com","name":"G","id":1}`, false)
	f.Add("POST", "/odata/users/unblockUser", `{"userId":"36841690-5a00-5f32-a499-a1bff4a8e267"}`, true)
	f.Add("GET", "/odata/applications/2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90/getAppSecret", "", true)
	s := fuzzSetup(f)
	f.Fuzz(func(t *testing.T, method, path, body string, admin bool) {
		ev := fuzzEvent(method+" "+path, body, false, nil)
		ev.RouteKey = "$default" // any method and path, matched against the function's rows
		// As given, not as split from the route key: a method holding a space would move it into the path.
		ev.RawPath, ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = path, method, path
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]any{
			"valid": true, "tokenId": "t", "userId": "u", "appId": "a", "admin": admin,
			"expiresAt": float64(time.Now().Add(time.Hour).Unix()),
		}}
		resp, err := s.apps.Serve(context.Background(), ev)
		checkAnswerAt(t, path, resp, err)
	})
}

func FuzzAuthorizer(f *testing.F) {
	f.Add("Bearer abc", "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90")
	f.Add("bearer "+strings.Repeat("A", 43), "x")
	f.Add("Bearer "+strings.Repeat("A", 64), "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90")
	f.Add("", "")
	s := fuzzSetup(f)
	f.Fuzz(func(t *testing.T, authorization, appID string) {
		res, err := s.authz.Handle(context.Background(), httpapi.AuthorizerRequest{
			Version: "2.0", Type: "REQUEST", Headers: map[string]string{"authorization": authorization, "appid": appID},
		})
		if err != nil {
			t.Fatalf("authorizer error for client input: %v", err)
		}
		if valid, _ := res.Context["valid"].(bool); valid {
			t.Fatalf("random token accepted: %q", authorization)
		}
	})
}
