package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"

	"mfagateway/shared/mask"
	"mfagateway/shared/odata"
)

// Errors of user management, besides ErrConflict (still changing after every retry) and
// *MissingApplicationError. Store implementations return ErrUserExists, ErrSameEmail and
// *MissingApplicationError themselves, so that callers test them with errors.Is and errors.As whatever
// the store.
var (
	ErrUserNotFound    = fmt.Errorf("no user has that email: %w", ErrNotFound)
	ErrUserExists      = errors.New("a user with that email already exists")
	ErrSameEmail       = errors.New("the new email is the current one")
	ErrInvalidEmail    = errors.New("not an email address")
	ErrInvalidMobile   = errors.New("invalid mobile number")
	ErrNameRequired    = errors.New("name is required")
	ErrPasswordEmpty   = errors.New("empty password")
	ErrPasswordTooLong = fmt.Errorf("password longer than %d bytes", MaxPasswordBytes)
)

// MaxPasswordBytes bounds a new password, so that hashing one costs what hashing any other does and a
// file pasted by mistake is refused.
const MaxPasswordBytes = 1024

// MaxUserApplications bounds the applications of one user. Every appId a write adds is checked to
// exist within the write's one transaction, and DynamoDB takes at most 100 actions in one: the bound
// keeps a create (50 checks and the user's two items) well inside it, so a long list is a clear 400,
// not a transaction DynamoDB refuses.
const MaxUserApplications = 50

// checkApplications is the rule for a user's applications: each appId once, trimmed, at most
// MaxUserApplications of them.
func checkApplications(ids []string) ([]string, error) {
	apps := appSet(nil, ids)
	if len(apps) > MaxUserApplications {
		return apps, &PropertyError{"applications", fmt.Sprintf("may name at most %d applications, not %d.", MaxUserApplications, len(apps))}
	}
	return apps, nil
}

// MissingApplicationError is a user change naming an application that does not exist. It is an
// ErrNotFound for errors.Is, and not an ErrUserNotFound.
type MissingApplicationError struct {
	ID string
}

func (e *MissingApplicationError) Error() string { return "no application has appId " + e.ID }

// Is makes the error match ErrNotFound.
func (e *MissingApplicationError) Is(target error) bool { return target == ErrNotFound }

// UserStore is what managing users needs. Every change is one conditional write or transaction.
type UserStore interface {
	// GetUser reads a user by normalised email (ErrNotFound when absent).
	GetUser(ctx context.Context, email string) (User, error)
	// CreateUser stores a new user, provided no user has its email (ErrUserExists) and every application
	// it names exists (*MissingApplicationError).
	CreateUser(ctx context.Context, u User) error
	// UpdateUser writes next over prev, provided the stored user is still prev (ErrConflict; ErrNotFound
	// when gone) and every application next adds exists (*MissingApplicationError). Email and ID stay.
	UpdateUser(ctx context.Context, prev, next User) error
	// ChangeEmail moves u to newEmail, provided the stored user is still u (ErrConflict; ErrNotFound when
	// gone) and no user has newEmail (ErrUserExists). The user's live ticket, which went to the old
	// address, ends with the move.
	ChangeEmail(ctx context.Context, u User, newEmail string) error
	// DeleteUser removes u, provided the stored user is still u (ErrConflict; ErrNotFound when gone).
	DeleteUser(ctx context.Context, u User) error
	// GetLoginAttempts reads the failed-password state of an email (zero when none).
	GetLoginAttempts(ctx context.Context, email string) (LoginAttempts, error)
	// Unlock forgets the failed passwords of an email and reports whether there were any.
	Unlock(ctx context.Context, email string) (bool, error)
	// GetApplication reads an application (ErrNotFound when absent).
	GetApplication(ctx context.Context, id string) (Application, error)

	// GetUserByID reads a user by userId (ErrNotFound when absent).
	GetUserByID(ctx context.Context, id string) (User, error)
	// UsersByCreateDate reads the first limit users in the order of creation, then userId, in one
	// read of an index made for it; more reports that there are others after them.
	UsersByCreateDate(ctx context.Context, limit int) (users []User, more bool, err error)
	// UsersAfter reads one page of that index, as ApplicationStore.ApplicationsAfter does, filtered by
	// UserSchema's filter ("appId eq" is membership); users come without their password hashes.
	UsersAfter(ctx context.Context, after string, limit int, filter []odata.Comparison) (users []User, next string, err error)
	// LoginAttemptsOf reads the failed-password state of each email (none for an email without any),
	// in one read per 100 emails.
	LoginAttemptsOf(ctx context.Context, emails []string) (map[string]LoginAttempts, error)
	// MoveUser writes next, whose email differs from prev's, in place of prev, under the conditions of
	// ChangeEmail and of UpdateUser (ErrConflict, ErrNotFound, ErrUserExists, *MissingApplicationError).
	MoveUser(ctx context.Context, prev, next User) error
	// UnblockUser writes next over prev, as UpdateUser, and forgets the failed passwords and the run of
	// wrong codes of its email, in one transaction.
	UnblockUser(ctx context.Context, prev, next User) error
	// SetPendingMobile writes next, prev with a new number waiting for its code, over prev as
	// UpdateUser does (ErrConflict, ErrNotFound), and counts the code's SMS in the user's hourly send
	// slot (ErrSendLimit, and then nothing is written), in one transaction.
	SetPendingMobile(ctx context.Context, prev, next User, slot SendSlot) error
}

