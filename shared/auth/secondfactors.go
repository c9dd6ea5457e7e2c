package auth

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"mfagateway/shared/mask"
)

// A user's own second factors (/api/auth/mfa/...): the list of them, and the authenticator app with
// its recovery codes, enrolled, confirmed, renewed and removed by the user; an operator may remove the
// app or make new recovery codes (the admin CLI). The SMS and email channels are the user's mobile
// number and email, changed through the profile.

// ReauthenticationWindow is how recent the login of a token must be to enrol an authenticator app: a
// token left open somewhere cannot add a second factor to someone else's account.
const ReauthenticationWindow = 10 * time.Minute

// Wrong codes on the authenticator app's own routes (confirm, new recovery codes, removal) are counted
// per user: appMaxTries in appTriesWindow from the first of them, then none until the window ends.
const (
	appMaxTries    = 5
	appTriesWindow = 15 * time.Minute
)

// Errors of the second factors.
var (
	// ErrReauthenticationRequired is a change that wants a token issued within ReauthenticationWindow.
	ErrReauthenticationRequired = errors.New("the token's login is too old for this change")
	// ErrNoAuthenticatorApp is a change of an authenticator app the user does not have (confirmed,
	// where the change needs a confirmed one).
	ErrNoAuthenticatorApp = fmt.Errorf("no authenticator app: %w", ErrNotFound)
	// ErrAuthenticatorAppConfirmed is an enrolment or a confirmation while the user has a confirmed
	// authenticator app: it must be removed first.
	ErrAuthenticatorAppConfirmed = fmt.Errorf("an authenticator app is confirmed already: %w", ErrConflict)
)

// AuthenticatorApp is a user's authenticator app as the table keeps it.
type AuthenticatorApp struct {
	UserID     string
	Secret     string // sealed under the server secret (never the base32 secret itself)
	Confirmed  bool   // a code of it came back; only then do logins ask for its codes
	CreateDate time.Time
	// LastStep is the latest time step whose code was accepted; a code of it or of an earlier step is
	// never accepted again. Zero before any.
	LastStep int64
	Recovery []string // the hex HMAC of each unused recovery code
	// Tries are the wrong codes on the app's own routes since TriesSince; zero for none.
	Tries      int
	TriesSince time.Time
}

// AppProof is what a removal of an authenticator app was shown: a code of it (the time step it was
// of) or a recovery code (its HMAC). The zero AppProof is an operator's removal, which needs none.
type AppProof struct {
	Step         int64
	RecoveryHash string
}

// SecondFactorRecord is what the second-factor routes read at once: the user (nil when gone), its
// authenticator app (nil when none) and the application of the session (nil when not asked or gone).
type SecondFactorRecord struct {
	User        *User
	App         *AuthenticatorApp
	Application *Application
}

// SecondFactorStore is the persistence of the second factors. Every method is one round trip.
type SecondFactorStore interface {
	// SecondFactors reads the user userID, its authenticator app and, when appID is not empty, that
	// application, together.
	SecondFactors(ctx context.Context, userID, appID string) (SecondFactorRecord, error)
	// GetUser reads a user by normalised email (ErrNotFound when absent).
	GetUser(ctx context.Context, email string) (User, error)
	// PutAuthenticatorApp stores a, an unconfirmed app, in place of the user's unconfirmed one if any
	// (ErrAuthenticatorAppConfirmed when the user has a confirmed one).
	PutAuthenticatorApp(ctx context.Context, a AuthenticatorApp) error
	// CountAppTry uses one try of the user's authenticator app before its code is compared, and
	// returns the app as written: fewer than maxTries since since, or the first after it. Errors:
	// ErrNoAuthenticatorApp, and ErrAttemptsExhausted with the app as stored (its TriesSince tells when
	// the tries come back).
	CountAppTry(ctx context.Context, userID string, now, since time.Time, maxTries int) (AuthenticatorApp, error)
	// ConfirmAuthenticatorApp marks a confirmed, with step its last accepted step and recovery its
	// recovery codes' HMACs, forgets its tries, and writes u, its user as read, with a's sealed secret
	// (User.OTP), in one transaction; a must still be as read and unconfirmed (ErrConflict,
	// ErrNoAuthenticatorApp when gone, ErrStepUsed when step is not past its last one), and u as
	// stored (ErrConflict).
	ConfirmAuthenticatorApp(ctx context.Context, a AuthenticatorApp, u User, step int64, recovery []string) error
	// ReplaceRecoveryCodes replaces a's recovery codes by recovery and forgets its tries; with a step
	// (not zero) that step becomes its last accepted one and must be past it (ErrStepUsed). a must
	// still be confirmed under the same secret (ErrConflict, ErrNoAuthenticatorApp when gone).
	ReplaceRecoveryCodes(ctx context.Context, a AuthenticatorApp, step int64, recovery []string) error
	// RemoveAuthenticatorApp deletes a and writes u, its user as read, without a sealed secret, in one
	// transaction, provided a is still the app of that secret (ErrConflict, ErrNoAuthenticatorApp when
	// gone), u as stored (ErrConflict) and proof still holds: its step past the last accepted one
	// (ErrStepUsed), its recovery code unused (ErrRecoveryCodeUnknown).
	RemoveAuthenticatorApp(ctx context.Context, a AuthenticatorApp, u User, proof AppProof) error
}

