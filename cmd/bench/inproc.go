package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/logging"
	"mfagateway/shared/password"
	"mfagateway/shared/phone"
	"mfagateway/shared/roundtrip"
)

// The demo seed's user the timed logins use.
const (
	adaEmail    = "ada@example.com"
	adaPassword = "ada-demo-password-1"
)

// inProcess is the functions' handlers in this process over a backend, wired as functions/*/main.go
// wires them (JSON logs at INFO, to nowhere), with a movable clock for the resend cooldown.
type inProcess struct {
	fns   map[string]*httpapi.Router // the functions' routers by logical ID
	az    *httpapi.Authorizer
	apps  *auth.Applications
	users *auth.Users
	sms   *captureSender
	shift atomic.Int64
}

func newInProcess(db dynamo.API) *inProcess {
	p := &inProcess{sms: &captureSender{}}
	log := logging.New(io.Discard, slog.LevelInfo)
	store := dynamo.New(db, tableName)
	policy := auth.DefaultPolicy
	policy.SendsPerHour = sendsPerHour
	svc := auth.NewService(auth.Deps{
		Store: store, Hasher: password.New(password.Default), SMS: p.sms, Email: p.sms,
		Secret: []byte(hmacSecret), Policy: policy, Log: log,
		Clock: func() time.Time { return time.Now().Add(time.Duration(p.shift.Load())) },
	})
	p.apps = auth.NewApplications(store, nil, uuid.NewString, log)
	p.users = auth.NewUsers(auth.UsersDeps{Store: store, Mobile: phone.Parse, NewID: uuid.NewString, Log: log})
	p.fns = httpapi.Routers(httpapi.Handlers{
		Auth:         httpapi.New(svc, log),
		Session:      httpapi.NewSession(auth.NewSessions(store, nil, log), log),
		Applications: httpapi.NewApplications(p.apps, log),
		Users:        httpapi.NewUsers(p.users, log),
		Guard:        httpapi.NewGuard(nil, log),
	}, httpapi.LoginFunction, httpapi.VerifyFunction, httpapi.ApplicationsFunction)
	p.az = httpapi.NewAuthorizer(auth.NewSessions(store, nil, log))
	return p
}

func decodeRequest(event []byte) httpapi.Request {
	var req httpapi.Request
	if err := json.Unmarshal(event, &req); err != nil {
		panic(err)
	}
	return req
}

// loginVsHash times, interleaved, a login with MFA off through the login handler (embedded engine,
// in process) and one argon2id verify of the same password with password.Default alone.
func loginVsHash(ctx context.Context, b *backend, ev events, n int) (login, hash []time.Duration, err error) {
	p := newInProcess(b.db)
	req := decodeRequest(ev.get("login-mfa-off.json"))
	user, err := dynamo.New(b.db, tableName).GetUser(ctx, adaEmail)
	if err != nil {
		return nil, nil, err
	}
	hasher := password.New(password.Default)
	doLogin := func() error {
		t := time.Now()
		resp, err := p.fns[httpapi.LoginFunction].Serve(ctx, req)
		d := time.Since(t)
		if err != nil || resp.StatusCode != 200 {
			return fmt.Errorf("login: status %d, %v: %s", resp.StatusCode, err, resp.Body)
		}
		login = append(login, d)
		return nil
	}
	doHash := func() error {
		t := time.Now()
		ok, err := hasher.Verify(adaPassword, user.PasswordHash)
		d := time.Since(t)
		if err != nil || !ok {
			return fmt.Errorf("argon2id verify: %v, %v", ok, err)
		}
		hash = append(hash, d)
		return nil
	}
	// Two of each untimed first: the first login builds the SDK's request pipeline.
	for range 2 {
		if err := doLogin(); err != nil {
			return nil, nil, err
		}
		if err := doHash(); err != nil {
			return nil, nil, err
		}
	}
	login, hash = nil, nil
	for i := range n {
		first, second := doLogin, doHash
		if i%2 == 1 {
			first, second = doHash, doLogin
		}
		if err := first(); err != nil {
			return nil, nil, err
		}
		if err := second(); err != nil {
			return nil, nil, err
		}
	}
	return login, hash, nil
}

