package roundtrip_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/roundtrip"
	"mfagateway/shared/testenv"
)

// A page of a list read by key, counted: one Query of the list index whatever page it is, and for
// users the one BatchGetItem of the page's failed-login counts (one per 100 users of the page).
var (
	userPage = cost{2, 2} // Query of the list index after the token; BatchGetItem LOGIN# of the page's users
	appPage  = cost{1, 1} // Query of the list index after the token
)

// TestPageRoundTrips follows the nextLink of both lists over the demo seed and a few dozen more
// users and applications, counting every page, and counts a refused $skiptoken: nothing read.
func TestPageRoundTrips(t *testing.T) {
	counter := roundtrip.New()
	s := testenv.NewStack(t, testenv.WithTable(table), testenv.WithClock(time.Now()), testenv.WithClientOptions(counter.Attach),
		testenv.DiscardLogs())
	s.SeedDemo(t)
	for i := range 25 {
		at := time.Now().Add(time.Duration(i) * time.Second)
		if err := s.Store.LoadUser(s.Ctx, auth.User{ID: uuid.NewString(), Email: fmt.Sprintf("u%d@example.com", i), CreateDate: at}); err != nil {
			t.Fatal(err)
		}
		if err := s.Store.LoadApplication(s.Ctx, auth.Application{ID: uuid.NewString(), Name: fmt.Sprintf("A%d", i), CreateDate: at}); err != nil {
			t.Fatal(err)
		}
	}
	h := s.Routers(httpapi.ApplicationsFunction)[httpapi.ApplicationsFunction]

	list := func(t *testing.T, event, target string, want cost, ops []string) (next string, n int) {
		t.Helper()
		req := apiEvent(t, readEvent(t, event), nil)
		req.RawPath, req.RawQueryString, _ = strings.Cut(target, "?")
		var body map[string]any
		calls := counter.Measure(func() {
			resp, err := h.Serve(s.Ctx, req)
			body = answer(t, resp, err, 200)
		})
		if calls.N() != want.ops || calls.Sequential != want.sequential || !slices.Equal(calls.Operations, ops) {
			t.Errorf("%s: %s DynamoDB operations, want exactly %v in %d sequential round trips", target, calls, ops, want.sequential)
		}
		next, _ = body["@odata.nextLink"].(string)
		return next, len(body["value"].([]any))
	}
	for _, tc := range []struct {
		name, event, first string
		want               cost
		ops                []string
		total              int
	}{
		{"users", "users-list.json", "/odata/users?$top=10", userPage, []string{"Query", "BatchGetItem"}, 28},
		{"applications", "applications-list.json", "/odata/Applications?$top=10", appPage, []string{"Query"}, 27},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pages, listed := 0, 0
			for target := tc.first; target != ""; pages++ {
				if pages > 5 {
					t.Fatal("nextLink does not end")
				}
				var n int
				target, n = list(t, tc.event, target, tc.want, tc.ops)
				listed += n
			}
			if pages != 3 || listed != tc.total {
				t.Errorf("%d pages, %d listed; want 3 pages of %d", pages, listed, tc.total)
			}
		})
	}

	t.Run("a refused token reads nothing", func(t *testing.T) {
		req := apiEvent(t, readEvent(t, "users-list.json"), nil)
		req.RawQueryString = "$skiptoken=QVBQIzIwMzEtMDUtMDZUMDk6MDA6MDBaI2E" // base64url of APP#…: the applications' list
		calls := counter.Measure(func() {
			resp, err := h.Serve(s.Ctx, req)
			if err != nil || resp.StatusCode != 400 || !strings.Contains(resp.Body, "$skiptoken") {
				t.Errorf("%d %s (%v), want 400 naming $skiptoken", resp.StatusCode, resp.Body, err)
			}
		})
		if calls.N() != 0 {
			t.Errorf("%s DynamoDB operations, want none", calls)
		}
	})
}
