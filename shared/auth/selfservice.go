package auth

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"mfagateway/shared/fault"
	"mfagateway/shared/mask"
)

// A user's changes to their own profile (/odata/users/me): name and cultureInfo at once; a new mobile
// number only once the code sent to it comes back, so that nobody moves a user's codes to a phone
// they do not hold. Until then the number is the user's PendingMobile and every code still goes to
// Mobile.

// Errors of the self-service number change.
var (
	// ErrNoPendingMobile is a confirmation asked of a user whose profile has no number waiting for a code.
	ErrNoPendingMobile = errors.New("no mobile number waits for a code")
	// ErrPendingMobileDropped is a confirmation tried once the wrong codes were used up: the waiting
	// number is dropped, and only asking for it again sends a new code.
	ErrPendingMobileDropped = fmt.Errorf("wrong codes used up, the number waiting for its code is dropped: %w", ErrTooManyAttempts)
)

// selfServicePolicy is p, or DefaultPolicy for a program that set none.
func selfServicePolicy(p Policy) Policy {
	if p == (Policy{}) {
		return DefaultPolicy
	}
	return p
}

// Confirmable tells whether a code may be tried against the pending number now, given the wrong
// codes allowed: ErrNoPendingMobile, ErrAttemptsExhausted or ErrCodeExpired, in that order, else nil.
func (p PendingMobile) Confirmable(now time.Time, maxAttempts int) error {
	switch {
	case p.Number == "":
		return ErrNoPendingMobile
	case p.Attempts >= maxAttempts:
		return ErrAttemptsExhausted
	case !now.Before(p.CodeExpiresAt):
		return ErrCodeExpired
	}
	return nil
}

// mobileHash is the stored form of the code sent to the user's pending number: bound to the user, the
// number and the send, so that the hash of one is never the hash of another's.
func (k codeKey) mobileHash(userID string, p PendingMobile, code string) string {
	return k.hash("mobile#"+userID+"#"+p.Number, int(p.SentAt.Unix()), code)
}

// mobileMatches compares a code with the pending number's, in constant time, under the current key
// and, when there is one, the previous key (a code sent before the secret's rotation), both every time.
func (k codeKey) mobileMatches(userID string, p PendingMobile, code string) bool {
	want, _ := hex.DecodeString(p.CodeHash)
	bound, send := "mobile#"+userID+"#"+p.Number, int(p.SentAt.Unix())
	current := hmac.Equal(want, codeMAC(k.current, bound, send, code))
	previous := len(k.previous) > 0 && hmac.Equal(want, codeMAC(k.previous, bound, send, code))
	return len(want) > 0 && (current || previous)
}

// isBindingCode reports whether s has the shape of every binding code: codeDigits decimal digits.
func isBindingCode(s string) bool {
	return len(s) == codeDigits && !strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}

// own refuses a session that is no user: an application acting by its credentials has no profile.
func (s *Users) own(ctx context.Context, who Session, action string) error {
	if who.Client || who.UserID == "" {
		return s.forbidden(ctx, who, action, User{}, "no user")
	}
	return nil
}

// ownFixed names the first property p would change that a user may not change of themselves; "" when
// p gives each of them as stored, which lets an entity read with GET be written back as it is.
func ownFixed(u User, p UserPatch) string {
	switch {
	case p.Email != nil && *p.Email != u.Email:
		return "email"
	case p.Status != nil && *p.Status != u.State():
		return "status"
	case p.Admin != nil && *p.Admin != u.Admin:
		return "admin"
	case p.Applications != nil && !slices.Equal(slices.Sorted(slices.Values(*p.Applications)), slices.Sorted(slices.Values(appSet(nil, u.Applications)))):
		return "applications"
	}
	return ""
}

// meChange is what a round of ChangeMe decided besides the user it writes.
type meChange struct {
	code    string // the code to send to the new pending number; "" when none is sent
	removed bool   // the user's number is removed
	// culture is the session's application's cultureInfo, read to check the new number's country,
	// so that the code's message need not read it again.
	culture string
}

