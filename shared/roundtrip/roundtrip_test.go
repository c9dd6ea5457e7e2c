package roundtrip_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/password"
	"mfagateway/shared/roundtrip"
	"mfagateway/shared/testenv"
)

// cost is what a flow costs in DynamoDB, exactly: operations (requests, each one billed) and the
// sequential round trips among them (what the caller waits for; concurrent operations count once).
// A change that adds a read or a write to a flow has to change this table too, on purpose.
//
// The round-trip goals are login ≤ 2, verify ≤ 2, resend ≤ 2, authorizer ≤ 1 (by token or by
// application credentials). A login meets them in sequential round trips but makes 3 operations: the
// password-attempt admission (one TransactWriteItems on the account's and the network's counters)
// runs beside the BatchGetItem. The authorizer by token meets
// its goal because the token names its user: token, application and user are one BatchGetItem.
// `make bench` reports both.
type cost struct{ ops, sequential int }

var (
	loginMFAOff = cost{3, 2} // TransactWriteItems admit ∥ BatchGetItem {user, application, run of wrong codes}; TransactWriteItems {token, attempt taken back}
	loginMFAOn  = cost{3, 2} // TransactWriteItems admit ∥ BatchGetItem; TransactWriteItems {challenge, hourly send count, attempt taken back}
	resend      = cost{2, 2} // GetItem challenge; TransactWriteItems {new code, hourly send count}
	verify      = cost{2, 2} // GetItem challenge; TransactWriteItems {challenge used, token, epoch check, end of the run of wrong codes}
	authorizer  = cost{1, 1} // BatchGetItem {token, application, the user the token names (USERID#)}
)

// latency stands for the network to DynamoDB, so that concurrent operations overlap for certain.
const latency = 15 * time.Millisecond

const (
	table       = "roundtrip-test"
	placeholder = "REPLACE_WITH_MFA_TOKEN"
	authToken   = "REPLACE_WITH_AUTH_TOKEN"
)

func readEvent(t *testing.T, name string, replace ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(replace); i += 2 {
		b = bytes.ReplaceAll(b, []byte(replace[i]), []byte(replace[i+1]))
	}
	return b
}

func apiEvent(t *testing.T, raw []byte, body any) httpapi.Request {
	t.Helper()
	var req httpapi.Request
	if err := json.Unmarshal(raw, &req); err != nil {
		t.Fatal(err)
	}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		req.Body, req.IsBase64Encoded = string(b), false
	}
	return req
}

func answer(t *testing.T, resp httpapi.Response, err error, status int) map[string]any {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, resp.Body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &m); err != nil {
		t.Fatalf("body %q: %v", resp.Body, err)
	}
	return m
}

