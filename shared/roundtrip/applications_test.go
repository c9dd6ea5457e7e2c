package roundtrip_test

import (
	"context"
	"slices"
	"testing"

	"mfagateway/shared/httpapi"
	"mfagateway/shared/roundtrip"
)

// The application list and delete, counted like the login flows: what each costs in DynamoDB.
var (
	listApplications  = cost{1, 1} // Query of the list index
	deleteApplication = cost{2, 2} // GetItem application (its version and url); TransactWriteItems {application, url copy}
)

const unknownApp = "00000000-0000-4000-8000-000000000000" // the appId of applications-delete.json

// applicationRoundTrips counts the list and the delete of TestRoundTrips's demo seed, through the
// applications function's router.
func applicationRoundTrips(t *testing.T, h *httpapi.Router, counter *roundtrip.Counter, check func(*testing.T, string, cost, roundtrip.Calls)) {
	ctx := context.Background()
	t.Run("list", func(t *testing.T) {
		req := apiEvent(t, readEvent(t, "applications-list.json"), nil)
		calls := counter.Measure(func() {
			resp, err := h.Serve(ctx, req)
			if got := answer(t, resp, err, 200); got["@odata.count"] != float64(1) {
				t.Errorf("answer %v, want the one application with MFA on", got)
			}
		})
		check(t, "list", listApplications, calls)
		if !slices.Equal(calls.Operations, []string{"Query"}) {
			t.Errorf("list: %s, want a Query", calls)
		}
	})
	t.Run("delete", func(t *testing.T) {
		const demoPlain = "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90"
		req := apiEvent(t, readEvent(t, "applications-delete.json", unknownApp, demoPlain), nil)
		calls := counter.Measure(func() {
			resp, err := h.Serve(ctx, req)
			if err != nil || resp.StatusCode != 204 {
				t.Fatalf("delete: %d %s (%v), want 204", resp.StatusCode, resp.Body, err)
			}
		})
		check(t, "delete", deleteApplication, calls)
	})
}