// flowCalls are the DynamoDB operations of each flow, counted by the SDK middleware.
type flowCalls map[string]roundtrip.Calls

// Flow names of the round-trip rows, in table order, with their goals.
var flows = []struct {
	name string
	goal int
}{
	{"login, MFA off", 2}, {"login, MFA on", 2}, {"resend", 2}, {"resend, switch to Email", 2}, {"verify", 2},
	{"authorizer", 1}, {"validateToken (behind the authorizer)", 0},
	{"list applications, one page", 1}, {"application by url", 1}, {"delete application", 2},
	{"getAppSecret", 2}, {"authorizer, application credentials", 1},
	{"list users, one page (failed logins: one BatchGetItem)", 2}, {"get user (and its failed logins)", 2},
	{"create user", 1}, {"change user (PATCH, Prefer: return=representation)", 3}, {"unblock user", 2}, {"delete user", 2},
}

// countRoundTrips runs each flow once through the handlers, in process, over the backend's table,
// with the counting middleware and 5 ms of latency per request so that concurrent operations overlap.
func countRoundTrips(ctx context.Context, b *backend, ev events) (flowCalls, error) {
	counter := roundtrip.New()
	db := dynamodb.New(b.db.Options(), counter.Attach, func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, roundtrip.Latency(5*time.Millisecond))
	})
	p := newInProcess(db)
	out := flowCalls{}
	var err error
	measure := func(name string, fn func() error) {
		if err != nil {
			return
		}
		var ferr error
		out[name] = counter.Measure(func() { ferr = fn() })
		if ferr != nil {
			err = fmt.Errorf("%s: %w", name, ferr)
		}
	}
	var bearer, mfaToken string
	measure("login, MFA off", func() (err error) {
		bearer, err = servedField(ctx, p, httpapi.LoginFunction, ev.get("login-mfa-off.json"), 200, "token")
		return err
	})
	// Made a minute ago, the challenge is past its resend cooldown and still live.
	p.shift.Store(int64(-time.Minute))
	measure("login, MFA on", func() error {
		resp, err := p.fns[httpapi.LoginFunction].Serve(ctx, decodeRequest(ev.get("login-mfa-header.json")))
		if err != nil || resp.StatusCode != 403 {
			return fmt.Errorf("status %d, %v: %s", resp.StatusCode, err, resp.Body)
		}
		mfaToken = apiAnswer{Body: resp.Body}.field("token")
		return nil
	})
	p.shift.Store(0)
	measure("resend", func() error {
		resp, err := p.fns[httpapi.LoginFunction].Serve(ctx, decodeRequest(withToken(ev.get("resend.json"), mfaToken)))
		if err != nil || resp.StatusCode != 200 {
			return fmt.Errorf("status %d, %v: %s", resp.StatusCode, err, resp.Body)
		}
		return nil
	})
	measure("verify", func() error {
		body := map[string]string{"token": mfaToken, "authenticatorCode": "SMS", "bindingCode": p.sms.code()}
		resp, err := p.fns[httpapi.VerifyFunction].Serve(ctx, decodeRequest(withBody(ev.get("verify.json"), body)))
		if err != nil || resp.StatusCode != 200 {
			return fmt.Errorf("status %d, %v: %s", resp.StatusCode, err, resp.Body)
		}
		return nil
	})
	// A second challenge, for the switch to email, made a minute ago like the first (after the
	// verify, which reads the code the first one sent).
	p.shift.Store(int64(-time.Minute))
	resp, lerr := p.fns[httpapi.LoginFunction].Serve(ctx, decodeRequest(ev.get("login-mfa-header.json")))
	p.shift.Store(0)
	if lerr != nil || resp.StatusCode != 403 {
		return out, fmt.Errorf("second challenge: status %d, %v: %s", resp.StatusCode, lerr, resp.Body)
	}
	switchToken := apiAnswer{Body: resp.Body}.field("token")
	measure("resend, switch to Email", func() error {
		return wantServed(ctx, p, httpapi.LoginFunction, withToken(ev.get("resend-email.json"), switchToken), 200)
	})
	measure("authorizer", func() error {
		return wantAuthorized(ctx, p, withAuthHeader(ev.get("authorizer-good-token.json"), bearer))
	})
	measure("validateToken (behind the authorizer)", func() error {
		return wantServed(ctx, p, httpapi.LoginFunction, ev.get("validate-token.json"), 200)
	})
	measure("list applications, one page", func() error {
		return wantServed(ctx, p, httpapi.ApplicationsFunction, ev.get("applications-list.json"), 200)
	})
	measure("application by url", func() error {
		return wantServed(ctx, p, httpapi.ApplicationsFunction, ev.get("applications-url.json"), 200)
	})
	if err != nil {
		return out, err
	}
	doomed, cerr := p.apps.Create(ctx, benchAdmin, auth.Application{
		Name: "Bench round trips", URL: fmt.Sprintf("bench-rt-%d.localhost", time.Now().UnixNano()),
	})
	if cerr != nil {
		return out, fmt.Errorf("delete application: create one: %w", cerr)
	}
	measure("delete application", func() error {
		return wantServed(ctx, p, httpapi.ApplicationsFunction, withParam(ev.get("applications-delete.json"), "appId", doomed.ID), 204)
	})
	var secret string
	measure("getAppSecret", func() (err error) {
		secret, err = servedField(ctx, p, httpapi.ApplicationsFunction, ev.get("applications-secret.json"), 200, "value")
		return err
	})
	measure("authorizer, application credentials", func() error {
		return wantAuthorized(ctx, p, withAppSecret(ev.get("authorizer-client-credentials.json"), secret))
	})
	for _, f := range []struct {
		name, event string
		status      int
	}{
		{"list users, one page (failed logins: one BatchGetItem)", "users-list.json", 200},
		{"get user (and its failed logins)", "users-get.json", 200},
		{"create user", "users-create.json", 201},
		{"change user (PATCH, Prefer: return=representation)", "users-patch.json", 200},
		{"unblock user", "users-unblock.json", 204},
	} {
		measure(f.name, func() error { return wantServed(ctx, p, httpapi.ApplicationsFunction, ev.get(f.event), f.status) })
	}
	if err != nil {
		return out, err
	}
	gone, cerr := p.users.CreatePending(ctx, benchAdmin, auth.NewUser{
		Email: fmt.Sprintf("bench-rt-%d@example.com", time.Now().UnixNano()), Name: "Bench",
	})
	if cerr != nil {
		return out, fmt.Errorf("delete user: create one: %w", cerr)
	}
	measure("delete user", func() error {
		return wantServed(ctx, p, httpapi.ApplicationsFunction, withParam(ev.get("users-delete.json"), "id", gone.User.ID), 204)
	})
	return out, err
}

// wantAuthorized runs the authorizer on event in process and checks that its verdict is good.
func wantAuthorized(ctx context.Context, p *inProcess, event []byte) error {
	var req httpapi.AuthorizerRequest
	if err := json.Unmarshal(event, &req); err != nil {
		return err
	}
	resp, err := p.az.Handle(ctx, req)
	if err != nil {
		return err
	}
	if resp.Context["valid"] != true {
		return errors.New("the authorizer refused the request")
	}
	return nil
}

// wantServed serves event through function fn in process and checks the answer's status.
func wantServed(ctx context.Context, p *inProcess, fn string, event []byte, status int) error {
	_, err := servedField(ctx, p, fn, event, status, "")
	return err
}

// servedField is wantServed that also returns a field of the answer ("" names none).
func servedField(ctx context.Context, p *inProcess, fn string, event []byte, status int, field string) (string, error) {
	resp, err := p.fns[fn].Serve(ctx, decodeRequest(event))
	if err != nil || resp.StatusCode != status {
		return "", fmt.Errorf("status %d (want %d), %v: %s", resp.StatusCode, status, err, resp.Body)
	}
	if field == "" {
		return "", nil
	}
	return apiAnswer{Body: resp.Body}.field(field), nil
}
