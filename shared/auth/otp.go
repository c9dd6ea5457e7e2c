package auth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"time"
)

// The authenticator app (RFC 6238 TOTP): the user's device makes the codes from a secret shared once,
// at enrolment, so a challenge on it sends nothing. The secret is kept sealed (AES-256-GCM under a key
// derived from the server secret, which is not in the table), and every time step accepted is
// remembered, so that no code is accepted twice, whatever the challenge.

// ProviderAuthenticatorApp is what answers report as the authenticator of a challenge on ChannelOTP.
const ProviderAuthenticatorApp = "AuthenticatorApp"

// The codes of an authenticator app: HMAC-SHA1, codeDigits (6) digits, a 30 s step, one step either
// side accepted. They are computed here, a few lines of RFC 4226, so that the functions link no OTP
// library (the one the tests check against draws QR codes too).
const (
	otpPeriod      = 30 * time.Second
	otpSkew        = 1
	otpSecretBytes = 20 // 160 bits, RFC 4226's recommendation
)

var otpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Errors of the authenticator app.
var (
	// ErrStepUsed is a code of a time step that was accepted before: never accepted again.
	ErrStepUsed = errors.New("a code of this time step was accepted before")
	// ErrAuthenticatorAppGone is a challenge whose authenticator app was removed or replaced after the login.
	ErrAuthenticatorAppGone = errors.New("the authenticator app of the login was removed or replaced")
	// ErrRecoveryCodeUnknown is a recovery code that is not one of the user's unused ones.
	ErrRecoveryCodeUnknown = errors.New("not an unused recovery code of the user")
)

// OTPStore is what verifying the codes of an authenticator app and recovery codes needs of the Store.
// Each is Consume (the attempt counted, the user's run of wrong codes forgotten unless it holds the
// second factor back) with the user's authenticator app (AuthenticatorApp) in the same transaction.
type OTPStore interface {
	// ConsumeOTP is Consume for a code of the challenge's authenticator app, of time step step: the
	// app must still be the one the challenge carries (ErrAuthenticatorAppGone) and its last accepted
	// step earlier than step (ErrStepUsed), and becomes step in the same transaction.
	ConsumeOTP(ctx context.Context, c Challenge, t Token, step int64, now time.Time, maxAttempts int) error
	// ConsumeRecoveryCode is Consume for a recovery code of the challenge's user, the one whose HMAC is
	// hash: it must be among the user's unused codes (ErrRecoveryCodeUnknown) and is removed from them
	// in the same transaction. remaining is the number of unused codes left, -1 when the code was used
	// but the count could not be read.
	ConsumeRecoveryCode(ctx context.Context, c Challenge, t Token, hash string, now time.Time, maxAttempts int) (remaining int, err error)
}

// otpKeys are the keys derived from the server secret for the authenticator app: one seals the
// secrets, one makes the HMAC of recovery codes. Each is derived with its own label, so neither is the
// binding codes' key.
type otpKeys struct {
	seal     []byte // AES-256
	recovery []byte // HMAC-SHA256
	// previous are the keys of the server secret's version before its last rotation (nil: none):
	// secrets sealed and recovery codes made under it still open and match. New ones are made under
	// the current keys.
	previous *otpKeys
}

// deriveOTPKeysWith derives the keys of the secret and, when there is one, of its previous version.
func deriveOTPKeysWith(secret, previous []byte) otpKeys {
	k := deriveOTPKeys(secret)
	if len(previous) > 0 {
		p := deriveOTPKeys(previous)
		k.previous = &p
	}
	return k
}

// The labels of the derived keys; a new label is a new key.
const (
	otpSealLabel     = "mfagateway authenticator app secret v1"
	recoveryKeyLabel = "mfagateway recovery code v1"
)

