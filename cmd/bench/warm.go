package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mfagateway/shared/auth"
)

// route is one timed route: which function serves it, how to make the event of one invoke (setup
// that is not timed), and what a right answer is.
type route struct {
	name    string
	fn      string // target ID
	hashing bool   // verifies or hashes a password: fewer iterations
	padded  bool   // its answer waits out FORGOT_PASSWORD_TIME: one untimed invoke, not 3
	event   func(ctx context.Context, i int) ([]byte, error)
	check   func(raw []byte) error
}

func status(code int) func([]byte) error {
	return func(b []byte) error { _, err := wantStatus(b, code); return err }
}

// authorizerEvent makes an authorizer's event with a secret (a token, an application secret) that
// mint makes once, on the first invoke, and put puts in the sample.
func authorizerEvent(sample []byte, put func([]byte, string) []byte, mint func(context.Context) (string, error)) func(context.Context, int) ([]byte, error) {
	var secret string
	return func(ctx context.Context, _ int) ([]byte, error) {
		if secret == "" {
			v, err := mint(ctx)
			if err != nil {
				return nil, err
			}
			secret = v
		}
		return put(sample, secret), nil
	}
}

// freshEntity makes each invoke's event name a new entity, made untimed by create, in path parameter param.
func freshEntity(sample []byte, param string, create func(context.Context, int) (string, error)) func(context.Context, int) ([]byte, error) {
	return func(ctx context.Context, i int) ([]byte, error) {
		id, err := create(ctx, i)
		return withParam(sample, param, id), err
	}
}

// live checks that an authorizer's verdict lets the request through.
func live(b []byte) error { return wantVerdict(b, true) }

// passwordByTicket makes each invoke's changePassword event: a reset ticket for the application
// appID with the url, made untimed, of a user made on the first invoke.
func (s *setup) passwordByTicket(ev events, url, appID string) func(context.Context, int) ([]byte, error) {
	var userID string
	return func(ctx context.Context, i int) ([]byte, error) {
		if userID == "" {
			u, err := s.accountUser(ctx)
			if err != nil {
				return nil, err
			}
			userID = u.ID
		}
		ticket, err := s.ticket(ctx, userID, url)
		if err != nil {
			return nil, err
		}
		return changePasswordEvent(ev, newPasswords[i%len(newPasswords)], ticket, appID), nil
	}
}

// passwordUpdate makes each invoke's updatePassword event, in which a user, made and signed in on the
// first invoke, changes its password from the one it has to the other of two. check keeps count of
// which one it has; after an invoke that did not answer 204, the next event reads it from the table.
func (s *setup) passwordUpdate(ev events) (event func(context.Context, int) ([]byte, error), check func([]byte) error) {
	var (
		u     auth.User
		token string
		has   int  // the user's password is newPasswords[has]
		known bool // the last invoke answered 204, or none was made since has was read
	)
	event = func(ctx context.Context, _ int) ([]byte, error) {
		var err error
		switch {
		case token == "":
			if u, err = s.accountUser(ctx); err != nil {
				return nil, err
			}
			if token, err = s.signedIn(ctx, u, newPasswords[has]); err != nil {
				return nil, err
			}
		case !known:
			if has, err = s.passwordOf(ctx, u.ID, newPasswords[:2]...); err != nil {
				return nil, err
			}
		}
		known = false // until this invoke answers 204
		body := map[string]string{"oldPassword": newPasswords[has], "newPassword": newPasswords[1-has]}
		return withCaller(withBody(ev.get("users-update-password-wrong.json"), body), token, u), nil
	}
	check = func(b []byte) error {
		if _, err := wantStatus(b, 204); err != nil {
			return err
		}
		has, known = 1-has, true
		return nil
	}
	return event, check
}

// forgotEvent is a forgotPassword event for the email.
func forgotEvent(ev events, email string) func(context.Context, int) ([]byte, error) {
	return func(context.Context, int) ([]byte, error) {
		return withBody(ev.get("users-forgot-password.json"), map[string]string{"email": email}), nil
	}
}

