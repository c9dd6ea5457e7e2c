package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// MaxAppSecrets is how many secrets an application keeps valid: the newest two, so that a rotation can
// roll a new secret out to every client of the application before the old one stops working.
const MaxAppSecrets = 2

// ClientSessionTTL is how long a session made from application credentials is good for. The
// credentials are checked again for every request (the authorizer keeps no verdict), so this only
// bounds how long a verdict could serve if one were kept, allowing for clock skew between functions.
const ClientSessionTTL = time.Minute

// ClientStore is what checking application credentials needs.
type ClientStore interface {
	// GetApplication reads an application, its secret hashes included, in one consistent read
	// (ErrNotFound when there is none).
	GetApplication(ctx context.Context, id string) (Application, error)
}

// ClientCredentials are the ClientId and ClientSecret headers of a request.
type ClientCredentials struct {
	ID     string
	Secret string
	// AlsoToken is set when the request carried an auth token's headers (Authorization or appId) as
	// well: it is refused, since which of the two it acts by would be a guess.
	AlsoToken bool
}

// AuthorizeClient accepts the credentials of an application that exists and holds a secret whose
// SHA-256 is the given secret's, as Session{Client: true}. It costs one read at most, and none for
// credentials that cannot be valid. Every refusal is ErrInvalidToken, as for a bad token: the client
// learns nothing about which part was wrong, the log says it (never the secret, in full or in part).
func (s *Sessions) AuthorizeClient(ctx context.Context, cred ClientCredentials) (Session, error) {
	log := s.log.With("event", "authorize", "client", true, "appId", shownAppID(cred.ID))
	refuse := func(reason string) (Session, error) {
		log.InfoContext(ctx, "credentials refused", "outcome", "invalid_token", "reason", reason)
		return Session{}, ErrInvalidToken
	}
	hash, wellFormed := secretID(cred.Secret)
	switch {
	case cred.AlsoToken:
		return refuse("both a token and application credentials")
	case !isAppID(cred.ID):
		return refuse("no such appId")
	case !wellFormed:
		return refuse("malformed secret")
	}
	store, ok := s.store.(ClientStore)
	if !ok {
		return Session{}, errors.New("authorize client: the token store cannot read applications")
	}
	app, err := store.GetApplication(ctx, cred.ID)
	if errors.Is(err, ErrNotFound) {
		return refuse("unknown application")
	}
	if err != nil {
		return Session{}, fmt.Errorf("authorize client: %w", err)
	}
	if !SecretMatches(app.SecretHashes, hash) {
		return refuse("wrong secret")
	}
	log.DebugContext(ctx, "credentials accepted", "outcome", "authorized")
	return Session{Client: true, AppID: app.ID, ExpiresAt: s.clock().Add(ClientSessionTTL)}, nil
}

// SecretMatches reports whether hash (hex SHA-256 of a presented secret) is one of the stored hashes.
// Each stored hash is compared in constant time, and all of them always, so that neither the time of
// one comparison nor the number made tells which hash matched or how much of it.
func SecretMatches(stored []string, hash string) bool {
	if hash == "" { // no presented secret hashes to "": an empty stored entry must never match it
		return false
	}
	match := 0
	for _, h := range stored {
		match |= subtle.ConstantTimeCompare([]byte(h), []byte(hash))
	}
	return match == 1
}

// NewAppSecret draws an application secret of 256 random bits from r (crypto/rand when nil), base64url
// without padding, and returns it with the hex SHA-256 that is all that is stored of it.
func NewAppSecret(r io.Reader) (secret, hash string, err error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, secretBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", "", fmt.Errorf("random: %w", err)
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, TokenID(secret), nil
}

// withSecret is hashes with hash added as the newest, keeping the MaxAppSecrets newest.
func withSecret(hashes []string, hash string) []string {
	next := append(slices.Clone(hashes), hash)
	return next[max(0, len(next)-MaxAppSecrets):]
}

// IssueSecret makes a new secret for the application id and returns it; it is shown this once, and
// only its SHA-256 is kept. The application keeps its MaxAppSecrets newest secrets: the oldest of
// them stops working. The write is conditioned on the application's version and retried on a fresh
// read when another change won, so two issues at once keep both new secrets and never three. It costs
// two round trips (a read and one transaction) per try. Admins only; never a Client session.
func (a *Applications) IssueSecret(ctx context.Context, who Session, id string) (string, error) {
	if err := a.admin(ctx, who, "secret"); err != nil {
		return "", err
	}
	secret, hash, err := NewAppSecret(a.random)
	if err != nil {
		return "", fmt.Errorf("secret application: %w", err)
	}
	var kept int
	tries, err := retryConflicts(ctx, func() error {
		prev, err := a.store.GetApplication(ctx, id)
		if err != nil {
			return err
		}
		next := prev
		next.SecretHashes = withSecret(prev.SecretHashes, hash)
		kept = len(next.SecretHashes)
		return a.store.ReplaceApplication(ctx, prev, next)
	})
	if err != nil {
		return "", a.fail(ctx, who, "secret", err)
	}
	// Neither the secret nor its hash is logged: the event, the application and who asked.
	a.log.InfoContext(ctx, "application secret issued", "event", "applications", "action", "secret", "outcome", "issued",
		"appId", id, "kept", kept, "tries", tries, "userId", who.UserID)
	return secret, nil
}