func deriveOTPKeys(secret []byte) otpKeys {
	if len(secret) == 0 {
		return otpKeys{}
	}
	seal, err := hkdf.Key(sha256.New, secret, nil, otpSealLabel, 32)
	if err != nil { // only for a key length HKDF cannot give, which 32 is not
		panic(err)
	}
	recovery, err := hkdf.Key(sha256.New, secret, nil, recoveryKeyLabel, 32)
	if err != nil {
		panic(err)
	}
	return otpKeys{seal: seal, recovery: recovery}
}

// sealedPrefix starts every sealed secret, naming the scheme, so that another one can come later.
const sealedPrefix = "v1."

var errNoSealKey = errors.New("no server secret to seal authenticator app secrets with")

// sealSecret encrypts an authenticator app's secret for the table, bound to its user: a sealed secret
// copied to another user's item does not open there. A fresh nonce for every sealing.
func (k otpKeys) sealSecret(random io.Reader, userID, secret string) (string, error) {
	aead, err := k.aead()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(random, nonce); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	out := aead.Seal(nonce, nonce, []byte(secret), []byte(userID))
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// openSecret decrypts what sealSecret made for userID, under the current keys or the previous ones.
func (k otpKeys) openSecret(userID, sealed string) (string, error) {
	plain, err := k.openUnder(userID, sealed)
	if err != nil && k.previous != nil {
		if p, perr := k.previous.openUnder(userID, sealed); perr == nil {
			return p, nil
		}
	}
	return plain, err
}

// openUnder decrypts what sealSecret made for userID under these keys alone.
func (k otpKeys) openUnder(userID, sealed string) (string, error) {
	aead, err := k.aead()
	if err != nil {
		return "", err
	}
	raw, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return "", errors.New("sealed secret of an unknown scheme")
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(b) < aead.NonceSize() {
		return "", errors.New("sealed secret malformed")
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(userID))
	if err != nil {
		return "", errors.New("sealed secret does not open under the server secret")
	}
	return string(plain), nil
}

func (k otpKeys) aead() (cipher.AEAD, error) {
	if len(k.seal) == 0 {
		return nil, errNoSealKey
	}
	block, err := aes.NewCipher(k.seal)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// newOTPSecret draws an authenticator app's secret: otpSecretBytes random bytes in base32 without
// padding, as authenticator apps read it.
func newOTPSecret(random io.Reader) (string, error) {
	b := make([]byte, otpSecretBytes)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return otpEncoding.EncodeToString(b), nil
}

// otpCode is the RFC 4226 code of key for counter step (RFC 6238's time step): HMAC-SHA1 of the
// step, dynamically truncated to 31 bits, its last codeDigits decimal digits.
func otpCode(key []byte, step int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", codeDigits, bin%1_000_000)
}

// OTPStep is the RFC 6238 time step of t: the 30 s periods since the Unix epoch.
func OTPStep(t time.Time) int64 { return t.Unix() / int64(otpPeriod/time.Second) }

// matchOTP finds the time step, one either side of now's, whose code code is, comparing each in
// constant time; a step at or before after (the last one accepted) never matches. Of two steps whose
// codes are the same, the later wins.
func matchOTP(secret, code string, now time.Time, after int64) (int64, bool) {
	key, err := otpEncoding.DecodeString(secret)
	if err != nil || !isBindingCode(code) {
		return 0, false
	}
	var found int64
	ok := false
	current := OTPStep(now)
	for step := current - otpSkew; step <= current+otpSkew; step++ {
		if hmac.Equal([]byte(otpCode(key, step)), []byte(code)) && step > after {
			found, ok = step, true
		}
	}
	return found, ok
}

// otpAuthenticator runs challenges on the user's authenticator app: it sends nothing and has nothing
// to resend; its codes are checked against the sealed secret the challenge carries.
type otpAuthenticator struct {
	keys  otpKeys
	clock func() time.Time
}

func (otpAuthenticator) Channel() Channel { return ChannelOTP }

func (otpAuthenticator) Provider() string { return ProviderAuthenticatorApp }

// Address is nowhere: the codes are made on the user's device.
func (otpAuthenticator) Address(User) (string, string) { return "", "" }

func (otpAuthenticator) Start(context.Context, Challenge, string) error { return nil }

// Check reports whether code is a code of the challenge's authenticator app now, one step either
// side. Whether its step was accepted before is the store's to settle (ConsumeOTP).
func (a otpAuthenticator) Check(ch Challenge, code string) bool {
	secret, err := a.keys.openSecret(ch.UserID, ch.OTP)
	if err != nil {
		return false
	}
	_, ok := matchOTP(secret, code, a.clock(), math.MinInt64)
	return ok
}

func (otpAuthenticator) CanResend() bool { return false }

// readyForApp prepares a challenge addressed to the authenticator app: it carries the user's sealed
// secret, so that its verify reads nothing else; nothing is sent, so no send is counted and no resend
// cooldown runs; and its code lives as long as its MFA token. Other challenges stay as they are.
func readyForApp(ch *Challenge, u User) {
	if ch.Channel != ChannelOTP {
		return
	}
	ch.OTP = u.OTP
	ch.Sends, ch.LastSentAt = 0, time.Time{}
	ch.CodeExpiresAt = ch.ExpiresAt
}

// sendSlotOf is the send a new challenge counts in its user's hourly cap, and for a text in a shard
// of the deployment's SMS cap: none for the authenticator app (the zero SendSlot, which the store
// counts nowhere).
func (s *Service) sendSlotOf(ch Challenge, now time.Time) (SendSlot, error) {
	if ch.Channel == ChannelOTP {
		return SendSlot{}, nil
	}
	return withSMS(s.slot(ch.UserID, now), ch.Channel, s.Random, now, s.Policy.SMSSendsPerHour)
}

// ChannelRecoveryCode is a recovery code as a verify's authenticatorCode names it: no channel a
// challenge runs on, but a code that answers a challenge on any.
const ChannelRecoveryCode Channel = "RecoveryCode"

// ParseVerifyChannel reads a verify's authenticatorCode, in any case: a channel of the platform's enum,
// OTP or RecoveryCode; false for anything else.
func ParseVerifyChannel(s string) (Channel, bool) {
	for _, c := range verifyChannels() {
		if strings.EqualFold(s, string(c)) {
			return c, true
		}
	}
	return "", false
}

// VerifyChannelNames lists what ParseVerifyChannel takes, for a message: "SMS, Email, OTP or RecoveryCode".
func VerifyChannelNames() string {
	names := make([]string, 0, len(channels)+2)
	for _, c := range verifyChannels() {
		names = append(names, string(c))
	}
	return orList(names)
}

func verifyChannels() []Channel {
	return append(append([]Channel{}, channels...), ChannelOTP, ChannelRecoveryCode)
}

// countedChannel is the channel a verify's attempt must be on: a recovery code answers any.
func countedChannel(channel Channel) Channel {
	if channel == ChannelRecoveryCode {
		return ""
	}
	return channel
}

// ownsCode reports whether a verify's code is checked here rather than by the challenge's sending
// authenticator: a code of the authenticator app, or a recovery code on any challenge.
func ownsCode(ch Challenge, channel Channel) bool {
	return ch.Channel == ChannelOTP || channel == ChannelRecoveryCode
}

// verifyOwnCode checks a code ownsCode owns, and consumes the challenge with it when it is right. done
// is false for a wrong code, which the caller counts as every wrong code is counted; otherwise the
// answer is made: the token, or why the right code yields none.
func (s *Service) verifyOwnCode(ctx context.Context, log *slog.Logger, ch Challenge, channel Channel, code string, now time.Time) (res VerifyResult, done bool, err error) {
	if channel == ChannelRecoveryCode {
		return s.verifyRecoveryCode(ctx, log, ch, code, now)
	}
	secret, err := s.otpKeys.openSecret(ch.UserID, ch.OTP)
	if err != nil {
		return VerifyResult{}, true, fmt.Errorf("authenticator app secret: %w", err)
	}
	step, ok := matchOTP(secret, code, now, math.MinInt64)
	if !ok {
		return VerifyResult{}, false, nil
	}
	bearer, tok, err := s.newToken(ch.user(), ch.AppID, now)
	if err != nil {
		return VerifyResult{}, true, err
	}
	err = s.Store.ConsumeOTP(ctx, ch, tok, step, now, s.Policy.MaxAttempts)
	switch {
	case errors.Is(err, ErrStepUsed):
		log.InfoContext(ctx, "verify refused", "outcome", "invalid_code", "reason", "time step accepted before")
		return VerifyResult{}, false, nil
	case err != nil:
		return VerifyResult{}, true, s.ownCodeRefused(ctx, log, ch, err)
	}
	log.InfoContext(ctx, "verify succeeded", "outcome", "token_issued", "channel", ChannelOTP)
	return VerifyResult{Token: bearer, Channel: ChannelOTP, Authenticator: ProviderAuthenticatorApp, Name: ch.Name, ExpiresIn: s.Policy.AuthTokenTTL}, true, nil
}

// ownCodeRefused is the answer to a right authenticator-app or recovery code whose consume was refused.
func (s *Service) ownCodeRefused(ctx context.Context, log *slog.Logger, ch Challenge, err error) error {
	var changed *ChangedError
	switch {
	case errors.As(err, &changed):
		return err // the verify decides again on the challenge as stored
	case errors.Is(err, ErrConflict):
		log.InfoContext(ctx, "verify refused", "outcome", "invalid_code", "reason", "lost a race")
		return &CodeError{Remaining: max(s.Policy.MaxAttempts-ch.Attempts, 0)}
	case errors.Is(err, ErrAuthenticatorAppGone):
		log.InfoContext(ctx, "verify refused", "outcome", "invalid_mfa_token", "reason", "authenticator app removed or replaced")
		return ErrInvalidMFAToken
	case secondFactorRefused(err):
		return refuseSecondFactor(ctx, log, "verify refused", err)
	}
	return s.refuse(ctx, log, err)
}

// verifyRecoveryCode uses up one recovery code of the challenge's user for the challenge's token, and
// tells the user by email; done is false for a code that is no unused recovery code of the user.
func (s *Service) verifyRecoveryCode(ctx context.Context, log *slog.Logger, ch Challenge, code string, now time.Time) (VerifyResult, bool, error) {
	norm, ok := NormalizeRecoveryCode(code)
	if !ok {
		return VerifyResult{}, false, nil
	}
	bearer, tok, err := s.newToken(ch.user(), ch.AppID, now)
	if err != nil {
		return VerifyResult{}, true, err
	}
	var left int
	for _, hash := range s.otpKeys.recoveryHashes(ch.UserID, norm) {
		if left, err = s.Store.ConsumeRecoveryCode(ctx, ch, tok, hash, now, s.Policy.MaxAttempts); !errors.Is(err, ErrRecoveryCodeUnknown) {
			break
		}
	}
	switch {
	case errors.Is(err, ErrRecoveryCodeUnknown):
		return VerifyResult{}, false, nil
	case err != nil:
		return VerifyResult{}, true, s.ownCodeRefused(ctx, log, ch, err)
	}
	log.InfoContext(ctx, "verify succeeded", "outcome", "token_issued", "channel", ChannelRecoveryCode, "recoveryCodesRemaining", left)
	res := VerifyResult{Token: bearer, Channel: ChannelRecoveryCode, Authenticator: ProviderAuthenticatorApp, Name: ch.Name,
		ExpiresIn: s.Policy.AuthTokenTTL}
	if left >= 0 {
		res.RecoveryCodesRemaining = &left
	}
	u := User{ID: ch.UserID, Email: ch.Email, CultureInfo: string(ch.Language)}
	s.Notifier.Notify(ctx, u, "", NoticeRecoveryCodeUsed, NoticeData{Remaining: max(left, 0)})
	return res, true, nil
}
