package roundtrip_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/roundtrip"
	"mfagateway/shared/testenv"
)

// What the wrong codes and the second factor's backoff cost, counted like the login flows. A wrong
// code costs what a right one does; the refusals of a backoff cost what the flow they refuse would,
// and send nothing. Only the wrong code that starts a backoff (the limit's, and each one after a
// backoff ends) costs a third round trip: the run it finds tells the backoff it starts.
var (
	verifyWrong    = cost{2, 2} // GetItem challenge; TransactWriteItems {attempt, run of wrong codes, epoch check}
	verifyBackoff  = cost{3, 3} // GetItem; TransactWriteItems refused at the limit, with the run; TransactWriteItems {attempt, run and its backoff, epoch check}
	verifyRefused  = cost{2, 2} // GetItem; TransactWriteItems refused by the backoff, nothing counted
	loginInBackoff = cost{3, 2} // UpdateItem admit ∥ BatchGetItem {user, application, run}; DeleteItem LOGIN# (the password was right)
)

// TestWrongCodeRoundTrips walks one user's run of wrong codes to its backoff through the login and
// verify functions' handlers, counting each call's DynamoDB operations.
func TestWrongCodeRoundTrips(t *testing.T) {
	counter := roundtrip.New()
	latent := func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, roundtrip.Latency(latency)) }
	s := testenv.NewStack(t, testenv.WithTable(table), testenv.WithClock(time.Now()), testenv.WithClientOptions(counter.Attach, latent),
		testenv.WithPolicy(func(p *auth.Policy) { p.MaxAttempts = 20 }))
	s.SeedDemo(t)
	ctx := s.Ctx
	h := s.Routers(httpapi.LoginFunction, httpapi.VerifyFunction)
	check := checkCost
	loginEvent := readEvent(t, "login-mfa-header.json")
	resp, err := h[httpapi.LoginFunction].Serve(ctx, apiEvent(t, loginEvent, nil))
	mfa, _ := answer(t, resp, err, 403)["token"].(string)
	code := s.LastCode(t)
	wrong := fmt.Sprintf("%06d", 999999-mustAtoi(t, code))
	verify := func(t *testing.T, status int) roundtrip.Calls {
		t.Helper()
		req := apiEvent(t, readEvent(t, "verify.json"), map[string]string{"token": mfa, "authenticatorCode": "SMS", "bindingCode": wrong})
		return counter.Measure(func() {
			resp, err := h[httpapi.VerifyFunction].Serve(ctx, req)
			if err != nil || resp.StatusCode != status {
				t.Fatalf("verify: %d %s (%v), want %d", resp.StatusCode, resp.Body, err, status)
			}
		})
	}
	limit := auth.DefaultPolicy.AccountMaxFailures
	for i := 1; i < limit; i++ {
		check(t, fmt.Sprintf("wrong code %d", i), verifyWrong, verify(t, 401))
	}
	check(t, "the wrong code that starts the backoff", verifyBackoff, verify(t, 401))
	check(t, "a wrong code during the backoff", verifyRefused, verify(t, 429))
	calls := counter.Measure(func() {
		resp, err := h[httpapi.LoginFunction].Serve(ctx, apiEvent(t, loginEvent, nil))
		if err != nil || resp.StatusCode != 429 {
			t.Fatalf("login during the backoff: %d %s (%v), want 429", resp.StatusCode, resp.Body, err)
		}
	})
	check(t, "login during the backoff", loginInBackoff, calls)
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil {
		t.Fatalf("code %q: %v", s, err)
	}
	return n
}