// ChangeMe applies p to the session's own user: name and cultureInfo at once, in one conditional
// write. A new mobile number becomes the user's pending number, with a fresh code sent to it by SMS
// that counts in the user's hourly send cap (a *RateLimitError past it, and within
// Policy.ResendCooldown of the last code to the same number) and in the deployment's SMS cap
// (ErrDeliveryFailed past it, and nothing is written); Mobile stays as it is until
// ConfirmMobile. An empty number removes the user's number, and any pending one, at once, and the user
// is told by email. The number the user has already, empty included, changes nothing. Email, status,
// admin and applications may be given only as stored (ErrForbidden otherwise).
func (s *Users) ChangeMe(ctx context.Context, who Session, p UserPatch) (UserView, error) {
	const action = "me_patch"
	if err := s.own(ctx, who, action); err != nil {
		return UserView{}, err
	}
	p, err := s.checkPatch(p)
	if err != nil {
		return UserView{}, s.fail(ctx, who, action, who.Email, err)
	}
	now := s.now()
	var (
		prev, next User
		ch         meChange
	)
	tries, err := retryConflicts(ctx, func() error {
		var err error
		if prev, err = s.byID(ctx, who.UserID); err != nil {
			return err
		}
		if prop := ownFixed(prev, p); prop != "" {
			return s.forbidden(ctx, who, action, prev, "may not change the "+prop+" of its own user")
		}
		next = prev
		next.Applications = slices.Clone(prev.Applications)
		set(&next.Name, p.Name)
		set(&next.CultureInfo, p.CultureInfo)
		if ch, err = s.changeMobile(ctx, who, prev, &next, p, now); err != nil {
			return err
		}
		if sameProfile(prev, next) {
			return nil
		}
		next.UpdateDate = now
		if ch.code == "" {
			return vanished(s.d.Store.UpdateUser(ctx, prev, next))
		}
		slot, err := withSMS(sendSlot(prev.ID, now, s.d.Policy.SendsPerHour), ChannelSMS, s.d.Random, now, s.d.Policy.SMSSendsPerHour)
		if err != nil {
			return err
		}
		err = s.d.Store.SetPendingMobile(ctx, prev, next, slot)
		switch {
		case errors.Is(err, ErrSendLimit):
			wait := slot.Window.Add(time.Hour).Sub(now)
			s.refused(ctx, who, action, "send_limit", prev, "retryAfter", seconds(wait))
			return &RateLimitError{Reason: "sends per user per hour", RetryAfter: wait}
		case errors.Is(err, ErrSMSCap):
			// The code must reach the new number itself: no other channel can stand in.
			s.refused(ctx, who, action, "delivery_failed", prev, "reason", "sms_cap")
			return ErrDeliveryFailed
		}
		return vanished(err)
	})
	var rate *RateLimitError
	switch {
	case errors.Is(err, ErrForbidden), errors.As(err, &rate), errors.Is(err, ErrDeliveryFailed):
		return UserView{}, err // logged where it was decided
	case err != nil:
		return UserView{}, s.fail(ctx, who, action, prev.Email, err)
	}
	attrs := []any{"tries", tries}
	outcome := "changed"
	switch {
	case sameProfile(prev, next):
		outcome = "unchanged"
	case ch.code != "":
		if err := s.sendMobileCode(ctx, next, ch.code, ch.culture); err != nil {
			s.refused(ctx, who, action, "delivery_failed", next, "mobile", mask.Phone(next.PendingMobile.Number), "error", fault.Text(err))
			return UserView{}, ErrDeliveryFailed
		}
		outcome, attrs = "code_sent", append(attrs, "mobile", mask.Phone(next.PendingMobile.Number))
	case ch.removed:
		outcome = "mobile_removed"
	}
	s.decided(ctx, who, action, outcome, next, attrs...)
	if ch.removed {
		s.notify(ctx, who, next, NoticeMobileChanged, NoticeData{})
	}
	return s.view(next, LoginAttempts{}), nil
}

