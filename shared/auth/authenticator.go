package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"mfagateway/shared/mask"
)

// Authenticator is one way of proving the second factor. Every channel is one implementation, so a
// new one (an OTP app, say) is a new type, a line in wireAuthenticators, a line in ChannelsFor and its
// channel constant; the flows, the store and the handlers stay as they are. A challenge is addressed with Address,
// stored, then started with Start; a verify asks Check, which needs no sender, so the verify function
// links none.
type Authenticator interface {
	// Channel is the authenticatorCode of the challenges it runs.
	Channel() Channel
	// Provider is who delivers its codes, reported as the authenticator (AmazonSNS, AmazonSES,
	// LocalOutbox); empty when nothing is wired to deliver them.
	Provider() string
	// Address is where the user's codes go on this channel, in full and masked for display; to is
	// empty when the user has no such address.
	Address(u User) (to, destination string)
	// Start delivers code, the code of the challenge's latest send, to ch.To. An authenticator whose
	// codes the user's own device makes sends nothing.
	Start(ctx context.Context, ch Challenge, code string) error
	// Check reports, in constant time, whether code is the code of the challenge's latest send.
	Check(ch Challenge, code string) bool
	// CanResend reports whether a challenge on this channel may have a new code sent.
	CanResend() bool
}

// ParseChannel reads an authenticatorCode as clients spell it, in any case; false when no channel has that name.
func ParseChannel(s string) (Channel, bool) {
	for _, c := range channels {
		if strings.EqualFold(s, string(c)) {
			return c, true
		}
	}
	return "", false
}

// ChannelNames lists the channels for a message to a client: "SMS or Email".
func ChannelNames() string {
	return orList(channelNames())
}

func channelNames() []string {
	names := make([]string, len(channels))
	for i, c := range channels {
		names[i] = string(c)
	}
	return names
}

// orList joins names for a message: "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// DefaultAuthenticator is the resend's name, in the platform's authenticator enum, for the channel the
// challenge already has.
const DefaultAuthenticator = "Default"

// ParseResendChannel reads the authenticator a resend names, the platform's enum (Default or a
// channel) in any case: "" for Default or nothing named (the challenge's own channel), else the
// channel; false when the enum has no such value.
func ParseResendChannel(s string) (Channel, bool) {
	if s == "" || strings.EqualFold(s, DefaultAuthenticator) {
		return "", true
	}
	return ParseChannel(s)
}

// ResendChannelNames lists the values ParseResendChannel takes, for a message to a client: "Default, SMS or Email".
func ResendChannelNames() string {
	return orList(append([]string{DefaultAuthenticator}, channelNames()...))
}

// codeKey keeps binding codes as an HMAC bound to their challenge and to the send that carried them,
// so an older code never matches. The key is the server secret, which lives in the functions' settings
// (or Secrets Manager), never in the table. Codes are made under the current key; previous is the
// secret's version before its last rotation (nil: none), under which a code made before the rotation
// still matches.
type codeKey struct {
	current, previous []byte
}

func (k codeKey) hash(challengeID string, send int, code string) string {
	return hex.EncodeToString(codeMAC(k.current, challengeID, send, code))
}

// matches compares the stored hash with the code's under the current key and, when there is one, under
// the previous key: each in constant time and both every time, so the time tells nothing of which key
// a stored hash is under.
func (k codeKey) matches(ch Challenge, code string) bool {
	want, _ := hex.DecodeString(ch.CodeHash)
	current := hmac.Equal(want, codeMAC(k.current, ch.ID, ch.Sends, code))
	previous := len(k.previous) > 0 && hmac.Equal(want, codeMAC(k.previous, ch.ID, ch.Sends, code))
	return current || previous
}

func codeMAC(key []byte, challengeID string, send int, code string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(challengeID))
	m.Write([]byte{0})
	m.Write([]byte(strconv.Itoa(send)))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return m.Sum(nil)
}

// sentCode is what the SMS and email authenticators share: the gateway draws the code, a sender
// carries it, and the code is checked against its HMAC. The sender may be nil where nothing is sent.
type sentCode struct {
	key     codeKey
	sender  Sender
	codeTTL time.Duration
}

func (a sentCode) Provider() string {
	if a.sender == nil {
		return ""
	}
	return a.sender.Name()
}

func (a sentCode) Check(ch Challenge, code string) bool { return a.key.matches(ch, code) }

func (a sentCode) CanResend() bool { return true }