// PasswordHasher makes the stored form of a new password.
type PasswordHasher interface {
	Hash(password string) (string, error)
}

// UsersDeps are the users service's ports.
type UsersDeps struct {
	Store  UserStore
	Hasher PasswordHasher
	// Mobile validates a mobile number and returns it in E.164 with its country (ISO 3166-1 alpha-2),
	// which is stored with it so that a login can hold SMS to an application's countries. The
	// numbering plan is left to the caller (shared/phone in the operator tools) so that the functions,
	// which link this package, do not carry its tables. Nil accepts only numbers already in E.164
	// form, of no known country.
	Mobile func(raw string) (e164, country string, err error)
	NewID  func() string // user IDs (UUIDs)
	Clock  func() time.Time
	Log    *slog.Logger
	// Passwords is the rule every new password is held to; a program that sets none may leave it zero.
	Passwords PasswordPolicy

	// What a user changing their own mobile number needs (ChangeMe, ConfirmMobile); a program that
	// offers no self-service may leave them zero.
	SMS    Sender // carries the code to a new number
	Secret []byte // the HMAC key of binding codes, the login service's; never stored in the table
	// PreviousSecret is the server secret's version before its last rotation, under which a code sent
	// before the rotation still matches; nil when there is none.
	PreviousSecret []byte
	Random         io.Reader // crypto/rand.Reader when nil
	// Policy gives CodeTTL, MaxAttempts, ResendCooldown, SendsPerHour and SMSSendsPerHour; a zero
	// Policy is DefaultPolicy.
	Policy Policy
	// Notifier tells a user by email that their email or mobile number changed; nil tells nobody.
	Notifier *Notifier
}

// Users manages user accounts; the methods by email are for admins only, those by userId (userapi.go)
// say who may use them. The operators' CLI and the users API call it, never the store, so each rule
// holds whichever door a change comes through.
type Users struct {
	d     UsersDeps
	codes codeKey
}

// NewUsers returns the users service.
func NewUsers(d UsersDeps) *Users {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Random == nil {
		d.Random = rand.Reader
	}
	d.Policy = selfServicePolicy(d.Policy)
	return &Users{d: d, codes: codeKey{current: d.Secret, previous: d.PreviousSecret}}
}

// NewUser is a user to create, as given; Create normalises and checks every field.
type NewUser struct {
	Email  string
	Name   string
	Mobile string // empty for none
	// MobileCountry is what the validator found for Mobile; Create sets it, whatever is given.
	MobileCountry string
	Admin         bool
	Applications  []string
	CultureInfo   string // BCP 47; empty for none
	Password      string
}

// UserDetails is a user as an operator sees it: never the password hash.
type UserDetails struct {
	User         User // PasswordHash empty
	Applications []Membership
	Attempts     LoginAttempts
}

// Membership is one application a user may log in to.
type Membership struct {
	ID  string
	App *Application // nil when no application has the ID any more
}

// MaxEmailBytes is the longest email accepted anywhere (RFC 5321's path limit), at login as when a user
// is created, so that no user can be made who could never log in.
const MaxEmailBytes = 254