// SecondFactors runs the user's own second-factor routes over the login service (its keys, clock,
// randomness and log) and the store.
type SecondFactors struct {
	svc      *Service
	store    SecondFactorStore
	notifier *Notifier
	qr       func(text string) ([]byte, error)
}

// NewSecondFactors returns the second-factor service. qr draws a QR code as a PNG image (the enrolment
// shows its otpauth URI so); notifier may be nil (nothing is notified).
func NewSecondFactors(svc *Service, store SecondFactorStore, notifier *Notifier, qr func(text string) ([]byte, error)) *SecondFactors {
	return &SecondFactors{svc: svc, store: store, notifier: notifier, qr: qr}
}

// SecondFactor is one of a user's second factors.
type SecondFactor struct {
	Channel     Channel
	Destination string // masked; empty for the authenticator app
	Confirmed   bool
	CreateDate  time.Time // of the authenticator app; zero for the others
}

// SecondFactorList is a user's second factors and how many unused recovery codes the user has.
type SecondFactorList struct {
	Factors                []SecondFactor
	RecoveryCodesRemaining int
}

// Enrolment is a new, unconfirmed authenticator app as the user is shown it, once.
type Enrolment struct {
	Secret string // base32, for typing in
	URI    string // otpauth://totp/...
	QRCode []byte // PNG of URI
}

func (f *SecondFactors) now() time.Time { return f.svc.Clock().UTC() }

func (f *SecondFactors) log() *slog.Logger { return f.svc.Log }

// own refuses a session that is no user.
func (f *SecondFactors) own(ctx context.Context, who Session, action string) error {
	if who.Client || who.UserID == "" {
		f.refused(ctx, who, action, "forbidden", "reason", "no user")
		return ErrForbidden
	}
	return nil
}

// recent refuses a session whose token was issued more than ReauthenticationWindow ago.
func (f *SecondFactors) recent(ctx context.Context, who Session, action string, now time.Time) error {
	if who.IssuedAt.IsZero() || now.Sub(who.IssuedAt) > ReauthenticationWindow {
		f.refused(ctx, who, action, "reauthentication_required", "tokenAge", seconds(now.Sub(who.IssuedAt)))
		return ErrReauthenticationRequired
	}
	return nil
}

// List is the session user's second factors: the mobile number (a number waiting for its code as an
// unconfirmed one), the email, and the authenticator app, each with whether it is confirmed.
func (f *SecondFactors) List(ctx context.Context, who Session) (SecondFactorList, error) {
	if err := f.own(ctx, who, "list"); err != nil {
		return SecondFactorList{}, err
	}
	rec, err := f.record(ctx, who)
	if err != nil {
		return SecondFactorList{}, err
	}
	u := rec.User
	var list SecondFactorList
	if u.Mobile != "" {
		list.Factors = append(list.Factors, SecondFactor{Channel: ChannelSMS, Destination: mask.Phone(u.Mobile), Confirmed: true})
	}
	if n := u.PendingMobile.Number; n != "" {
		list.Factors = append(list.Factors, SecondFactor{Channel: ChannelSMS, Destination: mask.Phone(n)})
	}
	list.Factors = append(list.Factors, SecondFactor{Channel: ChannelEmail, Destination: mask.Email(u.Email), Confirmed: true})
	if a := rec.App; a != nil {
		list.Factors = append(list.Factors, SecondFactor{Channel: ChannelOTP, Confirmed: a.Confirmed, CreateDate: a.CreateDate})
		if a.Confirmed {
			list.RecoveryCodesRemaining = len(a.Recovery)
		}
	}
	return list, nil
}

