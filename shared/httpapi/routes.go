package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"
	"unicode"

	"mfagateway/shared/auth"
)

// Route keys of the public rows of the route table (table.go), for logs and for building events; a
// test holds them to the table.
const (
	RouteLogin  = "POST /api/auth/login"
	RouteResend = "POST /api/auth/resendMultifactorBindingCode"
	RouteVerify = "POST /api/auth/verifyMultifactorBindingCode"
)

// Limits on request fields beyond the body size; each is far above any real value.
const (
	maxAppIDLen = 128
	maxURLLen   = 512
	codeLen     = 6
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	URL      string `json:"url"`
}

type loginResponse struct {
	Name        string  `json:"name"`
	Token       string  `json:"token"`
	RedirectURL *string `json:"redirectUrl"`
	ExpiresIn   int     `json:"expiresIn"`
}

type challengeResponse struct {
	Token             string `json:"token"`
	AuthenticatorCode string `json:"authenticatorCode"`
	Authenticator     string `json:"authenticator"`
	Destination       string `json:"destination,omitempty"` // none for the authenticator app
	ExpiresIn         int    `json:"expiresIn"`
}

type verifyRequest struct {
	Token             string `json:"token"`
	AuthenticatorCode string `json:"authenticatorCode"`
	BindingCode       string `json:"bindingCode"`
}

type verifyResponse struct {
	Token             string  `json:"token"`
	AuthenticatorCode string  `json:"authenticatorCode"`
	Authenticator     string  `json:"authenticator"`
	Name              string  `json:"name"`
	RedirectURL       *string `json:"redirectUrl"`
	ExpiresIn         int     `json:"expiresIn"`
	// RecoveryCodesRemaining is there after a recovery code only.
	RecoveryCodesRemaining *int `json:"recoveryCodesRemaining,omitempty"`
}

type resendRequest struct {
	Token         string `json:"token"`
	Authenticator string `json:"authenticator"` // the platform's enum: Default, SMS or Email
}

// Login handles POST /api/auth/login.
func (h *Handler) Login(ctx context.Context, req Request) (Response, error) {
	var in loginRequest
	if err := decode(req, &in); err != nil {
		return fail(ctx, h.log, RouteLogin, err), nil
	}
	li, err := loginInput(req, in)
	if err != nil {
		return fail(ctx, h.log, RouteLogin, err), nil
	}
	res, lerr := h.svc.Login(ctx, li)
	if lerr != nil {
		return fail(ctx, h.log, RouteLogin, lerr), nil
	}
	if res.MFA != nil {
		return respond(http.StatusForbidden, newChallengeResponse(*res.MFA)), nil
	}
	return respond(http.StatusOK, loginResponse{Name: res.Name, Token: res.Token, ExpiresIn: secs(res.ExpiresIn)}), nil
}

func loginInput(req Request, in loginRequest) (auth.LoginInput, *Error) {
	email := strings.TrimSpace(in.Email)
	switch {
	case email == "":
		return auth.LoginInput{}, invalid("email is required.")
	case !auth.IsEmail(email):
		return auth.LoginInput{}, invalid("email must be an email address.")
	case in.Password == "":
		return auth.LoginInput{}, invalid("password is required.")
	case len(in.Password) > auth.MaxPasswordBytes:
		return auth.LoginInput{}, invalid("password is longer than %d bytes.", auth.MaxPasswordBytes)
	}
	li := auth.LoginInput{Email: email, Password: in.Password, SourceIP: req.RequestContext.HTTP.SourceIP}
	if id := strings.TrimSpace(Header(req, "appid")); id != "" {
		li.App.ID = id
	} else if li.App.URL = auth.NormalizeURL(in.URL); li.App.URL == "" {
		return auth.LoginInput{}, &Error{Status: http.StatusBadRequest, Code: CodeApplicationRequired,
			Message: "Name the application with an appId header or a url property."}
	}
	// A name no application can have is an unknown application: the same 401, at the same cost, as
	// any other; it only never becomes an oversized or unprintable DynamoDB key.
	if len(li.App.ID) > maxAppIDLen || hasControl(li.App.ID) || len(li.App.URL) > maxURLLen || hasControl(li.App.URL) {
		li.App = auth.AppRef{ID: unknownApp}
	}
	return li, nil
}

// unknownApp names no application: appIds are UUIDs.
const unknownApp = "not-an-application"

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// Verify handles POST /api/auth/verifyMultifactorBindingCode.
func (h *Handler) Verify(ctx context.Context, req Request) (Response, error) {
	var in verifyRequest
	if err := decode(req, &in); err != nil {
		return fail(ctx, h.log, RouteVerify, err), nil
	}
	code := strings.TrimSpace(in.BindingCode)
	channel, known := auth.ParseVerifyChannel(in.AuthenticatorCode)
	switch {
	case in.Token == "":
		return fail(ctx, h.log, RouteVerify, invalid("token is required.")), nil
	case code == "":
		return fail(ctx, h.log, RouteVerify, invalid("bindingCode is required.")), nil
	case channel == auth.ChannelRecoveryCode && !auth.IsRecoveryCode(code):
		return fail(ctx, h.log, RouteVerify, invalid("bindingCode must be a recovery code, XXXX-XXXX-XXXX-XXXX.")), nil
	case channel != auth.ChannelRecoveryCode && (len(code) != codeLen || strings.ContainsFunc(code, func(r rune) bool { return r < '0' || r > '9' })):
		return fail(ctx, h.log, RouteVerify, invalid("bindingCode must be %d digits.", codeLen)), nil
	case in.AuthenticatorCode != "" && !known:
		return fail(ctx, h.log, RouteVerify, invalid("authenticatorCode must be %s.", auth.VerifyChannelNames())), nil
	}
	res, err := h.svc.Verify(ctx, in.Token, channel, code)
	if err != nil {
		return fail(ctx, h.log, RouteVerify, err), nil
	}
	return respond(http.StatusOK, verifyResponse{
		Token: res.Token, AuthenticatorCode: string(res.Channel), Authenticator: res.Authenticator,
		Name: res.Name, ExpiresIn: secs(res.ExpiresIn), RecoveryCodesRemaining: res.RecoveryCodesRemaining,
	}), nil
}

// Resend handles POST /api/auth/resendMultifactorBindingCode.
func (h *Handler) Resend(ctx context.Context, req Request) (Response, error) {
	var in resendRequest
	if err := decode(req, &in); err != nil {
		return fail(ctx, h.log, RouteResend, err), nil
	}
	if in.Token == "" {
		return fail(ctx, h.log, RouteResend, invalid("token is required.")), nil
	}
	via, known := auth.ParseResendChannel(strings.TrimSpace(in.Authenticator))
	if !known {
		return fail(ctx, h.log, RouteResend, invalid("authenticator must be %s.", auth.ResendChannelNames())), nil
	}
	res, err := h.svc.ResendVia(ctx, in.Token, via)
	if err != nil {
		return fail(ctx, h.log, RouteResend, err), nil
	}
	return respond(http.StatusOK, newChallengeResponse(res)), nil
}

func newChallengeResponse(c auth.ChallengeResult) challengeResponse {
	return challengeResponse{
		Token: c.Token, AuthenticatorCode: string(c.Channel), Authenticator: c.Authenticator,
		Destination: c.Destination, ExpiresIn: secs(c.ExpiresIn),
	}
}

// secs is a lifetime in whole seconds, rounded down so a client never waits past the real expiry.
func secs(d time.Duration) int {
	return int(max(d, 0) / time.Second)
}
