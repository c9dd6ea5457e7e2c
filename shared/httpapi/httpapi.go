// Package httpapi turns API Gateway HTTP API (payload 2.0) events into domain calls and domain results
// and errors into responses; it is the only place that knows status codes.
package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"mfagateway/shared/auth"
	"mfagateway/shared/fault"
)

// MaxBodyBytes is the largest request body accepted (the contract's 16 KiB).
const MaxBodyBytes = 16 << 10

// Request and Response are the API Gateway HTTP API payload 2.0 shapes.
type (
	Request  = events.APIGatewayV2HTTPRequest
	Response = events.APIGatewayV2HTTPResponse
)

// Error is a client-facing error: a status, a stable snake_case code and one plain sentence.
type Error struct {
	Status     int
	Code       string
	Message    string
	RetryAfter int            // seconds; 0 means no Retry-After header
	Extra      map[string]any // extra body fields, such as attemptsRemaining
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func invalid(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Message: fmt.Sprintf(format, args...)}
}

// The one table from errors to answers. Anything not listed is a fault, of AWS or ours, classed by
// shared/fault: transient is 503, permanent 500; details only in the log.
func errorFor(err error) *Error {
	var (
		apiErr  *Error
		rate    *auth.RateLimitError
		codeErr *auth.CodeError
		propErr *auth.PropertyError
		missing *auth.MissingApplicationError
		weak    *auth.WeakPasswordError
	)
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.As(err, &propErr):
		return invalid("%s", propErr.Error())
	case errors.Is(err, auth.ErrInvalidCredentials):
		return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidCredentials, Message: "The email, password or application is not valid."}
	case errors.Is(err, auth.ErrSecondFactorLocked): // no Retry-After: waiting does not cure it
		return &Error{Status: http.StatusTooManyRequests, Code: CodeTooManyRequests,
			Message: "Too many wrong codes in a row: the second factor is locked until an administrator unblocks the user or the password is reset."}
	case errors.As(err, &rate):
		e := &Error{Status: http.StatusTooManyRequests, Code: CodeTooManyRequests, Message: "Too many requests; try again later."}
		if rate.RetryAfter > 0 {
			e.RetryAfter = auth.RetryAfterSeconds(rate.RetryAfter)
		} else {
			e.Message = "Too many codes were sent for this login; log in again."
		}
		return e
	case errors.Is(err, auth.ErrDeliveryFailed):
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeDeliveryFailed, Message: "The binding code could not be delivered; try again later."}
	case errors.Is(err, auth.ErrInvalidMFAToken):
		return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidMFAToken, Message: "The MFA token is not valid; log in again."}
	case errors.As(err, &codeErr):
		return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidCode, Message: "The binding code is wrong.",
			Extra: map[string]any{"attemptsRemaining": codeErr.Remaining}}
	case errors.Is(err, auth.ErrCodeExpired):
		return &Error{Status: http.StatusUnauthorized, Code: CodeExpired, Message: "The binding code has expired; ask for a new one."}
	case errors.Is(err, auth.ErrPendingMobileDropped): // before ErrTooManyAttempts, which it also is
		return &Error{Status: http.StatusTooManyRequests, Code: CodeTooManyAttempts, Message: "Too many wrong codes; the new number was dropped: set it again for a new code."}
	case errors.Is(err, auth.ErrTooManyAttempts):
		return &Error{Status: http.StatusTooManyRequests, Code: CodeTooManyAttempts, Message: "Too many wrong codes; log in again."}
	case errors.Is(err, auth.ErrNoPendingMobile):
		return invalid("No mobile number waits for a code: set mobilePhone first.")
	case errors.Is(err, auth.ErrChannelMismatch):
		return invalid("authenticatorCode is not the channel the code was sent by.")
	case errors.As(err, &weak):
		return &Error{Status: http.StatusBadRequest, Code: CodeWeakPassword, Message: "The password is " + weak.Reason + "."}
	case errors.Is(err, auth.ErrChannelUnavailable):
		return &Error{Status: http.StatusBadRequest, Code: CodeChannelUnavailable, Message: "The user has no address on the channel asked for; ask for another authenticator."}
	case errors.Is(err, auth.ErrInvalidToken):
		return invalidToken()
	case errors.Is(err, auth.ErrInvalidTicket):
		return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidTicket, Message: "The ticket is not valid: it is unknown, used, replaced by a newer one or expired."}
	case errors.Is(err, auth.ErrUserBlocked):
		return &Error{Status: http.StatusConflict, Code: CodeConflict, Message: "The user is blocked; unblock it first."}
	case errors.Is(err, auth.ErrReauthenticationRequired):
		return &Error{Status: http.StatusForbidden, Code: CodeReauthentication, Message: "This change needs a recent login; log in again and retry within 10 minutes."}
	case errors.Is(err, auth.ErrNoAuthenticatorApp): // before ErrNotFound, which it also is
		return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "No authenticator app is enrolled (or none is confirmed, where that is needed)."}
	case errors.Is(err, auth.ErrAuthenticatorAppConfirmed): // before ErrConflict, which it also is
		return &Error{Status: http.StatusConflict, Code: CodeConflict, Message: "An authenticator app is confirmed already; remove it first."}
	case errors.Is(err, auth.ErrForbidden):
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden, Message: "The caller may not do this."}
	case errors.As(err, &missing): // before ErrNotFound, which it also is: the request named it, not the path
		return invalid("applications names %q, which no application has.", missing.ID)
	case errors.Is(err, auth.ErrUserNotFound):
		return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "No such user."}
	case errors.Is(err, auth.ErrUserExists):
		return &Error{Status: http.StatusConflict, Code: CodeConflict, Message: "Another user already has this email."}
	case errors.Is(err, auth.ErrInvalidEmail):
		return invalid("email must be an email address.")
	case errors.Is(err, auth.ErrInvalidMobile):
		return invalid("mobilePhone must be a mobile number, such as +31612345678.")
	case errors.Is(err, auth.ErrNameRequired):
		return invalid("name is required.")
	case errors.Is(err, auth.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "No such application."}
	case errors.Is(err, auth.ErrURLTaken):
		return &Error{Status: http.StatusConflict, Code: CodeConflict, Message: "Another application already has this url."}
	case errors.Is(err, auth.ErrConflict):
		return &Error{Status: http.StatusConflict, Code: CodeConflict, Message: "It changed meanwhile; try again."}
	}
	if transient, _ := fault.Classify(err); transient {
		// AWS throttled, failed or timed out after the SDK's retries: nothing the client did, and worth a retry.
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: "The service is busy; try again.", RetryAfter: 1}
	}
	// A permanent AWS fault (missing table, access denied, a request AWS refuses) or our own bug:
	// retrying will not help, someone has to fix it.
	return internal()
}