// Enrol starts an authenticator app for the session user: a new secret, sealed and stored
// unconfirmed (in place of an unconfirmed one), shown once as text, otpauth URI and QR code. Logins
// ask for its codes only once Confirm has seen one. It needs a recent login
// (ErrReauthenticationRequired); with a confirmed app it is ErrAuthenticatorAppConfirmed.
func (f *SecondFactors) Enrol(ctx context.Context, who Session) (Enrolment, error) {
	const action = "enrol"
	now := f.now()
	if err := f.own(ctx, who, action); err != nil {
		return Enrolment{}, err
	}
	if err := f.recent(ctx, who, action, now); err != nil {
		return Enrolment{}, err
	}
	rec, err := f.record(ctx, who)
	if err != nil {
		return Enrolment{}, err
	}
	app := AuthenticatorApp{UserID: who.UserID, CreateDate: now.Truncate(time.Second)}
	if old := rec.App; old != nil {
		if old.Confirmed {
			f.refused(ctx, who, action, "conflict", "reason", "confirmed already")
			return Enrolment{}, ErrAuthenticatorAppConfirmed
		}
		app.Tries, app.TriesSince = old.Tries, old.TriesSince // a new secret gives no new tries
	}
	secret, err := newOTPSecret(f.svc.Random)
	if err != nil {
		return Enrolment{}, err
	}
	if app.Secret, err = f.svc.otpKeys.sealSecret(f.svc.Random, who.UserID, secret); err != nil {
		return Enrolment{}, err
	}
	issuer := "MFA gateway"
	if rec.Application != nil {
		issuer = rec.Application.Name
	}
	uri := OTPAuthURI(issuer, rec.User.Email, secret)
	png, err := f.qr(uri)
	if err != nil {
		return Enrolment{}, fmt.Errorf("QR code: %w", err)
	}
	if err := f.store.PutAuthenticatorApp(ctx, app); err != nil {
		if errors.Is(err, ErrAuthenticatorAppConfirmed) {
			f.refused(ctx, who, action, "conflict", "reason", "confirmed meanwhile")
		}
		return Enrolment{}, err
	}
	f.decided(ctx, who, action, "enrolled")
	return Enrolment{Secret: secret, URI: uri, QRCode: png}, nil
}

// OTPAuthURI is the Key URI an authenticator app reads: otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&digits=6&period=30.
// A colon, which separates the label's two parts, is left out of the issuer.
func OTPAuthURI(issuer, account, secret string) string {
	issuer = strings.TrimSpace(strings.ReplaceAll(issuer, ":", ""))
	query := "secret=" + secret + "&issuer=" + strings.ReplaceAll(url.QueryEscape(issuer), "+", "%20") +
		fmt.Sprintf("&digits=%d&period=%d", codeDigits, otpPeriod/time.Second)
	return "otpauth://totp/" + url.PathEscape(issuer) + ":" + url.PathEscape(account) + "?" + query
}

// Confirm confirms the session user's unconfirmed authenticator app by a current code of it: logins
// ask for its codes from then on, and the user gets a first set of recovery codes (returned, shown
// once) and an email. It needs a recent login. The try is counted before the code is compared; a
// wrong code is a *CodeError, and past the tries a *RateLimitError.
func (f *SecondFactors) Confirm(ctx context.Context, who Session, code string) ([]string, error) {
	const action = "confirm"
	now := f.now()
	if err := f.own(ctx, who, action); err != nil {
		return nil, err
	}
	if err := f.recent(ctx, who, action, now); err != nil {
		return nil, err
	}
	rec, err := f.record(ctx, who)
	if err != nil {
		return nil, err
	}
	app, proof, err := f.checkCode(ctx, who, action, code, now, false)
	if err != nil {
		return nil, err
	}
	if app.Confirmed {
		f.refused(ctx, who, action, "conflict", "reason", "confirmed already")
		return nil, ErrAuthenticatorAppConfirmed
	}
	codes, hashes, err := f.svc.otpKeys.newRecoveryCodes(f.svc.Random, who.UserID)
	if err != nil {
		return nil, err
	}
	if err := f.store.ConfirmAuthenticatorApp(ctx, app, *rec.User, proof.Step, hashes); err != nil {
		return nil, f.writeRefused(ctx, who, action, app, err)
	}
	f.decided(ctx, who, action, "confirmed")
	f.notify(ctx, rec, NoticeAuthenticatorAdded)
	return codes, nil
}