// warmRoutes are the routes of template.yaml, each with an event that takes its main path.
// With nil events it still names them (for the table's rows when nothing could be run).
func warmRoutes(ev events, s *setup) []route {
	if ev == nil {
		ev = events{}
		for _, name := range []string{"verify.json", "login-mfa-off.json", "login-mfa-header.json", "resend.json",
			"authorizer-good-token.json", "me.json", "logout.json", "applications-get.json", "applications-create.json",
			"applications-patch.json", "applications-put.json", "validate-token.json", "resend-email.json",
			"applications-list.json", "applications-url.json", "applications-delete.json", "applications-secret.json",
			"authorizer-client-credentials.json", "users-list.json", "users-get.json", "users-create.json", "users-patch.json",
			"users-unblock.json", "users-delete.json", "users-invite.json", "users-forgot-password.json",
			"users-change-password-bad-ticket.json", "users-update-password-wrong.json", "users-reset-password.json"} {
			ev[name] = nil
		}
	}
	fixed := func(b []byte) func(context.Context, int) ([]byte, error) {
		return func(context.Context, int) ([]byte, error) { return b, nil }
	}
	updateEvent, updateCheck := s.passwordUpdate(ev)
	// The bootstraps answer forgotPassword after the default FORGOT_PASSWORD_TIME, which is also its least.
	padding := fmt.Sprintf("(answers after FORGOT_PASSWORD_TIME, %s)", fmtDur(auth.DefaultPolicy.ForgotPasswordTime))
	return []route{
		{name: "POST /api/auth/login, MFA off", fn: "LoginFunction", hashing: true, event: fixed(ev.get("login-mfa-off.json")), check: status(200)},
		{name: "POST /api/auth/login, MFA on (SMS)", fn: "LoginFunction", hashing: true, event: fixed(ev.get("login-mfa-header.json")), check: status(403)},
		{name: "POST /api/auth/resendMultifactorBindingCode", fn: "LoginFunction",
			event: func(ctx context.Context, _ int) ([]byte, error) {
				token, _, err := s.challenge(ctx, time.Minute)
				return withToken(ev.get("resend.json"), token), err
			}, check: status(200)},
		{name: "POST /api/auth/verifyMultifactorBindingCode", fn: "VerifyFunction",
			event: func(ctx context.Context, _ int) ([]byte, error) {
				token, code, err := s.challenge(ctx, 0)
				body := map[string]string{"token": token, "authenticatorCode": "SMS", "bindingCode": code}
				return withBody(ev.get("verify.json"), body), err
			}, check: status(200)},
		{name: "authorizer (live token)", fn: "AuthorizerFunction",
			event: authorizerEvent(ev.get("authorizer-good-token.json"), withAuthHeader, s.token), check: live},
		{name: "POST /api/auth/resendMultifactorBindingCode, switch to Email", fn: "LoginFunction",
			event: func(ctx context.Context, _ int) ([]byte, error) {
				token, _, err := s.challenge(ctx, time.Minute)
				return withToken(ev.get("resend-email.json"), token), err
			}, check: status(200)},
		{name: "authorizer (application credentials)", fn: "AuthorizerFunction",
			event: authorizerEvent(ev.get("authorizer-client-credentials.json"), withAppSecret, s.secret), check: live},
		{name: "GET /api/auth/me", fn: "LoginFunction", event: fixed(ev.get("me.json")), check: status(200)},
		{name: "GET /api/auth/validateToken", fn: "LoginFunction", event: fixed(ev.get("validate-token.json")), check: status(200)},
		{name: "POST /api/auth/logout", fn: "LoginFunction",
			event: func(ctx context.Context, _ int) ([]byte, error) {
				t, err := s.token(ctx)
				return withAuthToken(ev.get("logout.json"), t), err
			}, check: status(204)},
		{name: "GET /odata/Applications/{appId}", fn: "ApplicationsFunction", event: fixed(ev.get("applications-get.json")), check: status(200)},
		{name: "POST /odata/Applications", fn: "ApplicationsFunction",
			event: func(_ context.Context, i int) ([]byte, error) {
				body := map[string]any{"name": fmt.Sprintf("Bench %d", i), "url": fmt.Sprintf("bench-%d-%d.localhost", time.Now().UnixNano(), i), "enableMultiFactorAuthentication": false}
				return withBody(ev.get("applications-create.json"), body), nil
			}, check: status(201)},
		{name: "PATCH /odata/Applications/Patch/{appId}", fn: "ApplicationsFunction", event: fixed(ev.get("applications-patch.json")), check: status(204)},
		{name: "PUT /odata/Applications/Put/{appId}", fn: "ApplicationsFunction", event: fixed(ev.get("applications-put.json")), check: status(204)},
		{name: "GET /odata/Applications ($filter, $count)", fn: "ApplicationsFunction", event: fixed(ev.get("applications-list.json")), check: status(200)},
		{name: "POST /odata/applications/url", fn: "ApplicationsFunction", event: fixed(ev.get("applications-url.json")), check: status(200)},
		{name: "DELETE /odata/Applications/{appId}", fn: "ApplicationsFunction",
			event: freshEntity(ev.get("applications-delete.json"), "appId", s.application), check: status(204)},
		{name: "GET /odata/applications/{appId}/getAppSecret", fn: "ApplicationsFunction", event: fixed(ev.get("applications-secret.json")), check: status(200)},
		{name: "GET /odata/users ($filter appId, $count, $orderby)", fn: "ApplicationsFunction", event: fixed(ev.get("users-list.json")), check: status(200)},
		{name: "GET /odata/users/{id}", fn: "ApplicationsFunction", event: fixed(ev.get("users-get.json")), check: status(200)},
		{name: "POST /odata/users", fn: "ApplicationsFunction",
			event: func(_ context.Context, i int) ([]byte, error) {
				body := map[string]any{"email": fmt.Sprintf("bench-%d-%d@example.com", time.Now().UnixNano(), i), "name": "Bench", "applications": []string{demoApp}}
				return withBody(ev.get("users-create.json"), body), nil
			}, check: status(201)},
		{name: "PATCH /odata/users/{id} (Prefer: return=representation)", fn: "ApplicationsFunction", event: fixed(ev.get("users-patch.json")), check: status(200)},
		{name: "POST /odata/users/unblockUser", fn: "ApplicationsFunction", event: fixed(ev.get("users-unblock.json")), check: status(204)},
		{name: "DELETE /odata/users/{id}", fn: "ApplicationsFunction",
			event: freshEntity(ev.get("users-delete.json"), "id", s.user), check: status(204)},
		{name: "POST /odata/users/invite (a new user)", fn: "AccountFunction",
			event: func(_ context.Context, i int) ([]byte, error) {
				user := map[string]any{"email": fmt.Sprintf("bench-invite-%d-%d@example.com", time.Now().UnixNano(), i), "name": "Bench", "applications": []string{demoApp}}
				return withBody(ev.get("users-invite.json"), map[string]any{"user": user}), nil
			}, check: status(201)},
		{name: "POST /odata/users/forgotPassword, known email " + padding, fn: "AccountFunction", padded: true,
			event: forgotEvent(ev, graceEmail), check: status(200)},
		{name: "POST /odata/users/forgotPassword, unknown email " + padding, fn: "AccountFunction", padded: true,
			event: forgotEvent(ev, unknownEmail), check: status(200)},
		{name: "POST /odata/users/changePassword, MFA off (reset ticket)", fn: "AccountFunction", hashing: true,
			event: s.passwordByTicket(ev, demoURL, demoApp), check: status(200)},
		{name: "POST /odata/users/changePassword, MFA on (reset ticket; code by Email)", fn: "AccountFunction", hashing: true,
			event: s.passwordByTicket(ev, demoMFAURL, demoMFAApp), check: status(403)},
		{name: "POST /odata/users/updatePassword", fn: "AccountFunction", hashing: true, event: updateEvent, check: updateCheck},
		{name: "POST /odata/users/resetPassword", fn: "AccountFunction", event: fixed(ev.get("users-reset-password.json")), check: status(204)},
	}
}