func internal() *Error {
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "Something went wrong on our side; try again."}
}

// answerMargin is kept back from the function's deadline so that a request slowed by AWS faults still
// gets a clear 503 instead of being cut off by the Lambda timeout.
const answerMargin = 750 * time.Millisecond

// withBudget shortens ctx to end answerMargin before its deadline, when it has one.
func withBudget(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, dl.Add(-answerMargin))
	}
	return context.WithCancel(ctx)
}

// Handler serves the public auth routes.
type Handler struct {
	svc *auth.Service
	log *slog.Logger
}

// New returns a handler over the service.
func New(svc *auth.Service, log *slog.Logger) *Handler {
	return &Handler{svc: svc, log: log}
}

// Header returns a request header by case-insensitive name (API Gateway lower-cases them; other callers may not).
func Header(req Request, name string) string {
	if v, ok := req.Headers[name]; ok {
		return v
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// bodyBytes returns the decoded request body, refusing one over MaxBodyBytes.
func bodyBytes(req Request) ([]byte, *Error) {
	tooLarge := &Error{Status: http.StatusRequestEntityTooLarge, Code: CodePayloadTooLarge,
		Message: fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyBytes)}
	if !req.IsBase64Encoded {
		if len(req.Body) > MaxBodyBytes {
			return nil, tooLarge
		}
		return []byte(req.Body), nil
	}
	if base64.StdEncoding.DecodedLen(len(req.Body)) > MaxBodyBytes+3 {
		return nil, tooLarge
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, invalid("The request body is not valid base64.")
	}
	if len(b) > MaxBodyBytes {
		return nil, tooLarge
	}
	return b, nil
}

// decode reads the body as one JSON object into dst, ignoring unknown properties (the rule of the /api
// routes); errors name the property where they can.
func decode(req Request, dst any) *Error {
	return decodeBody(req, dst, false)
}

// decodeBody is decode, or with odata the /odata routes' rule: an unknown property is refused, except
// that OData annotations are ignored (withoutAnnotations). A name given twice is refused either way,
// looked for in the body as sent.
func decodeBody(req Request, dst any, odata bool) *Error {
	b, apiErr := bodyBytes(req)
	if apiErr != nil {
		return apiErr
	}
	in := b
	if odata {
		in = withoutAnnotations(b)
	}
	dec := json.NewDecoder(bytes.NewReader(in))
	if odata {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if apiErr := trailing(dec); apiErr != nil {
		return apiErr
	}
	return ambiguousName(b)
}

// jsonError explains a decoding failure, naming the property where there is one.
func jsonError(err error) *Error {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return invalid("The request body is required.")
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return invalid("The request body must be a JSON object.")
		}
		kind := typeErr.Type.Kind().String()
		if typeErr.Type.Kind() == reflect.Pointer {
			kind = typeErr.Type.Elem().Kind().String()
		}
		if kind == "slice" { // every list of the bodies is a list of strings
			kind = "list of strings"
		}
		return invalid("%s must be a %s.", typeErr.Field, strings.Replace(kind, "bool", "boolean", 1))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return invalid("Unknown property %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return invalid("The request body is not valid JSON.")
}

// trailing refuses anything after the one JSON value of a body.
func trailing(dec *json.Decoder) *Error {
	if _, err := dec.Token(); err != io.EOF {
		return invalid("The request body must hold one JSON object and nothing after it.")
	}
	return nil
}

// respond encodes a body. It ends with a newline, so that the answer reads well in a terminal.
func respond(status int, v any) Response {
	b, err := json.Marshal(v)
	if err != nil { // only our own types are encoded here, so this is unreachable in practice
		e := internal()
		status = e.Status
		b, _ = json.Marshal(map[string]string{"code": e.Code, "message": e.Message})
	}
	return Response{StatusCode: status, Headers: jsonHeaders(), Body: string(b) + "\n"}
}

func jsonHeaders() map[string]string {
	return map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"}
}

// fail answers an error in the error format of the request's row (formatIn), and logs it: a 5xx of ours at ERROR with its class, AWS code and text (AWS's
// message withheld); a request refused before reaching the domain (which logs its own decisions) by
// its code.
func fail(ctx context.Context, log *slog.Logger, rt string, err error) Response {
	e := errorFor(err)
	var apiErr *Error
	switch {
	case e.Status >= 500 && e.Code != CodeDeliveryFailed:
		// The AWS message stays out: it may name the table or hold an item's contents.
		transient, awsCode := fault.Classify(err)
		log.ErrorContext(ctx, "request failed", "route", rt, "status", e.Status, "code", e.Code,
			"transient", transient, "awsCode", awsCode, "error", fault.Text(err))
	case errors.As(err, &apiErr):
		log.InfoContext(ctx, "request refused", "route", rt, "status", e.Status, "code", e.Code)
	}
	return formatIn(ctx).response(e)
}

// ErrorResponse renders an Error as the {"code", "message", ...} body of the /api routes; see
// Route.ErrorResponse for a row's own format.
func ErrorResponse(e *Error) Response {
	return plainErrors.response(e)
}

// NotFound is the answer for an /api route this function does not serve; see NotFoundAt.
func NotFound() Response {
	return plainErrors.response(noRoute())
}