// IsEmail accepts a bare address (no display name) of at most MaxEmailBytes, without control
// characters, that net/mail parses back to itself. Login and user changes share this one rule.
func IsEmail(s string) bool {
	if len(s) > MaxEmailBytes || strings.ContainsFunc(s, unicode.IsControl) || strings.ContainsAny(s, " <>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && strings.EqualFold(a.Address, s)
}

// ParseEmail puts an email in its stored form and checks that it is a bare address.
func ParseEmail(raw string) (string, error) {
	email := NormalizeEmail(raw)
	if !IsEmail(email) {
		return "", ErrInvalidEmail
	}
	return email, nil
}

// CheckName is the rule for a user's display name: trimmed, not empty.
func CheckName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" {
		return "", ErrNameRequired
	}
	return name, nil
}

// CheckPassword is the shape of a password as read: not blank, at most MaxPasswordBytes. A reader of
// raw input (the CLI's stdin) checks it before the users service holds the password to the whole
// PasswordPolicy.
func CheckPassword(pw string) error {
	switch {
	case strings.TrimSpace(pw) == "":
		return ErrPasswordEmpty
	case len(pw) > MaxPasswordBytes:
		return ErrPasswordTooLong
	}
	return nil
}

// NormalizeMobile validates a mobile number with the injected validator and returns it with its
// country; empty stays empty (none).
func (s *Users) NormalizeMobile(raw string) (e164, country string, err error) {
	if strings.TrimSpace(raw) == "" {
		return "", "", nil
	}
	if s.d.Mobile == nil {
		if !isE164(raw) {
			return "", "", fmt.Errorf("%w: not in E.164 form (+ and up to 15 digits)", ErrInvalidMobile)
		}
		return raw, "", nil
	}
	m, c, err := s.d.Mobile(raw)
	if err != nil {
		return "", "", mobileError{err}
	}
	return m, c, nil
}

func isE164(s string) bool {
	digits, ok := strings.CutPrefix(s, "+")
	if !ok || len(digits) < 7 || len(digits) > 15 || digits[0] == '0' {
		return false
	}
	return !strings.ContainsFunc(digits, func(r rune) bool { return r < '0' || r > '9' })
}

// mobileError is a validator's refusal, as an ErrInvalidMobile.
type mobileError struct{ err error }

func (e mobileError) Error() string {
	if msg := e.err.Error(); strings.Contains(msg, ErrInvalidMobile.Error()) {
		return msg
	}
	return ErrInvalidMobile.Error() + ": " + e.err.Error()
}

func (e mobileError) Is(target error) bool { return target == ErrInvalidMobile }
func (e mobileError) Unwrap() error        { return e.err }

// normalize checks and normalises every field of n but the password.
func (s *Users) normalize(n NewUser) (NewUser, error) {
	var err error
	if n.Email, err = ParseEmail(n.Email); err != nil {
		return n, err
	}
	if n.Name, err = CheckName(n.Name); err != nil {
		return n, err
	}
	if n.Mobile, n.MobileCountry, err = s.NormalizeMobile(n.Mobile); err != nil {
		return n, err
	}
	if n.CultureInfo, err = CheckCultureInfo(n.CultureInfo); err != nil {
		return n, err
	}
	n.Applications, err = checkApplications(n.Applications)
	return n, err
}

// Check tells whether Create would accept n, password aside, without writing: the fields, that every
// application exists and that the email is free. It returns n normalised. A caller that must ask
// for the password runs it first, so that nobody types a password for a user that cannot be created.
func (s *Users) Check(ctx context.Context, who Session, n NewUser) (NewUser, error) {
	if err := s.admin(ctx, who, "check", n.Email); err != nil {
		return n, err
	}
	n, err := s.normalize(n)
	if err != nil {
		return n, s.fail(ctx, who, "check", n.Email, err)
	}
	for _, id := range n.Applications {
		if _, err := s.d.Store.GetApplication(ctx, id); errors.Is(err, ErrNotFound) {
			return n, s.fail(ctx, who, "check", n.Email, &MissingApplicationError{ID: id})
		} else if err != nil {
			return n, s.fail(ctx, who, "check", n.Email, err)
		}
	}
	if _, err := s.d.Store.GetUser(ctx, n.Email); err == nil {
		return n, s.fail(ctx, who, "check", n.Email, ErrUserExists)
	} else if !errors.Is(err, ErrNotFound) {
		return n, s.fail(ctx, who, "check", n.Email, err)
	}
	return n, nil
}

