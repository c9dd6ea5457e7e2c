package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"mfagateway/shared/auth"
)

// Accounts serves the account lifecycle routes of /odata/users: invite, forgotPassword,
// changePassword, updatePassword and resetPassword.
type Accounts struct {
	accounts *auth.Accounts
	log      *slog.Logger
}

// NewAccounts returns the account lifecycle handler.
func NewAccounts(accounts *auth.Accounts, log *slog.Logger) *Accounts {
	return &Accounts{accounts: accounts, log: log}
}

func noContent() Response {
	return Response{StatusCode: http.StatusNoContent, Headers: map[string]string{"Cache-Control": "no-store"}}
}

type inviteRequest struct {
	User *userBody `json:"user"`
}

// Invite handles POST /odata/users/invite {"user": {...}}: 201 with the user, who is emailed an
// invitation ticket.
func (h *Accounts) Invite(ctx context.Context, req Request, who auth.Session) (Response, error) {
	var in inviteRequest
	apiErr := decodeOData(req, &in)
	switch {
	case apiErr != nil:
	case in.User == nil:
		apiErr = invalid("user is required.")
	case in.User.Email == nil:
		apiErr = invalid("user.email is required.")
	case in.User.Name == nil:
		apiErr = invalid("user.name is required.")
	case in.User.Status.set && !strings.EqualFold(in.User.Status.value, string(auth.StatusPending)):
		apiErr = invalid("user.status of an invited user is Pending: it is Activated when its password is set.")
	}
	if apiErr == nil {
		apiErr = checkUserBody(*in.User)
	}
	if apiErr != nil {
		return h.fail(ctx, req, apiErr), nil
	}
	b := in.User
	n := auth.NewUser{Email: *b.Email, Name: *b.Name, Mobile: b.MobilePhone.value,
		CultureInfo: b.CultureInfo.value, Admin: b.Admin.value, Applications: b.Applications.value}
	v, err := h.accounts.Invite(ctx, who, n)
	if err != nil {
		return h.fail(ctx, req, err), nil
	}
	resp := respond(http.StatusCreated, newUserResponse(v, who))
	resp.Headers["Location"] = usersPath + "/" + v.User.ID
	return resp, nil
}

type forgotRequest struct {
	Email *string `json:"email"`
	URL   *string `json:"url"`
}

// ForgotPassword handles POST /odata/users/forgotPassword {"email", "url"} (public): 200 {} whatever
// the email, after the same time.
func (h *Accounts) ForgotPassword(ctx context.Context, req Request) (Response, error) {
	var in forgotRequest
	apiErr := decodeOData(req, &in)
	email, url := "", ""
	if apiErr == nil {
		if in.Email != nil {
			email = strings.TrimSpace(*in.Email)
		}
		if in.URL != nil {
			url = *in.URL
		}
		switch {
		case email == "":
			apiErr = invalid("email is required.")
		case !auth.IsEmail(email):
			apiErr = invalid("email must be an email address.")
		}
	}
	var app auth.AppRef
	if apiErr == nil {
		app, apiErr = appRef(req, url)
	}
	if apiErr != nil {
		return h.fail(ctx, req, apiErr), nil
	}
	if err := h.accounts.ForgotPassword(ctx, email, app); err != nil {
		return h.fail(ctx, req, err), nil
	}
	return respond(http.StatusOK, struct{}{}), nil
}

// appRef is the application a public request names: its appId header, else the url given.
func appRef(req Request, url string) (auth.AppRef, *Error) {
	var app auth.AppRef
	if id := strings.TrimSpace(Header(req, "appid")); id != "" {
		app.ID = id
	} else if app.URL = auth.NormalizeURL(url); app.URL == "" {
		return app, &Error{Status: http.StatusBadRequest, Code: CodeApplicationRequired,
			Message: "Name the application with an appId header or a url property."}
	}
	// A name no application can have is an unknown application, never an oversized DynamoDB key.
	if len(app.ID) > maxAppIDLen || hasControl(app.ID) || len(app.URL) > maxURLLen || hasControl(app.URL) {
		app = auth.AppRef{ID: unknownApp}
	}
	return app, nil
}

type changePasswordRequest struct {
	Password *string         `json:"password"`
	Invite   json.RawMessage `json:"invite"` // informational: the ticket itself says what it is for
	Ticket   *string         `json:"ticket"`
}

type passwordSetResponse struct {
	Token            string  `json:"token"`
	UniqueIdentifier string  `json:"uniqueIdentifier"`
	Name             string  `json:"name"`
	RedirectURL      *string `json:"redirectUrl"`
	ExpiresIn        int     `json:"expiresIn"`
}

