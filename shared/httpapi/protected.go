package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"mfagateway/shared/auth"
	"mfagateway/shared/fault"
)

// Routes behind the token authorizer.
const (
	RouteMe            = "GET /api/auth/me"
	RouteValidateToken = "GET /api/auth/validateToken"
	RouteLogout        = "POST /api/auth/logout"
)

// AuthorizerRequest and AuthorizerResponse are the HTTP API Lambda authorizer shapes (payload 2.0, simple responses).
type (
	AuthorizerRequest  = events.APIGatewayV2CustomAuthorizerV2Request
	AuthorizerResponse = events.APIGatewayV2CustomAuthorizerSimpleResponse
)

// Keys of the authorizer context handed to protected functions.
const (
	ctxValid     = "valid"
	ctxTokenID   = "tokenId"
	ctxUserID    = "userId"
	ctxEmail     = "email"
	ctxName      = "name"
	ctxAppID     = "appId"
	ctxAdmin     = "admin"
	ctxExpiresAt = "expiresAt"
	ctxIssuedAt  = "issuedAt" // when the token was issued: some changes want a recent login
	ctxClient    = "client"   // the session is an application acting by its ClientId and ClientSecret
	// ctxUnavailable marks a verdict the authorizer could not reach because AWS failed for a moment.
	ctxUnavailable = "unavailable"
)

// AuthorizerCacheSeconds is how long API Gateway keeps a verdict (the template's ReauthorizeEvery):
// none. The authorizer has no identity sources, since a request carries either a token or application
// credentials and API Gateway refuses a request that lacks any identity source, and without identity
// sources API Gateway cannot key a cache. So every protected request runs the authorizer (one read),
// and a logout, a deleted application or a dropped secret applies to the next request.
const AuthorizerCacheSeconds = 0

// UnavailableRetryAfter is the Retry-After, in seconds, of a guard that cannot check a token the
// authorizer could not: as long as the verdict may stay cached, and at least a second.
const UnavailableRetryAfter = max(AuthorizerCacheSeconds, 1)

// Authorizer is the token authorizer. It lets every request through with its verdict in the context,
// and the protected handlers answer 401 for a bad verdict: API Gateway itself can only answer 403 with
// its own body for a denied request, and the contract wants 401 with {"code", "message"}.
type Authorizer struct {
	sessions *auth.Sessions
}

// NewAuthorizer returns the authorizer handler.
func NewAuthorizer(sessions *auth.Sessions) *Authorizer {
	return &Authorizer{sessions: sessions}
}

// Handle is the authorizer Lambda's handler.
func (a *Authorizer) Handle(ctx context.Context, req AuthorizerRequest) (AuthorizerResponse, error) {
	ctx, cancel := withBudget(ctx)
	defer cancel()
	sess, err := authorize(ctx, a.sessions, req.Headers)
	if errors.Is(err, auth.ErrInvalidToken) {
		return AuthorizerResponse{IsAuthorized: true, Context: map[string]any{ctxValid: false}}, nil
	}
	if transient, _ := fault.Classify(err); err != nil && transient {
		// Waiting cures it, so the answer must be 503 with Retry-After, which only the function can give:
		// the verdict says so, and the function's guard checks the token itself.
		return AuthorizerResponse{IsAuthorized: true, Context: map[string]any{ctxValid: false, ctxUnavailable: true}}, nil
	}
	if err != nil {
		// API Gateway answers 500: ours to fix, nothing the client did. The error goes to Lambda's
		// records of the invocation, so AWS's message (table names, item contents) stays out of it.
		return AuthorizerResponse{}, errors.New(fault.Text(err))
	}
	if sess.Client { // an application: no user, no token, never an admin
		return AuthorizerResponse{IsAuthorized: true, Context: map[string]any{
			ctxValid: true, ctxClient: true, ctxAppID: sess.AppID, ctxExpiresAt: sess.ExpiresAt.Unix(),
		}}, nil
	}
	return AuthorizerResponse{IsAuthorized: true, Context: map[string]any{
		ctxValid: true, ctxTokenID: sess.TokenID, ctxUserID: sess.UserID, ctxEmail: sess.Email, ctxName: sess.Name,
		ctxAppID: sess.AppID, ctxAdmin: sess.Admin, ctxExpiresAt: sess.ExpiresAt.Unix(), ctxIssuedAt: sess.IssuedAt.Unix(),
	}}, nil
}

