package httpapi_test

import (
	"net/http"
	"path"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/roundtrip"
)

// validateEnv is the login function over the demo seed with ada's auth token for Demo, its
// authorizer's verdict, and a count of the DynamoDB requests the function itself makes.
type validateEnv struct {
	*apiEnv
	counter *roundtrip.Counter
	bearer  string
	verdict map[string]any
}

func newValidateEnv(t *testing.T) *validateEnv {
	t.Helper()
	e := newAPIEnv(t)
	login := e.login(t, appHeader(demoPlain), loginBody(adaEmail, adaPassword))
	if login.Status != http.StatusOK {
		t.Fatalf("login: %d %s", login.Status, login.Raw)
	}
	v := &validateEnv{apiEnv: e, counter: roundtrip.New(), bearer: str(t, login.Body, "token")}
	v.verdict = v.authorize(t, demoPlain)
	counted := dynamo.New(dynamodb.New(e.Client.Options(), v.counter.Attach), testTable)
	sessions := auth.NewSessions(counted, e.Clock.Now, e.Log)
	e.routers = httpapi.Routers(httpapi.Handlers{
		Auth:    httpapi.New(auth.NewService(e.Deps), e.Log),
		Session: httpapi.NewSession(sessions, e.Log),
		Guard:   httpapi.NewGuard(e.Clock.Now, e.Log).Rechecking(sessions),
	}, httpapi.LoginFunction)
	return v
}

// authorize is the token authorizer's verdict on the bearer token for appID, as API Gateway hands it on.
func (v *validateEnv) authorize(t *testing.T, appID string) map[string]any {
	t.Helper()
	resp, err := v.Authorizer().Handle(v.Ctx, httpapi.AuthorizerRequest{Headers: map[string]string{"authorization": "Bearer " + v.bearer, "appid": appID}})
	if err != nil || !resp.IsAuthorized {
		t.Fatalf("authorizer: %v, isAuthorized %v", err, resp.IsAuthorized)
	}
	return resp.Context
}

// validate calls one spelling of GET /api/auth/validateToken with a verdict, and counts what the
// function itself asks of DynamoDB.
func (v *validateEnv) validate(t *testing.T, spelling string, verdict map[string]any) (answer, roundtrip.Calls) {
	t.Helper()
	req := event(http.MethodGet+" "+spelling, map[string]string{"authorization": "Bearer " + v.bearer, "appid": demoPlain}, "")
	if verdict != nil {
		req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: verdict}
	}
	var a answer
	calls := v.counter.Measure(func() { a = v.serve(t, req) })
	return a, calls
}

func (v *validateEnv) wantValid(t *testing.T, a answer) {
	t.Helper()
	if a.Status != http.StatusOK {
		t.Fatalf("status %d %s, want 200", a.Status, a.Raw)
	}
	want := `{"valid":true,"userId":"` + v.verdict["userId"].(string) + `","appId":"` + demoPlain +
		`","expiresAt":"` + epoch.Add(auth.DefaultPolicy.AuthTokenTTL).Format(time.RFC3339) + `"}` + "\n"
	if a.Raw != want {
		t.Errorf("body %q, want %q", a.Raw, want)
	}
	if got := header(a.Headers, "Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
}

// TestValidateToken: GET /api/auth/validateToken answers a good token's owner, application and
// expiry from the authorizer's verdict, without a request of its own to DynamoDB; every token that
// is not good is 401 invalid_token.
func TestValidateToken(t *testing.T) {
	for _, spelling := range []string{"/api/auth/validateToken", "/api/auth/validatetoken"} {
		t.Run("good token, "+path.Base(spelling), func(t *testing.T) {
			v := newValidateEnv(t)
			a, calls := v.validate(t, spelling, v.verdict)
			v.wantValid(t, a)
			if calls.N() != 0 {
				t.Errorf("the function made %s; the authorizer's one read is all a good token costs", calls)
			}
		})
	}

	refused := []struct {
		name    string
		verdict func(t *testing.T, v *validateEnv) map[string]any
	}{
		{"no verdict", func(*testing.T, *validateEnv) map[string]any { return nil }},
		{"token of another application", func(t *testing.T, v *validateEnv) map[string]any { return v.authorize(t, demoMFA) }},
		{"unknown token", func(t *testing.T, v *validateEnv) map[string]any {
			v.bearer = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
			return v.authorize(t, demoPlain)
		}},
		{"expired while its verdict was cached", func(_ *testing.T, v *validateEnv) map[string]any {
			v.Clock.Advance(auth.DefaultPolicy.AuthTokenTTL)
			return v.verdict
		}},
		{"revoked", func(t *testing.T, v *validateEnv) map[string]any {
			req := event(httpapi.RouteLogout, nil, "")
			req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: v.verdict}
			resp, err := v.routers[httpapi.LoginFunction].Serve(v.Ctx, req)
			if err != nil || resp.StatusCode != http.StatusNoContent {
				t.Fatalf("logout: %v, %d %s", err, resp.StatusCode, resp.Body)
			}
			return v.authorize(t, demoPlain)
		}},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			v := newValidateEnv(t)
			a, calls := v.validate(t, "/api/auth/validateToken", tt.verdict(t, v))
			wantError(t, a, http.StatusUnauthorized, httpapi.CodeInvalidToken, "")
			if calls.N() != 0 {
				t.Errorf("the function made %s for a refused verdict", calls)
			}
		})
	}

	// When AWS kept the authorizer from reading the token, the function reads it instead: the
	// authorizer's one read of token, application and user.
	t.Run("verdict unavailable", func(t *testing.T) {
		v := newValidateEnv(t)
		a, calls := v.validate(t, "/api/auth/validatetoken", map[string]any{"valid": false, "unavailable": true})
		v.wantValid(t, a)
		if calls.N() != 1 || calls.Operations[0] != "BatchGetItem" {
			t.Errorf("the function made %s, want the reads the authorizer could not make", calls)
		}
	})
}