// Create stores a new user with a fresh user ID and the password hashed. The write itself refuses a
// taken email (ErrUserExists) and a missing application (*MissingApplicationError).
func (s *Users) Create(ctx context.Context, who Session, n NewUser) (User, error) {
	if err := s.admin(ctx, who, "create", n.Email); err != nil {
		return User{}, err
	}
	n, err := s.normalize(n)
	if err == nil {
		err = s.CheckNewPassword(ctx, User{Email: n.Email, Applications: n.Applications}, n.Password)
	}
	if err != nil {
		return User{}, s.fail(ctx, who, "create", n.Email, err)
	}
	phc, err := s.d.Hasher.Hash(n.Password)
	if err != nil {
		return User{}, fmt.Errorf("create user: hash password: %w", err)
	}
	now := s.now()
	u := User{ID: s.d.NewID(), Email: n.Email, Name: n.Name, PasswordHash: phc, Mobile: n.Mobile,
		MobileCountry: n.MobileCountry, Admin: n.Admin, Applications: n.Applications,
		Status: StatusActivated, CultureInfo: n.CultureInfo, CreateDate: now, UpdateDate: now}
	if err := s.d.Store.CreateUser(ctx, u); err != nil {
		return User{}, s.fail(ctx, who, "create", n.Email, err)
	}
	s.decided(ctx, who, "create", "created", u, "admin", u.Admin, "applications", len(u.Applications))
	u.PasswordHash = ""
	return u, nil
}

// Get reads a user, without the password hash.
func (s *Users) Get(ctx context.Context, who Session, email string) (User, error) {
	if err := s.admin(ctx, who, "get", email); err != nil {
		return User{}, err
	}
	u, err := s.read(ctx, email)
	if err != nil {
		return User{}, s.fail(ctx, who, "get", email, err)
	}
	u.PasswordHash = ""
	return u, nil
}

// Show reads a user with its applications (ordered by appId) and its failed-password state.
func (s *Users) Show(ctx context.Context, who Session, email string) (UserDetails, error) {
	u, err := s.Get(ctx, who, email)
	if err != nil {
		return UserDetails{}, err
	}
	d := UserDetails{User: u}
	for _, id := range slices.Sorted(slices.Values(u.Applications)) {
		m := Membership{ID: id}
		app, err := s.d.Store.GetApplication(ctx, id)
		switch {
		case err == nil:
			m.App = &app
		case !errors.Is(err, ErrNotFound):
			return UserDetails{}, fmt.Errorf("show user: %w", err)
		}
		d.Applications = append(d.Applications, m)
	}
	if d.Attempts, err = s.d.Store.GetLoginAttempts(ctx, u.Email); err != nil {
		return UserDetails{}, fmt.Errorf("show user: %w", err)
	}
	return d, nil
}

// ChangeEmail moves a user to a new email, its login name. The old email is free at once; the new one
// must not be another user's (ErrUserExists).
func (s *Users) ChangeEmail(ctx context.Context, who Session, email, newEmail string) error {
	if err := s.admin(ctx, who, "change-email", email); err != nil {
		return err
	}
	from, err := ParseEmail(email)
	if err != nil {
		return s.fail(ctx, who, "change-email", email, err)
	}
	to, err := ParseEmail(newEmail)
	if err == nil && to == from {
		err = ErrSameEmail
	}
	if err != nil {
		return s.fail(ctx, who, "change-email", from, err)
	}
	var u User
	tries, err := retryConflicts(ctx, func() error {
		var err error
		if u, err = s.read(ctx, from); err != nil {
			return err
		}
		return vanished(s.d.Store.ChangeEmail(ctx, u, to))
	})
	if err != nil {
		return s.fail(ctx, who, "change-email", from, err)
	}
	moved := u
	moved.Email = to
	s.notifyChange(ctx, who, u, moved)
	s.decided(ctx, who, "change-email", "changed", u, "newEmail", mask.Email(to), "tries", tries)
	return nil
}

// SetMobile saves the number binding codes go to by SMS; empty clears it. It reports whether
// anything changed.
func (s *Users) SetMobile(ctx context.Context, who Session, email, mobile string) (bool, error) {
	if err := s.admin(ctx, who, "set-mobile", email); err != nil {
		return false, err
	}
	m, country, err := s.NormalizeMobile(mobile)
	if err != nil {
		return false, s.fail(ctx, who, "set-mobile", email, err)
	}
	return s.update(ctx, who, "set-mobile", email, func(u *User) (bool, error) {
		// Saving the same number again records its country, should it have been saved without. A new
		// number drops one the user asked for and has not confirmed: the operator's is the newer.
		changed := u.Mobile != m || u.MobileCountry != country
		if u.Mobile != m {
			u.PendingMobile = PendingMobile{}
		}
		u.Mobile, u.MobileCountry = m, country
		return changed, nil
	}, "mobile", m != "")
}

