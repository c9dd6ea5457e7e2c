package auth

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"mfagateway/shared/fault"
	"mfagateway/shared/mask"
)

// The account lifecycle: invitations, forgotten and admin-reset passwords (both by an emailed ticket),
// a password set by ticket, and a password changed by its user. A ticket is like an auth token: it
// names its user and application, carries 256 random bits, and only its SHA-256 is kept, on the user's
// item, so that a user has one live ticket at most and setting a password uses it up in the same
// conditional write.

// ErrInvalidTicket is a ticket that is malformed, unknown, used, replaced by a newer one, expired, of
// another application, or whose user may no longer log in to its application.
var ErrInvalidTicket = errors.New("ticket unknown, used, expired or of another application")

// ErrUserBlocked is a reset asked for a Blocked user: it must be unblocked first.
var ErrUserBlocked = errors.New("the user is blocked")

// ticketRandomBytes is the ticket's secret part: 256 random bits.
const ticketRandomBytes = 32

// TicketLen is the length of every ticket: base64url of the user's and the application's UUIDs and
// the random part.
var TicketLen = base64.RawURLEncoding.EncodedLen(2*userIDBytes + ticketRandomBytes)

// The links a ticket travels in, when the deployment sets none: {url} is the application's url,
// {ticket} the ticket.
const (
	DefaultInviteURL = "https://{url}/accept-invite?ticket={ticket}"
	DefaultResetURL  = "https://{url}/reset-password?ticket={ticket}"
)

// Links are the templates of the ticket links (INVITE_URL, PASSWORD_RESET_URL).
type Links struct {
	Invite string
	Reset  string
}

// link is the link of a ticket of kind for the application; false when the template places the
// application's url and it has none, which would make a link to no host.
func (l Links) link(kind TicketKind, app Application, ticket string) (string, bool) {
	tmpl := l.Reset
	def := DefaultResetURL
	if kind == TicketInvite {
		tmpl, def = l.Invite, DefaultInviteURL
	}
	if strings.TrimSpace(tmpl) == "" {
		tmpl = def
	}
	if strings.Contains(tmpl, "{url}") && strings.TrimSpace(app.URL) == "" {
		return "", false
	}
	return strings.NewReplacer("{url}", app.URL, "{ticket}", ticket).Replace(tmpl), true
}

// AccountStore is the persistence of the account lifecycle, besides the login's Store and the users'
// UserStore. Every method is one round trip.
type AccountStore interface {
	// UserAndApp reads the user userID (its copy by userId) and the application appID together; nil
	// for either that does not exist.
	UserAndApp(ctx context.Context, userID, appID string) (*User, *Application, error)
	// SetTicket writes next, prev with a new ticket, over prev as UserStore.UpdateUser does
	// (ErrConflict, ErrNotFound), and counts the ticket's email in the user's hourly send slot
	// (ErrSendLimit), in one transaction.
	SetTicket(ctx context.Context, prev, next User, slot SendSlot) error
	// SetPassword writes next over prev as UserStore.UpdateUser does and forgets the failed passwords
	// of the email, in one transaction. spare, when not empty, is the ID of an auth token of the user
	// that moves to next's epoch in the same transaction, so that it alone survives the change.
	SetPassword(ctx context.Context, prev, next User, spare string) error
	// ApplicationByURL reads the application whose url is the normalised url (ErrNotFound when none).
	ApplicationByURL(ctx context.Context, url string) (Application, error)
}

// Accounts runs the account lifecycle over the users service (the password policy and the hasher)
// and the login service (its answers, password attempts and email sender).
type Accounts struct {
	users    *Users
	svc      *Service
	store    AccountStore
	notifier *Notifier
	links    Links
	// sleep waits out what is left of a forgotPassword answer's time; tests replace it.
	sleep func(ctx context.Context, d time.Duration)
}

// NewAccounts returns the account lifecycle service. notifier may be nil (nothing is notified).
func NewAccounts(users *Users, svc *Service, store AccountStore, notifier *Notifier, links Links) *Accounts {
	return &Accounts{users: users, svc: svc, store: store, notifier: notifier, links: links, sleep: sleepCtx}
}

