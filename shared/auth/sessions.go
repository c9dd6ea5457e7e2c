package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
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
// exists and the token's user exists and is Activated. The session carries the user's admin flag,
// email and name as stored now, so a change to the user applies to its tokens at once. It costs one
// read: the token names its user, so the token, the application and the user are read together.
func (s *Sessions) Authorize(ctx context.Context, bearer, appID string) (Session, error) {
	userID, ok := AuthTokenUser(bearer)
	id := ""
	if ok {
		id = TokenID(bearer)
	}
	shown := appID
	if !plausibleAppID(appID) {
		shown = "(not an appId)" // a client's header of any length and content stays out of the log
	}
	log := s.log.With("event", "authorize", "token", shortID(id), "appId", shown)
	if !ok || !plausibleAppID(appID) {
		reason := "malformed token"
		if !plausibleAppID(appID) {
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
	case rec.User.State() == StatusBlocked:
		reason = "user blocked"
	case rec.User.State() != StatusActivated:
		reason = "user pending"
	}
	if reason != "" {
		log.InfoContext(ctx, "token refused", "outcome", "invalid_token", "reason", reason, "userId", t.UserID)
		return Session{}, ErrInvalidToken
	}
	log.DebugContext(ctx, "token accepted", "outcome", "authorized", "userId", t.UserID)
	u := rec.User
	return Session{TokenID: id, UserID: t.UserID, Email: u.Email, Name: u.Name, AppID: t.AppID, Admin: u.Admin, ExpiresAt: t.ExpiresAt}, nil
}

// maxAppIDBytes bounds the appId a token check reads as a key: appIds are UUIDs, and a header far
// longer than DynamoDB takes as a key must be a refused token, not a failed read.
const maxAppIDBytes = 128

// plausibleAppID reports whether id could be an application's appId, so is worth a read.
func plausibleAppID(id string) bool {
	return id != "" && len(id) <= maxAppIDBytes && !strings.ContainsFunc(id, unicode.IsControl)
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
