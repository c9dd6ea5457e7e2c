package httpapi_test

// What each account lifecycle route costs in DynamoDB, counted with shared/roundtrip's middleware on
// the store's client, as shared/roundtrip counts the login flows.

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/roundtrip"
	"mfagateway/shared/testenv"
)

// accountCost is a route's cost: operations, and sequential round trips among them. A change that adds
// a read or a write to a route has to change this table too, on purpose.
type accountCost struct{ ops, sequential int }

var accountCosts = map[string]accountCost{
	// TransactWriteItems {USER#, USERID#, application exists}; GetItem APP# (the link's url);
	// TransactWriteItems {USER# and USERID# with the ticket, hourly send count}.
	"invite": {3, 3},
	// BatchGetItem {USER#, APPURL#}; TransactWriteItems {USER# and USERID# with the ticket, hourly send count}.
	"forgotPassword, known email": {2, 2},
	// BatchGetItem {USER#, APPURL#}.
	"forgotPassword, unknown email": {1, 1},
	// BatchGetItem {USERID#, APP#}; TransactWriteItems {USER#, USERID#, LOGIN# deleted};
	// TransactWriteItems {challenge, hourly send count, LOGIN# deleted}.
	"changePassword, MFA on": {3, 3},
	// BatchGetItem {USERID#, APP#}; TransactWriteItems {USER#, USERID#, LOGIN# deleted};
	// TransactWriteItems {token, LOGIN# deleted}.
	"changePassword, MFA off": {3, 3},
	// UpdateItem LOGIN# (the attempt) ∥ BatchGetItem {USER#, APP#}; TransactWriteItems {USER#,
	// USERID#, LOGIN# deleted, the caller's token moved to the new epoch}.
	"updatePassword": {3, 2},
	// GetItem USERID#; GetItem APP# (the session's application); TransactWriteItems {USER# and
	// USERID# with the ticket, hourly send count}.
	"resetPassword": {3, 3},
	// GetItem USERID#; GetItem APPURL#; TransactWriteItems as above.
	"resetPassword with a url": {3, 3},
}

// TestAccountRoundTrips counts the DynamoDB operations of each account route, through the account
// function's router, with latency on every request so that concurrent operations overlap for certain.
func TestAccountRoundTrips(t *testing.T) {
	counter := roundtrip.New()
	latent := func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, roundtrip.Latency(10*time.Millisecond)) }
	e := newAPIEnv(t, testenv.WithClientOptions(counter.Attach, latent))

	measure := func(t *testing.T, flow string, status int, call func() answer) {
		t.Helper()
		var a answer
		calls := counter.Measure(func() { a = call() })
		if a.Status != status {
			t.Fatalf("%s: %d %s, want %d", flow, a.Status, a.Raw, status)
		}
		want := accountCosts[flow]
		t.Logf("%s: %s", flow, calls)
		if calls.N() != want.ops || calls.Sequential != want.sequential {
			t.Errorf("%s: %s DynamoDB operations, want exactly %d in %d sequential round trips", flow, calls, want.ops, want.sequential)
		}
		if calls.Attempts != calls.N() {
			t.Errorf("%s: %d HTTP attempts for %d operations: something was retried", flow, calls.Attempts, calls.N())
		}
		if slices.Contains(calls.Operations, "Scan") || slices.Contains(calls.Operations, "Query") {
			t.Errorf("%s: %s, want neither a scan nor a query", flow, calls)
		}
	}

	measure(t, "invite", http.StatusCreated, func() answer {
		return e.callAccount(t, routeInvite, e.admin(), nil, inviteBody(newEmail, "Nina", demoMFA))
	})
	invited, _, _ := e.mailedTicket(t, newEmail)
	measure(t, "changePassword, MFA on", http.StatusForbidden, func() answer {
		return e.changePassword(t, invited, goodPassword, nil)
	})
	measure(t, "forgotPassword, known email", http.StatusOK, func() answer {
		return e.callAccount(t, routeForgotPassword, nil, nil, jsonOf(map[string]any{"email": graceEmail, "url": "demo.localhost"}))
	})
	measure(t, "forgotPassword, unknown email", http.StatusOK, func() answer {
		return e.callAccount(t, routeForgotPassword, nil, nil, jsonOf(map[string]any{"email": "nobody@example.com", "url": "demo.localhost"}))
	})
	reset, _, _ := e.mailedTicket(t, graceEmail)
	measure(t, "changePassword, MFA off", http.StatusOK, func() answer {
		return e.changePassword(t, reset, goodPassword, nil)
	})
	v := e.verdictOfToken(t, e.tokenOf(t, graceEmail, goodPassword, demoPlain), demoPlain)
	measure(t, "updatePassword", http.StatusNoContent, func() answer {
		return e.callAccount(t, routeUpdatePassword, v, nil, jsonOf(map[string]any{"oldPassword": goodPassword, "newPassword": otherPassword}))
	})
	measure(t, "resetPassword", http.StatusNoContent, func() answer {
		return e.callAccount(t, routeResetPassword, e.admin(), nil, jsonOf(map[string]any{"userId": linusID}))
	})
	measure(t, "resetPassword with a url", http.StatusNoContent, func() answer {
		return e.callAccount(t, routeResetPassword, e.admin(), nil, jsonOf(map[string]any{"userId": graceID, "url": "demo-mfa.localhost"}))
	})
}