// ChangePassword handles POST /odata/users/changePassword {"password", "invite", "ticket"} (public;
// the ticket may come as "Authorization: Bearer <ticket>" instead): it sets the password and answers as
// a login would, 200 with an auth token or 403 with an MFA challenge.
func (h *Accounts) ChangePassword(ctx context.Context, req Request) (Response, error) {
	var in changePasswordRequest
	apiErr := decodeOData(req, &in)
	ticket := ""
	if apiErr == nil {
		if in.Ticket != nil {
			ticket = strings.TrimSpace(*in.Ticket)
		} else {
			ticket = BearerToken(Header(req, "authorization"))
		}
		switch {
		case len(in.Invite) > 0 && string(in.Invite) != "true" && string(in.Invite) != "false" && string(in.Invite) != "null":
			apiErr = invalid("invite must be true or false.")
		case ticket == "":
			apiErr = invalid("ticket is required, in the body or as a bearer token.")
		case in.Password == nil || *in.Password == "":
			apiErr = invalid("password is required.")
		}
	}
	if apiErr != nil {
		return h.fail(ctx, req, apiErr), nil
	}
	set, err := h.accounts.ChangePassword(ctx, ticket, *in.Password, strings.TrimSpace(Header(req, "appid")))
	if err != nil {
		return h.fail(ctx, req, err), nil
	}
	if set.Login.MFA != nil {
		return respond(http.StatusForbidden, newChallengeResponse(*set.Login.MFA)), nil
	}
	return respond(http.StatusOK, passwordSetResponse{Token: set.Login.Token, UniqueIdentifier: set.App.UniqueIdentifier,
		Name: set.Login.Name, ExpiresIn: secs(set.Login.ExpiresIn)}), nil
}

type updatePasswordRequest struct {
	OldPassword *string `json:"oldPassword"`
	NewPassword *string `json:"newPassword"`
}

// UpdatePassword handles POST /odata/users/updatePassword {"oldPassword", "newPassword"}: 204; a wrong
// old password is 403 invalid_credentials.
func (h *Accounts) UpdatePassword(ctx context.Context, req Request, who auth.Session) (Response, error) {
	var in updatePasswordRequest
	apiErr := decodeOData(req, &in)
	switch {
	case apiErr != nil:
	case in.OldPassword == nil || *in.OldPassword == "":
		apiErr = invalid("oldPassword is required.")
	case len(*in.OldPassword) > auth.MaxPasswordBytes:
		apiErr = invalid("oldPassword is longer than %d bytes.", auth.MaxPasswordBytes)
	case in.NewPassword == nil || *in.NewPassword == "":
		apiErr = invalid("newPassword is required.")
	}
	if apiErr != nil {
		return h.fail(ctx, req, apiErr), nil
	}
	err := h.accounts.UpdatePassword(ctx, who, *in.OldPassword, *in.NewPassword, req.RequestContext.HTTP.SourceIP)
	if errors.Is(err, auth.ErrInvalidCredentials) {
		// The caller is signed in: a wrong old password is a refusal of this action, not of the token.
		return h.fail(ctx, req, &Error{Status: http.StatusForbidden, Code: CodeInvalidCredentials,
			Message: "The old password is not right."}), nil
	}
	if err != nil {
		return h.fail(ctx, req, err), nil
	}
	return noContent(), nil
}

type resetPasswordRequest struct {
	UserID *string `json:"userId"`
	URL    *string `json:"url"`
}

// ResetPassword handles POST /odata/users/resetPassword {"userId", "url"} (admins): 204, the user is
// emailed a reset ticket.
func (h *Accounts) ResetPassword(ctx context.Context, req Request, who auth.Session) (Response, error) {
	var in resetPasswordRequest
	apiErr := decodeOData(req, &in)
	if apiErr == nil && (in.UserID == nil || *in.UserID == "") {
		apiErr = invalid("userId is required.")
	}
	url := ""
	if apiErr == nil && in.URL != nil {
		if url = *in.URL; len(url) > maxURLLen || hasControl(url) {
			apiErr = invalid("url is not an application's url.")
		}
	}
	if apiErr != nil {
		return h.fail(ctx, req, apiErr), nil
	}
	if !plausibleID(*in.UserID) {
		return h.fail(ctx, req, auth.ErrUserNotFound), nil
	}
	if err := h.accounts.ResetPassword(ctx, who, *in.UserID, url); err != nil {
		return h.fail(ctx, req, err), nil
	}
	return noContent(), nil
}

func (h *Accounts) fail(ctx context.Context, req Request, err error) Response {
	return fail(ctx, h.log, req.RouteKey, err)
}
