// Package auth is the login gateway's domain: password login, MFA challenges, binding-code verify and resend.
package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"mfagateway/shared/odata"
)

// Channel is the way a binding code travels to the user.
type Channel string

// The channels of the Planon IoT API's authenticatorCode enum; each is run by an Authenticator.
const (
	ChannelSMS   Channel = "SMS"
	ChannelEmail Channel = "Email"
)

// channels are the names ParseChannel knows, in the order clients are told them.
var channels = []Channel{ChannelSMS, ChannelEmail}

// User is an account that can log in.
type User struct {
	ID           string
	Email        string // lower-cased; the login name
	Name         string
	PasswordHash string // argon2id PHC string
	Mobile       string // E.164, empty when none is saved
	// MobileCountry is the ISO 3166-1 alpha-2 country of Mobile, found when the number was saved, so
	// that a login can hold SMS to an application's countries without the numbering plan. Empty when
	// there is no number, or it was saved before countries were kept.
	MobileCountry string
	Admin         bool
	Applications  []string // appIds the user may log in to
	// Status is Pending (invited, no password yet), Activated or Blocked (no login); a user stored
	// before statuses were kept reads as Activated.
	Status      UserStatus
	CultureInfo string // BCP 47 tag, canonical; empty for none
	CreateDate  time.Time
	UpdateDate  time.Time
	// Epoch is the user's session generation. Every auth token and MFA challenge carries the epoch it
	// was made under, and only those of the current one work: raising it (a password set by ticket or
	// changed by the user) ends every token and challenge of the user in the same write. Zero for a
	// user stored before it was kept, and for its tokens and challenges.
	Epoch int
	// Ticket is the user's one live invitation or password-reset ticket; zero for none.
	Ticket UserTicket
	// PendingMobile is a number the user asked for and has not confirmed; zero for none. Codes keep
	// going to Mobile until it is confirmed.
	PendingMobile PendingMobile
	// OTP is the sealed secret of the user's confirmed authenticator app, a copy of its AuthenticatorApp's,
	// so that a login knows without another read to ask for its code, and its challenge carries it to
	// the verify; empty when the user has none confirmed.
	OTP string
}

// TicketKind is what a ticket was issued for.
type TicketKind string

// The ticket kinds.
const (
	TicketInvite TicketKind = "invite" // an invitation: its user is Pending
	TicketReset  TicketKind = "reset"  // a forgotten or admin-reset password
)

// UserTicket is a ticket as its user's item keeps it: only its SHA-256, so that the table never holds
// a usable ticket. A user has at most one: a new ticket replaces the previous one.
type UserTicket struct {
	Hash      string // hex SHA-256 of the ticket string; empty for none
	Kind      TicketKind
	AppID     string // the application the ticket's link and its login answer are for
	ExpiresAt time.Time
}

// PendingMobile is a mobile number waiting for the code sent to it, kept as the code's HMAC.
type PendingMobile struct {
	Number        string // E.164; empty for none
	Country       string // ISO 3166-1 alpha-2, as the numbering plan found it
	CodeHash      string
	CodeExpiresAt time.Time
	Attempts      int // wrong codes so far
	SentAt        time.Time
}

// UserStatus is where a user stands: only an Activated user may log in or use a token.
type UserStatus string

// The statuses of the platform's UserEntity.
const (
	StatusPending   UserStatus = "Pending"
	StatusActivated UserStatus = "Activated"
	StatusBlocked   UserStatus = "Blocked"
)

// Statuses are the statuses a user may have, in the order documents list them.
var Statuses = []UserStatus{StatusPending, StatusActivated, StatusBlocked}

// MemberOf reports whether the user may log in to the application.
func (u User) MemberOf(appID string) bool {
	for _, id := range u.Applications {
		if id == appID {
			return true
		}
	}
	return false
}

