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
	"mfagateway/shared/password/strength"
	"mfagateway/shared/phone"
	"mfagateway/shared/qr"
	"mfagateway/shared/roundtrip"
)

// The demo seed's users the timed logins and forgotPassword use, and an email no user has.
const (
	adaEmail     = "ada@example.com"
	adaPassword  = "ada-demo-password-1"
	graceEmail   = "grace@example.com"
	unknownEmail = "nobody@example.com"
)

// newPasswords are passwords the policy takes, for the account routes that set one.
var newPasswords = [...]string{"copper kettle under a quiet bridge", "seven lanterns over a frozen canal", "purple tractor on a rainy quay"}

// Policy.ForgotPasswordTime in process: short where forgotPassword is only counted, the deployed
// order of magnitude where its padding is timed.
const (
	forgotCounted = 50 * time.Millisecond
	forgotTimed   = 200 * time.Millisecond
)

// inProcess is the functions' handlers in this process over a backend, wired as functions/*/main.go
// wires them (JSON logs at INFO, to nowhere), with a movable clock for the resend cooldown and
// forgotPassword answering after forgotTime.
type inProcess struct {
	fns   map[string]*httpapi.Router // the functions' routers by logical ID
	az    *httpapi.Authorizer
	apps  *auth.Applications
	users *auth.Users
	sms   *captureSender
	shift atomic.Int64
}

func newInProcess(db dynamo.API, forgotTime time.Duration) *inProcess {
	p := &inProcess{sms: &captureSender{}}
	log := logging.New(io.Discard, slog.LevelInfo)
	store := dynamo.New(db, tableName)
	policy := auth.DefaultPolicy
	policy.SendsPerHour = sendsPerHour
	policy.ForgotPasswordTime = forgotTime
	hasher := password.New(password.Default)
	svc := auth.NewService(auth.Deps{
		Store: store, Hasher: hasher, SMS: p.sms, Email: p.sms,
		Secret: []byte(hmacSecret), Policy: policy, Log: log,
		Clock: func() time.Time { return time.Now().Add(time.Duration(p.shift.Load())) },
	})
	p.apps = auth.NewApplications(store, nil, uuid.NewString, log)
	p.users = auth.NewUsers(auth.UsersDeps{Store: store, Mobile: phone.Parse, NewID: uuid.NewString, Log: log})
	// The account function's own Users: the one that sets passwords, so the one with the hasher and the dictionaries.
	accountUsers := auth.NewUsers(auth.UsersDeps{Store: store, Hasher: hasher, NewID: uuid.NewString, Log: log,
		Passwords: auth.PasswordPolicy{Guessable: strength.Judge}})
	notifier := auth.NewNotifier(p.sms, nil, log)
	accounts := auth.NewAccounts(accountUsers, svc, store, notifier, auth.Links{})
	factors := auth.NewSecondFactors(svc, store, notifier, qr.PNG)
	p.fns = httpapi.Routers(httpapi.Handlers{
		Auth:          httpapi.New(svc, log),
		Session:       httpapi.NewSession(auth.NewSessions(store, nil, log), log),
		Applications:  httpapi.NewApplications(p.apps, log),
		Users:         httpapi.NewUsers(p.users, log),
		Accounts:      httpapi.NewAccounts(accounts, log),
		SecondFactors: httpapi.NewSecondFactors(factors, log),
		Guard:         httpapi.NewGuard(nil, log),
	}, httpapi.LoginFunction, httpapi.VerifyFunction, httpapi.ApplicationsFunction, httpapi.AccountFunction)
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
	p := newInProcess(b.db, forgotCounted)
	user, err := dynamo.New(b.db, tableName).GetUser(ctx, adaEmail)
	if err != nil {
		return nil, nil, err
	}
	hasher := password.New(password.Default)
	doLogin := timedServe(ctx, p, httpapi.LoginFunction, ev.get("login-mfa-off.json"), 200, &login)
	doHash := func(timed bool) error {
		t := time.Now()
		ok, err := hasher.Verify(adaPassword, user.PasswordHash)
		d := time.Since(t)
		if err != nil || !ok {
			return fmt.Errorf("argon2id verify: %v, %v", ok, err)
		}
		if timed {
			hash = append(hash, d)
		}
		return nil
	}
	// Two of each untimed first: the first login builds the SDK's request pipeline.
	if err := interleaved(n, 2, doLogin, doHash); err != nil {
		return nil, nil, err
	}
	return login, hash, nil
}

// forgotVsUnknown times, interleaved, forgotPassword through the account handler in process over the
// backend, with Policy.ForgotPasswordTime at forgotTimed: for a known email (grace, who is sent a
// ticket each time) and for an email no user has, in the same request otherwise.
func forgotVsUnknown(ctx context.Context, b *backend, ev events, n int) *forgotResult {
	p := newInProcess(b.db, forgotTimed)
	sample := ev.get("users-forgot-password.json")
	var r forgotResult
	doKnown := timedServe(ctx, p, httpapi.AccountFunction, withBody(sample, map[string]string{"email": graceEmail}), 200, &r.known)
	doUnknown := timedServe(ctx, p, httpapi.AccountFunction, withBody(sample, map[string]string{"email": unknownEmail}), 200, &r.unknown)
	// One of each untimed first: the first call builds the SDK's request pipeline.
	if r.err = interleaved(n, 1, doKnown, doUnknown); r.err != nil {
		r.known, r.unknown = nil, nil
	}
	return &r
}

