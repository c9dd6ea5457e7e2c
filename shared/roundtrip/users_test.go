package roundtrip_test

import (
	"context"
	"slices"
	"testing"

	"mfagateway/shared/httpapi"
	"mfagateway/shared/roundtrip"
)

// The users routes, counted like the login flows: what each costs in DynamoDB, through the sample
// events.
var (
	listUsers   = cost{2, 2} // Query of the list index; BatchGetItem of the page's failed-login counts
	getUser     = cost{2, 2} // GetItem USERID#; GetItem LOGIN#
	createUser  = cost{1, 1} // TransactWriteItems {USER#, USERID#, a check per application}
	patchUser   = cost{3, 3} // GetItem USERID#; TransactWriteItems {USER#, USERID#}; GetItem LOGIN# for the answer
	unblockUser = cost{2, 2} // GetItem USERID#; TransactWriteItems {USER#, USERID#, LOGIN# and MFAFAIL# deleted}
	deleteUser  = cost{2, 2} // GetItem USERID#; TransactWriteItems {USER#, USERID#}
)

// linusID is the demo seed's linus, whom the delete removes: no other flow here uses him.
const linusID = "01af1f80-eea4-5cde-92f6-75a55cbc0a76"

// userRoundTrips counts the users routes on TestRoundTrips's demo seed, through the applications
// function's router.
func userRoundTrips(t *testing.T, h *httpapi.Router, counter *roundtrip.Counter, check func(*testing.T, string, cost, roundtrip.Calls)) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, event string
		status      int
		want        cost
		first       string // the first operation
	}{
		{"list users", "users-list.json", 200, listUsers, "Query"},
		{"get user", "users-get.json", 200, getUser, "GetItem"},
		{"me", "users-me.json", 200, getUser, "GetItem"},
		{"create user", "users-create.json", 201, createUser, "TransactWriteItems"},
		{"patch user", "users-patch.json", 200, patchUser, "GetItem"},
		{"unblock user", "users-unblock.json", 204, unblockUser, "GetItem"},
		{"delete user", "users-delete.json", 204, deleteUser, "GetItem"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := apiEvent(t, readEvent(t, tc.event, "00000000-0000-4000-8000-000000000000", linusID), nil)
			calls := counter.Measure(func() {
				resp, err := h.Serve(ctx, req)
				if err != nil || resp.StatusCode != tc.status {
					t.Fatalf("%s: %d %s (%v), want %d", tc.event, resp.StatusCode, resp.Body, err, tc.status)
				}
			})
			check(t, tc.name, tc.want, calls)
			if len(calls.Operations) == 0 || calls.Operations[0] != tc.first || slices.Contains(calls.Operations, "Scan") {
				t.Errorf("%s: %s, want it to start with %s and never scan", tc.name, calls, tc.first)
			}
		})
	}
}