// Application is a client application users log in to.
type Application struct {
	ID               string
	Name             string
	URL              string // normalised with NormalizeURL
	UniqueIdentifier string
	MFA              bool   // enableMultiFactorAuthentication
	CultureInfo      string // BCP 47 tag, canonical; empty for none
	PhoneCountryCode string
	// Authenticators are the second factors allowed (multiFactorAuthenticators); nil, in an
	// application not yet through CheckApplication, is the defaults.
	Authenticators []Channel
	SMSCountries   []string // ISO 3166-1 alpha-2; SMS goes only to numbers of these; empty is all
	// AllowedOrigins are the origins the hosted login page may post a token to (scheme://host[:port],
	// see CheckAllowedOrigins); empty is none. They are public, as the url is.
	AllowedOrigins []string
	CreateDate     time.Time
	UpdateDate     time.Time
	Version        int // bumped by every change; guards concurrent replaces
	// SecretHashes are the hex SHA-256 of the application's valid secrets, oldest first, at most
	// MaxAppSecrets. Never shown, logged or copied to the url copy: only the authorizer compares them.
	SecretHashes []string
}

// AppRef names the application of a login: by ID (the appId header) or by URL.
type AppRef struct {
	ID  string
	URL string // normalised
}

// LoginAttempts is the state of one failed-password counter: the email's account count, or the
// email's count from one network. Counters are kept whether or not a user has the email, so that the
// lock itself reveals nothing.
type LoginAttempts struct {
	Failures    int
	LockedUntil time.Time
	Expires     time.Time // when the count is forgotten; the code checks it, TTL only sweeps
}

// LoginRecord is everything a login reads, fetched in one round trip.
type LoginRecord struct {
	User *User        // nil when no user has the email
	App  *Application // nil when the application is unknown
	// WrongCodes is the email's run of wrong binding codes; zero when none is stored.
	WrongCodes WrongCodes
}

// Token is an issued auth token; only the SHA-256 of the bearer string is kept.
type Token struct {
	ID        string // hex SHA-256 of the bearer string
	UserID    string
	Email     string
	Name      string
	AppID     string
	Admin     bool
	IssuedAt  time.Time
	ExpiresAt time.Time
	Epoch     int // the user's session epoch when the token was issued (User.Epoch)
}

// Challenge is a pending second factor: an MFA token (kept as its SHA-256) and the current binding code (kept as an HMAC).
type Challenge struct {
	ID            string // hex SHA-256 of the MFA token
	UserID        string
	Email         string
	Name          string
	AppID         string
	Admin         bool
	Channel       Channel
	Authenticator string
	To            string // full address; never logged or returned
	Destination   string // masked address, safe to show
	// Mobile is the user's mobile number at login, in full, beside Email, so that a resend can switch
	// the challenge to SMS without reading the user; never logged or returned. Empty when the user had
	// none, when the application did not let the login text it, and in challenges stored before it
	// was kept.
	Mobile string
	// MobileCountry is the ISO 3166-1 alpha-2 country of Mobile (User.MobileCountry), kept with it so
	// that the metrics of a text and of its code coming back count it by country; empty when Mobile is,
	// or the number's country is not known.
	MobileCountry string
	// NoEmail is set when the application did not allow email codes at login. With Mobile, kept only
	// when SMS was allowed, it is what a resend needs to switch only among the channels the login
	// had, without reading the application.
	NoEmail bool
	// Language is what the challenge's codes are written in, chosen at login from the user's and the
	// application's cultureInfo, so that a resend writes in it without reading either. Empty, in
	// challenges stored before it was kept, is DefaultLanguage.
	Language      Language
	CodeHash      string
	CodeExpiresAt time.Time
	ExpiresAt     time.Time // of the MFA token, resends included
	Attempts      int       // codes tried, all sends included: a resend does not restore them
	Sends         int       // codes sent for this challenge
	LastSentAt    time.Time
	Used          bool
	// Epoch is the user's session epoch at login (User.Epoch): a challenge of an earlier epoch never
	// yields a token.
	Epoch int
	// OTP is the sealed secret of the user's authenticator app at login (User.OTP) on a challenge that
	// asks for its code; never logged or returned.
	OTP string
}

// user is the challenge's user as the challenge knows it: enough to address a code and issue a token.
func (c Challenge) user() User {
	return User{ID: c.UserID, Email: c.Email, Name: c.Name, Mobile: c.Mobile, Admin: c.Admin, Epoch: c.Epoch}
}