func (a sentCode) send(ctx context.Context, ch Challenge, code string) error {
	if a.sender == nil {
		return fmt.Errorf("no %s sender configured", ch.Channel)
	}
	m, err := bindingCodeMessage(ch.Language, ch.To, code, a.codeTTL)
	if err != nil {
		return err
	}
	return a.sender.Send(ctx, m)
}

// smsAuthenticator sends codes as text messages to the user's mobile number.
type smsAuthenticator struct{ sentCode }

func (smsAuthenticator) Channel() Channel { return ChannelSMS }

func (smsAuthenticator) Address(u User) (string, string) { return u.Mobile, mask.Phone(u.Mobile) }

func (a smsAuthenticator) Start(ctx context.Context, ch Challenge, code string) error {
	return a.send(ctx, ch, code)
}

// emailAuthenticator sends codes to the user's email address, the login name.
type emailAuthenticator struct{ sentCode }

func (emailAuthenticator) Channel() Channel { return ChannelEmail }

func (emailAuthenticator) Address(u User) (string, string) { return u.Email, mask.Email(u.Email) }

func (a emailAuthenticator) Start(ctx context.Context, ch Challenge, code string) error {
	return a.send(ctx, ch, code)
}

// address points the challenge at the user on a's channel.
func address(ch *Challenge, a Authenticator, u User) {
	ch.Channel, ch.Authenticator = a.Channel(), a.Provider()
	ch.To, ch.Destination = a.Address(u)
}

// switchTo points the challenge at its user on channel, when channel is one the login had (ChannelsFor
// of the challenge's user and application) and the user has an address on it; false, and the
// challenge untouched, otherwise. The user is the one the challenge knows, its email and mobile number
// as at login, so a switch costs no read; a challenge stored without the mobile number (the login
// could not text it, or it was stored before the number was kept) cannot switch to SMS.
func (s *Service) switchTo(ch *Challenge, channel Channel) bool {
	u := ch.user()
	if !slices.Contains(ChannelsFor(u, ch.app()), channel) {
		return false
	}
	a, err := s.authenticator(channel)
	if err != nil {
		return false
	}
	next := *ch
	address(&next, a, u)
	if next.To == "" {
		return false
	}
	*ch = next
	return true
}

// ChannelsFor is the one decision of how a user's codes travel for an application: the channels to
// try in order, the first that delivers wins, so the first is the one the codes go by. The
// authenticator app comes first when the user has one confirmed and the application allows OTP (it
// sends nothing, so it always "delivers"); then SMS when the application allows it, the user has a
// mobile number and the number's country is one the application sends SMS to; email follows when the
// application allows it, as the fallback should the SMS fail or the only channel otherwise. None (an
// application that allows only OTP for a user without an authenticator app, or only SMS for a user it
// cannot text) leaves the login undeliverable.
// The login asks it through channelFor; anything that shows a user's channel (the local server's list
// of users) asks it too.
func ChannelsFor(u User, app Application) []Channel {
	var chain []Channel
	if u.OTP != "" && app.Allows(ChannelOTP) {
		chain = append(chain, ChannelOTP)
	}
	if u.Mobile != "" && app.Allows(ChannelSMS) && app.SMSTo(u.MobileCountry) {
		chain = append(chain, ChannelSMS)
	}
	if app.Allows(ChannelEmail) {
		chain = append(chain, ChannelEmail)
	}
	return chain
}

// channelFor is ChannelsFor as the authenticators that run those channels.
func (s *Service) channelFor(u User, app Application) []Authenticator {
	var chain []Authenticator
	for _, c := range ChannelsFor(u, app) {
		chain = append(chain, s.authenticators[c])
	}
	return chain
}

// authenticator is the one that runs challenges on channel.
func (s *Service) authenticator(channel Channel) (Authenticator, error) {
	a, ok := s.authenticators[channel]
	if !ok {
		return nil, fmt.Errorf("no authenticator for channel %q", channel)
	}
	return a, nil
}

// wireAuthenticators builds the service's authenticators from its senders; a nil sender leaves its
// authenticator able to check codes but not to send them.
func (s *Service) wireAuthenticators() {
	codes := sentCode{key: s.codes, codeTTL: s.Policy.CodeTTL}
	sms, email := codes, codes
	sms.sender, email.sender = s.SMS, s.Email
	s.otpKeys = deriveOTPKeysWith(s.Secret, s.PreviousSecret)
	app := otpAuthenticator{keys: s.otpKeys, clock: s.Clock}
	s.authenticators = map[Channel]Authenticator{}
	for _, a := range []Authenticator{smsAuthenticator{sms}, emailAuthenticator{email}, app} {
		s.authenticators[a.Channel()] = a
	}
}