// SetAdmin makes a user an admin, or not. It reports whether anything changed.
func (s *Users) SetAdmin(ctx context.Context, who Session, email string, on bool) (bool, error) {
	if err := s.admin(ctx, who, "set-admin", email); err != nil {
		return false, err
	}
	return s.update(ctx, who, "set-admin", email, func(u *User) (bool, error) {
		changed := u.Admin != on
		u.Admin = on
		return changed, nil
	}, "admin", on)
}

// AddApplications lets a user log in to the applications, each of which must exist
// (*MissingApplicationError), up to MaxUserApplications in all (a *PropertyError). It reports whether
// anything changed.
func (s *Users) AddApplications(ctx context.Context, who Session, email string, ids ...string) (bool, error) {
	if err := s.admin(ctx, who, "add-applications", email); err != nil {
		return false, err
	}
	return s.update(ctx, who, "add-applications", email, func(u *User) (bool, error) {
		before := len(u.Applications)
		added := appSet(u.Applications, ids)
		if len(added) > before {
			if _, err := checkApplications(added); err != nil {
				return false, err
			}
		}
		u.Applications = added
		return len(u.Applications) != before, nil
	}, "appIds", ids)
}

// RemoveApplications stops a user logging in to the applications, whether or not they still exist.
// It reports whether anything changed.
func (s *Users) RemoveApplications(ctx context.Context, who Session, email string, ids ...string) (bool, error) {
	if err := s.admin(ctx, who, "remove-applications", email); err != nil {
		return false, err
	}
	return s.update(ctx, who, "remove-applications", email, func(u *User) (bool, error) {
		before := len(u.Applications)
		u.Applications = slices.DeleteFunc(u.Applications, func(id string) bool { return slices.Contains(ids, id) })
		return len(u.Applications) != before, nil
	}, "appIds", ids)
}

// Unlock forgets an email's failed passwords, lifting any lock. Failed passwords are counted per email
// whether or not a user has it, so no user is needed. It reports whether any were recorded.
func (s *Users) Unlock(ctx context.Context, who Session, email string) (bool, error) {
	if err := s.admin(ctx, who, "unlock", email); err != nil {
		return false, err
	}
	e, err := ParseEmail(email)
	if err != nil {
		return false, s.fail(ctx, who, "unlock", email, err)
	}
	cleared, err := s.d.Store.Unlock(ctx, e)
	if err != nil {
		return false, fmt.Errorf("unlock: %w", err)
	}
	outcome := "nothing_recorded"
	if cleared {
		outcome = "unlocked"
	}
	s.decided(ctx, who, "unlock", outcome, User{Email: e})
	return cleared, nil
}

// Delete removes a user. Its failed-password state stays with the email and expires on its own.
func (s *Users) Delete(ctx context.Context, who Session, email string) error {
	if err := s.admin(ctx, who, "delete", email); err != nil {
		return err
	}
	var u User
	tries, err := retryConflicts(ctx, func() error {
		var err error
		if u, err = s.read(ctx, email); err != nil {
			return err
		}
		err = s.d.Store.DeleteUser(ctx, u)
		if errors.Is(err, ErrNotFound) {
			// Gone between the read and the write, or this very delete's answer was lost and the SDK
			// sent it again: either way the user no longer exists, which is what was asked.
			return nil
		}
		return err
	})
	if err != nil {
		return s.fail(ctx, who, "delete", email, err)
	}
	s.decided(ctx, who, "delete", "deleted", u, "tries", tries)
	return nil
}

// update applies edit to the stored user and writes it back, provided nobody changed the user in
// between; a concurrent change is retried on a fresh read. edit reports whether it changed anything,
// or the rule the change breaks; either way when not, nothing is written.
func (s *Users) update(ctx context.Context, who Session, action, email string, edit func(*User) (bool, error), attrs ...any) (bool, error) {
	var (
		next    User
		changed bool
	)
	tries, err := retryConflicts(ctx, func() error {
		prev, err := s.read(ctx, email)
		if err != nil {
			return err
		}
		next = prev
		next.Applications = slices.Clone(prev.Applications)
		if changed, err = edit(&next); err != nil || !changed {
			return err
		}
		next.UpdateDate = s.now()
		return vanished(s.d.Store.UpdateUser(ctx, prev, next))
	})
	if err != nil {
		return false, s.fail(ctx, who, action, email, err)
	}
	outcome := "unchanged"
	if changed {
		outcome = "changed"
	}
	s.decided(ctx, who, action, outcome, next, append(attrs, "tries", tries)...)
	return changed, nil
}

