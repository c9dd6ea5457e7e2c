package roundtrip_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
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

// cost is what a flow costs in DynamoDB, exactly: operations (requests, each one billed) and the
// sequential round trips among them (what the caller waits for; concurrent operations count once).
// A change that adds a read or a write to a flow has to change this table too, on purpose.
//
// The round-trip goals are login ≤ 2, verify ≤ 2, resend ≤ 2, authorizer ≤ 1. A login meets them in
// sequential round trips but makes 3 operations: the password-attempt admission (UpdateItem) runs
// beside the BatchGetItem. `make bench` reports both.
type cost struct{ ops, sequential int }

var (
	loginMFAOff = cost{3, 2} // UpdateItem admit ∥ BatchGetItem {user, application}; TransactWriteItems {token, forget attempts}
	loginMFAOn  = cost{3, 2} // UpdateItem admit ∥ BatchGetItem; TransactWriteItems {challenge, hourly send count, forget attempts}
	resend      = cost{2, 2} // GetItem challenge; TransactWriteItems {new code, hourly send count}
	verify      = cost{2, 2} // UpdateItem attempts+1; TransactWriteItems {challenge used, token}
	authorizer  = cost{1, 1} // BatchGetItem {token, application}
)

// latency stands for the network to DynamoDB, so that concurrent operations overlap for certain.
const latency = 15 * time.Millisecond

const (
	table       = "roundtrip-test"
	placeholder = "REPLACE_WITH_MFA_TOKEN"
	authToken   = "REPLACE_WITH_AUTH_TOKEN"
)

// outbox is a sender that keeps the last message, so the test can read the code.
type outbox struct {
	mu   sync.Mutex
	last auth.Message
}

func (o *outbox) Send(_ context.Context, m auth.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last = m
	return nil
}
func (o *outbox) Name() string { return "Outbox" }

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

func (o *outbox) code(t *testing.T) string {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	c := sixDigits.FindString(o.last.Body)
	if c == "" {
		t.Fatalf("no code in the last message %q", o.last.Body)
	}
	return c
}

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
	store := dynamo.New(dynamodb.New(eng.Client.Options(), counter.Attach, func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, roundtrip.Latency(latency))
	}), table)
	clk := testenv.NewClock(time.Now())
	sms, email := &outbox{}, &outbox{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := auth.NewService(auth.Deps{
		Store: store, Hasher: password.New(password.Default), SMS: sms, Email: email,
		Clock: clk.Now, Secret: []byte("roundtrip-test-secret-0123456789abcdef"), Policy: auth.DefaultPolicy, Log: log,
	})
	h := httpapi.Routers(httpapi.Handlers{
		Auth:         httpapi.New(svc, log),
		Session:      httpapi.NewSession(auth.NewSessions(store, clk.Now, log), log),
		Applications: httpapi.NewApplications(auth.NewApplications(store, clk.Now, uuid.NewString, log), log),
		Guard:        httpapi.NewGuard(clk.Now, log),
	}, httpapi.LoginFunction, httpapi.VerifyFunction, httpapi.ApplicationsFunction)
	az := httpapi.NewAuthorizer(auth.NewSessions(store, nil, log))

	check := func(t *testing.T, flow string, want cost, calls roundtrip.Calls) {
		t.Helper()
		if calls.N() != want.ops || calls.Sequential != want.sequential {
			t.Errorf("%s: %s DynamoDB operations, want exactly %d in %d sequential round trips", flow, calls, want.ops, want.sequential)
		}
		if calls.Attempts != calls.N() {
			t.Errorf("%s: %d HTTP attempts for %d operations: something was retried", flow, calls.Attempts, calls.N())
		}
	}

	var bearer string
	t.Run("login, MFA off", func(t *testing.T) {
		req := apiEvent(t, readEvent(t, "login-mfa-off.json"), nil)
		calls := counter.Measure(func() {
			resp, err := h[httpapi.LoginFunction].Serve(ctx, req)
			bearer, _ = answer(t, resp, err, 200)["token"].(string)
		})
		check(t, "login with MFA off", loginMFAOff, calls)
	})

	var mfaToken string
	t.Run("login, MFA on", func(t *testing.T) {
		req := apiEvent(t, readEvent(t, "login-mfa-header.json"), nil)
		calls := counter.Measure(func() {
			resp, err := h[httpapi.LoginFunction].Serve(ctx, req)
			mfaToken, _ = answer(t, resp, err, 403)["token"].(string)
		})
		check(t, "login with MFA on", loginMFAOn, calls)
	})
	if mfaToken == "" {
		t.Fatal("no MFA token: cannot count resend and verify")
	}

	t.Run("resend", func(t *testing.T) {
		clk.Advance(auth.DefaultPolicy.ResendCooldown + time.Second)
		req := apiEvent(t, readEvent(t, "resend.json", placeholder, mfaToken), nil)
		calls := counter.Measure(func() {
			resp, err := h[httpapi.LoginFunction].Serve(ctx, req)
			answer(t, resp, err, 200)
		})
		check(t, "resend", resend, calls)
	})

	t.Run("verify", func(t *testing.T) {
		body := map[string]string{"token": mfaToken, "authenticatorCode": "SMS", "bindingCode": sms.code(t)}
		req := apiEvent(t, readEvent(t, "verify.json"), body)
		calls := counter.Measure(func() {
			resp, err := h[httpapi.VerifyFunction].Serve(ctx, req)
			answer(t, resp, err, 200)
		})
		check(t, "verify", verify, calls)
	})

	t.Run("authorizer", func(t *testing.T) {
		if bearer == "" {
			t.Fatal("no auth token from the MFA-off login")
		}
		var req httpapi.AuthorizerRequest
		if err := json.Unmarshal(readEvent(t, "authorizer-good-token.json", authToken, bearer), &req); err != nil {
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

	applicationRoundTrips(t, h[httpapi.ApplicationsFunction], counter, check) // last: it deletes Demo
}

// TestCounterCountsWhatIsSent: a call refused by the SDK's own input validation never reaches DynamoDB
// and costs no round trip; a call that reaches it counts whatever the answer (here: no such item).
func TestCounterCountsWhatIsSent(t *testing.T) {
	ctx := context.Background()
	eng, err := localdynamo.Start(ctx, table)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	c := roundtrip.New()
	db := dynamodb.New(eng.Client.Options(), c.Attach)
	calls := c.Measure(func() {
		if _, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{}); err == nil {
			t.Error("DescribeTable without a table name succeeded")
		}
		if _, err := dynamo.New(db, table).GetChallenge(ctx, "absent"); err == nil {
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