// timedServe is a run of interleaved: it serves event through function fn in process, checks the
// answer's status and, when timed, appends the time the answer took to *into.
func timedServe(ctx context.Context, p *inProcess, fn string, event []byte, status int, into *[]time.Duration) func(bool) error {
	req := decodeRequest(event)
	return func(timed bool) error {
		t := time.Now()
		resp, err := p.fns[fn].Serve(ctx, req)
		d := time.Since(t)
		if err != nil || resp.StatusCode != status {
			return fmt.Errorf("%s: status %d (want %d), %v: %s", req.RouteKey, resp.StatusCode, status, err, resp.Body)
		}
		if timed {
			*into = append(*into, d)
		}
		return nil
	}
}

// interleaved runs a and b warm times each untimed, then n times each timed, alternating which of
// the two goes first, so that both see the same machine.
func interleaved(n, warm int, a, b func(timed bool) error) error {
	for i := range warm + n {
		first, second := a, b
		if i%2 == 1 {
			first, second = b, a
		}
		if err := first(i >= warm); err != nil {
			return err
		}
		if err := second(i >= warm); err != nil {
			return err
		}
	}
	return nil
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
	{"invite (a new user)", 3}, {"forgotPassword, known email", 2}, {"forgotPassword, unknown email", 1},
	{"changePassword, MFA off", 3}, {"changePassword, MFA on", 3}, {"updatePassword", 3}, {"resetPassword", 3},
}

// countRoundTrips runs each flow once through the handlers, in process, over the backend's table,
// with the counting middleware and 5 ms of latency per request so that concurrent operations overlap.
func countRoundTrips(ctx context.Context, b *backend, ev events) (flowCalls, error) {
	counter := roundtrip.New()
	db := dynamodb.New(b.db.Options(), counter.Attach, func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, roundtrip.Latency(5*time.Millisecond))
	})
	p := newInProcess(db, forgotCounted)
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
	if err != nil {
		return out, err
	}
	accountRoundTrips(ctx, p, ev, measure)
	return out, err
}

// accountRoundTrips runs the account flows, each once, for one user the first one invites. Every new
// ticket replaces the user's last and every password set ends the user's tokens, hence the order:
// the reset for the application with MFA and its password first, then the forgotten password of the
// one without MFA, whose answer's token updates the password.
func accountRoundTrips(ctx context.Context, p *inProcess, ev events, measure func(string, func() error)) {
	u := auth.User{Email: fmt.Sprintf("bench-rt-account-%d@example.com", time.Now().UnixNano()), Name: "Bench"}
	measure("invite (a new user)", func() (err error) {
		body := map[string]any{"user": map[string]any{"email": u.Email, "name": u.Name, "applications": []string{demoApp, demoMFAApp}}}
		u.ID, err = servedField(ctx, p, httpapi.AccountFunction, withBody(ev.get("users-invite.json"), body), 201, "id")
		return err
	})
	measure("resetPassword", func() error {
		body := map[string]string{"userId": u.ID, "url": demoMFAURL}
		return wantServed(ctx, p, httpapi.AccountFunction, withBody(ev.get("users-reset-password.json"), body), 204)
	})
	measure("changePassword, MFA on", func() error {
		event, err := p.passwordByTicket(ev, newPasswords[0], demoMFAApp)
		if err != nil {
			return err
		}
		return wantServed(ctx, p, httpapi.AccountFunction, event, 403)
	})
	forgot := ev.get("users-forgot-password.json")
	measure("forgotPassword, known email", func() error {
		return wantServed(ctx, p, httpapi.AccountFunction, withBody(forgot, map[string]string{"email": u.Email}), 200)
	})
	measure("forgotPassword, unknown email", func() error {
		return wantServed(ctx, p, httpapi.AccountFunction, withBody(forgot, map[string]string{"email": unknownEmail}), 200)
	})
	var token string
	measure("changePassword, MFA off", func() error {
		event, err := p.passwordByTicket(ev, newPasswords[1], demoApp)
		if err != nil {
			return err
		}
		token, err = servedField(ctx, p, httpapi.AccountFunction, event, 200, "token")
		return err
	})
	measure("updatePassword", func() error {
		body := map[string]string{"oldPassword": newPasswords[1], "newPassword": newPasswords[2]}
		return wantServed(ctx, p, httpapi.AccountFunction, withCaller(withBody(ev.get("users-update-password-wrong.json"), body), token, u), 204)
	})
}

// passwordByTicket is a changePassword event that sets the password with the ticket of the last
// message sent, which must be for the application appID.
func (p *inProcess) passwordByTicket(ev events, pw, appID string) ([]byte, error) {
	ticket, err := p.sms.ticket()
	if err != nil {
		return nil, err
	}
	return changePasswordEvent(ev, pw, ticket, appID), nil
}

// changePasswordEvent is a changePassword event that sets the password with the ticket, naming the
// ticket's application appID in its appid header.
func changePasswordEvent(ev events, pw, ticket, appID string) []byte {
	body := map[string]any{"password": pw, "invite": false, "ticket": ticket}
	return withHeader(withBody(ev.get("users-change-password-bad-ticket.json"), body), "appid", appID)
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
