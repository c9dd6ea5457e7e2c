package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"slices"
	"time"

	"mfagateway/shared/fault"
	"mfagateway/shared/mask"
)

// Policy holds the security settings; the defaults are the contract's.
type Policy struct {
	CodeTTL          time.Duration // BINDING_CODE_TTL
	MFATokenTTL      time.Duration // MFA_TOKEN_TTL
	MaxAttempts      int           // MFA_MAX_ATTEMPTS: wrong codes per challenge, resends included
	ResendCooldown   time.Duration // RESEND_COOLDOWN
	MaxSends         int           // MFA_MAX_SENDS
	SendsPerHour     int           // MFA_SENDS_PER_HOUR
	LoginMaxFailures int           // LOGIN_MAX_FAILURES: per email and source network
	// LoginAccountMaxFailures is the failed passwords of one email per clock hour, every network's
	// together, before every network backs off (LOGIN_ACCOUNT_MAX_FAILURES).
	LoginAccountMaxFailures int
	AuthTokenTTL            time.Duration // AUTH_TOKEN_TTL
	// PasswordMinLength is the fewest characters of a new password (PASSWORD_MIN_LENGTH), at least
	// MinPasswordLength.
	PasswordMinLength int
	PasswordResetTTL  time.Duration // PASSWORD_RESET_TTL: the life of a reset ticket
	InviteTTL         time.Duration // INVITE_TTL: the life of an invitation ticket
	// ForgotPasswordTime is how long every forgotPassword answer takes (FORGOT_PASSWORD_TIME): the
	// work for a known email (a write and an email) runs inside it, so that the time tells nothing.
	ForgotPasswordTime time.Duration
	// SMSSendsPerHour is the text messages the whole deployment sends per clock hour (SMS_SENDS_PER_HOUR):
	// past it codes go by email where the user may have them, else the send fails. Zero caps nothing.
	SMSSendsPerHour int
	// AccountMaxFailures is the run of wrong codes, across a user's challenges, after which the user's
	// second factor backs off (MFA_ACCOUNT_MAX_FAILURES), at most SecondFactorLock.
	AccountMaxFailures int
}

// DefaultPolicy is the contract's table of security defaults.
var DefaultPolicy = Policy{
	CodeTTL:          5 * time.Minute,
	MFATokenTTL:      15 * time.Minute,
	MaxAttempts:      5,
	ResendCooldown:   30 * time.Second,
	MaxSends:         3,
	SendsPerHour:     10,
	LoginMaxFailures: 5,
	// Enough for a user mistyping on every device they own, and few enough that guesses spread over
	// many networks get no more than a handful of tries an hour past it.
	LoginAccountMaxFailures: 50,
	AuthTokenTTL:            10 * time.Hour,
	// NIST SP 800-63B-4's floor for a password that is the only factor: an application may have MFA off.
	PasswordMinLength:  15,
	PasswordResetTTL:   time.Hour,
	InviteTTL:          7 * 24 * time.Hour,
	ForgotPasswordTime: time.Second,
	AccountMaxFailures: 10,
	SMSSendsPerHour:    1000,
}

const (
	firstBackoff = time.Second
	maxBackoff   = 15 * time.Minute
	// failureMemory is how long a network's count of failed passwords is kept after its last attempt.
	failureMemory = 24 * time.Hour
	secretBytes   = 32
	// cleanupBudget bounds the removal of an undeliverable challenge, which runs past the request's own
	// deadline (inside the margin the handlers keep before the Lambda timeout).
	cleanupBudget = 500 * time.Millisecond
	codeDigits    = 6
)

// Deps are the service's ports. SMS, Email and Hasher may be nil in a function that only verifies:
// checking a code needs no sender.
type Deps struct {
	Store  Store
	Hasher Hasher
	SMS    Sender // carries the SMS authenticator's codes
	Email  Sender // carries the email authenticator's codes
	Clock  func() time.Time
	Random io.Reader // crypto/rand.Reader in production
	Secret []byte    // HMAC key for binding codes; never stored in the table
	// PreviousSecret is the server secret's version before its last rotation, under which a code sent
	// before the rotation still verifies; nil when there is none. New codes are under Secret.
	PreviousSecret []byte
	Policy         Policy
	Log            *slog.Logger
	// Notifier tells a user that their second factor started to back off; nil tells nobody.
	Notifier *Notifier
	// Metrics counts the logins, the codes sent and the verifies; nil counts nothing.
	Metrics Metrics
}