// RenewRecoveryCodes gives the session user a fresh set of recovery codes for a current code of the
// confirmed authenticator app; the old set stops working in the same write.
func (f *SecondFactors) RenewRecoveryCodes(ctx context.Context, who Session, code string) ([]string, error) {
	const action = "renew_recovery_codes"
	now := f.now()
	if err := f.own(ctx, who, action); err != nil {
		return nil, err
	}
	app, proof, err := f.checkCode(ctx, who, action, code, now, false)
	if err != nil {
		return nil, err
	}
	if !app.Confirmed {
		f.refused(ctx, who, action, "no_authenticator_app", "reason", "not confirmed")
		return nil, ErrNoAuthenticatorApp
	}
	codes, hashes, err := f.svc.otpKeys.newRecoveryCodes(f.svc.Random, who.UserID)
	if err != nil {
		return nil, err
	}
	if err := f.store.ReplaceRecoveryCodes(ctx, app, proof.Step, hashes); err != nil {
		return nil, f.writeRefused(ctx, who, action, app, err)
	}
	f.decided(ctx, who, action, "renewed")
	return codes, nil
}

// Remove removes the session user's authenticator app, and its recovery codes with it, for a current
// code of it or one of its recovery codes; the user is told by email. Logins go back to SMS or email.
func (f *SecondFactors) Remove(ctx context.Context, who Session, code string) error {
	const action = "remove"
	now := f.now()
	if err := f.own(ctx, who, action); err != nil {
		return err
	}
	rec, err := f.record(ctx, who)
	if err != nil {
		return err
	}
	app, proof, err := f.checkCode(ctx, who, action, code, now, true)
	if err != nil {
		return err
	}
	if err := f.store.RemoveAuthenticatorApp(ctx, app, *rec.User, proof); err != nil {
		return f.writeRefused(ctx, who, action, app, err)
	}
	f.decided(ctx, who, action, "removed", "by", proofName(proof))
	f.notify(ctx, rec, NoticeAuthenticatorRemoved)
	return nil
}

func proofName(p AppProof) string {
	if p.RecoveryHash != "" {
		return "recovery_code"
	}
	return "otp"
}

// checkCode counts a try of the session user's authenticator app, then compares code with it: a
// current code of it (its time step past the last accepted one), or, where recovery is allowed and
// the app is confirmed, one of its unused recovery codes. A code of neither shape is a *PropertyError
// and costs no try.
func (f *SecondFactors) checkCode(ctx context.Context, who Session, action, code string, now time.Time, recovery bool) (AuthenticatorApp, AppProof, error) {
	code = strings.TrimSpace(code)
	norm, isRecovery := NormalizeRecoveryCode(code)
	switch {
	case isBindingCode(code):
	case recovery && isRecovery:
	case recovery:
		return AuthenticatorApp{}, AppProof{}, &PropertyError{"bindingCode", fmt.Sprintf("must be %d digits or a recovery code.", codeDigits)}
	default:
		return AuthenticatorApp{}, AppProof{}, &PropertyError{"bindingCode", fmt.Sprintf("must be %d digits.", codeDigits)}
	}
	app, err := f.store.CountAppTry(ctx, who.UserID, now, now.Add(-appTriesWindow), appMaxTries)
	switch {
	case errors.Is(err, ErrNoAuthenticatorApp):
		f.refused(ctx, who, action, "no_authenticator_app")
		return app, AppProof{}, err
	case errors.Is(err, ErrAttemptsExhausted):
		wait := app.TriesSince.Add(appTriesWindow).Sub(now)
		f.refused(ctx, who, action, "too_many_tries", "retryAfter", seconds(wait))
		return app, AppProof{}, &RateLimitError{Reason: "wrong authenticator app codes", RetryAfter: max(wait, time.Second)}
	case err != nil:
		return app, AppProof{}, fmt.Errorf("count authenticator app try: %w", err)
	}
	remaining := max(appMaxTries-app.Tries, 0)
	if isRecovery && !isBindingCode(code) {
		for _, h := range f.svc.otpKeys.recoveryHashes(who.UserID, norm) {
			if app.Confirmed && containsHash(app.Recovery, h) {
				return app, AppProof{RecoveryHash: h}, nil
			}
		}
		f.refused(ctx, who, action, "invalid_code", "reason", "not an unused recovery code", "attemptsRemaining", remaining)
		return app, AppProof{}, &CodeError{Remaining: remaining}
	}
	secret, err := f.svc.otpKeys.openSecret(who.UserID, app.Secret)
	if err != nil {
		return app, AppProof{}, fmt.Errorf("authenticator app secret: %w", err)
	}
	step, ok := matchOTP(secret, code, now, app.LastStep)
	if !ok {
		f.refused(ctx, who, action, "invalid_code", "attemptsRemaining", remaining)
		return app, AppProof{}, &CodeError{Remaining: remaining}
	}
	return app, AppProof{Step: step}, nil
}