// TestRoundTrips runs each flow through the handlers the functions run, over the embedded DynamoDB
// engine, and counts the DynamoDB operations each makes with the SDK middleware.
func TestRoundTrips(t *testing.T) {
	counter := roundtrip.New()
	latent := func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, roundtrip.Latency(latency)) }
	s := testenv.NewStack(t, testenv.WithTable(table), testenv.WithClock(time.Now()), testenv.WithClientOptions(counter.Attach, latent),
		testenv.WithDeps(func(d *auth.Deps) { d.Hasher = password.New(password.Default) }))
	s.SeedDemo(t)
	ctx, clk := s.Ctx, s.Clock
	h := s.Routers(httpapi.LoginFunction, httpapi.VerifyFunction, httpapi.ApplicationsFunction)
	az := s.Authorizer()

	check := checkCost

	// Each flow's subtest makes the logins it needs first, outside the count, so it stands alone.
	login := func(t *testing.T, event string, status int) string {
		t.Helper()
		resp, err := h[httpapi.LoginFunction].Serve(ctx, apiEvent(t, readEvent(t, event), nil))
		token, _ := answer(t, resp, err, status)["token"].(string)
		if token == "" {
			t.Fatalf("%s: no token", event)
		}
		return token
	}
	bearer := func(t *testing.T) string { t.Helper(); return login(t, "login-mfa-off.json", 200) }
	mfaToken := func(t *testing.T) string { t.Helper(); return login(t, "login-mfa-header.json", 403) }

	t.Run("login, MFA off", func(t *testing.T) {
		check(t, "login with MFA off", loginMFAOff, counter.Measure(func() { bearer(t) }))
	})

	t.Run("login, MFA on", func(t *testing.T) {
		check(t, "login with MFA on", loginMFAOn, counter.Measure(func() { mfaToken(t) }))
	})

	t.Run("resend", func(t *testing.T) {
		mfa := mfaToken(t)
		clk.Advance(auth.DefaultPolicy.ResendCooldown + time.Second)
		req := apiEvent(t, readEvent(t, "resend.json", placeholder, mfa), nil)
		calls := counter.Measure(func() {
			resp, err := h[httpapi.LoginFunction].Serve(ctx, req)
			answer(t, resp, err, 200)
		})
		check(t, "resend", resend, calls)
	})

	t.Run("verify", func(t *testing.T) {
		body := map[string]string{"token": mfaToken(t), "authenticatorCode": "SMS", "bindingCode": s.LastCode(t)}
		req := apiEvent(t, readEvent(t, "verify.json"), body)
		calls := counter.Measure(func() {
			resp, err := h[httpapi.VerifyFunction].Serve(ctx, req)
			answer(t, resp, err, 200)
		})
		check(t, "verify", verify, calls)
	})

	t.Run("authorizer", func(t *testing.T) {
		var req httpapi.AuthorizerRequest
		if err := json.Unmarshal(readEvent(t, "authorizer-good-token.json", authToken, bearer(t)), &req); err != nil {
			t.Fatal(err)
		}
		calls := counter.Measure(func() {
			resp, err := az.Handle(ctx, req)
			if err != nil || resp.Context["valid"] != true {
				t.Fatalf("authorizer: %v, context %v; want a valid verdict", err, resp.Context)
			}
		})
		check(t, "authorizer", authorizer, calls)
	})

	clientRoundTrips(t, h[httpapi.ApplicationsFunction], az, counter, check)
	userRoundTrips(t, h[httpapi.ApplicationsFunction], counter, check)
	applicationRoundTrips(t, h[httpapi.ApplicationsFunction], counter, check) // last: it deletes Demo
}

// checkCost holds what a flow did to the cost it must have, with nothing retried.
func checkCost(t *testing.T, flow string, want cost, calls roundtrip.Calls) {
	t.Helper()
	if calls.N() != want.ops || calls.Sequential != want.sequential {
		t.Errorf("%s: %s DynamoDB operations, want exactly %d in %d sequential round trips", flow, calls, want.ops, want.sequential)
	}
	if calls.Attempts != calls.N() {
		t.Errorf("%s: %d HTTP attempts for %d operations: something was retried", flow, calls.Attempts, calls.N())
	}
}

// TestCounterCountsWhatIsSent: a call refused by the SDK's own input validation never reaches DynamoDB
// and costs no round trip; a call that reaches it counts whatever the answer (here: no such item).
func TestCounterCountsWhatIsSent(t *testing.T) {
	c := roundtrip.New()
	s := testenv.NewStack(t, testenv.WithTable(table), testenv.WithClientOptions(c.Attach))
	ctx, db := s.Ctx, s.Client
	calls := c.Measure(func() {
		if _, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{}); err == nil {
			t.Error("DescribeTable without a table name succeeded")
		}
		if _, err := s.Store.GetChallenge(ctx, "absent"); err == nil {
			t.Error("GetChallenge of an absent challenge succeeded")
		}
	})
	if calls.N() != 1 || calls.Operations[0] != "GetItem" || calls.Attempts != 1 {
		t.Fatalf("counted %s, want 1 (GetItem) in 1 HTTP attempt", calls)
	}
	if got := c.Measure(func() {}); got.N() != 0 || got.Attempts != 0 {
		t.Fatalf("Measure of nothing counted %s", got)
	}
}