// Service runs the login, verify and resend flows.
type Service struct {
	Deps
	codes          codeKey
	otpKeys        otpKeys
	authenticators map[Channel]Authenticator
}

// NewService returns a service over deps, filling in the real clock and randomness where absent.
func NewService(d Deps) *Service {
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Random == nil {
		d.Random = rand.Reader
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Metrics == nil {
		d.Metrics = noMetrics{}
	}
	s := &Service{Deps: d, codes: codeKey{current: d.Secret, previous: d.PreviousSecret}}
	s.wireAuthenticators()
	return s
}

// LoginInput is a decoded login request.
type LoginInput struct {
	Email    string
	Password string
	App      AppRef
	// SourceIP is the client's address (API Gateway's sourceIp; locally the peer's): failed passwords
	// are counted by its network (NetworkOf). Empty is UnknownNetwork.
	SourceIP string
}

// LoginResult is either an auth token (MFA == nil) or a started challenge.
type LoginResult struct {
	Name      string
	Token     string
	ExpiresIn time.Duration
	MFA       *ChallengeResult
}

// ChallengeResult is what the client learns of a sent binding code.
type ChallengeResult struct {
	Token         string // the MFA token
	Channel       Channel
	Authenticator string
	Destination   string
	ExpiresIn     time.Duration // of the binding code
}

// VerifyResult is the outcome of a right binding code.
type VerifyResult struct {
	Token         string
	Channel       Channel
	Authenticator string
	Name          string
	ExpiresIn     time.Duration
	// RecoveryCodesRemaining is, after a recovery code, how many the user has left; nil otherwise.
	RecoveryCodesRemaining *int
}

// Login checks a password and either issues an auth token or starts a challenge.
// Every credential failure costs one password verification and one counter write, whatever its cause.
func (s *Service) Login(ctx context.Context, in LoginInput) (LoginResult, error) {
	res, err := s.login(ctx, in)
	s.Metrics.Login(ctx, loginOutcome(res, err))
	return res, err
}

func (s *Service) login(ctx context.Context, in LoginInput) (LoginResult, error) {
	now := s.Clock()
	attempt := PasswordAttempt{Email: NormalizeEmail(in.Email), Network: NetworkOf(in.SourceIP)}
	log := s.Log.With("event", "login", "email", mask.Email(attempt.Email), "appId", in.App.ID, "network", string(attempt.Network))
	// The attempt is counted before the password is checked, and in parallel with the read, so that
	// a burst of guesses gets no more checks than the limit allows.
	type loaded struct {
		rec LoginRecord
		err error
	}
	read := make(chan loaded, 1)
	go func() {
		rec, err := s.Store.LoadLogin(ctx, attempt.Email, in.App)
		read <- loaded{rec, err}
	}()
	admitErr := s.admitFrom(ctx, attempt, now)
	got := <-read
	if admitErr != nil {
		var rate *RateLimitError
		if errors.As(admitErr, &rate) {
			log.InfoContext(ctx, "login refused", "outcome", "locked", "reason", rate.Reason, "retryAfter", seconds(rate.RetryAfter))
		}
		return LoginResult{}, admitErr
	}
	if got.err != nil {
		return LoginResult{}, fmt.Errorf("load login: %w", got.err)
	}
	rec := got.rec

	if reason := s.checkCredentials(rec, in.Password); reason != "" {
		outcome := "invalid_credentials"
		if reason == reasonBlocked || reason == reasonPending {
			// Answered as bad credentials, so that nobody learns a password was right; the log tells.
			outcome = reason
		}
		log.InfoContext(ctx, "login refused", "outcome", outcome, "reason", reason)
		return LoginResult{}, ErrInvalidCredentials
	}
	if rec.App.MFA {
		// The user's second factor backs off or is locked: no challenge, so nothing is sent.
		if err := rec.WrongCodes.Refusal(rec.User.ID, now); err != nil {
			log = log.With("userId", rec.User.ID)
			// The password was right: its counted attempt must not push the user into password backoff.
			if ferr := s.Store.SettleAttempt(ctx, PasswordAttempt{Email: rec.User.Email, Network: attempt.Network}, now); ferr != nil {
				log.WarnContext(ctx, "attempts not forgotten", "error", fault.Text(ferr))
			}
			return LoginResult{}, refuseSecondFactor(ctx, log, "login refused", err)
		}
	}
	return s.signInFrom(ctx, log, *rec.User, *rec.App, now, attempt.Network)
}

// signIn is what a password set by ticket answers: what a login with the new password would, so that
// it never skips the second factor. No attempt was counted for it.
func (s *Service) signIn(ctx context.Context, log *slog.Logger, user User, app Application, now time.Time) (LoginResult, error) {
	return s.signInFrom(ctx, log, user, app, now, "")
}

// signInFrom is what a login whose password was right answers: an auth token when the application has
// MFA off, else a started challenge. The write that stores either takes the login's counted attempt
// back (from, the attempt's network; empty when none was counted): the network's count is forgotten,
// and the attempt leaves the account's hourly count.
func (s *Service) signInFrom(ctx context.Context, log *slog.Logger, user User, app Application, now time.Time, from Network) (LoginResult, error) {
	if !app.MFA {
		bearer, tok, err := s.newToken(user, app.ID, now)
		if err != nil {
			return LoginResult{}, err
		}
		if err := s.Store.IssueToken(ctx, tok, from); err != nil {
			return LoginResult{}, fmt.Errorf("issue token: %w", err)
		}
		log.InfoContext(ctx, "login succeeded", "outcome", "token_issued", "userId", user.ID)
		return LoginResult{Name: user.Name, Token: bearer, ExpiresIn: s.Policy.AuthTokenTTL}, nil
	}
	res, err := s.startChallenge(ctx, log, user, app, now, from)
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Name: user.Name, MFA: &res}, nil
}