// changeMobile applies p's mobile number to next (prev as stored, with p's other changes) as
// ChangeMe describes.
func (s *Users) changeMobile(ctx context.Context, who Session, prev User, next *User, p UserPatch, now time.Time) (meChange, error) {
	if p.Mobile == nil || *p.Mobile == prev.Mobile {
		return meChange{}, nil
	}
	number := *p.Mobile
	if number == "" {
		next.Mobile, next.MobileCountry, next.PendingMobile = "", "", PendingMobile{}
		return meChange{removed: true}, nil
	}
	pending := prev.PendingMobile
	if wait := pending.SentAt.Add(s.d.Policy.ResendCooldown).Sub(now); pending.Number == number && wait > 0 {
		s.refused(ctx, who, "me_patch", "cooldown", prev, "mobile", mask.Phone(number), "retryAfter", seconds(wait))
		return meChange{}, &RateLimitError{Reason: "resend cooldown", RetryAfter: wait}
	}
	if s.d.SMS == nil || len(s.codes.current) == 0 {
		return meChange{}, errors.New("mobile number change: no SMS sender or code key configured")
	}
	// The session's application must text the number's country: otherwise nothing would ever text
	// it, and the gateway would send to countries its operator left out.
	var culture string
	switch app, err := s.d.Store.GetApplication(ctx, who.AppID); {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return meChange{}, fmt.Errorf("mobile number change: %w", err)
	case !app.SMSTo(p.mobileCountry):
		return meChange{}, &PropertyError{"mobilePhone", "is a number of a country the application sends no text messages to."}
	default:
		culture = app.CultureInfo
	}
	code, err := drawCode(s.d.Random)
	if err != nil {
		return meChange{}, err
	}
	next.PendingMobile = PendingMobile{Number: number, Country: p.mobileCountry,
		CodeExpiresAt: now.Add(s.d.Policy.CodeTTL), SentAt: now}
	if pending.Number == number {
		// A new code for the same number does not give back the wrong codes tried against the last.
		next.PendingMobile.Attempts = pending.Attempts
	}
	next.PendingMobile.CodeHash = s.codes.mobileHash(prev.ID, next.PendingMobile, code)
	return meChange{code: code, culture: culture}, nil
}

// sameProfile reports whether next changes nothing ChangeMe may change of prev.
func sameProfile(prev, next User) bool {
	a, b := prev.PendingMobile, next.PendingMobile
	return prev.Name == next.Name && prev.CultureInfo == next.CultureInfo && prev.Mobile == next.Mobile &&
		a.Number == b.Number && a.CodeHash == b.CodeHash
}

// sendMobileCode texts the code to u's pending number, in u's language (else appCulture's, the session
// application's).
func (s *Users) sendMobileCode(ctx context.Context, u User, code, appCulture string) error {
	lang := ChooseLanguage(u.CultureInfo, appCulture)
	m, err := MobileCodeMessage(lang, u.PendingMobile.Number, code, s.d.Policy.CodeTTL)
	if err != nil {
		return err
	}
	return s.d.SMS.Send(ctx, m)
}

// appCulture is the cultureInfo of the application appID where u's own does not choose a language,
// which costs a read; "" where it does, or where the application cannot be read (then the default
// language is as good).
func (s *Users) appCulture(ctx context.Context, u User, appID string) string {
	if _, ok := matchLanguage(u.CultureInfo); ok || appID == "" {
		return ""
	}
	app, err := s.d.Store.GetApplication(ctx, appID)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			s.d.Log.WarnContext(ctx, "application not read for a message's language", "event", "users",
				"userId", u.ID, "appId", appID, "error", fault.Text(err))
		}
		return ""
	}
	return app.CultureInfo
}

