package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"mfagateway/shared/auth"
)

// Logical IDs of the functions in template.yaml that serve routes of the table.
const (
	LoginFunction        = "LoginFunction"
	VerifyFunction       = "VerifyFunction"
	ApplicationsFunction = "ApplicationsFunction"
	AccountFunction      = "AccountFunction"
	WebFunction          = "WebFunction"
)

// Route is one row of the route table.
type Route struct {
	Method string
	// Paths are every spelling API Gateway routes to this row, {name} segments being path parameters.
	// The first names the row in logs and in the API document, and sets its error format (formatOf).
	Paths    []string
	Function string  // logical ID of the function that serves the row
	handler  binding // a method of one of the Handlers; the row is protected when it takes a session
}

// table is every route of the API. The functions' routers and the local gateway serve it; the tests of
// template.yaml, docs/openapi.yaml and events/ hold those files to it. A new route is one row here.
//
// The platform matches paths without regard to case, API Gateway only as spelled, so a row lists each
// spelling platform clients send: the Planon guide's first (it names the row), the platform's Swagger's
// (its {id} is the row's {appId}: handlers read the parameter by the row's name), and the all-lower-case
// one. spellings_test.go derives that set from the vendored Swagger and fails on any other.
var table = []Route{
	{http.MethodPost, []string{"/api/auth/login"}, LoginFunction, public((*Handler).Login)},
	{http.MethodPost, []string{"/api/auth/resendMultifactorBindingCode", "/api/auth/resendmultifactorbindingcode"}, LoginFunction, public((*Handler).Resend)},
	{http.MethodGet, []string{"/api/auth/me"}, LoginFunction, protected((*Session).Me)},
	{http.MethodGet, []string{"/api/auth/validateToken", "/api/auth/validatetoken"}, LoginFunction, protected((*Session).ValidateToken)},
	{http.MethodPost, []string{"/api/auth/logout"}, LoginFunction, protected((*Session).Logout)},
	{http.MethodPost, []string{"/api/auth/verifyMultifactorBindingCode", "/api/auth/verifymultifactorbindingcode"}, VerifyFunction, public((*Handler).Verify)},
	{http.MethodGet, []string{"/odata/Applications", "/odata/applications"}, ApplicationsFunction, protected((*Applications).List)},
	{http.MethodPost, []string{"/odata/Applications", "/odata/applications"}, ApplicationsFunction, protected((*Applications).Create)},
	{http.MethodGet, []string{"/odata/Applications/{appId}", "/odata/applications/{appId}"}, ApplicationsFunction, protected((*Applications).Get)},
	{http.MethodPatch, []string{"/odata/Applications/{appId}", "/odata/applications/{appId}"}, ApplicationsFunction, protected((*Applications).Patch)},
	{http.MethodPatch, []string{"/odata/Applications/Patch/{appId}", "/odata/applications/patch/{appId}"}, ApplicationsFunction, protected((*Applications).Patch)},
	{http.MethodPut, []string{"/odata/Applications/{appId}", "/odata/applications/{appId}"}, ApplicationsFunction, protected((*Applications).Put)},
	{http.MethodPut, []string{"/odata/Applications/Put/{appId}", "/odata/applications/put/{appId}"}, ApplicationsFunction, protected((*Applications).Put)},
	{http.MethodDelete, []string{"/odata/Applications/{appId}", "/odata/applications/{appId}"}, ApplicationsFunction, protected((*Applications).Delete)},
	{http.MethodPost, []string{"/odata/Applications/url", "/odata/applications/url"}, ApplicationsFunction, public((*Applications).ByURL)},
	{http.MethodGet, []string{"/odata/applications/{appId}/getAppSecret", "/odata/applications/{appId}/getappsecret"}, ApplicationsFunction, protected((*Applications).GetAppSecret)},
	// The users rows: the platform spells them in lower case only. "me" and "unblockUser" are literal
	// segments, which win over {id} here as on API Gateway.
	{http.MethodGet, []string{"/odata/users"}, ApplicationsFunction, protected((*Users).List)},
	{http.MethodPost, []string{"/odata/users"}, ApplicationsFunction, protected((*Users).Create)},
	{http.MethodGet, []string{"/odata/users/me"}, ApplicationsFunction, protected((*Users).Me)},
	{http.MethodPost, []string{"/odata/users/unblockUser", "/odata/users/unblockuser"}, ApplicationsFunction, protected((*Users).Unblock)},
	{http.MethodGet, []string{"/odata/users/{id}"}, ApplicationsFunction, protected((*Users).Get)},
	{http.MethodPatch, []string{"/odata/users/{id}"}, ApplicationsFunction, protected((*Users).Patch)},
	{http.MethodPut, []string{"/odata/users/{id}"}, ApplicationsFunction, protected((*Users).Put)},
	{http.MethodDelete, []string{"/odata/users/{id}"}, ApplicationsFunction, protected((*Users).Delete)},
	// The caller's own user: a new mobile number waits for the code sent to it.
	{http.MethodPatch, []string{"/odata/users/me"}, ApplicationsFunction, protected((*Users).PatchMe)},
	{http.MethodPost, []string{"/odata/users/me/confirmMobile", "/odata/users/me/confirmmobile"}, ApplicationsFunction, protected((*Users).ConfirmMobile)},
	// The account lifecycle: the function that sets passwords, the only one that links the password
	// dictionaries, and sends tickets.
	{http.MethodPost, []string{"/odata/users/invite"}, AccountFunction, protected((*Accounts).Invite)},
	{http.MethodPost, []string{"/odata/users/forgotPassword", "/odata/users/forgotpassword"}, AccountFunction, public((*Accounts).ForgotPassword)},
	{http.MethodPost, []string{"/odata/users/changePassword", "/odata/users/changepassword"}, AccountFunction, public((*Accounts).ChangePassword)},
	{http.MethodPost, []string{"/odata/users/updatePassword", "/odata/users/updatepassword"}, AccountFunction, protected((*Accounts).UpdatePassword)},
	{http.MethodPost, []string{"/odata/users/resetPassword", "/odata/users/resetpassword"}, AccountFunction, protected((*Accounts).ResetPassword)},
	// The caller's own second factors: on the account function, which draws the enrolment's QR code,
	// so that the login and verify functions link no QR encoder.
	{http.MethodGet, []string{"/api/auth/mfa/authenticators"}, AccountFunction, protected((*SecondFactors).List)},
	{http.MethodPost, []string{"/api/auth/mfa/authenticators"}, AccountFunction, protected((*SecondFactors).Enrol)},
	{http.MethodPost, []string{"/api/auth/mfa/authenticators/confirm"}, AccountFunction, protected((*SecondFactors).Confirm)},
	{http.MethodPost, []string{"/api/auth/mfa/recoveryCodes", "/api/auth/mfa/recoverycodes"}, AccountFunction, protected((*SecondFactors).RenewRecoveryCodes)},
	{http.MethodDelete, []string{"/api/auth/mfa/authenticators/OTP", "/api/auth/mfa/authenticators/otp"}, AccountFunction, protected((*SecondFactors).Remove)},
	// The hosted pages and their files, for people's browsers: their own function, which reads no table
	// and holds no secret. The account page calls the /api/auth/mfa routes above with its sign-in's token.
	{http.MethodGet, []string{"/login"}, WebFunction, public((*Pages).Serve)},
	{http.MethodGet, []string{"/reset-password"}, WebFunction, public((*Pages).Serve)},
	{http.MethodGet, []string{"/accept-invite"}, WebFunction, public((*Pages).Serve)},
	{http.MethodGet, []string{"/account"}, WebFunction, public((*Pages).Serve)},
	{http.MethodGet, []string{"/assets/{file}"}, WebFunction, public((*Pages).Serve)},
}

