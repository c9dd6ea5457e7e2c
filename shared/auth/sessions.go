package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Sessions checks and revokes auth tokens.
type Sessions struct {
	store TokenStore
	clock func() time.Time
	log   *slog.Logger
}

// NewSessions returns the token checker; a nil clock means time.Now.
func NewSessions(store TokenStore, clock func() time.Time, log *slog.Logger) *Sessions {
	if clock == nil {
		clock = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sessions{store: store, clock: clock, log: log}
}

// Authorize accepts only a live, unrevoked token of the named application, while that application
// exists and the token's user exists, is Activated and is still a member of it. The session carries
// the user's admin flag, email and name as stored now, so a change to the user applies to its tokens
// at once. It costs one read: the token names its user, so the token, the application and the user
// (its applications with it) are read together.
func (s *Sessions) Authorize(ctx context.Context, bearer, appID string) (Session, error) {
	userID, ok := AuthTokenUser(bearer)
	id := ""
	if ok {
		id = TokenID(bearer)
	}
	log := s.log.With("event", "authorize", "token", shortID(id), "appId", shownAppID(appID))
	if !ok || !isAppID(appID) {
		reason := "malformed token"
		if !isAppID(appID) {
			reason = "no such appId"
		}
		log.InfoContext(ctx, "token refused", "outcome", "invalid_token", "reason", reason)
		return Session{}, ErrInvalidToken
	}
	rec, err := s.store.TokenForApp(ctx, id, userID, appID)
	if errors.Is(err, ErrNotFound) {
		log.InfoContext(ctx, "token refused", "outcome", "invalid_token", "reason", "unknown")
		return Session{}, ErrInvalidToken
	}
	if err != nil {
		return Session{}, fmt.Errorf("authorize: %w", err)
	}
	t := rec.Token
	reason := ""
	switch {
	case t.UserID != userID:
		// The hash covers the whole token, so no token issued to one user names another: such an item
		// was not written by this service, and the user read with it is not the token's.
		reason = "unknown"
	case rec.Revoked:
		reason = "revoked"
	case !s.clock().Before(t.ExpiresAt):
		reason = "expired"
	case t.AppID != appID:
		reason = "other application"
	case !rec.AppExists:
		reason = "application deleted"
	case rec.User == nil:
		reason = "user deleted"
	case rec.User.Epoch != t.Epoch:
		// Issued before the user's password was set by a ticket or changed: that ended every session.
		reason = "sessions ended"
	case rec.User.State() == StatusBlocked:
		reason = "user blocked"
	case rec.User.State() != StatusActivated:
		reason = "user pending"
	case !rec.User.MemberOf(appID):
		// Removed from the application after the token was issued: the membership is what let the
		// user log in to it, so it is what keeps the token working.
		reason = "not a member"
	}
	if reason != "" {
		log.InfoContext(ctx, "token refused", "outcome", "invalid_token", "reason", reason, "userId", t.UserID)
		return Session{}, ErrInvalidToken
	}
	log.DebugContext(ctx, "token accepted", "outcome", "authorized", "userId", t.UserID)
	u := rec.User
	return Session{TokenID: id, UserID: t.UserID, Email: u.Email, Name: u.Name, AppID: t.AppID, Admin: u.Admin,
		ExpiresAt: t.ExpiresAt, IssuedAt: t.IssuedAt}, nil
}

// isAppID reports whether id could be an application's appId, so is worth a read and may be logged:
// appIds are UUIDs, in the canonical 36-character spelling (either letter case). Anything else, such
// as a secret sent in the wrong header, is refused unread and never written to a log.
func isAppID(id string) bool {
	u, err := uuid.Parse(id)
	return err == nil && u.String() == strings.ToLower(id)
}

// shownAppID is id as a log line may name it: a header that is no appId stays out of the log.
func shownAppID(id string) string {
	if !isAppID(id) {
		return "(not an appId)"
	}
	return id
}

// Logout revokes the session's token.
func (s *Sessions) Logout(ctx context.Context, sess Session) error {
	err := s.store.RevokeToken(ctx, sess.TokenID)
	if errors.Is(err, ErrNotFound) {
		return ErrInvalidToken
	}
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	s.log.InfoContext(ctx, "logged out", "event", "logout", "outcome", "revoked", "userId", sess.UserID, "token", shortID(sess.TokenID))
	return nil
}
