package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/mask"
	"mfagateway/shared/odata"
)

const usersPath = "/odata/users" // where a created user lives, for its Location header

// Users serves /odata/users.
type Users struct {
	users *auth.Users
	log   *slog.Logger
}

// NewUsers returns the users handler.
func NewUsers(users *auth.Users, log *slog.Logger) *Users {
	return &Users{users: users, log: log}
}

// userBody is the JSON of a user. Wrappers tell a missing property from a given one.
type userBody struct {
	Email        *string            `json:"email"`
	Name         *string            `json:"name"`
	MobilePhone  nullable           `json:"mobilePhone"` // null: none
	CultureInfo  optional[string]   `json:"cultureInfo"`
	Status       optional[string]   `json:"status"`
	Admin        optionalBool       `json:"admin"`
	Applications optional[[]string] `json:"applications"`
	// The read-only properties are accepted with any value and ignored, so that an entity read with
	// GET can be sent back as it is.
	ID           json.RawMessage `json:"id"`
	Role         json.RawMessage `json:"role"`
	FailedLogins json.RawMessage `json:"failedLogins"`
	CreateDate   json.RawMessage `json:"createDate"`
	UpdateDate   json.RawMessage `json:"updateDate"`
}

// nullable is a JSON string that may be left out or null (none).
type nullable struct {
	set   bool
	value string
}

func (n *nullable) UnmarshalJSON(data []byte) error {
	var v *string
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	n.set = true
	if v != nil {
		n.value = *v
	}
	return nil
}

type userResponse struct {
	ID           string   `json:"id"` // OData's entity id: the userId
	Email        string   `json:"email"`
	Name         string   `json:"name"`
	MobilePhone  *string  `json:"mobilePhone"` // null when none
	CultureInfo  string   `json:"cultureInfo"`
	Status       string   `json:"status"`
	FailedLogins int      `json:"failedLogins"`
	Admin        bool     `json:"admin"`
	Role         string   `json:"role"`
	Applications []string `json:"applications"`
	CreateDate   string   `json:"createDate"`
	UpdateDate   string   `json:"updateDate"`
}

// newUserResponse is the entity of v as who sees it: the email and number of a user who is not the
// caller masked, as in the logs; the caller's own in full.
func newUserResponse(v auth.UserView, who auth.Session) userResponse {
	u := v.User
	if who.Client || who.UserID != u.ID {
		u.Email = mask.Email(u.Email)
		if u.Mobile != "" {
			u.Mobile = mask.Phone(u.Mobile)
		}
	}
	r := userResponse{
		ID: u.ID, Email: u.Email, Name: u.Name, CultureInfo: u.CultureInfo, Status: string(u.State()),
		FailedLogins: v.FailedLogins, Admin: u.Admin, Role: "User",
		Applications: append([]string{}, u.Applications...), // never null
		CreateDate:   u.CreateDate.UTC().Format(time.RFC3339), UpdateDate: u.UpdateDate.UTC().Format(time.RFC3339),
	}
	if u.Mobile != "" {
		r.MobilePhone = &u.Mobile
	}
	if u.Admin {
		r.Role = "Admin"
	}
	return r
}

// userSchema is auth.UserSchema with every property of the entity selectable.
var userSchema = selectable[userResponse](auth.UserSchema)

// userID is the {id} path parameter of the route.
func userID(req Request) string {
	return req.PathParameters["id"]
}

// List handles GET /odata/users, as Applications.List does /odata/Applications.
func (h *Users) List(ctx context.Context, req Request, who auth.Session) (Response, error) {
	q, err := odata.ParseRaw(req.RawQueryString, userSchema)
	if apiErr := queryError(err); apiErr != nil {
		return h.fail(ctx, req, apiErr), nil
	}
	page, err := h.users.ListPage(ctx, who, q)
	if apiErr := queryError(err); apiErr != nil { // a $skiptoken the list did not hand out
		return h.fail(ctx, req, apiErr), nil
	}
	if err != nil {
		return h.fail(ctx, req, err), nil
	}
	value := make([]any, 0, len(page.Users))
	for _, u := range page.Users {
		value = append(value, newUserResponse(u, who))
	}
	return collection(req, q, value, page.Matched, page.More, page.Next), nil
}

// Get handles GET /odata/users/{id}.
func (h *Users) Get(ctx context.Context, req Request, who auth.Session) (Response, error) {
	id := userID(req)
	if !plausibleID(id) {
		return h.fail(ctx, req, auth.ErrUserNotFound), nil
	}
	v, err := h.users.GetByID(ctx, who, id)
	if err != nil {
		return h.fail(ctx, req, err), nil
	}
	return respond(http.StatusOK, newUserResponse(v, who)), nil
}

// Me handles GET /odata/users/me: the caller's own user, its email and number in full, and a number
// waiting for its code masked.
func (h *Users) Me(ctx context.Context, req Request, who auth.Session) (Response, error) {
	v, err := h.users.Me(ctx, who)
	if err != nil {
		return h.fail(ctx, req, err), nil
	}
	return respond(http.StatusOK, newProfileResponse(v, who)), nil
}