// WithSleep replaces how a forgotPassword answer waits out its time (tests count instead of waiting).
func (a *Accounts) WithSleep(sleep func(ctx context.Context, d time.Duration)) *Accounts {
	a.sleep = sleep
	return a
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func (a *Accounts) now() time.Time { return a.svc.Clock() }

func (a *Accounts) log() *slog.Logger { return a.svc.Log }

// newTicket mints a ticket of the user for the application, and its hash.
func (a *Accounts) newTicket(userID, appID string) (ticket, hash string, err error) {
	u, uerr := uuid.Parse(userID)
	app, aerr := uuid.Parse(appID)
	if uerr != nil || aerr != nil {
		return "", "", fmt.Errorf("ticket: %w", errNotUUID)
	}
	b := make([]byte, 2*userIDBytes+ticketRandomBytes)
	copy(b, u[:])
	copy(b[userIDBytes:], app[:])
	if _, err := io.ReadFull(a.svc.Random, b[2*userIDBytes:]); err != nil {
		return "", "", fmt.Errorf("random: %w", err)
	}
	ticket = base64.RawURLEncoding.EncodeToString(b)
	return ticket, TokenID(ticket), nil
}

// parseTicket reads the userId and appId a ticket names; false for anything that is no ticket.
func parseTicket(ticket string) (userID, appID string, ok bool) {
	if len(ticket) != TicketLen {
		return "", "", false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(ticket)
	if err != nil || len(b) != 2*userIDBytes+ticketRandomBytes {
		return "", "", false
	}
	u, _ := uuid.FromBytes(b[:userIDBytes])
	app, _ := uuid.FromBytes(b[userIDBytes : 2*userIDBytes])
	return u.String(), app.String(), true
}

// ticketLife is the lifetime of a ticket of kind.
func (a *Accounts) ticketLife(kind TicketKind) time.Duration {
	if kind == TicketInvite {
		return a.svc.Policy.InviteTTL
	}
	return a.svc.Policy.PasswordResetTTL
}

// issue gives prev (the user as stored) a new ticket of kind for app, which replaces any earlier one,
// and emails it. The send counts in the user's hourly send cap (a *RateLimitError past it).
func (a *Accounts) issue(ctx context.Context, log *slog.Logger, prev User, app Application, kind TicketKind) error {
	now := a.now()
	ticket, hash, err := a.newTicket(prev.ID, app.ID)
	if err != nil {
		return err
	}
	// Before the ticket is stored: a ticket nobody can follow must not replace one that works.
	link, ok := a.links.link(kind, app, ticket)
	if !ok {
		return &PropertyError{"url", "of the application is empty, and the ticket's link is built from it."}
	}
	life := a.ticketLife(kind)
	next := prev
	next.Applications = slices.Clone(prev.Applications)
	next.Ticket = UserTicket{Hash: hash, Kind: kind, AppID: app.ID, ExpiresAt: now.Add(life)}
	slot := a.svc.slot(prev.ID, now)
	if err := a.store.SetTicket(ctx, prev, next, slot); err != nil {
		if errors.Is(err, ErrSendLimit) {
			wait := slot.Window.Add(time.Hour).Sub(now)
			log.InfoContext(ctx, "ticket refused", "outcome", "send_limit", "retryAfter", seconds(wait))
			return &RateLimitError{Reason: "sends per user per hour", RetryAfter: wait}
		}
		return vanished(err)
	}
	lang := ChooseLanguage(prev.CultureInfo, app.CultureInfo)
	render := PasswordResetMessage
	if kind == TicketInvite {
		render = InvitationMessage
	}
	msg, err := render(lang, prev.Email, link, app.Name, life)
	if err != nil {
		return fmt.Errorf("ticket message: %w", err)
	}
	if a.svc.Email == nil {
		return fmt.Errorf("ticket email: %w", ErrDeliveryFailed)
	}
	if err := a.svc.Email.Send(ctx, msg); err != nil {
		log.WarnContext(ctx, "ticket not sent", "outcome", "delivery_failed", "error", fault.Text(err))
		return ErrDeliveryFailed
	}
	log.InfoContext(ctx, "ticket sent", "outcome", "sent", "kind", kind, "language", lang, "expiresIn", seconds(life))
	return nil
}

// ForgotPassword emails a reset ticket to the user with the email, when it is an Activated or Pending
// member of the application; otherwise it sends nothing. Either way it answers the same, after the
// same time (Policy.ForgotPasswordTime from its start), so that neither the answer nor its time tells
// whether the email has an account: a failure after the read (the write, the email, the hourly cap)
// is logged, not answered. Only a read that fails, which costs the same for every email, is an error.
func (a *Accounts) ForgotPassword(ctx context.Context, email string, app AppRef) error {
	start := a.now()
	defer func() { a.sleep(ctx, a.svc.Policy.ForgotPasswordTime-a.now().Sub(start)) }()
	email = NormalizeEmail(email)
	log := a.log().With("event", "forgot_password", "email", mask.Email(email), "appId", app.ID)
	var outcome string
	_, err := retryConflicts(ctx, func() error {
		rec, err := a.svc.Store.LoadLogin(ctx, email, app)
		if err != nil {
			return fmt.Errorf("forgot password: %w", err)
		}
		switch u := rec.User; {
		case rec.App == nil:
			outcome = "unknown_application"
		case u == nil:
			outcome = "unknown_user"
		case !u.MemberOf(rec.App.ID):
			outcome = "not_a_member"
		case u.State() == StatusBlocked:
			outcome = "user_blocked"
		default:
			// The work for a known email must end inside the answer's time, or the time would tell:
			// it gets what is left of nine tenths of it, and is logged as not sent past that.
			budget := a.svc.Policy.ForgotPasswordTime*9/10 - a.now().Sub(start)
			if budget <= 0 {
				outcome = "out_of_time"
				return nil
			}
			outcome = "sent"
			wctx, cancel := context.WithTimeout(ctx, budget)
			defer cancel()
			return a.issue(wctx, log.With("userId", u.ID), *u, *rec.App, TicketReset)
		}
		return nil
	})
	var rate *RateLimitError
	switch {
	case outcome == "sent" && errors.As(err, &rate):
		return nil // logged by issue; the answer is the same
	case outcome == "sent" && err != nil && !errors.Is(err, ctx.Err()):
		log.ErrorContext(ctx, "reset ticket not sent", "outcome", "failed", "error", fault.Text(err))
		return nil
	case err != nil:
		return err
	case outcome == "out_of_time":
		log.WarnContext(ctx, "reset ticket not sent", "outcome", outcome)
	case outcome != "sent":
		log.InfoContext(ctx, "reset ticket not sent", "outcome", outcome)
	}
	return nil
}

// PasswordSet is what setting a password by ticket answers: a login's answer, and the application.
type PasswordSet struct {
	Login LoginResult
	App   Application
}

// ChangePassword sets the password of a ticket's user: the ticket is used up, every auth token and
// MFA challenge of the user ends (its session epoch is raised), its failed passwords are forgotten, a
// Pending user becomes Activated, and the user is notified. Then it answers as a login with the new
// password to the ticket's application would, so a reset never skips the second factor: an auth token
// with MFA off, a started challenge with MFA on. appID, when not empty, is the application the request
// names, which must be the ticket's. A weak password leaves the ticket usable.
func (a *Accounts) ChangePassword(ctx context.Context, ticket, password, appID string) (PasswordSet, error) {
	userID, ticketApp, ok := parseTicket(ticket)
	log := a.log().With("event", "change_password")
	if !ok {
		log.InfoContext(ctx, "password not set", "outcome", "invalid_ticket", "reason", "malformed")
		return PasswordSet{}, ErrInvalidTicket
	}
	log = log.With("userId", userID, "appId", ticketApp)
	if appID != "" && !strings.EqualFold(appID, ticketApp) {
		log.InfoContext(ctx, "password not set", "outcome", "invalid_ticket", "reason", "other application")
		return PasswordSet{}, ErrInvalidTicket
	}
	hash := TokenID(ticket)
	var (
		phc  string
		next User
		app  Application
	)
	_, err := retryConflicts(ctx, func() error {
		u, ap, err := a.store.UserAndApp(ctx, userID, ticketApp)
		if err != nil {
			return fmt.Errorf("change password: %w", err)
		}
		if phc != "" && u != nil && ap != nil && u.PasswordHash == phc {
			// This request's own write landed and its answer was lost (an engine that does not make
			// a retried transaction idempotent): the hash, salted afresh, can be no one else's.
			next, app = *u, *ap
			return nil
		}
		if reason := ticketRefusal(u, ap, hash, ticketApp, a.now()); reason != "" {
			log.InfoContext(ctx, "password not set", "outcome", "invalid_ticket", "reason", reason)
			return ErrInvalidTicket
		}
		if phc == "" {
			if err := a.users.d.Passwords.Check(password, u.Email, ap.Name); err != nil {
				return err
			}
			if phc, err = a.users.d.Hasher.Hash(password); err != nil {
				return fmt.Errorf("change password: hash: %w", err)
			}
		}
		next = *u
		next.Applications = slices.Clone(u.Applications)
		next.PasswordHash, next.Ticket, next.Epoch, next.UpdateDate = phc, UserTicket{}, u.Epoch+1, a.users.now()
		if u.State() == StatusPending {
			next.Status = StatusActivated
		}
		app = *ap
		return vanished(a.store.SetPassword(ctx, *u, next, ""))
	})
	var weak *WeakPasswordError
	switch {
	case errors.As(err, &weak):
		log.InfoContext(ctx, "password not set", "outcome", "weak_password", "reason", weak.Reason)
		return PasswordSet{}, err
	case err != nil:
		return PasswordSet{}, err
	}
	log.InfoContext(ctx, "password set", "outcome", "password_set", "status", next.State(), "epoch", next.Epoch)
	res, err := a.svc.signIn(ctx, a.log().With("event", "login", "email", mask.Email(next.Email), "appId", app.ID), next, app, a.now())
	// Told after the login's answer is made, whatever it is (the password is set either way): a slow
	// email must not hold up the challenge's code.
	a.notifier.Notify(ctx, next, app.CultureInfo, NoticePasswordChanged, NoticeData{})
	if err != nil {
		return PasswordSet{}, err
	}
	return PasswordSet{Login: res, App: app}, nil
}

// ticketRefusal is why a ticket with hash cannot set u's password for the application appID, or "".
func ticketRefusal(u *User, app *Application, hash, appID string, now time.Time) string {
	switch {
	case u == nil:
		return "no user"
	case u.Ticket.Hash == "" || subtle.ConstantTimeCompare([]byte(u.Ticket.Hash), []byte(hash)) != 1:
		return "not the user's live ticket"
	case !now.Before(u.Ticket.ExpiresAt):
		return "expired"
	case u.Ticket.AppID != appID:
		return "other application"
	case app == nil:
		return "application deleted"
	case !u.MemberOf(appID):
		return "not a member"
	case u.State() == StatusBlocked:
		return "user blocked"
	}
	return ""
}

// UpdatePassword changes the caller's own password. The old password is checked as a login checks it,
// and counted like a login attempt (a wrong one is ErrInvalidCredentials, too many a *RateLimitError);
// the new one is held to the policy. Every other auth token and every MFA challenge of the user ends;
// the caller's token stays. The user is notified.
func (a *Accounts) UpdatePassword(ctx context.Context, who Session, oldPassword, newPassword, sourceIP string) error {
	if who.Client || who.UserID == "" {
		return a.users.forbidden(ctx, who, "update_password", User{}, "no user")
	}
	now := a.now()
	log := a.log().With("event", "update_password", "email", mask.Email(who.Email), "userId", who.UserID)
	// As at login, the attempt is counted while the user is read: one round trip for both.
	var (
		rec     LoginRecord
		readErr error
		read    = make(chan struct{})
	)
	go func() {
		defer close(read)
		rec, readErr = a.svc.Store.LoadLogin(ctx, who.Email, AppRef{ID: who.AppID})
	}()
	attempt := PasswordAttempt{Email: who.Email, Network: NetworkOf(sourceIP)}
	err := a.svc.admitFrom(ctx, attempt, now)
	<-read
	if err != nil {
		var rate *RateLimitError
		if errors.As(err, &rate) {
			log.InfoContext(ctx, "password not changed", "outcome", "locked", "retryAfter", seconds(rate.RetryAfter))
		}
		return err
	}
	if readErr != nil {
		return fmt.Errorf("update password: %w", readErr)
	}
	u := rec.User
	if u == nil || u.ID != who.UserID || u.PasswordHash == "" {
		a.svc.Hasher.VerifyDummy(oldPassword)
		log.InfoContext(ctx, "password not changed", "outcome", "invalid_credentials", "reason", "no such user")
		return ErrInvalidCredentials
	}
	if ok, err := a.svc.Hasher.Verify(oldPassword, u.PasswordHash); err != nil || !ok {
		log.InfoContext(ctx, "password not changed", "outcome", "invalid_credentials", "reason", "wrong_password")
		return ErrInvalidCredentials
	}
	var appNames []string
	if rec.App != nil {
		appNames = append(appNames, rec.App.Name)
	}
	if err := a.users.d.Passwords.Check(newPassword, u.Email, appNames...); err != nil {
		// The old password was right: its counted attempt must not push the user towards backoff.
		if ferr := a.svc.Store.SettleAttempt(ctx, attempt, now); ferr != nil {
			log.WarnContext(ctx, "attempts not forgotten", "error", fault.Text(ferr))
		}
		var weak *WeakPasswordError
		if errors.As(err, &weak) {
			log.InfoContext(ctx, "password not changed", "outcome", "weak_password", "reason", weak.Reason)
		}
		return err
	}
	phc, err := a.users.d.Hasher.Hash(newPassword)
	if err != nil {
		return fmt.Errorf("update password: hash: %w", err)
	}
	prev := *u
	var next User
	_, err = retryConflicts(ctx, func() error {
		if prev.PasswordHash == phc {
			// This request's own write landed and its answer was lost (an engine that does not make
			// a retried transaction idempotent): the hash, salted afresh, can be no one else's.
			next = prev
			return nil
		}
		if prev.PasswordHash != u.PasswordHash {
			// The password changed since the old one was checked: that one is no longer the user's.
			log.InfoContext(ctx, "password not changed", "outcome", "conflict", "reason", "changed meanwhile")
			return ErrInvalidCredentials
		}
		next = prev
		next.Applications = slices.Clone(prev.Applications)
		// A live reset ticket is for a password the user has now replaced: it ends with the change.
		next.PasswordHash, next.Epoch, next.Ticket, next.UpdateDate = phc, prev.Epoch+1, UserTicket{}, a.users.now()
		if err := vanished(a.store.SetPassword(ctx, prev, next, who.TokenID)); !errors.Is(err, ErrConflict) {
			return err
		}
		fresh, err := a.users.byID(ctx, who.UserID)
		if err != nil {
			return err
		}
		prev = fresh
		return ErrConflict
	})
	if err != nil {
		return err
	}
	log.InfoContext(ctx, "password changed", "outcome", "password_changed", "epoch", next.Epoch)
	culture := ""
	if rec.App != nil {
		culture = rec.App.CultureInfo
	}
	a.notifier.Notify(ctx, next, culture, NoticePasswordChanged, NoticeData{})
	return nil
}

// ticketApp is the application an invitation or reset is for: the one the caller's session is of
// when the user is a member of it, else the user's first; a user of no application cannot be sent a
// ticket (a *PropertyError).
func (a *Accounts) ticketApp(ctx context.Context, who Session, u User) (Application, error) {
	var ids []string
	if who.AppID != "" && u.MemberOf(who.AppID) {
		ids = append(ids, who.AppID)
	}
	ids = appSet(ids, u.Applications)
	if len(ids) == 0 {
		return Application{}, noTicketApplication()
	}
	// The first that still exists: a user may keep the appId of an application deleted since.
	for _, id := range ids {
		app, err := a.users.d.Store.GetApplication(ctx, id)
		if !errors.Is(err, ErrNotFound) {
			return app, err
		}
	}
	return Application{}, &MissingApplicationError{ID: ids[0]}
}

// noTicketApplication refuses a ticket for a user of no application.
func noTicketApplication() error {
	return &PropertyError{"applications", "must name an application: the ticket's link and login are for one."}
}

// Invite creates a Pending user (or takes the Pending user that has the email) and emails it an
// invitation ticket, which replaces any earlier one. Who may: as CreatePending.
func (a *Accounts) Invite(ctx context.Context, who Session, n NewUser) (UserView, error) {
	var (
		v   UserView
		err error
	)
	if who.Client || len(appSet(nil, n.Applications)) > 0 {
		v, err = a.users.CreatePending(ctx, who, n)
		if errors.Is(err, ErrUserExists) {
			v, err = a.pendingUser(ctx, who, n.Email)
		}
	} else {
		// A user of no application can be sent no ticket, so a new one is refused before it is stored:
		// once stored, it would stay Pending, and every later invitation would take it as stored,
		// without the applications that invitation names. A Pending user that exists is invited to its
		// own applications.
		if err = a.users.gate(ctx, who, "invite"); err == nil {
			v, err = a.pendingUser(ctx, who, n.Email)
		}
		if errors.Is(err, ErrUserNotFound) {
			err = a.users.fail(ctx, who, "invite", n.Email, noTicketApplication())
		}
	}
	if err != nil {
		return UserView{}, err
	}
	log := a.log().With("event", "invite", "email", mask.Email(v.User.Email), "userId", v.User.ID, "actor", actor(who))
	app, err := a.ticketApp(ctx, who, v.User)
	if err != nil {
		return UserView{}, a.users.fail(ctx, who, "invite", v.User.Email, err)
	}
	log = log.With("appId", app.ID)
	_, err = retryConflicts(ctx, func() error {
		err := a.issue(ctx, log, v.User, app, TicketInvite)
		if !errors.Is(err, ErrConflict) {
			return err
		}
		fresh, rerr := a.pendingUser(ctx, who, v.User.Email)
		if rerr != nil {
			return rerr
		}
		v = fresh
		return err
	})
	if err != nil {
		return UserView{}, err
	}
	return v, nil
}

// pendingUser is the stored user with the email, when it is still Pending and who may change it;
// ErrUserExists otherwise.
func (a *Accounts) pendingUser(ctx context.Context, who Session, email string) (UserView, error) {
	u, err := a.users.read(ctx, email)
	if err != nil {
		return UserView{}, a.users.fail(ctx, who, "invite", email, err)
	}
	if u.State() != StatusPending {
		return UserView{}, a.users.fail(ctx, who, "invite", email, ErrUserExists)
	}
	if err := a.users.may(ctx, who, "invite", u, true); err != nil {
		return UserView{}, err
	}
	// A new invitation replaces the one the user has, which may be another application's: an
	// application acting by its credentials may do that only to a user of it alone.
	if err := a.users.clientAlone(ctx, who, "invite", u); err != nil {
		return UserView{}, err
	}
	return UserView{User: u}, nil
}

// ResetPassword emails the user a reset ticket for the application with the url (normalised; empty:
// as Invite chooses). Admins only; a Blocked user is refused (ErrUserBlocked).
func (a *Accounts) ResetPassword(ctx context.Context, who Session, userID, url string) error {
	if !who.Admin {
		return a.users.forbidden(ctx, who, "reset_password", User{ID: userID}, "not an admin")
	}
	_, err := retryConflicts(ctx, func() error {
		u, err := a.users.byID(ctx, userID)
		if err != nil {
			return err
		}
		if u.State() == StatusBlocked {
			return ErrUserBlocked
		}
		var app Application
		if url = NormalizeURL(url); url != "" {
			app, err = a.store.ApplicationByURL(ctx, url)
			switch {
			case errors.Is(err, ErrNotFound):
				return &PropertyError{"url", "names no application."}
			case err != nil:
				return err
			case !u.MemberOf(app.ID):
				return &PropertyError{"url", "names an application the user is not a member of."}
			}
		} else if app, err = a.ticketApp(ctx, who, u); err != nil {
			return err
		}
		log := a.log().With("event", "reset_password", "email", mask.Email(u.Email), "userId", u.ID, "appId", app.ID, "actor", actor(who))
		return a.issue(ctx, log, u, app, TicketReset)
	})
	if err != nil {
		return a.users.fail(ctx, who, "reset_password", "", err)
	}
	return nil
}