// ConfirmMobile makes the session's own user's pending number its mobile number, when code is the
// code last sent to it and still live: one attempt is counted, in a conditional write, before the
// code is compared; a right code moves the number in a second one, and the user is told by email. A
// wrong code is a *CodeError with the attempts left; past Policy.MaxAttempts wrong codes the next try
// drops the pending number (ErrPendingMobileDropped). Other refusals: ErrNoPendingMobile,
// ErrCodeExpired, and a *PropertyError for a code of the wrong shape, which uses no attempt.
func (s *Users) ConfirmMobile(ctx context.Context, who Session, code string) error {
	const action = "confirm_mobile"
	if err := s.own(ctx, who, action); err != nil {
		return err
	}
	if !isBindingCode(code) {
		return s.fail(ctx, who, action, who.Email, &PropertyError{"bindingCode", fmt.Sprintf("must be %d digits.", codeDigits)})
	}
	now := s.now()
	counted, err := s.countMobileAttempt(ctx, who, now)
	if err != nil {
		return err
	}
	pending := counted.PendingMobile
	if !s.codes.mobileMatches(counted.ID, pending, code) {
		remaining := max(s.d.Policy.MaxAttempts-pending.Attempts, 0)
		s.refused(ctx, who, action, "invalid_code", counted, "attemptsRemaining", remaining)
		return &CodeError{Remaining: remaining}
	}
	var next User
	fresh := true // the first round writes over the user as counted, without reading it again
	tries, err := retryConflicts(ctx, func() error {
		cur := counted
		if !fresh {
			var err error
			if cur, err = s.byID(ctx, who.UserID); err != nil {
				return err
			}
		}
		fresh = false
		switch {
		case cur.PendingMobile.Number == "":
			return ErrNoPendingMobile // another confirmation, or a removal, came first
		case cur.PendingMobile.CodeHash != pending.CodeHash:
			// A new code replaced the one compared: it is no longer the code of the number.
			return &CodeError{Remaining: max(s.d.Policy.MaxAttempts-cur.PendingMobile.Attempts, 0)}
		}
		next = cur
		next.Applications = slices.Clone(cur.Applications)
		next.Mobile, next.MobileCountry = cur.PendingMobile.Number, cur.PendingMobile.Country
		next.PendingMobile, next.UpdateDate = PendingMobile{}, now
		return vanished(s.d.Store.UpdateUser(ctx, cur, next))
	})
	if err != nil {
		return s.confirmRefused(ctx, who, counted, err)
	}
	s.decided(ctx, who, action, "confirmed", next, "mobile", mask.Phone(next.Mobile), "tries", tries)
	s.notify(ctx, who, next, NoticeMobileChanged, NoticeData{NewMobile: next.Mobile})
	return nil
}

// countMobileAttempt uses one attempt of the session user's pending number and returns the user as
// written, or the refusal of a pending number that may not be tried (dropping it when its attempts
// are used up).
func (s *Users) countMobileAttempt(ctx context.Context, who Session, now time.Time) (User, error) {
	var prev, counted User
	_, err := retryConflicts(ctx, func() error {
		var err error
		if prev, err = s.byID(ctx, who.UserID); err != nil {
			return err
		}
		counted = prev
		counted.Applications = slices.Clone(prev.Applications)
		err = prev.PendingMobile.Confirmable(now, s.d.Policy.MaxAttempts)
		switch {
		case errors.Is(err, ErrAttemptsExhausted):
			counted.PendingMobile = PendingMobile{}
			if err := vanished(s.d.Store.UpdateUser(ctx, prev, counted)); err != nil {
				return err
			}
			return ErrPendingMobileDropped
		case err != nil:
			return err
		}
		counted.PendingMobile.Attempts++
		return vanished(s.d.Store.UpdateUser(ctx, prev, counted))
	})
	if err != nil {
		return User{}, s.confirmRefused(ctx, who, prev, err)
	}
	return counted, nil
}

// confirmRefused logs a refused confirmation of u by its outcome and returns err; an error that is
// no refusal goes to fail.
func (s *Users) confirmRefused(ctx context.Context, who Session, u User, err error) error {
	var codeErr *CodeError
	outcome := ""
	switch {
	case errors.As(err, &codeErr):
		s.refused(ctx, who, "confirm_mobile", "invalid_code", u, "reason", "code replaced by a new one",
			"attemptsRemaining", codeErr.Remaining)
		return err
	case errors.Is(err, ErrNoPendingMobile):
		outcome = "no_pending_mobile"
	case errors.Is(err, ErrPendingMobileDropped):
		outcome = "too_many_attempts"
	case errors.Is(err, ErrCodeExpired):
		outcome = "code_expired"
	default:
		return s.fail(ctx, who, "confirm_mobile", u.Email, err)
	}
	s.refused(ctx, who, "confirm_mobile", outcome, u)
	return err
}