// Routes returns a copy of the table, in its order.
func Routes() []Route {
	rs := slices.Clone(table)
	for i := range rs {
		rs[i].Paths = slices.Clone(rs[i].Paths)
	}
	return rs
}

// Functions returns the logical IDs of the functions the table routes to, in the order they first appear.
func Functions() []string {
	var ids []string
	for _, r := range table {
		if !slices.Contains(ids, r.Function) {
			ids = append(ids, r.Function)
		}
	}
	return ids
}

// Page reports whether the row serves a hosted page or one of its files: HTML, CSS or JavaScript for
// a browser, not JSON.
func (r Route) Page() bool { return r.Function == WebFunction }

// Protected reports whether the row is behind the token authorizer: its handler takes the caller's session.
func (r Route) Protected() bool { return r.handler.protected != nil }

// Key is the route key of the row's first spelling ("METHOD /path/{param}").
func (r Route) Key() string { return r.Method + " " + r.Paths[0] }

// Keys are the route keys of every spelling of the row.
func (r Route) Keys() []string {
	keys := make([]string, len(r.Paths))
	for i, p := range r.Paths {
		keys[i] = r.Method + " " + p
	}
	return keys
}

// Handlers are what the rows call. A function's main fills in the ones its rows need; the others may stay nil.
type Handlers struct {
	Auth         *Handler      // login, resend, verify
	Session      *Session      // me, logout
	Applications *Applications // /odata/Applications
	Users        *Users        // /odata/users
	Accounts     *Accounts     // the account lifecycle of /odata/users
	// SecondFactors serves the caller's own second factors (/api/auth/mfa/...).
	SecondFactors *SecondFactors
	Pages         *Pages // the hosted pages
	Guard         *Guard // in front of every protected row
}

