package httpapi

// The codes of error answers ({"code": ..., "message": ...}). Clients branch on them, so a code once
// published keeps its spelling. Every code the module writes is one of these: codes_test.go parses the
// module's sources and fails on a code written any other way, and on a code nothing writes.
const (
	CodeInvalidRequest      = "invalid_request"           // 400: the body or a parameter is malformed
	CodeApplicationRequired = "application_required"      // 400: neither an appId header nor a url property
	CodeChannelUnavailable  = "channel_unavailable"       // 400: a resend names a channel the user has no address on
	CodeWeakPassword        = "weak_password"             // 400: the new password breaks the password policy; the message says why
	CodeInvalidCredentials  = "invalid_credentials"       // 401: email, password or application not valid
	CodeInvalidMFAToken     = "invalid_mfa_token"         // 401: the MFA token is unknown, used or expired
	CodeInvalidCode         = "invalid_code"              // 401: a wrong binding code, with attemptsRemaining
	CodeExpired             = "code_expired"              // 401: the binding code has expired
	CodeInvalidToken        = "invalid_token"             // 401: the auth token is missing, expired or revoked
	CodeInvalidTicket       = "invalid_ticket"            // 401: the invitation or reset ticket is unknown, used or expired
	CodeForbidden           = "forbidden"                 // 403: the caller may not do this
	CodeReauthentication    = "reauthentication_required" // 403: the change wants a token from a recent login
	CodeNotFound            = "not_found"                 // 404: no such route or entity
	CodeConflict            = "conflict"                  // 409: the change collides with another
	CodePayloadTooLarge     = "payload_too_large"         // 413: the body is over MaxBodyBytes
	CodeTooManyRequests     = "too_many_requests"         // 429: throttled, with Retry-After when waiting cures it
	CodeTooManyAttempts     = "too_many_attempts"         // 429: the challenge's wrong codes are used up
	CodeInternal            = "internal"                  // 500: our fault, or a permanent AWS fault
	CodeDeliveryFailed      = "delivery_failed"           // 503: no channel could deliver the binding code
	CodeUnavailable         = "unavailable"               // 503: a transient AWS fault, with Retry-After
)

// Codes lists every error code, for checks that the documentation names them all.
func Codes() []string {
	return []string{
		CodeInvalidRequest, CodeApplicationRequired, CodeChannelUnavailable, CodeWeakPassword, CodeInvalidCredentials, CodeInvalidMFAToken,
		CodeInvalidCode, CodeExpired, CodeInvalidToken, CodeInvalidTicket, CodeForbidden, CodeReauthentication, CodeNotFound, CodeConflict,
		CodePayloadTooLarge, CodeTooManyRequests, CodeTooManyAttempts, CodeInternal, CodeDeliveryFailed,
		CodeUnavailable,
	}
}