// read reads the user of a raw email: ErrInvalidEmail, ErrUserNotFound or the user.
// vanished turns a write's "no such user", after the round had read the user, into a conflict: the
// user was deleted (or moved) in between, and the next round's read says so as ErrUserNotFound. A
// missing application is the request's own fault and stays as it is.
func vanished(err error) error {
	var missing *MissingApplicationError
	if errors.Is(err, ErrNotFound) && !errors.As(err, &missing) {
		return fmt.Errorf("user changed meanwhile: %w", ErrConflict)
	}
	return err
}

func (s *Users) read(ctx context.Context, raw string) (User, error) {
	email, err := ParseEmail(raw)
	if err != nil {
		return User{}, err
	}
	u, err := s.d.Store.GetUser(ctx, email)
	if errors.Is(err, ErrNotFound) {
		return User{}, ErrUserNotFound
	}
	return u, err
}

func (s *Users) admin(ctx context.Context, who Session, action, email string) error {
	if who.Admin {
		return nil
	}
	s.d.Log.InfoContext(ctx, "refused", "event", "users", "action", action, "outcome", "forbidden",
		"email", mask.Email(NormalizeEmail(email)), "actor", actor(who))
	return ErrForbidden
}

// decided logs the outcome of a change that was made, or found needless.
func (s *Users) decided(ctx context.Context, who Session, action, outcome string, u User, attrs ...any) {
	s.logUser(ctx, "user "+outcome, who, action, outcome, u, attrs...)
}

// refused logs a change of the stored user u that was refused, and why (outcome).
func (s *Users) refused(ctx context.Context, who Session, action, outcome string, u User, attrs ...any) {
	s.logUser(ctx, "refused", who, action, outcome, u, attrs...)
}

func (s *Users) logUser(ctx context.Context, msg string, who Session, action, outcome string, u User, attrs ...any) {
	attrs = append([]any{"event", "users", "action", action, "outcome", outcome,
		"email", mask.Email(u.Email), "userId", u.ID, "actor", actor(who)}, attrs...)
	s.d.Log.InfoContext(ctx, msg, attrs...)
}

// refusals are the errors a caller caused, each with the outcome its log line names. Anything else is
// the store failing, which the caller reports.
var refusals = []struct {
	err     error
	outcome string
}{
	{ErrInvalidEmail, "invalid_email"},
	{ErrInvalidMobile, "invalid_mobile"},
	{ErrNameRequired, "name_required"},
	{ErrWeakPassword, "weak_password"}, // before the two below, which a WeakPasswordError may wrap
	{ErrPasswordEmpty, "password_empty"},
	{ErrPasswordTooLong, "password_too_long"},
	{ErrUserNotFound, "no_user"},
	{ErrUserExists, "user_exists"},
	{ErrSameEmail, "same_email"},
	{ErrConflict, "conflict"},
	{ErrUserBlocked, "user_blocked"},
}

func (s *Users) fail(ctx context.Context, who Session, action, email string, err error) error {
	outcome := ""
	var (
		missing *MissingApplicationError
		prop    *PropertyError
	)
	switch {
	case errors.As(err, &missing):
		outcome = "missing_application"
	case errors.As(err, &prop):
		outcome = "invalid_" + prop.Property
	}
	for _, r := range refusals {
		if outcome == "" && errors.Is(err, r.err) {
			outcome = r.outcome
		}
	}
	if outcome == "" {
		return fmt.Errorf("%s user: %w", action, err)
	}
	attrs := []any{"event", "users", "action", action, "outcome", outcome,
		"email", mask.Email(NormalizeEmail(email)), "actor", actor(who)}
	if missing != nil {
		attrs = append(attrs, "appId", missing.ID)
	}
	var weak *WeakPasswordError
	if errors.As(err, &weak) { // the reason only: it never quotes the password
		attrs = append(attrs, "reason", weak.Reason)
	}
	s.d.Log.InfoContext(ctx, "refused", attrs...)
	return err
}

// appSet is have followed by what add holds that have does not, each once.
func appSet(have, add []string) []string {
	out := slices.Clone(have)
	for _, id := range add {
		if id = strings.TrimSpace(id); !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