// authorize checks the credentials a request carries: application credentials when it has a ClientId
// or ClientSecret header (header names in any case), else its token and appId.
func authorize(ctx context.Context, sessions *auth.Sessions, headers map[string]string) (auth.Session, error) {
	id, secret := headerOf(headers, "clientid"), headerOf(headers, "clientsecret")
	if id == "" && secret == "" {
		return sessions.Authorize(ctx, BearerToken(headerOf(headers, "authorization")), strings.TrimSpace(headerOf(headers, "appid")))
	}
	return sessions.AuthorizeClient(ctx, auth.ClientCredentials{
		ID: strings.TrimSpace(id), Secret: strings.TrimSpace(secret),
		AlsoToken: headerOf(headers, "authorization") != "" || headerOf(headers, "appid") != "",
	})
}

// BearerToken returns the token of an "Authorization: Bearer <token>" value; the scheme is case-insensitive.
func BearerToken(header string) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

func headerOf(headers map[string]string, name string) string {
	return Header(Request{Headers: headers}, name)
}

// ProtectedHandler is a handler that runs only with a valid session.
type ProtectedHandler func(ctx context.Context, req Request, who auth.Session) (Response, error)

// Guard turns the authorizer's verdict into a session, answering 401 invalid_token for a bad or absent
// one, in the error format of the request's row. It also rejects a session past its expiry, which the
// authorizer cache could otherwise stretch.
type Guard struct {
	clock    func() time.Time
	log      *slog.Logger
	sessions *auth.Sessions // checks the token when the authorizer could not; nil: answer 503
}

// NewGuard returns the guard; a nil clock means time.Now.
func NewGuard(clock func() time.Time, log *slog.Logger) *Guard {
	if clock == nil {
		clock = time.Now
	}
	return &Guard{clock: clock, log: log}
}

// Rechecking returns the guard, made to check the token or the application credentials itself (one
// read) when the authorizer's verdict says AWS failed it for a moment, so that a good caller is served
// rather than told to retry.
func (g *Guard) Rechecking(sessions *auth.Sessions) *Guard {
	g.sessions = sessions
	return g
}

// Wrap protects h.
func (g *Guard) Wrap(route string, h ProtectedHandler) func(context.Context, Request) (Response, error) {
	return func(ctx context.Context, req Request) (Response, error) {
		if unavailable(req) {
			return g.recheck(ctx, route, req, h)
		}
		who, ok := sessionOf(req)
		if !ok || !g.clock().Before(who.ExpiresAt) {
			g.log.InfoContext(ctx, "request refused", "route", route, "status", http.StatusUnauthorized, "code", CodeInvalidToken)
			return formatIn(ctx).response(invalidToken()), nil
		}
		return h(ctx, req, who)
	}
}

// recheck answers a request whose verdict the authorizer could not give: the guard asks the sessions
// itself, or, when it cannot, answers 503 for as long as the verdict may stay cached.
func (g *Guard) recheck(ctx context.Context, route string, req Request, h ProtectedHandler) (Response, error) {
	if g.sessions == nil {
		g.log.WarnContext(ctx, "request refused", "route", route, "status", http.StatusServiceUnavailable, "code", CodeUnavailable,
			"reason", "authorizer could not check the token")
		return formatIn(ctx).response(&Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable,
			Message: "The service is busy; try again.", RetryAfter: UnavailableRetryAfter}), nil
	}
	who, err := authorize(ctx, g.sessions, req.Headers)
	if err != nil {
		return fail(ctx, g.log, route, err), nil
	}
	return h(ctx, req, who)
}

// unavailable reports a verdict of an authorizer that AWS failed for a moment.
func unavailable(req Request) bool {
	a := req.RequestContext.Authorizer
	return a != nil && a.Lambda != nil && boolOf(a.Lambda[ctxUnavailable])
}

func invalidToken() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Message: "The auth token is missing, expired, revoked or not for this application; log in again."}
}