// The reasons of a refused login whose user may not log in whatever the password.
const (
	reasonBlocked = "user_blocked"
	reasonPending = "user_pending"
)

// checkCredentials returns why the login fails, or "" when it may go on. It always verifies one
// password hash: a user without one (Pending, invited) costs the dummy verification, as an unknown
// email does, so that the time taken tells nothing.
func (s *Service) checkCredentials(rec LoginRecord, password string) string {
	if rec.User == nil {
		s.Hasher.VerifyDummy(password)
		return "unknown_user"
	}
	if rec.User.PasswordHash == "" {
		s.Hasher.VerifyDummy(password)
		if rec.User.State() == StatusBlocked {
			return reasonBlocked
		}
		return reasonPending
	}
	ok, err := s.Hasher.Verify(password, rec.User.PasswordHash)
	switch {
	case err != nil:
		s.Log.Error("stored password hash unusable", "userId", rec.User.ID, "error", err)
		return "bad_stored_hash"
	case !ok:
		return "wrong_password"
	case rec.User.State() == StatusBlocked:
		return reasonBlocked
	case rec.User.State() != StatusActivated:
		return reasonPending
	case rec.App == nil:
		return "unknown_application"
	case !rec.User.MemberOf(rec.App.ID):
		return "not_a_member"
	}
	return ""
}

// Backoff is the lock after the limit of failed passwords has been passed n times: 1 s doubling, at most 15 min.
func Backoff(n int) time.Duration {
	n = max(n, 0)
	if n >= 10 { // 1s<<10 is already past the cap; avoid shifting into overflow
		return maxBackoff
	}
	return min(firstBackoff<<n, maxBackoff)
}

