package auth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
)

// An auth token names its user: base64url without padding of the user's UUID (16 bytes) followed by
// 256 bits from crypto/rand, 64 characters. The authorizer then knows the userId before any read and
// fetches the token, its application and its user in one BatchGetItem, where a token of random bits
// alone needed the token read first to learn whose it is. The UUID adds nothing to guess: the random
// part is as long as every other secret's, and only the SHA-256 of the whole token is stored. Only
// auth tokens carry it; MFA tokens, tickets and application secrets stay 256 random bits.
const (
	userIDBytes    = 16 // a UUID
	authTokenBytes = userIDBytes + secretBytes
)

// AuthTokenLen is the length of an auth token: 48 bytes, a multiple of 3, in base64url without
// padding, so 4 characters per 3 bytes and no spare bits.
const AuthTokenLen = authTokenBytes / 3 * 4

// errNotUUID is an internal fault: every userId is minted as a UUID (seed, CLI, users API), so a user
// without one was written by something else, and no token can name them.
var errNotUUID = errors.New("userId is not a canonical UUID")

// newToken mints an auth token of the user for the application appID, and the record stored for it.
func (s *Service) newToken(u User, appID string, now time.Time) (string, Token, error) {
	bearer, err := s.newAuthBearer(u.ID)
	if err != nil {
		return "", Token{}, err
	}
	return bearer, Token{
		ID: TokenID(bearer), UserID: u.ID, Email: u.Email, Name: u.Name, AppID: appID, Admin: u.Admin,
		IssuedAt: now, ExpiresAt: now.Add(s.Policy.AuthTokenTTL), Epoch: u.Epoch,
	}, nil
}

// newAuthBearer returns an auth token naming userID; userID must be a UUID in its canonical spelling,
// so that the userId read back from the token is exactly the one stored.
func (s *Service) newAuthBearer(userID string) (string, error) {
	id, err := uuid.Parse(userID)
	if err != nil || id.String() != userID {
		return "", fmt.Errorf("auth token: %w", errNotUUID)
	}
	b := make([]byte, authTokenBytes)
	copy(b, id[:])
	if _, err := io.ReadFull(s.Random, b[userIDBytes:]); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// AuthTokenUser returns the userId an auth token names, or false when s does not have the shape of an
// auth token this service issues (AuthTokenLen base64url characters), which is then refused unread.
func AuthTokenUser(s string) (string, bool) {
	if len(s) != AuthTokenLen {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != authTokenBytes {
		return "", false
	}
	id, err := uuid.FromBytes(b[:userIDBytes])
	if err != nil {
		return "", false
	}
	return id.String(), true
}

// IsAuthToken reports whether s has the shape of an auth token this service issues.
func IsAuthToken(s string) bool {
	_, ok := AuthTokenUser(s)
	return ok
}