// warmLimits bound a route's timed invokes: n of them (hashN for routes that hash a password); once
// minN are done, no more than budget; and never more than twice the budget.
type warmLimits struct {
	n, hashN, minN int
	budget         time.Duration
}

// warmResult is one backend's warm run.
type warmResult struct {
	latency map[string][]time.Duration // route name -> timed invokes
	floor   map[string][]time.Duration // route name -> the floor's invokes, made between the route's
	errs    map[string]error           // route name -> why it stopped
	rss     map[string]int64           // target ID -> VmHWM of its bootstrap after the runs
}

// warmRuns starts every target under its own RIE against the backend and times each route's
// invokes on a kept-alive connection, after 3 untimed ones. Each timed invoke is paired with one of
// the floor, in alternating order, so that a route and its floor see the same machine.
func warmRuns(ctx context.Context, rie string, bins map[string]string, b *backend, stub *notifyStub, ev events, lim warmLimits, progress func(string)) (*warmResult, error) {
	res := &warmResult{latency: map[string][]time.Duration{}, floor: map[string][]time.Duration{}, errs: map[string]error{}, rss: map[string]int64{}}
	env := functionEnv(b.url, stub.url)
	fns := map[string]*fn{}
	defer func() {
		for _, f := range fns {
			f.proc.stop()
		}
	}()
	for _, t := range allTargets {
		f, err := startFn(rie, t, bins[t.ID], env, false)
		if err != nil {
			return nil, err
		}
		fns[t.ID] = f
	}
	s := newSetup(b)
	floorFn, floorEvent := fns["floor"], ev.get("verify.json")
	floorCheck := status(200)
	for _, r := range warmRoutes(ev, s) {
		if ctx.Err() != nil {
			break
		}
		f := fns[r.fn]
		n := lim.n
		if r.hashing {
			n = lim.hashN
		}
		var lat, flat []time.Duration
		start := time.Now()
		// A failed invoke is counted and left out; the route stops at the 6th, or at a failed setup.
		var err, firstFail error
		fails, tries := 0, 0
		untimed := 3
		if r.padded {
			untimed = 1
		}
		for i := 0; i < n+untimed; i++ {
			if el := time.Since(start); (len(lat) >= lim.minN && el > lim.budget) || el > 2*lim.budget {
				break
			}
			var event []byte
			if event, err = r.event(ctx, i); err != nil {
				err = fmt.Errorf("setup: %w", err)
				break
			}
			var d, fd time.Duration
			var ierr error
			if i%2 == 0 {
				d, ierr = timedInvoke(ctx, f, event, r.check)
				if ierr == nil {
					fd, ierr = timedInvoke(ctx, floorFn, floorEvent, floorCheck)
				}
			} else {
				fd, ierr = timedInvoke(ctx, floorFn, floorEvent, floorCheck)
				if ierr == nil {
					d, ierr = timedInvoke(ctx, f, event, r.check)
				}
			}
			tries++
			if ierr != nil {
				fails++
				if firstFail == nil {
					firstFail = ierr
				}
				if fails > 5 {
					break
				}
				continue
			}
			if i >= untimed {
				lat, flat = append(lat, d), append(flat, fd)
			}
		}
		res.latency[r.name], res.floor[r.name] = lat, flat
		switch {
		case err != nil:
			res.errs[r.name] = err
		case fails > 0:
			res.errs[r.name] = fmt.Errorf("%d of %d invokes failed, left out; the first: %w", fails, tries, firstFail)
		}
		progress(fmt.Sprintf("warm (%s): %s: %d invokes in %s", b.name, r.name, len(lat), time.Since(start).Round(time.Millisecond)))
	}
	for id, f := range fns {
		if f.proc.child == 0 {
			continue
		}
		if hwm, err := vmHWM(f.proc.child); err == nil {
			res.rss[id] = hwm
		}
	}
	if len(res.latency) == 0 {
		return res, errors.New("no route was timed")
	}
	return res, nil
}

// timedInvoke times one invoke and checks its answer. The first invoke of a function starts its
// bootstrap: it may wait for the RIE.
func timedInvoke(ctx context.Context, f *fn, event []byte, check func([]byte) error) (time.Duration, error) {
	var raw []byte
	var err error
	t := time.Now()
	if f.proc.child == 0 {
		raw, _, err = f.firstAnswer(ctx, event, 20*time.Second)
	} else {
		raw, err = f.invoke(ctx, event)
	}
	d := time.Since(t)
	if err == nil {
		err = check(raw)
	}
	if err != nil {
		return d, fmt.Errorf("%s: %w", f.t.Name, err)
	}
	return d, nil
}