func (s *Service) startChallenge(ctx context.Context, log *slog.Logger, user User, app Application, now time.Time, from Network) (ChallengeResult, error) {
	mfaToken, id, err := s.newSecret()
	if err != nil {
		return ChallengeResult{}, err
	}
	code, err := s.newCode()
	if err != nil {
		return ChallengeResult{}, err
	}
	chain := s.channelFor(user, app)
	if len(chain) == 0 {
		// The application allows no channel this user can be reached on: no challenge is made.
		log.WarnContext(ctx, "login failed", "outcome", "delivery_failed", "userId", user.ID, "reason", "no_channel")
		return ChallengeResult{}, ErrDeliveryFailed
	}
	ch := Challenge{
		ID: id, UserID: user.ID, Email: user.Email, Name: user.Name, AppID: app.ID, Admin: user.Admin,
		NoEmail: !app.Allows(ChannelEmail), Language: ChooseLanguage(user.CultureInfo, app.CultureInfo),
		Sends: 1, LastSentAt: now, Epoch: user.Epoch,
		CodeExpiresAt: now.Add(s.Policy.CodeTTL), ExpiresAt: now.Add(s.Policy.MFATokenTTL),
	}
	if slices.Contains(ChannelsFor(user, app), ChannelSMS) {
		// Kept only when SMS is allowed, so that a resend cannot switch to it otherwise.
		ch.Mobile, ch.MobileCountry = user.Mobile, user.MobileCountry
	}
	address(&ch, chain[0], user)
	readyForApp(&ch, user)
	ch.CodeHash = s.codes.hash(ch.ID, ch.Sends, code)
	log = log.With("userId", user.ID, "challenge", shortID(id))
	err = s.createChallenge(ctx, ch, now, from)
	if errors.Is(err, ErrSMSCap) {
		// Past the deployment's SMS cap the code goes by the next channel, email where the user may
		// have it; the refused transaction wrote nothing, so the challenge is stored anew.
		s.Metrics.SMSCapped(ctx)
		log.WarnContext(ctx, "sms cap reached", "channel", ch.Channel)
		if chain = chain[1:]; len(chain) == 0 {
			s.settle(ctx, log, user, from, now)
			log.WarnContext(ctx, "login failed", "outcome", "delivery_failed", "reason", "sms_cap")
			return ChallengeResult{}, ErrDeliveryFailed
		}
		address(&ch, chain[0], user)
		err = s.createChallenge(ctx, ch, now, from)
	}
	if err != nil {
		if errors.Is(err, ErrSendLimit) {
			s.settle(ctx, log, user, from, now)
			wait := s.slot(user.ID, now).Window.Add(time.Hour).Sub(now)
			log.InfoContext(ctx, "login refused", "outcome", "send_limit", "retryAfter", seconds(wait))
			return ChallengeResult{}, &RateLimitError{Reason: "sends per user per hour", RetryAfter: wait}
		}
		return ChallengeResult{}, fmt.Errorf("create challenge: %w", err)
	}
	if err := s.deliver(ctx, log, &ch, code, user, chain); err != nil {
		// The cleanup must run even when the request's time is up: it gets its own short budget.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupBudget)
		defer cancel()
		if derr := s.Store.DeleteChallenge(cctx, ch.ID); derr != nil {
			log.ErrorContext(ctx, "undeliverable challenge not deleted", "error", fault.Text(derr))
		}
		log.WarnContext(ctx, "login failed", "outcome", "delivery_failed")
		return ChallengeResult{}, err
	}
	outcome := "code_sent"
	if ch.Channel == ChannelOTP {
		outcome = "authenticator_app"
	}
	log.InfoContext(ctx, "login needs second factor", "outcome", outcome, "channel", ch.Channel, "destination", ch.Destination)
	return s.challengeResult(mfaToken, ch, now), nil
}

// createChallenge stores ch with its first send counted in the slots sendSlotOf gives it.
func (s *Service) createChallenge(ctx context.Context, ch Challenge, now time.Time, from Network) error {
	slot, err := s.sendSlotOf(ch, now)
	if err != nil {
		return err
	}
	return s.Store.CreateChallenge(ctx, ch, slot, from)
}

// settle takes back the counted attempt of a login whose password was right but that started no
// challenge: it must not push the user into password backoff.
func (s *Service) settle(ctx context.Context, log *slog.Logger, user User, from Network, now time.Time) {
	if err := s.Store.SettleAttempt(ctx, PasswordAttempt{Email: user.Email, Network: from}, now); err != nil {
		// Logged through fault.Text, as every store and sender error here: AWS's messages can name the
		// table and hold an item's contents or a recipient.
		log.WarnContext(ctx, "attempts not forgotten", "error", fault.Text(err))
	}
}

