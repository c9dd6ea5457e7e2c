package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/fault/faulttest"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/testenv"
)

// faultEnv is the handlers over a store whose every DynamoDB call meets one fault, through a real SDK
// client with the production retryer.
func faultEnv(t *testing.T, f faulttest.Fault) (*apiEnv, func(context.Context, httpapi.Request) (httpapi.Response, error)) {
	t.Helper()
	e := &apiEnv{Stack: testenv.NewStack(t, testenv.WithClock(epoch))}
	e.Store = dynamo.New(faulttest.Client(t, faulttest.Serve(t, f).URL), faulttest.Table)
	e.rebuild(func(d *auth.Deps) { d.Store = e.Store })
	return e, e.appsRouter()
}

// TestAWSFaultAnswers: a transient AWS fault is 503 unavailable with Retry-After, a permanent one 500
// internal without; either way one ERROR line names the AWS code and the class, and AWS's message
// (which names the table and holds an item's contents) reaches neither the client nor the log.
func TestAWSFaultAnswers(t *testing.T) {
	mfaToken := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	routes := []struct {
		name, route string
		req         httpapi.Request
	}{
		{"login", httpapi.RouteLogin, event(httpapi.RouteLogin, appHeader(demoMFA), loginBody(adaEmail, adaPassword))},
		{"verify", httpapi.RouteVerify, event(httpapi.RouteVerify, nil, verifyBody(mfaToken, "SMS", "123456"))},
		{"resend", httpapi.RouteResend, event(httpapi.RouteResend, nil, jsonOf(map[string]string{"token": mfaToken}))},
		{"application", routeAppGet, appsEvent(http.MethodGet, "/odata/Applications/"+appsTestID, "", appsVerdict(true))},
	}
	for _, f := range faulttest.DynamoDB {
		if f.Transact {
			continue // these read as themselves only from TransactWriteItems; shared/fault tests them
		}
		for _, rt := range routes {
			t.Run(f.Name+"/"+rt.name, func(t *testing.T) {
				e, apps := faultEnv(t, f)
				var a answer
				if rt.route == routeAppGet {
					resp, err := apps(e.Ctx, rt.req)
					if err != nil {
						t.Fatalf("handler error: %v", err)
					}
					a = answer{Status: resp.StatusCode, Headers: resp.Headers, Raw: resp.Body}
					if err := json.Unmarshal([]byte(resp.Body), &a.Body); err != nil {
						t.Fatalf("body %q: %v", resp.Body, err)
					}
					a = odataAnswer(t, a)
				} else {
					a = e.serveWith(t, rt.req, true)
				}
				if f.Transient {
					wantError(t, a, http.StatusServiceUnavailable, "unavailable", "1")
				} else {
					wantError(t, a, http.StatusInternalServerError, "internal", "")
				}
				logs := e.Logs.String()
				for _, leak := range []string{faulttest.Table, "ada.private"} {
					if strings.Contains(a.Raw, leak) || strings.Contains(logs, leak) {
						t.Errorf("AWS's message (%q) reached the answer or the log:\n%s\n%s", leak, a.Raw, logs)
					}
				}
				wantFailureLine(t, logs, a.Status, f)
			})
		}
	}
}

// wantFailureLine checks the log has exactly one "request failed" line, at ERROR, with the answer's
// status and code, the fault's AWS code and its class.
func wantFailureLine(t *testing.T, logs string, status int, f faulttest.Fault) {
	t.Helper()
	var found []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if rec["msg"] == "request failed" {
			found = append(found, rec)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d request failed lines, want 1:\n%s", len(found), logs)
	}
	rec := found[0]
	code := map[bool]string{true: "unavailable", false: "internal"}[f.Transient]
	if rec["level"] != "ERROR" || rec["awsCode"] != f.Code || rec["transient"] != f.Transient ||
		rec["code"] != code || rec["status"] != float64(status) {
		t.Errorf("log line %v, want level ERROR, awsCode %q, transient %v, code %s, status %d", rec, f.Code, f.Transient, code, status)
	}
	if e, _ := rec["error"].(string); !strings.Contains(e, "DynamoDB") {
		t.Errorf("log line error %q does not name the service", e)
	}
}

// TestAuthorizerFaultText: when the authorizer cannot read the session, its error (which Lambda
// records) names the AWS code but not AWS's message.
func TestAuthorizerFaultText(t *testing.T) {
	e, _ := faultEnv(t, faulttest.Fault{Name: "missing table", Status: 400, Code: "ResourceNotFoundException"})
	authz := e.Authorizer()
	_, err := authz.Handle(e.Ctx, httpapi.AuthorizerRequest{Headers: map[string]string{
		"authorization": "Bearer " + base64.RawURLEncoding.EncodeToString(make([]byte, 48)), "appid": demoPlain,
	}})
	if err == nil {
		t.Fatal("the authorizer answered without its store")
	}
	if msg := err.Error(); !strings.Contains(msg, "ResourceNotFoundException") || strings.Contains(msg, faulttest.Table) {
		t.Errorf("authorizer error %q: want the AWS code without AWS's message", msg)
	}
}