// containsHash reports whether hashes holds h, comparing each in constant time.
func containsHash(hashes []string, h string) bool {
	found := false
	for _, x := range hashes {
		if hmac.Equal([]byte(x), []byte(h)) {
			found = true
		}
	}
	return found
}

// writeRefused logs a write of the app that the store refused and returns the answer: a step or a
// recovery code that another request used meanwhile is a wrong code.
func (f *SecondFactors) writeRefused(ctx context.Context, who Session, action string, app AuthenticatorApp, err error) error {
	remaining := max(appMaxTries-app.Tries, 0)
	switch {
	case errors.Is(err, ErrStepUsed), errors.Is(err, ErrRecoveryCodeUnknown):
		f.refused(ctx, who, action, "invalid_code", "reason", "used meanwhile", "attemptsRemaining", remaining)
		return &CodeError{Remaining: remaining}
	case errors.Is(err, ErrNoAuthenticatorApp):
		f.refused(ctx, who, action, "no_authenticator_app", "reason", "removed meanwhile")
		return err
	case errors.Is(err, ErrConflict):
		f.refused(ctx, who, action, "conflict")
		return err
	}
	return fmt.Errorf("%s authenticator app: %w", action, err)
}

// RemoveFor removes the authenticator app of the user with the email, for an operator (an admin),
// without a code; it reports whether there was one. The user is told by email.
func (f *SecondFactors) RemoveFor(ctx context.Context, who Session, email string) (bool, error) {
	u, app, err := f.appOf(ctx, who, "operator_remove", email)
	if err != nil || app == nil {
		return false, err
	}
	if err := f.store.RemoveAuthenticatorApp(ctx, *app, u, AppProof{}); err != nil {
		return false, fmt.Errorf("remove authenticator app: %w", err)
	}
	f.logUser(ctx, "authenticator app removed", who, "operator_remove", "removed", u)
	f.notify(ctx, SecondFactorRecord{User: &u}, NoticeAuthenticatorRemoved)
	return true, nil
}

// ConfirmFor gives the user with the email a confirmed authenticator app of secret (base32), for an
// operator (an admin) loading users from a seed: without recovery codes, and only where the user has
// no confirmed app (ErrAuthenticatorAppConfirmed). A secret shorter than 128 bits, or not base32, is a
// *PropertyError.
func (f *SecondFactors) ConfirmFor(ctx context.Context, who Session, email, secret string) error {
	const action = "operator_confirm"
	norm, err := CheckOTPSecret(secret)
	if err != nil {
		return err
	}
	u, old, err := f.appOf(ctx, who, action, email)
	if err != nil {
		return err
	}
	if old != nil && old.Confirmed {
		return ErrAuthenticatorAppConfirmed
	}
	app := AuthenticatorApp{UserID: u.ID, CreateDate: f.now().Truncate(time.Second)}
	if app.Secret, err = f.svc.otpKeys.sealSecret(f.svc.Random, u.ID, norm); err != nil {
		return err
	}
	if err := f.store.PutAuthenticatorApp(ctx, app); err != nil {
		return err
	}
	if err := f.store.ConfirmAuthenticatorApp(ctx, app, u, 0, nil); err != nil {
		return fmt.Errorf("confirm authenticator app: %w", err)
	}
	f.logUser(ctx, "authenticator app confirmed", who, action, "confirmed", u)
	return nil
}

