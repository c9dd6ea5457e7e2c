package roundtrip_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/localdynamo"
	"mfagateway/shared/password"
	"mfagateway/shared/roundtrip"
	"mfagateway/shared/seed"
	"mfagateway/shared/testenv"
)

// The application list and delete, counted like the login flows: what each costs in DynamoDB.
var (
	listApplications  = cost{1, 1} // Query of the list index
	deleteApplication = cost{2, 2} // GetItem application (its version and url); TransactWriteItems {application, url copy}
)

const unknownApp = "00000000-0000-4000-8000-000000000000" // the appId of applications-delete.json

func TestApplicationRoundTrips(t *testing.T) {
	ctx := context.Background()
	eng, err := localdynamo.Start(ctx, table)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	demo, err := seed.ParseBytes(seed.Demo)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Load(ctx, dynamo.New(eng.Client, table), password.New(testenv.CheapPassword), time.Now()); err != nil {
		t.Fatal(err)
	}
	counter := roundtrip.New()
	store := dynamo.New(dynamodb.New(eng.Client.Options(), counter.Attach), table)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := httpapi.Function(httpapi.ApplicationsFunction, httpapi.Handlers{
		Applications: httpapi.NewApplications(auth.NewApplications(store, nil, uuid.NewString, log), log),
		Guard:        httpapi.NewGuard(nil, log),
	})
	check := func(t *testing.T, flow string, want cost, ops []string, calls roundtrip.Calls) {
		t.Helper()
		if calls.N() != want.ops || calls.Sequential != want.sequential || !slices.Equal(calls.Operations, ops) {
			t.Errorf("%s: %s DynamoDB operations, want exactly %d (%v) in %d sequential round trips", flow, calls, want.ops, ops, want.sequential)
		}
	}

	t.Run("list", func(t *testing.T) {
		req := apiEvent(t, readEvent(t, "applications-list.json"), nil)
		calls := counter.Measure(func() {
			resp, err := h.Serve(ctx, req)
			if got := answer(t, resp, err, 200); got["@odata.count"] != float64(1) {
				t.Errorf("answer %v, want the one application with MFA on", got)
			}
		})
		check(t, "list", listApplications, []string{"Query"}, calls)
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
		check(t, "delete", deleteApplication, []string{"GetItem", "TransactWriteItems"}, calls)
	})
}