// Create handles POST /odata/users: a Pending user without a password; nothing is sent.
func (h *Users) Create(ctx context.Context, req Request, who auth.Session) (Response, error) {
	body, apiErr := decodeUser(req)
	switch {
	case apiErr != nil:
	case body.Email == nil:
		apiErr = invalid("email is required.")
	case body.Name == nil:
		apiErr = invalid("name is required.")
	case body.Status.set && !strings.EqualFold(body.Status.value, string(auth.StatusPending)):
		apiErr = invalid("status of a new user is Pending: it is Activated when its password is set.")
	}
	if apiErr != nil {
		return h.fail(ctx, req, apiErr), nil
	}
	n := auth.NewUser{Email: *body.Email, Name: *body.Name, Mobile: body.MobilePhone.value,
		CultureInfo: body.CultureInfo.value, Admin: body.Admin.value, Applications: body.Applications.value}
	v, err := h.users.CreatePending(ctx, who, n)
	if err != nil {
		return h.fail(ctx, req, err), nil
	}
	// The entity comes back whether or not the client asked for it (OData's default for a create).
	resp := written(req, http.StatusCreated, newUserResponse(v, who))
	resp.Headers["Location"] = usersPath + "/" + v.User.ID
	return resp, nil
}

// Patch handles PATCH /odata/users/{id}: the properties given change.
func (h *Users) Patch(ctx context.Context, req Request, who auth.Session) (Response, error) {
	return h.change(ctx, req, who, "patch"), nil
}

// Put handles PUT /odata/users/{id}: every property is set, those left out to none (mobilePhone,
// cultureInfo), false (admin) or [] (applications); a status left out stays as it is.
func (h *Users) Put(ctx context.Context, req Request, who auth.Session) (Response, error) {
	return h.change(ctx, req, who, "put"), nil
}

func (h *Users) change(ctx context.Context, req Request, who auth.Session, action string) Response {
	id := userID(req)
	if !plausibleID(id) {
		return h.fail(ctx, req, auth.ErrUserNotFound)
	}
	body, apiErr := decodeUser(req)
	if apiErr == nil && action == "put" && (body.Email == nil || body.Name == nil) {
		apiErr = invalid("email and name are required.")
	}
	if apiErr != nil {
		return h.fail(ctx, req, apiErr)
	}
	p, err := userPatch(body, action == "put")
	if err != nil {
		return h.fail(ctx, req, err)
	}
	v, err := h.users.Change(ctx, who, action, id, p)
	if err == nil && prefersRepresentation(req) {
		v, err = h.users.WithFailedLogins(ctx, v) // read only for an answer that shows them
	}
	if err != nil {
		return h.fail(ctx, req, err)
	}
	return changed(req, newUserResponse(v, who))
}

// userPatch is the change a body asks for; all, for a PUT, sets every property but the status.
func userPatch(b userBody, all bool) (auth.UserPatch, error) {
	p := auth.UserPatch{Email: b.Email, Name: b.Name}
	if b.MobilePhone.set || all {
		p.Mobile = &b.MobilePhone.value
	}
	if b.CultureInfo.set || all {
		p.CultureInfo = &b.CultureInfo.value
	}
	if b.Admin.set || all {
		p.Admin = &b.Admin.value
	}
	if b.Applications.set || all {
		apps := append([]string{}, b.Applications.value...)
		p.Applications = &apps
	}
	if b.Status.set {
		st, err := auth.ParseStatus(b.Status.value)
		if err != nil {
			return p, err
		}
		p.Status = &st
	}
	return p, nil
}

// Delete handles DELETE /odata/users/{id}: 204; the user's tokens stop working, its email is free.
func (h *Users) Delete(ctx context.Context, req Request, who auth.Session) (Response, error) {
	id := userID(req)
	if !plausibleID(id) {
		return h.fail(ctx, req, auth.ErrUserNotFound), nil
	}
	if err := h.users.DeleteByID(ctx, who, id); err != nil {
		return h.fail(ctx, req, err), nil
	}
	return Response{StatusCode: http.StatusNoContent, Headers: map[string]string{"Cache-Control": "no-store"}}, nil
}

type unblockRequest struct {
	UserID *string `json:"userId"`
}

// Unblock handles POST /odata/users/unblockUser {"userId"}: 204, the user's failed passwords forgotten
// and a Blocked user Activated.
func (h *Users) Unblock(ctx context.Context, req Request, who auth.Session) (Response, error) {
	var in unblockRequest
	apiErr := decodeOData(req, &in)
	if apiErr == nil && (in.UserID == nil || *in.UserID == "") {
		apiErr = invalid("userId is required.")
	}
	if apiErr != nil {
		return h.fail(ctx, req, apiErr), nil
	}
	if !plausibleID(*in.UserID) {
		return h.fail(ctx, req, auth.ErrUserNotFound), nil
	}
	if err := h.users.Unblock(ctx, who, *in.UserID); err != nil {
		return h.fail(ctx, req, err), nil
	}
	return Response{StatusCode: http.StatusNoContent, Headers: map[string]string{"Cache-Control": "no-store"}}, nil
}

// decodeUser decodes strictly (an unknown property or a wrong type is 400) and holds the free texts
// and appIds to their bounds.
func decodeUser(req Request) (userBody, *Error) {
	var body userBody
	if apiErr := decodeOData(req, &body); apiErr != nil {
		return body, apiErr
	}
	return body, checkUserBody(body)
}

// checkUserBody holds a user's free texts and appIds to their bounds. The email has its own bound and
// rule (auth.ParseEmail), the same as at login.
func checkUserBody(body userBody) *Error {
	if apiErr := checkTexts(textProp{"name", body.Name},
		textProp{"mobilePhone", &body.MobilePhone.value}, textProp{"cultureInfo", &body.CultureInfo.value}); apiErr != nil {
		return apiErr
	}
	for _, id := range body.Applications.value {
		if !plausibleID(id) {
			return invalid("applications must hold appIds.")
		}
	}
	return nil
}

func (h *Users) fail(ctx context.Context, req Request, err error) Response {
	return fail(ctx, h.log, req.RouteKey, err)
}