// deliver starts the challenge on the first authenticator of chain that delivers. Before a later one
// is tried the challenge records its channel, so that a code that arrives always belongs to a
// challenge that says how it went. user addresses the later ones.
func (s *Service) deliver(ctx context.Context, log *slog.Logger, ch *Challenge, code string, user User, chain []Authenticator) error {
	for i, a := range chain {
		if i > 0 {
			next := *ch
			address(&next, a, user)
			if next.To == "" {
				continue
			}
			if err := s.Store.SetChannel(ctx, next); err != nil {
				return fmt.Errorf("record fallback channel: %w", err)
			}
			*ch = next
		}
		err := a.Start(ctx, *ch, code)
		if err == nil {
			if a.CanResend() { // an authenticator that sends its codes: the app's sends none
				s.Metrics.CodeSent(ctx, string(ch.Channel), codeCountry(*ch))
			}
			return nil
		}
		log.WarnContext(ctx, "send failed", "channel", ch.Channel, "destination", ch.Destination, "error", fault.Text(err))
	}
	return ErrDeliveryFailed
}

// Verify checks a binding code. The challenge is read and the code compared, but nothing is answered
// before the write that counts the attempt has passed, so that however many race no more codes are
// judged than the challenge and its user's run of wrong codes allow: a wrong code counts against both
// in one transaction (CountAttempt), a right one counts its attempt in the transaction that consumes
// the challenge, stores the auth token and ends the run (Consume). The run is kept under the user's
// email, which only the challenge tells: hence the read first, where one write used to do.
func (s *Service) Verify(ctx context.Context, mfaToken string, channel Channel, code string) (VerifyResult, error) {
	var read Challenge
	res, err := s.verify(ctx, mfaToken, channel, code, &read)
	tried, country := string(read.Channel), codeCountry(read)
	if channel == ChannelRecoveryCode {
		tried, country = string(ChannelRecoveryCode), ""
	}
	s.Metrics.Verify(ctx, verifyOutcome(err), tried, country)
	return res, err
}

// verify is Verify, leaving in read the challenge as first read, for its metric.
func (s *Service) verify(ctx context.Context, mfaToken string, channel Channel, code string, read *Challenge) (VerifyResult, error) {
	now := s.Clock()
	id, ok := secretID(mfaToken)
	log := s.Log.With("event", "verify", "challenge", shortID(id))
	if !ok {
		log.InfoContext(ctx, "verify refused", "outcome", "invalid_mfa_token", "reason", "malformed")
		return VerifyResult{}, ErrInvalidMFAToken
	}
	ch, err := s.Store.GetChallenge(ctx, id)
	if err != nil {
		return VerifyResult{}, s.refuse(ctx, log, err)
	}
	*read = ch
	log = log.With("userId", ch.UserID, "email", mask.Email(ch.Email))
	var seen *WrongCodes          // the user's run, once a refused write has shown it
	on := countedChannel(channel) // the channel the attempt must be on: any, for a recovery code
	for range maxCountTries {
		rule := ch.Verifiable(now, s.Policy.MaxAttempts, on)
		if channel == ChannelRecoveryCode {
			rule = ch.Usable(now, s.Policy.MaxAttempts) // a recovery code answers any live challenge
		}
		if rule != nil {
			return VerifyResult{}, s.refuse(ctx, log, rule)
		}
		var (
			res    VerifyResult
			done   bool
			err    error
			reread *ChangedError
		)
		if ownsCode(ch, channel) {
			res, done, err = s.verifyOwnCode(ctx, log, ch, channel, code, now)
		} else {
			authn, aerr := s.authenticator(ch.Channel)
			if aerr != nil {
				return VerifyResult{}, aerr
			}
			if authn.Check(ch, code) {
				res, err = s.consume(ctx, log, ch, on, now)
				done = true
			}
		}
		if done && errors.As(err, &reread) {
			// Other attempts, or a resend, came first: a right code takes its place in line as a
			// wrong one does, so decide again on the challenge as it is now.
			if reread.Challenge != nil {
				ch = *reread.Challenge
			} else if ch, err = s.Store.GetChallenge(ctx, id); err != nil {
				return VerifyResult{}, s.refuse(ctx, log, err)
			}
			continue
		}
		if done {
			return res, err
		}
		counted, step, err := s.countWrongCode(ctx, ch, on, now, seen)
		var changed *ChangedError
		switch {
		case err == nil:
			return VerifyResult{}, s.wrongCode(ctx, log.With("attempt", counted.Attempts), counted, step, now)
		case errors.As(err, &changed):
			if changed.Run != nil {
				seen = changed.Run
			}
			switch {
			case changed.Challenge != nil:
				ch = *changed.Challenge
			case changed.Run == nil: // the write collided with another: nothing is known, read again
				if ch, err = s.Store.GetChallenge(ctx, id); err != nil {
					return VerifyResult{}, s.refuse(ctx, log, err)
				}
			}
			continue
		case secondFactorRefused(err):
			return VerifyResult{}, refuseSecondFactor(ctx, log, "verify refused", err)
		case errors.Is(err, ErrConflict): // a resend replaced the code after the read: an old code was compared
			log.InfoContext(ctx, "verify refused", "outcome", "invalid_code", "reason", "code replaced by a resend")
			return VerifyResult{}, &CodeError{Remaining: max(s.Policy.MaxAttempts-ch.Attempts, 0)}
		}
		return VerifyResult{}, s.refuse(ctx, log, err)
	}
	log.WarnContext(ctx, "verify refused", "outcome", "contended")
	return VerifyResult{}, &RateLimitError{Reason: "code attempts contended", RetryAfter: time.Second}
}