// HandlerFunc is a function's handler as lambda.Start calls it.
type HandlerFunc func(context.Context, Request) (Response, error)

// binding is a row's handler: a method expression on one of the Handlers' types, bound to the value in
// Handlers when a function's router is built. Exactly one of public and protected is set; each returns nil
// when Handlers lacks the value.
type binding struct {
	dep       string // the Handlers field the method needs, for the cold-start message
	public    func(Handlers) HandlerFunc
	protected func(Handlers) ProtectedHandler
}

// handlerType is a type of the Handlers fields that carry route handlers.
type handlerType interface {
	Handler | Session | Applications | Users | Accounts | SecondFactors | Pages
}

func public[T handlerType](method func(*T, context.Context, Request) (Response, error)) binding {
	_, name := dep[T](Handlers{})
	return binding{dep: name, public: func(hs Handlers) HandlerFunc {
		t, _ := dep[T](hs)
		if t == nil {
			return nil
		}
		return func(ctx context.Context, req Request) (Response, error) { return method(t, ctx, req) }
	}}
}

func protected[T handlerType](method func(*T, context.Context, Request, auth.Session) (Response, error)) binding {
	_, name := dep[T](Handlers{})
	return binding{dep: name, protected: func(hs Handlers) ProtectedHandler {
		t, _ := dep[T](hs)
		if t == nil {
			return nil
		}
		return func(ctx context.Context, req Request, who auth.Session) (Response, error) {
			return method(t, ctx, req, who)
		}
	}}
}

// dep is the value of type *T in hs (nil when unset) and the name of its field.
func dep[T handlerType](hs Handlers) (*T, string) {
	var v any
	var name string
	switch any((*T)(nil)).(type) {
	case *Handler:
		v, name = hs.Auth, "Auth"
	case *Session:
		v, name = hs.Session, "Session"
	case *Applications:
		v, name = hs.Applications, "Applications"
	case *Users:
		v, name = hs.Users, "Users"
	case *Accounts:
		v, name = hs.Accounts, "Accounts"
	case *SecondFactors:
		v, name = hs.SecondFactors, "SecondFactors"
	case *Pages:
		v, name = hs.Pages, "Pages"
	}
	return v.(*T), name
}

// Router serves one function's rows of the table.
type Router struct {
	handlers map[string]HandlerFunc // by route key, one entry per spelling
	rows     matcher
}

// Function builds the router of the function with logical ID id from its rows of the table, protected
// rows behind hs.Guard. It panics, at cold start, when id serves no row or hs lacks a handler a row needs:
// a function wired wrongly must fail its init, not answer 500 to its first request.
func Function(id string, hs Handlers) *Router {
	r := &Router{handlers: map[string]HandlerFunc{}}
	var rows []Route
	for _, rt := range table {
		if rt.Function != id {
			continue
		}
		h, missing := rt.bind(hs)
		if h == nil {
			panic(fmt.Sprintf("httpapi.Function(%q): route %s needs Handlers.%s", id, rt.Key(), missing))
		}
		h = rt.withFormat(h)
		for _, key := range rt.Keys() {
			r.handlers[key] = h
		}
		rows = append(rows, rt)
	}
	if len(rows) == 0 {
		panic(fmt.Sprintf("httpapi.Function(%q): the route table has no route of that function", id))
	}
	r.rows = newMatcher(rows)
	return r
}