// app is the challenge's application as far as ChannelsFor needs it: its SMS countries were already
// applied when Mobile was kept, so only whether it allows email is left.
func (c Challenge) app() Application {
	app := Application{ID: c.AppID}
	if c.NoEmail {
		app.Authenticators = []Channel{ChannelSMS}
	}
	return app
}

// Usable is the rule of whether a challenge may be used now, for a code attempt, a resend or being
// consumed: nil, ErrChallengeGone (used, or its MFA token expired; expiry is exclusive) or
// ErrAttemptsExhausted (maxAttempts codes tried, whatever was resent). The store's conditions on a
// challenge are tested against it, state by state.
func (c Challenge) Usable(now time.Time, maxAttempts int) error {
	switch {
	case c.Used || !now.Before(c.ExpiresAt):
		return ErrChallengeGone
	case c.Attempts >= maxAttempts:
		return ErrAttemptsExhausted
	}
	return nil
}

// Verifiable is Usable and what a code attempt needs besides: the channel named, when one is, is the
// challenge's (ErrChannelMismatch), and the current code has not expired (ErrCodeExpired). The
// refusals come in that order.
func (c Challenge) Verifiable(now time.Time, maxAttempts int, channel Channel) error {
	if err := c.Usable(now, maxAttempts); err != nil {
		return err
	}
	switch {
	case channel != "" && c.Channel != channel:
		return ErrChannelMismatch
	case !now.Before(c.CodeExpiresAt):
		return ErrCodeExpired
	}
	return nil
}

// SendSlot is the counters a send must fit in: its user's hourly send counter and, for a text
// message, a shard of the deployment's hourly SMS cap.
type SendSlot struct {
	UserID    string
	Window    time.Time // start of the clock hour
	Limit     int
	ExpiresAt time.Time // when the counter may be swept
	// SMS is the shard of the SMS cap a text counts in; zero for a send that is no text, which counts
	// in no shard.
	SMS SMSShard
}

// Store errors the domain reacts to. Store implementations wrap or return these.
var (
	ErrChallengeGone     = errors.New("challenge missing, used or expired")
	ErrAttemptsExhausted = errors.New("attempts used up")
	ErrCodeExpired       = errors.New("binding code expired")
	ErrChannelMismatch   = errors.New("authenticatorCode is not the channel the code went by")
	ErrSendLimit         = errors.New("per-user send limit reached")
	// ErrSMSCap (smscap.go) is the refusal of the slot's SMS shard.
	ErrConflict = errors.New("concurrent change")
)