// consume issues the auth token of a right code of ch, as read.
func (s *Service) consume(ctx context.Context, log *slog.Logger, ch Challenge, channel Channel, now time.Time) (VerifyResult, error) {
	log = log.With("attempt", ch.Attempts+1)
	bearer, tok, err := s.newToken(ch.user(), ch.AppID, now)
	if err != nil {
		return VerifyResult{}, err
	}
	if err := s.Store.Consume(ctx, ch, tok, channel, now, s.Policy.MaxAttempts); err != nil {
		var changed *ChangedError
		switch {
		case errors.As(err, &changed):
			return VerifyResult{}, err // the verify decides again
		case errors.Is(err, ErrConflict): // a resend replaced this code between the read and now
			log.InfoContext(ctx, "verify refused", "outcome", "invalid_code", "reason", "code replaced by a resend")
			return VerifyResult{}, &CodeError{Remaining: max(s.Policy.MaxAttempts-ch.Attempts, 0)}
		case secondFactorRefused(err):
			return VerifyResult{}, refuseSecondFactor(ctx, log, "verify refused", err)
		}
		return VerifyResult{}, s.refuse(ctx, log, err)
	}
	log.InfoContext(ctx, "verify succeeded", "outcome", "token_issued")
	return VerifyResult{Token: bearer, Channel: ch.Channel, Authenticator: ch.Authenticator, Name: ch.Name, ExpiresIn: s.Policy.AuthTokenTTL}, nil
}

// refuse maps a store refusal of a challenge to the client's answer, and logs the decision.
func (s *Service) refuse(ctx context.Context, log *slog.Logger, err error) error {
	var out error
	switch {
	case errors.Is(err, ErrChallengeGone):
		out = ErrInvalidMFAToken
	case errors.Is(err, ErrAttemptsExhausted):
		out = ErrTooManyAttempts
	case errors.Is(err, ErrCodeExpired), errors.Is(err, ErrChannelMismatch):
		out = err
	default:
		return fmt.Errorf("challenge: %w", err)
	}
	log.InfoContext(ctx, "refused", "outcome", out.Error())
	return out
}

// Resend sends a new code for a live challenge on the same channel; the previous code stops working.
func (s *Service) Resend(ctx context.Context, mfaToken string) (ChallengeResult, error) {
	return s.ResendVia(ctx, mfaToken, "")
}

