package auth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Network is the source network of a password attempt: the client's IPv4 /24 or IPv6 /64, written as
// a prefix ("203.0.113.0/24", "2001:db8:1:2::/64"). Failed passwords are counted per email and
// network, so that guesses from one network back that network off without locking the owner out
// from elsewhere.
type Network string

// UnknownNetwork is the network of every attempt whose address is missing or unreadable: such
// attempts share one count per email.
const UnknownNetwork Network = "unknown"

// IPv4 and IPv6 networks are these prefix lengths: one subscriber's line or one site gets about one
// of each, so that moving within it buys an attacker no fresh count.
const (
	ipv4NetworkBits = 24
	ipv6NetworkBits = 64
)

// NetworkOf is the network of a client address (API Gateway's sourceIp, the local server's peer): its
// IPv4 /24 or IPv6 /64. An IPv4 address written as IPv6 (::ffff:192.0.2.1) counts as IPv4; a port
// or a zone is ignored. Anything else is UnknownNetwork.
func NetworkOf(addr string) Network {
	addr = strings.TrimSpace(addr)
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		ap, perr := netip.ParseAddrPort(addr)
		if perr != nil {
			return UnknownNetwork
		}
		ip = ap.Addr()
	}
	ip = ip.Unmap().WithZone("")
	bits := ipv6NetworkBits
	if ip.Is4() {
		bits = ipv4NetworkBits
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return UnknownNetwork
	}
	return Network(p.String())
}

// PasswordAttempt is where one password attempt counts: on the email's account, across networks and
// per clock hour (LOGIN_ACCOUNT_MAX_FAILURES), and on the email from one network (LOGIN_MAX_FAILURES).
type PasswordAttempt struct {
	Email   string
	Network Network
}

// Locked reports whether a lock is in force at now; it ends at LockedUntil.
func (a LoginAttempts) Locked(now time.Time) bool { return now.Before(a.LockedUntil) }

// Stale reports whether the count is past its expiry at now: the next attempt starts it again.
func (a LoginAttempts) Stale(now time.Time) bool {
	return !a.Expires.IsZero() && !now.Before(a.Expires)
}

// AttemptMode is how a counter may count a password attempt.
type AttemptMode int

// The modes of an AttemptRule.
const (
	// CountBelow counts the attempt on an unlocked counter with fewer than Below failures that has not
	// expired, or with none at all (expired or not; not when Below is 0).
	CountBelow AttemptMode = iota
	// CountLocking counts the attempt on an unlocked counter with exactly Failures failures and locks
	// it until Until.
	CountLocking
	// CountAfresh starts an unlocked counter whose count expired at Stale again at this one attempt,
	// locked until Until when that is set.
	CountAfresh
)

// AttemptRule is when one failed-password counter counts a password attempt, and what the count then
// is. The service chooses it from the counter's state; the store writes it as the condition of the
// counting write, and the store contract holds that condition to Admits state by state.
type AttemptRule struct {
	Mode     AttemptMode
	Below    int       // CountBelow
	Failures int       // CountLocking
	Stale    time.Time // CountAfresh: the expiry the counter still has
	Until    time.Time // CountLocking, and CountAfresh when not zero: the lock the attempt sets
	Expires  time.Time // when the new count is forgotten
}

// Admits reports whether the rule lets a counter in state st count an attempt at now. A counter that
// does not exist is the zero state.
func (r AttemptRule) Admits(st LoginAttempts, now time.Time) bool {
	if st.Locked(now) {
		return false
	}
	switch r.Mode {
	case CountBelow:
		return r.Below > 0 && st.Failures <= 0 || !st.Stale(now) && st.Failures < r.Below
	case CountLocking:
		return st.Failures == r.Failures
	case CountAfresh:
		return !st.Expires.IsZero() && st.Expires.Equal(r.Stale)
	}
	return false
}

// Admission is the outcome of counting a password attempt on both its counters at once.
type Admission struct {
	Admitted bool
	// Account and Network are, when the attempt was refused, the states of the counters whose rule
	// refused it; nil for a counter whose rule held, or whose state the refusal did not tell.
	Account, Network *LoginAttempts
}