// Store is the persistence the domain needs. Every method is one DynamoDB round trip unless noted.
type Store interface {
	// LoadLogin reads the user, the application and the email's run of wrong codes together.
	LoadLogin(ctx context.Context, email string, app AppRef) (LoginRecord, error)
	// AdmitAttempt counts a password attempt before the password is checked on its two counters, the
	// email's account and the email from the attempt's network, in one write: each by its rule, and
	// both or neither. A refusal says which rule refused, with that counter's state.
	AdmitAttempt(ctx context.Context, a PasswordAttempt, now time.Time, account, network AttemptRule) (Admission, error)
	// SettleAttempt takes back the counted attempt of a right password that signed nobody in (the send
	// cap refused the challenge): the network's count is forgotten and the attempt leaves the account's
	// count. IssueToken and CreateChallenge do the same in their own write. An attempt without a
	// network settles nothing.
	SettleAttempt(ctx context.Context, a PasswordAttempt, now time.Time) error
	// ForgetAttempts drops the email's account count of failed passwords; with a non-zero expires, only
	// if the count still has that expiry (so a count renewed meanwhile is kept).
	ForgetAttempts(ctx context.Context, email string, expires time.Time) error
	// IssueToken stores the token and, when from names the network of the login's counted attempt,
	// takes that attempt back as SettleAttempt does.
	IssueToken(ctx context.Context, t Token, from Network) error
	// CreateChallenge stores the challenge, counts its first send in the slot (ErrSendLimit when the
	// user's counter is full, else ErrSMSCap when its SMS shard is; the zero slot counts nothing)
	// and, when from names the network of the login's counted attempt, takes that attempt back as
	// SettleAttempt does.
	CreateChallenge(ctx context.Context, c Challenge, slot SendSlot, from Network) error
	// SetChannel records the channel a code actually went by, after a fallback.
	SetChannel(ctx context.Context, c Challenge) error
	// DeleteChallenge removes a challenge whose code could not be delivered.
	DeleteChallenge(ctx context.Context, id string) error
	// GetChallenge reads a challenge (ErrChallengeGone when absent); expiry is the caller's to check.
	GetChallenge(ctx context.Context, id string) (Challenge, error)
	// CountAttempt counts a wrong code in one transaction: one attempt of the challenge c, from exactly
	// c.Attempts, while it is verifiable now (channel, when not empty, must be its channel) and holds
	// c's code and its user's session epoch; and one wrong code in its user's run, as step says.
	// Errors, from what is stored: ErrChallengeGone, ErrAttemptsExhausted, ErrCodeExpired,
	// ErrChannelMismatch (Challenge.Verifiable), ErrConflict (a resend replaced the code),
	// ErrSecondFactorLocked or a *RateLimitError (WrongCodes.Refusal), and a *ChangedError when the
	// attempts or the run were not what c and step started from.
	CountAttempt(ctx context.Context, c Challenge, channel Channel, now time.Time, maxAttempts int, step WrongCodeStep) error
	// Consume marks the challenge used, counting its attempt, stores the token and ends the user's run of
	// wrong codes, in one transaction, provided the challenge is verifiable now (ErrChallengeGone,
	// ErrAttemptsExhausted, ErrCodeExpired, ErrChannelMismatch), still holds the compared code
	// (ErrConflict), is of its user's session epoch (ErrChallengeGone), and the run does not refuse
	// (ErrSecondFactorLocked, *RateLimitError).
	Consume(ctx context.Context, c Challenge, t Token, channel Channel, now time.Time, maxAttempts int) error
	// RotateCode replaces prev's code by next's, and its channel, provider and address by next's, provided
	// nobody changed prev meanwhile (ErrConflict), and counts the send in the slot (ErrSendLimit, then
	// ErrSMSCap).
	RotateCode(ctx context.Context, prev, next Challenge, slot SendSlot, maxAttempts int) error
	// OTPStore verifies the codes of authenticator apps and recovery codes (otp.go).
	OTPStore
}

// Hasher verifies passwords.
type Hasher interface {
	Verify(password, phc string) (bool, error)
	// VerifyDummy costs what Verify costs, for logins whose email has no user.
	VerifyDummy(password string)
}

// Message is one binding-code message.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Sender delivers messages on one channel.
type Sender interface {
	Send(ctx context.Context, m Message) error
	// Name is the provider, reported as the authenticator (e.g. "AmazonSNS").
	Name() string
}

// NormalizeURL puts an application address in the form it is stored and matched in: without a
// leading http:// or https://, lower-cased, without one trailing slash.
func NormalizeURL(raw string) string {
	u := strings.ToLower(strings.TrimSpace(raw))
	u = strings.TrimPrefix(u, "https://")
	u = strings.TrimPrefix(u, "http://")
	return strings.TrimSuffix(u, "/")
}

// NormalizeEmail is the form emails are stored and compared in.
func NormalizeEmail(raw string) string {
	return strings.ToLower(strings.TrimSpace(raw))
}

// RateLimitError is a refusal that may or may not be cured by waiting.
type RateLimitError struct {
	Reason     string
	RetryAfter time.Duration // zero when waiting does not help
}

func (e *RateLimitError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("rate limited (%s), retry after %s", e.Reason, e.RetryAfter)
	}
	return fmt.Sprintf("rate limited (%s)", e.Reason)
}

// CodeError is a wrong binding code.
type CodeError struct {
	Remaining int
}

func (e *CodeError) Error() string {
	return fmt.Sprintf("wrong binding code, %d attempts remaining", e.Remaining)
}

// Errors the service returns to its callers (besides *RateLimitError and *CodeError).
var (
	ErrInvalidCredentials = errors.New("invalid credentials")
	ErrInvalidMFAToken    = errors.New("invalid MFA token")
	ErrTooManyAttempts    = errors.New("too many attempts")
	ErrDeliveryFailed     = errors.New("binding code could not be delivered")
	// ErrChannelUnavailable is a resend asked for a channel on which the challenge's user has no address.
	ErrChannelUnavailable = errors.New("the user has no address on the channel asked for")
)

