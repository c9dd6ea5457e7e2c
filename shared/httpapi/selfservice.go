package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"mfagateway/shared/auth"
	"mfagateway/shared/mask"
)

// profileResponse is the entity of the caller's own user (/odata/users/me), with the number that waits
// for its code: masked, since nobody has shown yet that it is the user's, and left out when none.
type profileResponse struct {
	userResponse
	PendingMobilePhone string `json:"pendingMobilePhone,omitempty"`
}

func newProfileResponse(v auth.UserView, who auth.Session) profileResponse {
	r := profileResponse{userResponse: newUserResponse(v, who)}
	if n := v.User.PendingMobile.Number; n != "" {
		r.PendingMobilePhone = mask.Phone(n)
	}
	return r
}

// meBody is a PATCH of the caller's own user: a user entity, whose pendingMobilePhone, as GET shows
// it, is read-only like the other properties the user cannot set.
type meBody struct {
	userBody
	PendingMobilePhone json.RawMessage `json:"pendingMobilePhone"`
}

// PatchMe handles PATCH /odata/users/me: name, cultureInfo and mobilePhone change; a new mobilePhone
// waits for the code sent to it (ConfirmMobile). email, status, admin and applications may be sent
// only as they are.
func (h *Users) PatchMe(ctx context.Context, req Request, who auth.Session) (Response, error) {
	var body meBody
	apiErr := decodeOData(req, &body)
	if apiErr == nil {
		apiErr = checkUserBody(body.userBody)
	}
	if apiErr != nil {
		return h.fail(ctx, req, apiErr), nil
	}
	p, err := userPatch(body.userBody, false)
	if err != nil {
		return h.fail(ctx, req, err), nil
	}
	v, err := h.users.ChangeMe(ctx, who, p)
	if err == nil && prefersRepresentation(req) {
		v, err = h.users.WithFailedLogins(ctx, v)
	}
	if err != nil {
		return h.fail(ctx, req, err), nil
	}
	return changed(req, newProfileResponse(v, who)), nil
}

type confirmMobileRequest struct {
	BindingCode *string `json:"bindingCode"`
}

// ConfirmMobile handles POST /odata/users/me/confirmMobile {"bindingCode"}: 204, and the number that
// waited for the code is the caller's mobile number.
func (h *Users) ConfirmMobile(ctx context.Context, req Request, who auth.Session) (Response, error) {
	var in confirmMobileRequest
	apiErr := decodeOData(req, &in)
	if apiErr == nil && (in.BindingCode == nil || strings.TrimSpace(*in.BindingCode) == "") {
		apiErr = invalid("bindingCode is required.")
	}
	if apiErr != nil {
		return h.fail(ctx, req, apiErr), nil
	}
	if err := h.users.ConfirmMobile(ctx, who, strings.TrimSpace(*in.BindingCode)); err != nil {
		return h.fail(ctx, req, err), nil
	}
	return Response{StatusCode: http.StatusNoContent, Headers: map[string]string{"Cache-Control": "no-store"}}, nil
}