// counter is one failed-password count as the policy sets it for an attempt at one instant.
type counter struct {
	limit   int       // failures checked before the backoff
	expires time.Time // when a count made now is forgotten
	reason  string    // of a refusal while it is locked
}

// accountCounter is the account's count: every network's failures of the clock hour (UTC).
func (s *Service) accountCounter(now time.Time) counter {
	return counter{limit: s.Policy.LoginAccountMaxFailures, expires: now.UTC().Truncate(time.Hour).Add(time.Hour),
		reason: "account password backoff"}
}

// networkCounter is the count of the email from one network, forgotten a while after its last attempt.
func (s *Service) networkCounter(now time.Time) counter {
	return counter{limit: s.Policy.LoginMaxFailures, expires: now.Add(failureMemory), reason: "password backoff"}
}

// first is the rule an attempt tries first: simply counted below the limit. The attempt that reaches
// the limit is still checked, and sets the first lock.
func (c counter) first() AttemptRule {
	return AttemptRule{Mode: CountBelow, Below: c.limit - 1, Expires: c.expires}
}

// after is the rule for trying again a counter that refused the attempt in state st, or the wait its
// lock imposes.
func (c counter) after(st LoginAttempts, now time.Time) (AttemptRule, time.Duration) {
	switch {
	case st.Stale(now):
		// A lock never outlasts its count (locks end by the count's expiry), so a stale count is unlocked.
		r := AttemptRule{Mode: CountAfresh, Stale: st.Expires, Expires: c.expires}
		if c.limit <= 1 {
			r.Until = c.lock(1, now)
		}
		return r, 0
	case st.Locked(now):
		return AttemptRule{}, st.LockedUntil.Sub(now)
	case c.first().Admits(st, now):
		return c.first(), 0 // changed meanwhile (a success took its attempt back): below the limit again
	}
	return AttemptRule{Mode: CountLocking, Failures: st.Failures, Until: c.lock(st.Failures+1, now), Expires: c.expires}, 0
}

// lock is the end of the lock set by the attempt that makes the count failures: the backoff, cut at
// the count's expiry.
func (c counter) lock(failures int, now time.Time) time.Time {
	until := now.Add(Backoff(failures - c.limit))
	if until.After(c.expires) {
		return c.expires
	}
	return until
}

// admitFrom counts a password attempt before the password is checked, on the email's account and on
// the email from the attempt's network, in one write: both count it or neither does, so that attempts
// a locked network is refused never use up the account's hourly count. Below a counter's limit
// attempts are simply counted; from the limit on, each admitted attempt also locks that counter for
// the backoff, so that only one check at a time happens per backoff period. A locked counter refuses
// with the wait.
func (s *Service) admitFrom(ctx context.Context, a PasswordAttempt, now time.Time) error {
	account, network := s.accountCounter(now), s.networkCounter(now)
	accountRule, networkRule := account.first(), network.first()
	for range maxTries {
		adm, err := s.Store.AdmitAttempt(ctx, a, now, accountRule, networkRule)
		if errors.Is(err, ErrConflict) {
			break // the store has run it again already: the client waits a moment instead
		}
		if err != nil {
			return fmt.Errorf("admit: %w", err)
		}
		if adm.Admitted {
			return nil
		}
		var refusal *RateLimitError
		for _, c := range []struct {
			st      *LoginAttempts
			counter counter
			rule    *AttemptRule
		}{{adm.Account, account, &accountRule}, {adm.Network, network, &networkRule}} {
			if c.st == nil {
				continue
			}
			rule, wait := c.counter.after(*c.st, now)
			if wait > 0 {
				if refusal == nil || wait > refusal.RetryAfter {
					refusal = &RateLimitError{Reason: c.counter.reason, RetryAfter: wait}
				}
				continue
			}
			*c.rule = rule
		}
		if refusal != nil {
			return refusal
		}
		// Otherwise the refusing counter was at its limit, expired or changed: try again by its new rule.
	}
	return &RateLimitError{Reason: "password attempts contended", RetryAfter: time.Second}
}