// Session is who a protected request acts as: the user of a live auth token, or an application acting
// by its own credentials (Client).
type Session struct {
	TokenID   string
	UserID    string
	Email     string
	Name      string
	AppID     string
	Admin     bool
	ExpiresAt time.Time
	// IssuedAt is when the token was issued: a change that wants a recent login (enrolling an
	// authenticator app) asks it. Zero for an application.
	IssuedAt time.Time
	// Client is an application acting by its ClientId and ClientSecret: UserID, Email, Name and TokenID
	// are empty and Admin is false. It may read and change its own application (AppID) and read,
	// create, invite, change and unblock users that are members of it, never an admin user, and never
	// make one.
	Client bool
}

// ApplicationPatch holds the fields a PATCH changes; nil leaves a field as it is.
type ApplicationPatch struct {
	Name             *string
	URL              *string
	UniqueIdentifier *string
	MFA              *bool
	CultureInfo      *string
	PhoneCountryCode *string
	Authenticators   *[]Channel // a list, even empty, replaces the one stored
	SMSCountries     *[]string
	AllowedOrigins   *[]string
}

// Errors of the protected routes.
var (
	ErrInvalidToken = errors.New("auth token missing, unknown, expired, revoked or of another application")
	ErrForbidden    = errors.New("caller is not an admin")
	ErrNotFound     = errors.New("not found")
	ErrURLTaken     = errors.New("url belongs to another application")
)

// TokenRecord is a stored token as the authorizer reads it.
type TokenRecord struct {
	Token     Token
	Revoked   bool // logged out
	AppExists bool // the application it was checked against is still there
	// User is the user the token names, as stored now; nil when that user is gone: deleted, or
	// re-created under a new userId.
	User *User
}

// TokenStore is what checking and revoking auth tokens needs.
type TokenStore interface {
	// TokenForApp reads a token by ID (ErrNotFound when absent), whether the application appID still
	// exists and the user userID as stored now, all in one read: a token of a deleted application, or
	// of a deleted or blocked user, must stop working at once. userID is the user the token names
	// (AuthTokenUser); the caller checks that the token's item agrees.
	TokenForApp(ctx context.Context, id, userID, appID string) (TokenRecord, error)
	// RevokeToken marks a token revoked (ErrNotFound when absent).
	RevokeToken(ctx context.Context, id string) error
}

// ApplicationStore is what managing applications needs.
type ApplicationStore interface {
	GetApplication(ctx context.Context, id string) (Application, error)
	// ApplicationByURL reads the application whose url is the normalised url (ErrNotFound when none).
	ApplicationByURL(ctx context.Context, url string) (Application, error)
	// CreateApplication stores a new application (ErrURLTaken when its url is another's).
	CreateApplication(ctx context.Context, a Application) error
	// ReplaceApplication swaps prev for next, moving the url index with it, provided prev is still
	// what is stored (ErrConflict otherwise) and the url is free (ErrURLTaken). next is stored with
	// Version prev.Version+1.
	ReplaceApplication(ctx context.Context, prev, next Application) error
	// ApplicationsByCreateDate reads the first limit applications in the order of creation, then appId,
	// in one read of an index made for it; more reports that there are others after them.
	ApplicationsByCreateDate(ctx context.Context, limit int) (apps []Application, more bool, err error)
	// ApplicationsAfter reads one page of that index: the first limit applications in the order of
	// creation after the page token after (from the first when empty) that pass filter
	// (ApplicationSchema's), and the token of the next page, empty when there are no more. The token
	// is opaque and names no entity the page did not answer. A token it did not hand out, or a filter
	// its database would refuse, is an *odata.Error naming $skiptoken or $filter, refused before any read.
	ApplicationsAfter(ctx context.Context, after string, limit int, filter []odata.Comparison) (apps []Application, next string, err error)
	// DeleteApplication removes a and its url index, provided a is still what is stored (ErrConflict otherwise).
	DeleteApplication(ctx context.Context, a Application) error
}