// CheckOTPSecret reads an authenticator app's secret as an operator gives it: base32 in any case,
// spaces and padding ignored, at least 128 bits (RFC 4226). It returns the secret upper-cased without
// padding.
func CheckOTPSecret(raw string) (string, error) {
	s := strings.ToUpper(strings.NewReplacer(" ", "", "=", "").Replace(strings.TrimSpace(raw)))
	b, err := otpEncoding.DecodeString(s)
	switch {
	case err != nil:
		return "", &PropertyError{"totpSecret", "must be base32 (A-Z and 2-7)."}
	case len(b) < 16:
		return "", &PropertyError{"totpSecret", fmt.Sprintf("must hold at least 128 bits (26 base32 characters), not %d.", len(b)*8)}
	}
	return s, nil
}

// ResetRecoveryCodesFor gives the user with the email a fresh set of recovery codes, for an operator
// (an admin), and returns them to be handed over once; the old set stops working.
// ErrNoAuthenticatorApp when the user has no confirmed authenticator app.
func (f *SecondFactors) ResetRecoveryCodesFor(ctx context.Context, who Session, email string) ([]string, error) {
	const action = "operator_reset_recovery_codes"
	u, app, err := f.appOf(ctx, who, action, email)
	if err != nil {
		return nil, err
	}
	if app == nil || !app.Confirmed {
		return nil, ErrNoAuthenticatorApp
	}
	codes, hashes, err := f.svc.otpKeys.newRecoveryCodes(f.svc.Random, u.ID)
	if err != nil {
		return nil, err
	}
	if err := f.store.ReplaceRecoveryCodes(ctx, *app, 0, hashes); err != nil {
		return nil, fmt.Errorf("reset recovery codes: %w", err)
	}
	f.logUser(ctx, "recovery codes reset", who, action, "renewed", u)
	return codes, nil
}

// appOf reads the user with the email and its authenticator app, for an admin.
func (f *SecondFactors) appOf(ctx context.Context, who Session, action, email string) (User, *AuthenticatorApp, error) {
	if !who.Admin || who.Client {
		f.refused(ctx, who, action, "forbidden", "reason", "not an admin")
		return User{}, nil, ErrForbidden
	}
	u, err := f.store.GetUser(ctx, NormalizeEmail(email))
	if errors.Is(err, ErrNotFound) {
		return User{}, nil, ErrUserNotFound
	}
	if err != nil {
		return User{}, nil, fmt.Errorf("read user: %w", err)
	}
	rec, err := f.store.SecondFactors(ctx, u.ID, "")
	if err != nil {
		return User{}, nil, fmt.Errorf("read second factors: %w", err)
	}
	return u, rec.App, nil
}

// notify tells rec's user kind, about the authenticator app, by email in the user's language, else
// that of rec's application.
func (f *SecondFactors) notify(ctx context.Context, rec SecondFactorRecord, kind Notice) {
	if f.notifier == nil || rec.User == nil {
		return
	}
	culture := ""
	if rec.Application != nil {
		culture = rec.Application.CultureInfo
	}
	f.notifier.Notify(ctx, *rec.User, culture, kind, NoticeData{Authenticator: string(ChannelOTP)})
}

// record reads the session user, its authenticator app and the session's application; a user gone
// since the token was checked is an invalid token.
func (f *SecondFactors) record(ctx context.Context, who Session) (SecondFactorRecord, error) {
	rec, err := f.store.SecondFactors(ctx, who.UserID, who.AppID)
	if err != nil {
		return rec, fmt.Errorf("read second factors: %w", err)
	}
	if rec.User == nil {
		return rec, ErrInvalidToken
	}
	return rec, nil
}

func (f *SecondFactors) decided(ctx context.Context, who Session, action, outcome string, attrs ...any) {
	f.logSession(ctx, "authenticator app "+outcome, who, action, outcome, attrs...)
}

func (f *SecondFactors) refused(ctx context.Context, who Session, action, outcome string, attrs ...any) {
	f.logSession(ctx, "refused", who, action, outcome, attrs...)
}

func (f *SecondFactors) logSession(ctx context.Context, msg string, who Session, action, outcome string, attrs ...any) {
	attrs = append([]any{"event", "second_factors", "action", action, "outcome", outcome,
		"userId", who.UserID, "email", mask.Email(who.Email), "appId", who.AppID}, attrs...)
	f.log().InfoContext(ctx, msg, attrs...)
}

func (f *SecondFactors) logUser(ctx context.Context, msg string, who Session, action, outcome string, u User) {
	f.log().InfoContext(ctx, msg, "event", "second_factors", "action", action, "outcome", outcome,
		"userId", u.ID, "email", mask.Email(u.Email), "actor", actor(who))
}