// ResendVia sends a new code for a live challenge by via, or by the challenge's own channel when via
// is empty; the previous code stops working. Another channel than the challenge's switches the
// challenge to it, provided its user has an address there (ErrChannelUnavailable otherwise, before
// anything is sent or written). A switch is a send like any other: the cooldown and both send caps
// apply, and it costs the same two round trips, since the challenge carries the user's addresses.
func (s *Service) ResendVia(ctx context.Context, mfaToken string, via Channel) (ChallengeResult, error) {
	now := s.Clock()
	id, ok := secretID(mfaToken)
	log := s.Log.With("event", "resend", "challenge", shortID(id))
	if !ok {
		log.InfoContext(ctx, "resend refused", "outcome", "invalid_mfa_token", "reason", "malformed")
		return ChallengeResult{}, ErrInvalidMFAToken
	}
	ch, err := s.Store.GetChallenge(ctx, id)
	if err != nil {
		return ChallengeResult{}, s.refuse(ctx, log, err)
	}
	log = log.With("userId", ch.UserID)
	// The store's RotateCode refuses these too; refusing here spares the write.
	if err := ch.Usable(now, s.Policy.MaxAttempts); err != nil {
		return ChallengeResult{}, s.refuse(ctx, log, err)
	}
	next := ch
	if via != "" && via != ch.Channel && !s.switchTo(&next, via) {
		log.InfoContext(ctx, "resend refused", "outcome", "channel_unavailable", "channel", ch.Channel, "asked", via)
		return ChallengeResult{}, ErrChannelUnavailable
	}
	authn, err := s.authenticator(next.Channel)
	if err != nil {
		return ChallengeResult{}, err
	}
	if !authn.CanResend() {
		// Nothing to send on this channel (the authenticator app): only a switch to another sends a code.
		log.InfoContext(ctx, "resend refused", "outcome", "channel_unavailable", "reason", "channel sends no codes", "channel", next.Channel)
		return ChallengeResult{}, ErrChannelUnavailable
	}
	if ch.Sends >= s.Policy.MaxSends {
		log.InfoContext(ctx, "resend refused", "outcome", "challenge_send_cap", "sends", ch.Sends)
		return ChallengeResult{}, &RateLimitError{Reason: "sends per challenge"}
	}
	if wait := ch.LastSentAt.Add(s.Policy.ResendCooldown).Sub(now); wait > 0 {
		log.InfoContext(ctx, "resend refused", "outcome", "cooldown", "retryAfter", seconds(wait))
		return ChallengeResult{}, &RateLimitError{Reason: "resend cooldown", RetryAfter: wait}
	}
	code, err := s.newCode()
	if err != nil {
		return ChallengeResult{}, err
	}
	next.Sends++ // the attempts used stay used: a new code does not restore them
	next.LastSentAt = now
	next.CodeExpiresAt = now.Add(s.Policy.CodeTTL)
	next.CodeHash = s.codes.hash(ch.ID, next.Sends, code)
	slot := s.slot(ch.UserID, now)
	err = s.rotateCode(ctx, ch, next, slot, now)
	if errors.Is(err, ErrSMSCap) {
		// Past the deployment's SMS cap the code goes by email where the challenge may have it; the
		// refused transaction wrote nothing, so the challenge is as read.
		s.Metrics.SMSCapped(ctx)
		log.WarnContext(ctx, "sms cap reached", "channel", next.Channel)
		if !s.switchTo(&next, ChannelEmail) {
			log.WarnContext(ctx, "resend failed", "outcome", "delivery_failed", "reason", "sms_cap")
			return ChallengeResult{}, ErrDeliveryFailed
		}
		if authn, err = s.authenticator(next.Channel); err != nil {
			return ChallengeResult{}, err
		}
		err = s.rotateCode(ctx, ch, next, slot, now)
	}
	if err != nil {
		switch {
		case errors.Is(err, ErrSendLimit):
			wait := slot.Window.Add(time.Hour).Sub(now)
			log.InfoContext(ctx, "resend refused", "outcome", "send_limit", "retryAfter", seconds(wait))
			return ChallengeResult{}, &RateLimitError{Reason: "sends per user per hour", RetryAfter: wait}
		case errors.Is(err, ErrConflict):
			// Another resend or a verify changed the challenge first; that send restarted the cooldown.
			log.InfoContext(ctx, "resend refused", "outcome", "cooldown", "reason", "lost race")
			return ChallengeResult{}, &RateLimitError{Reason: "resend cooldown", RetryAfter: s.Policy.ResendCooldown}
		case secondFactorRefused(err):
			return ChallengeResult{}, refuseSecondFactor(ctx, log, "resend refused", err)
		}
		return ChallengeResult{}, s.refuse(ctx, log, err)
	}
	if err := s.deliver(ctx, log, &next, code, User{}, []Authenticator{authn}); err != nil {
		log.WarnContext(ctx, "resend failed", "outcome", "delivery_failed")
		return ChallengeResult{}, err
	}
	log.InfoContext(ctx, "code resent", "outcome", "code_sent", "channel", next.Channel, "destination", next.Destination,
		"sends", next.Sends, "switched", next.Channel != ch.Channel)
	return s.challengeResult(mfaToken, next, now), nil
}

