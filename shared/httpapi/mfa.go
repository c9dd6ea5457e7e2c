package httpapi

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"mfagateway/shared/auth"
)

// SecondFactors serves the caller's own second factors: GET and POST /api/auth/mfa/authenticators,
// POST /api/auth/mfa/authenticators/confirm, POST /api/auth/mfa/recoveryCodes and
// DELETE /api/auth/mfa/authenticators/OTP.
type SecondFactors struct {
	factors *auth.SecondFactors
	log     *slog.Logger
}

// NewSecondFactors returns the second-factor handler.
func NewSecondFactors(factors *auth.SecondFactors, log *slog.Logger) *SecondFactors {
	return &SecondFactors{factors: factors, log: log}
}

type secondFactorResponse struct {
	AuthenticatorCode string `json:"authenticatorCode"`
	Destination       string `json:"destination,omitempty"`
	Confirmed         bool   `json:"confirmed"`
	CreateDate        string `json:"createDate,omitempty"`
}

type secondFactorsResponse struct {
	Authenticators         []secondFactorResponse `json:"authenticators"`
	RecoveryCodesRemaining int                    `json:"recoveryCodesRemaining"`
}

// List handles GET /api/auth/mfa/authenticators: the caller's second factors, destinations masked,
// and how many unused recovery codes the caller has.
func (h *SecondFactors) List(ctx context.Context, req Request, who auth.Session) (Response, error) {
	list, err := h.factors.List(ctx, who)
	if err != nil {
		return h.fail(ctx, req, err), nil
	}
	out := secondFactorsResponse{Authenticators: []secondFactorResponse{}, RecoveryCodesRemaining: list.RecoveryCodesRemaining}
	for _, f := range list.Factors {
		r := secondFactorResponse{AuthenticatorCode: string(f.Channel), Destination: f.Destination, Confirmed: f.Confirmed}
		if !f.CreateDate.IsZero() {
			r.CreateDate = f.CreateDate.UTC().Format(time.RFC3339)
		}
		out.Authenticators = append(out.Authenticators, r)
	}
	return respond(http.StatusOK, out), nil
}

type enrolRequest struct {
	AuthenticatorCode string `json:"authenticatorCode"`
	BindingCode       string `json:"bindingCode"`
}

type enrolmentResponse struct {
	AuthenticatorCode string `json:"authenticatorCode"`
	Secret            string `json:"secret"`
	OTPAuthURI        string `json:"otpauthUri"`
	QRCode            string `json:"qrCode"`
}

// Enrol handles POST /api/auth/mfa/authenticators {"authenticatorCode": "OTP"}: 201 with the new
// authenticator app's secret, its otpauth URI and that URI as a QR code (a PNG data URI).
func (h *SecondFactors) Enrol(ctx context.Context, req Request, who auth.Session) (Response, error) {
	var in enrolRequest
	if apiErr := h.decodeOTP(req, &in, false); apiErr != nil {
		return h.fail(ctx, req, apiErr), nil
	}
	e, err := h.factors.Enrol(ctx, who)
	if err != nil {
		return h.fail(ctx, req, err), nil
	}
	return respond(http.StatusCreated, enrolmentResponse{
		AuthenticatorCode: string(auth.ChannelOTP), Secret: e.Secret, OTPAuthURI: e.URI,
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRCode),
	}), nil
}

type recoveryCodesResponse struct {
	RecoveryCodes []string `json:"recoveryCodes"`
}

// Confirm handles POST /api/auth/mfa/authenticators/confirm {"authenticatorCode": "OTP", "bindingCode"}:
// 200 with the first recovery codes, shown this once.
func (h *SecondFactors) Confirm(ctx context.Context, req Request, who auth.Session) (Response, error) {
	var in enrolRequest
	if apiErr := h.decodeOTP(req, &in, true); apiErr != nil {
		return h.fail(ctx, req, apiErr), nil
	}
	codes, err := h.factors.Confirm(ctx, who, strings.TrimSpace(in.BindingCode))
	if err != nil {
		return h.fail(ctx, req, err), nil
	}
	return respond(http.StatusOK, recoveryCodesResponse{RecoveryCodes: codes}), nil
}

type codeRequest struct {
	BindingCode string `json:"bindingCode"`
}

// RenewRecoveryCodes handles POST /api/auth/mfa/recoveryCodes {"bindingCode"} (a current code of the
// authenticator app): 200 with a fresh set of recovery codes; the old set stops working.
func (h *SecondFactors) RenewRecoveryCodes(ctx context.Context, req Request, who auth.Session) (Response, error) {
	code, apiErr := h.code(req)
	if apiErr != nil {
		return h.fail(ctx, req, apiErr), nil
	}
	codes, err := h.factors.RenewRecoveryCodes(ctx, who, code)
	if err != nil {
		return h.fail(ctx, req, err), nil
	}
	return respond(http.StatusOK, recoveryCodesResponse{RecoveryCodes: codes}), nil
}

// Remove handles DELETE /api/auth/mfa/authenticators/OTP {"bindingCode"} (a current code of the
// authenticator app, or a recovery code): 204.
func (h *SecondFactors) Remove(ctx context.Context, req Request, who auth.Session) (Response, error) {
	code, apiErr := h.code(req)
	if apiErr != nil {
		return h.fail(ctx, req, apiErr), nil
	}
	if err := h.factors.Remove(ctx, who, code); err != nil {
		return h.fail(ctx, req, err), nil
	}
	return noContent(), nil
}

// decodeOTP reads a body naming the authenticator app, with a bindingCode when withCode; the
// authenticatorCode may be left out only where a code is given.
func (h *SecondFactors) decodeOTP(req Request, in *enrolRequest, withCode bool) *Error {
	if apiErr := decode(req, in); apiErr != nil {
		return apiErr
	}
	name := strings.TrimSpace(in.AuthenticatorCode)
	switch {
	case name == "" && !withCode:
		return invalid("authenticatorCode is required: OTP.")
	case name != "" && !strings.EqualFold(name, string(auth.ChannelOTP)):
		return invalid("authenticatorCode must be OTP: a mobile number is confirmed through /odata/users/me, and the email is the login.")
	case withCode && strings.TrimSpace(in.BindingCode) == "":
		return invalid("bindingCode is required.")
	}
	return nil
}

// code reads a body of one bindingCode.
func (h *SecondFactors) code(req Request) (string, *Error) {
	var in codeRequest
	if apiErr := decode(req, &in); apiErr != nil {
		return "", apiErr
	}
	code := strings.TrimSpace(in.BindingCode)
	if code == "" {
		return "", invalid("bindingCode is required.")
	}
	return code, nil
}

func (h *SecondFactors) fail(ctx context.Context, req Request, err error) Response {
	return fail(ctx, h.log, req.RouteKey, err)
}