// sessionOf reads the authorizer context. Values arrive as JSON types (numbers as float64), or as
// strings when the context passed through a proxy, so both are accepted.
func sessionOf(req Request) (auth.Session, bool) {
	if req.RequestContext.Authorizer == nil || req.RequestContext.Authorizer.Lambda == nil {
		return auth.Session{}, false
	}
	c := req.RequestContext.Authorizer.Lambda
	if !boolOf(c[ctxValid]) {
		return auth.Session{}, false
	}
	exp := time.Unix(int64Of(c[ctxExpiresAt]), 0)
	if boolOf(c[ctxClient]) {
		// An application's session is its appId and nothing else: never an admin, never a user.
		s := auth.Session{Client: true, AppID: stringOf(c[ctxAppID]), ExpiresAt: exp}
		return s, s.AppID != ""
	}
	s := auth.Session{
		TokenID: stringOf(c[ctxTokenID]), UserID: stringOf(c[ctxUserID]), Email: stringOf(c[ctxEmail]),
		Name: stringOf(c[ctxName]), AppID: stringOf(c[ctxAppID]), Admin: boolOf(c[ctxAdmin]),
		ExpiresAt: exp,
	}
	if issued := int64Of(c[ctxIssuedAt]); issued > 0 {
		s.IssuedAt = time.Unix(issued, 0)
	}
	return s, s.TokenID != "" && s.UserID != ""
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

func boolOf(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return b == "true"
	}
	return false
}

func int64Of(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case int64:
		return n
	case int:
		return int64(n)
	case json.Number:
		i, _ := n.Int64()
		return i
	case string:
		i, _ := strconv.ParseInt(n, 10, 64)
		return i
	}
	return 0
}

// Session serves GET /api/auth/me, GET /api/auth/validateToken and POST /api/auth/logout.
type Session struct {
	sessions *auth.Sessions
	log      *slog.Logger
}

// NewSession returns the me, validateToken and logout handlers.
func NewSession(sessions *auth.Sessions, log *slog.Logger) *Session {
	return &Session{sessions: sessions, log: log}
}

type meResponse struct {
	UserID    string `json:"userId"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	AppID     string `json:"appId"`
	ExpiresAt string `json:"expiresAt"`
}

type validateTokenResponse struct {
	Valid     bool   `json:"valid"`
	UserID    string `json:"userId"`
	AppID     string `json:"appId"`
	ExpiresAt string `json:"expiresAt"`
}

// Me answers who the token belongs to. The email is in full: it is the caller's own (emails of other
// people are masked in answers).
func (s *Session) Me(ctx context.Context, _ Request, who auth.Session) (Response, error) {
	if who.Client {
		return s.notForClients(ctx, RouteMe), nil
	}
	return respond(http.StatusOK, meResponse{
		UserID: who.UserID, Email: who.Email, Name: who.Name, AppID: who.AppID, ExpiresAt: expiresAt(who),
	}), nil
}

// ValidateToken answers that the token is good, whose it is and until when. Only a good token gets
// here: the guard in front answers 401 invalid_token for any other, so the answer is always valid and
// costs nothing beyond the authorizer's one read.
func (s *Session) ValidateToken(ctx context.Context, _ Request, who auth.Session) (Response, error) {
	if who.Client {
		return s.notForClients(ctx, RouteValidateToken), nil
	}
	return respond(http.StatusOK, validateTokenResponse{Valid: true, UserID: who.UserID, AppID: who.AppID, ExpiresAt: expiresAt(who)}), nil
}

// expiresAt is the session's expiry as answers give it: RFC 3339, UTC, whole seconds.
func expiresAt(who auth.Session) string {
	return who.ExpiresAt.UTC().Format(time.RFC3339)
}

// Logout revokes the token.
func (s *Session) Logout(ctx context.Context, _ Request, who auth.Session) (Response, error) {
	if who.Client {
		return s.notForClients(ctx, RouteLogout), nil
	}
	if err := s.sessions.Logout(ctx, who); err != nil {
		return fail(ctx, s.log, RouteLogout, err), nil
	}
	return Response{StatusCode: http.StatusNoContent, Headers: map[string]string{"Cache-Control": "no-store"}}, nil
}

// notForClients refuses an application acting by its credentials a route about a user's token: it has
// neither a user nor a token.
func (s *Session) notForClients(ctx context.Context, route string) Response {
	s.log.InfoContext(ctx, "refused", "event", "session", "route", route, "outcome", "forbidden", "client", true)
	return fail(ctx, s.log, route, auth.ErrForbidden)
}
