package roundtrip_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"mfagateway/shared/httpapi"
	"mfagateway/shared/roundtrip"
)

// Application credentials, counted like the login flows.
var (
	issueAppSecret   = cost{2, 2} // GetItem application (its version and secrets); TransactWriteItems {application, url copy}
	clientAuthorizer = cost{1, 1} // GetItem application (its secret hashes)
)

const appSecretPlaceholder = "REPLACE_WITH_APP_SECRET"

// clientRoundTrips counts getAppSecret through the applications function's router and a check of the
// secret it issued through the authorizer.
func clientRoundTrips(t *testing.T, h *httpapi.Router, az *httpapi.Authorizer, counter *roundtrip.Counter, check func(*testing.T, string, cost, roundtrip.Calls)) {
	ctx := context.Background()
	var secret string
	issue := func(t *testing.T) roundtrip.Calls {
		t.Helper()
		req := apiEvent(t, readEvent(t, "applications-secret.json"), nil)
		return counter.Measure(func() {
			resp, err := h.Serve(ctx, req)
			secret, _ = answer(t, resp, err, 200)["value"].(string)
		})
	}
	t.Run("getAppSecret", func(t *testing.T) {
		calls := issue(t)
		check(t, "getAppSecret", issueAppSecret, calls)
		if !slices.Equal(calls.Operations, []string{"GetItem", "TransactWriteItems"}) {
			t.Errorf("getAppSecret: %s, want GetItem then TransactWriteItems", calls)
		}
	})
	t.Run("authorizer with application credentials", func(t *testing.T) {
		issue(t) // outside the count, so that the subtest stands alone
		var req httpapi.AuthorizerRequest
		if err := json.Unmarshal(readEvent(t, "authorizer-client-credentials.json", appSecretPlaceholder, secret), &req); err != nil {
			t.Fatal(err)
		}
		calls := counter.Measure(func() {
			resp, err := az.Handle(ctx, req)
			if err != nil || resp.Context["valid"] != true || resp.Context["client"] != true {
				t.Fatalf("authorizer: %v, context %v; want a valid verdict for the application", err, resp.Context)
			}
		})
		check(t, "authorizer with application credentials", clientAuthorizer, calls)
		if !slices.Equal(calls.Operations, []string{"GetItem"}) {
			t.Errorf("authorizer: %s, want one GetItem", calls)
		}
	})
}