// rotateCode replaces prev by next, counting the send in slot and, for a text, in a shard of the SMS cap.
func (s *Service) rotateCode(ctx context.Context, prev, next Challenge, slot SendSlot, now time.Time) error {
	slot, err := withSMS(slot, next.Channel, s.Random, now, s.Policy.SMSSendsPerHour)
	if err != nil {
		return err
	}
	return s.Store.RotateCode(ctx, prev, next, slot, s.Policy.MaxAttempts)
}

func (s *Service) challengeResult(mfaToken string, ch Challenge, now time.Time) ChallengeResult {
	return ChallengeResult{
		Token: mfaToken, Channel: ch.Channel, Authenticator: ch.Authenticator, Destination: ch.Destination,
		ExpiresIn: min(ch.CodeExpiresAt.Sub(now), ch.ExpiresAt.Sub(now)),
	}
}

// slot is the clock hour of the per-user send cap.
func (s *Service) slot(userID string, now time.Time) SendSlot {
	return sendSlot(userID, now, s.Policy.SendsPerHour)
}

// sendSlot is the clock hour of now in the user's send cap of limit sends an hour: every send to a
// user (codes, tickets, a new number's code) counts in the same one.
func sendSlot(userID string, now time.Time, limit int) SendSlot {
	w := now.UTC().Truncate(time.Hour)
	return SendSlot{UserID: userID, Window: w, Limit: limit, ExpiresAt: w.Add(2 * time.Hour)}
}

// newSecret returns a bearer string of 256 random bits and the ID it is stored under.
func (s *Service) newSecret() (bearer, id string, err error) {
	b := make([]byte, secretBytes)
	if _, err := io.ReadFull(s.Random, b); err != nil {
		return "", "", fmt.Errorf("random: %w", err)
	}
	bearer = base64.RawURLEncoding.EncodeToString(b)
	return bearer, TokenID(bearer), nil
}

// newCode draws a uniform decimal code of codeDigits digits.
func (s *Service) newCode() (string, error) { return drawCode(s.Random) }

// drawCode draws a uniform decimal code of codeDigits digits from r.
func drawCode(r io.Reader) (string, error) {
	n, err := rand.Int(r, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return fmt.Sprintf("%0*d", codeDigits, n.Int64()), nil
}

// TokenID is the stored form of a bearer token: hex SHA-256.
func TokenID(bearer string) string {
	sum := sha256.Sum256([]byte(bearer))
	return hex.EncodeToString(sum[:])
}

// secretID returns the stored ID of a bearer string, or false when it cannot be one we issued.
func secretID(bearer string) (string, bool) {
	if !IsBearer(bearer) {
		return "", false
	}
	return TokenID(bearer), true
}

// IsBearer reports whether s has the shape of a random secret this service issues (256 bits,
// base64url): an MFA token or an application secret. Auth tokens are longer (IsAuthToken).
func IsBearer(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(secretBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// shortID is enough of a hashed ID to correlate log lines; it is a hash prefix, not the secret.
func shortID(id string) string {
	if len(id) < 12 {
		return id
	}
	return id[:12]
}

// seconds rounds a wait up to whole seconds, at least one.
func seconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// RetryAfterSeconds is the Retry-After value for a wait: whole seconds, rounded up, at least 1.
func RetryAfterSeconds(d time.Duration) int { return seconds(d) }
