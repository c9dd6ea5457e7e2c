package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Wrong binding codes are counted twice: against their challenge (Challenge.Attempts, at most
// MaxAttempts whatever was resent) and against their user across challenges (WrongCodes). The second
// count is the account-level backoff of NIST SP 800-63B-4 §3.2.2: after AccountMaxFailures wrong
// codes in a row the user's second factor backs off, at SecondFactorLock it locks.

// SecondFactorLock is the run of wrong codes at which a user's second factor locks until an admin
// unblocks the user or a password is set by ticket: NIST's ceiling of 100 consecutive failures.
const SecondFactorLock = 100

const (
	firstCodeBackoff = time.Minute
	maxCodeBackoff   = time.Hour
	// maxCountTries bounds the writes of one verify that keep losing to others changing its challenge
	// or its user's run meanwhile; past it the verify is answered as contended.
	maxCountTries = 16
)

// ErrSecondFactorLocked is a second factor tried SecondFactorLock times in a row without success:
// waiting does not cure it, an unblock or a password set by ticket does.
var ErrSecondFactorLocked = errors.New("second factor locked after too many wrong codes")

// WrongCodes is a user's run of consecutive wrong binding codes, across challenges, kept under the
// user's email. A right code, an unblock and a password set by ticket end it; time does not, since
// the count must be of consecutive failures.
type WrongCodes struct {
	// UserID is whose run it is; empty when none is stored. A run of another user (an earlier holder of
	// the email) counts as none.
	UserID      string
	Failures    int
	LockedUntil time.Time // the backoff in force until then; zero for none
}

// of is the run as it counts for userID.
func (w WrongCodes) of(userID string) WrongCodes {
	if w.UserID != userID {
		return WrongCodes{}
	}
	return w
}

// Refusal is the rule of whether userID's second factor may be tried now: nil,
// ErrSecondFactorLocked, or a *RateLimitError while a backoff is in force (expiry is exclusive). The
// store's conditions on a run are tested against it.
func (w WrongCodes) Refusal(userID string, now time.Time) error {
	run := w.of(userID)
	switch {
	case run.Failures >= SecondFactorLock:
		return ErrSecondFactorLocked
	case now.Before(run.LockedUntil):
		return &RateLimitError{Reason: "second factor backoff", RetryAfter: run.LockedUntil.Sub(now)}
	}
	return nil
}

// after is the run once one more wrong code of userID has been counted at now: from limit wrong codes
// on, each one backs the second factor off anew.
func (w WrongCodes) after(userID string, now time.Time, limit int) WrongCodes {
	next := WrongCodes{UserID: userID, Failures: w.of(userID).Failures + 1}
	if next.Failures >= limit {
		next.LockedUntil = now.Add(CodeBackoff(next.Failures - limit))
	}
	return next
}

// CodeBackoff is the second factor's backoff after the limit of wrong codes has been passed n times:
// 1 min doubling, at most 1 h.
func CodeBackoff(n int) time.Duration {
	n = max(n, 0)
	if n >= 6 { // 1 min<<6 is already past the cap
		return maxCodeBackoff
	}
	return min(firstCodeBackoff<<n, maxCodeBackoff)
}

// WrongCodeStep is what one wrong code does to its user's run of wrong codes.
type WrongCodeStep struct {
	Email  string // the run's key
	UserID string
	// From is the run as stored when the caller has seen it; the step then writes To over exactly that
	// run (a zero From: only where none is stored). Nil, the common case, which needs no read: the step
	// adds one to a run of UserID below Below wrong codes that no backoff holds, or starts one.
	From  *WrongCodes
	To    WrongCodes
	Below int
}

// ChangedError is a write refused because what it was based on changed meanwhile, holding what is now
// stored, for the caller to decide again: the challenge when its attempts moved, the run when it was
// not what the step assumed. Both nil: the write collided with another, and nothing is known.
type ChangedError struct {
	Challenge *Challenge
	Run       *WrongCodes
}

func (e *ChangedError) Error() string { return "changed meanwhile" }

// wrongCodeStep is the step of a wrong code against ch, from the run seen (nil when not seen), or the
// refusal of the run seen.
func (s *Service) wrongCodeStep(ch Challenge, seen *WrongCodes, now time.Time) (WrongCodeStep, error) {
	step := WrongCodeStep{Email: ch.Email, UserID: ch.UserID, Below: s.Policy.AccountMaxFailures - 1}
	if seen == nil {
		return step, nil
	}
	if err := seen.Refusal(ch.UserID, now); err != nil {
		return step, err
	}
	step.From, step.To = seen, seen.after(ch.UserID, now, s.Policy.AccountMaxFailures)
	return step, nil
}

// secondFactorRefused is whether err is the refusal of a user's second factor: locked, or backing off.
func secondFactorRefused(err error) bool {
	var rate *RateLimitError
	return errors.Is(err, ErrSecondFactorLocked) || errors.As(err, &rate)
}

// refuseSecondFactor logs the refusal of a second factor by its user's run and returns it.
func refuseSecondFactor(ctx context.Context, log *slog.Logger, msg string, err error) error {
	var rate *RateLimitError
	if errors.As(err, &rate) {
		log.InfoContext(ctx, msg, "outcome", "second_factor_backoff", "retryAfter", seconds(rate.RetryAfter))
	} else {
		log.InfoContext(ctx, msg, "outcome", "second_factor_locked")
	}
	return err
}

// countWrongCode counts a wrong code of ch (as read) against the challenge and against its user's run,
// and returns the challenge as counted and the step that counted it; a *ChangedError when what they
// were based on changed meanwhile, for the caller to decide again.
func (s *Service) countWrongCode(ctx context.Context, ch Challenge, channel Channel, now time.Time, seen *WrongCodes) (Challenge, WrongCodeStep, error) {
	step, err := s.wrongCodeStep(ch, seen, now)
	if err != nil {
		return ch, step, err
	}
	err = s.Store.CountAttempt(ctx, ch, channel, now, s.Policy.MaxAttempts, step)
	if err != nil {
		return ch, step, fmt.Errorf("count attempt: %w", err)
	}
	ch.Attempts++
	return ch, step, nil
}

// wrongCode answers a wrong code that was counted: the attempts left on the challenge, and, when it
// took the user's run to the limit or past it, the backoff (and the notice that tells the user, on the
// first) or the lock.
func (s *Service) wrongCode(ctx context.Context, log *slog.Logger, ch Challenge, step WrongCodeStep, now time.Time) error {
	remaining := max(s.Policy.MaxAttempts-ch.Attempts, 0)
	limit := s.Policy.AccountMaxFailures
	run := step.To
	switch {
	case step.From == nil || run.Failures < limit:
		log.InfoContext(ctx, "verify refused", "outcome", "invalid_code", "attemptsRemaining", remaining)
	case run.Failures >= SecondFactorLock:
		log.WarnContext(ctx, "verify refused", "outcome", "second_factor_locked", "attemptsRemaining", remaining,
			"failures", run.Failures)
	default:
		log.WarnContext(ctx, "verify refused", "outcome", "second_factor_backoff", "attemptsRemaining", remaining,
			"failures", run.Failures, "retryAfter", seconds(run.LockedUntil.Sub(now)))
	}
	if step.From != nil && run.Failures == limit {
		// Someone got the password right and the code wrong, limit times in a row: the user is told once.
		u := User{ID: ch.UserID, Email: ch.Email, Name: ch.Name, CultureInfo: string(ch.Language)}
		s.Notifier.Notify(ctx, u, "", NoticeSecondFactorBackoff, NoticeData{})
	}
	return &CodeError{Remaining: remaining}
}