// Routers builds the router of each function named (of every function of the table when none is),
// by logical ID.
func Routers(hs Handlers, ids ...string) map[string]*Router {
	if len(ids) == 0 {
		ids = Functions()
	}
	rs := make(map[string]*Router, len(ids))
	for _, id := range ids {
		rs[id] = Function(id, hs)
	}
	return rs
}

// bind returns the row's handler over hs, or nil and the Handlers field it lacks.
func (r Route) bind(hs Handlers) (HandlerFunc, string) {
	if r.handler.public != nil {
		return r.handler.public(hs), r.handler.dep
	}
	p := r.handler.protected(hs)
	switch {
	case p == nil:
		return nil, r.handler.dep
	case hs.Guard == nil:
		return nil, "Guard"
	}
	return hs.Guard.Wrap(r.Key(), p), ""
}

// withFormat is h writing its errors in the row's error format, decided once here from the row's path.
func (r Route) withFormat(h HandlerFunc) HandlerFunc {
	f := r.format()
	return func(ctx context.Context, req Request) (Response, error) {
		return h(withFormat(ctx, f), req)
	}
}

// Serve calls the handler of the request's route, or answers 404. It dispatches by the routeKey API
// Gateway sets; for the $default route (or none) it matches the method and raw path against the rows and
// sets the path parameters, as API Gateway would have for the matched route. The 404 of a path no row
// matches is in the error format of that path.
func (r *Router) Serve(ctx context.Context, req Request) (Response, error) {
	h, ok := r.handlers[req.RouteKey]
	if req.RouteKey == "" || req.RouteKey == "$default" {
		var m Match
		if m, ok = r.rows.match(req.RequestContext.HTTP.Method, req.RawPath); ok {
			h = r.handlers[m.Key]
			if len(m.Params) > 0 {
				req.PathParameters = m.Params
			}
		}
	}
	if !ok {
		return NotFoundAt(req.RawPath), nil
	}
	ctx, cancel := withBudget(ctx)
	defer cancel()
	return h(ctx, req)
}

// Match is the row a request selects, with what API Gateway puts in the event for it.
type Match struct {
	Route  Route
	Key    string            // the event's routeKey: the method and the matched spelling
	Params map[string]string // the event's pathParameters; empty when the spelling has none
}

// Lookup finds the row of the whole table that a request's method and path select.
func Lookup(method, path string) (Match, bool) {
	m, ok := everyRow.match(method, path)
	m.Route.Paths = slices.Clone(m.Route.Paths) // the caller's to keep, like Routes
	return m, ok
}

var everyRow = newMatcher(table)

// matcher matches requests against the spellings of some rows.
type matcher []pattern

type pattern struct {
	route    Route
	key      string
	method   string
	segs     []string
	literals int // segments that are not parameters: more is more specific
}

func newMatcher(rows []Route) matcher {
	var m matcher
	for _, r := range rows {
		for _, p := range r.Paths {
			pt := pattern{route: r, key: r.Method + " " + p, method: r.Method, segs: segments(p)}
			for _, s := range pt.segs {
				if _, ok := param(s); !ok {
					pt.literals++
				}
			}
			m = append(m, pt)
		}
	}
	return m
}

// match finds the spelling a method and path fit, segment by segment, a {name} segment taking any
// non-empty value. Where two fit, the one with more literal segments wins, as in API Gateway. Literal
// segments compare byte for byte, as API Gateway compares them: a casing that no row spells is no route,
// here as deployed.
func (m matcher) match(method, path string) (Match, bool) {
	segs := segments(path)
	var best Match
	bestLiterals := -1
	for _, pt := range m {
		if pt.method != method || len(pt.segs) != len(segs) || pt.literals <= bestLiterals {
			continue
		}
		params, ok := pt.bind(segs)
		if ok {
			best, bestLiterals = Match{Route: pt.route, Key: pt.key, Params: params}, pt.literals
		}
	}
	return best, bestLiterals >= 0
}

func (pt pattern) bind(segs []string) (map[string]string, bool) {
	params := map[string]string{}
	for i, s := range pt.segs {
		if name, ok := param(s); ok && segs[i] != "" {
			params[name] = segs[i]
		} else if s != segs[i] {
			return nil, false
		}
	}
	return params, true
}

// segments splits a path on "/", ignoring slashes at either end.
func segments(path string) []string {
	return strings.Split(strings.Trim(path, "/"), "/")
}

// param is the name of a {name} segment.
func param(seg string) (string, bool) {
	if len(seg) > 2 && strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}
