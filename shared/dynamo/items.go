package dynamo

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
)

// Key prefixes of the single table. Every item has only the string partition key "pk".
const (
	prefixUser      = "USER#"   // + lower-cased email
	prefixUserID    = "USERID#" // + userId; a copy of the user, so reads by userId and the list need no email
	prefixApp       = "APP#"    // + appId
	prefixAppURL    = "APPURL#" // + normalised url; a copy of the application, so login by url is one read
	prefixLogin     = "LOGIN#"  // + lower-cased email: the account's failed-password counter and lock
	prefixChallenge = "MFA#"    // + hex SHA-256 of the MFA token
	prefixToken     = "TOKEN#"  // + hex SHA-256 of the auth token
	prefixSends     = "SENDS#"  // + userId + "#" + unix hour: per-user hourly send counter
	prefixSMSCap    = "SMSCAP#" // + unix hour + "#" + shard: one shard of the deployment's hourly SMS cap
	prefixOTP       = "OTP#"    // + userId: the user's authenticator app and recovery codes (otp.go)
)

// prefixWrong + lower-cased email is the user's run of wrong binding codes across challenges.
const prefixWrong = "MFAFAIL#"

// prefixLoginNet + lower-cased email + "#" + network (an auth.Network, which holds no "#") is the
// failed-password counter and lock of the email from one source network.
const prefixLoginNet = "LOGINNET#"

// The list index (template.yaml's gsi1): every application item by appId under one partition, and
// every user's USERID# copy under another, each in the order of creation, so that a list is a Query
// and never a Scan.
const (
	indexList  = "gsi1"
	attrGSI1PK = "gsi1pk"
	attrGSI1SK = "gsi1sk"
	listApps   = "APP"  // the gsi1pk of every application; gsi1sk is createDate#appId
	listUsers  = "USER" // the gsi1pk of every user's USERID# copy; gsi1sk is createDate#userId
)

// Attribute names used in expressions.
const (
	attrPK            = "pk"
	attrTTL           = "ttl"
	attrFailures      = "failures"
	attrLockedUntil   = "lockedUntil"
	attrCount         = "n"
	attrUsed          = "used"
	attrAttempts      = "attempts"
	attrSends         = "sends"
	attrCodeHash      = "codeHash"
	attrCodeExpiresAt = "codeExpiresAt"
	attrExpiresAt     = "expiresAt"
	attrLastSentAt    = "lastSentAt"
	attrChannel       = "channel"
	attrAuthenticator = "authenticator"
	attrTo            = "to"
	attrDestination   = "destination"
	attrTokenID       = "tokenId"
)

type userItem struct {
	PK           string `dynamodbav:"pk"`
	UserID       string `dynamodbav:"userId"`
	Email        string `dynamodbav:"email"`
	Name         string `dynamodbav:"name"`
	PasswordHash string `dynamodbav:"passwordHash"`
	Mobile       string `dynamodbav:"mobile,omitempty"`
	// MobileCountry is the number's ISO 3166-1 alpha-2 country, kept so a login can hold SMS to an
	// application's countries without the numbering plan.
	MobileCountry string   `dynamodbav:"mobileCountry,omitempty"`
	Admin         bool     `dynamodbav:"admin"`
	Applications  []string `dynamodbav:"applications,stringset,omitempty"`
	// Status is absent in users stored before statuses were kept: read as Activated (auth.User.State).
	Status      string `dynamodbav:"status,omitempty"`
	CultureInfo string `dynamodbav:"cultureInfo,omitempty"`
	CreateDate  string `dynamodbav:"createDate,omitempty"`
	UpdateDate  string `dynamodbav:"updateDate,omitempty"`
	// Epoch is the session epoch (auth.User.Epoch); absent is zero.
	Epoch int `dynamodbav:"sessionEpoch,omitempty"`
	// The live ticket, as its SHA-256 (auth.UserTicket); absent when there is none.
	TicketHash      string `dynamodbav:"ticketHash,omitempty"`
	TicketKind      string `dynamodbav:"ticketKind,omitempty"`
	TicketApp       string `dynamodbav:"ticketApp,omitempty"`
	TicketExpiresAt int64  `dynamodbav:"ticketExpiresAt,omitempty"` // unix ms
	// The mobile number waiting for its code (auth.PendingMobile); absent when there is none.
	PendingMobile        string `dynamodbav:"pendingMobile,omitempty"`
	PendingMobileCountry string `dynamodbav:"pendingMobileCountry,omitempty"`
	PendingCodeHash      string `dynamodbav:"pendingCodeHash,omitempty"`
	PendingCodeExpiresAt int64  `dynamodbav:"pendingCodeExpiresAt,omitempty"` // unix ms
	PendingAttempts      int    `dynamodbav:"pendingAttempts,omitempty"`
	PendingSentAt        int64  `dynamodbav:"pendingSentAt,omitempty"` // unix ms
	// OTP is the sealed secret of the user's confirmed authenticator app (auth.User.OTP), a copy of its
	// OTP# item's; absent when there is none.
	OTP string `dynamodbav:"otp,omitempty"`
	// The list index's key, on the USERID# copy only (the item by email is not a second user).
	GSI1PK string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK string `dynamodbav:"gsi1sk,omitempty"`
}

// newUserItem is the user's item by email, which a login reads.
func newUserItem(u auth.User) userItem {
	return userItem{
		PK: prefixUser + u.Email, UserID: u.ID, Email: u.Email, Name: u.Name, PasswordHash: u.PasswordHash,
		Mobile: u.Mobile, MobileCountry: u.MobileCountry, Admin: u.Admin, Applications: u.Applications,
		Status: string(u.Status), CultureInfo: u.CultureInfo, CreateDate: date(u.CreateDate), UpdateDate: date(u.UpdateDate),
		Epoch:      u.Epoch,
		TicketHash: u.Ticket.Hash, TicketKind: string(u.Ticket.Kind), TicketApp: u.Ticket.AppID, TicketExpiresAt: ms(u.Ticket.ExpiresAt),
		PendingMobile: u.PendingMobile.Number, PendingMobileCountry: u.PendingMobile.Country,
		PendingCodeHash: u.PendingMobile.CodeHash, PendingCodeExpiresAt: ms(u.PendingMobile.CodeExpiresAt),
		PendingAttempts: u.PendingMobile.Attempts, PendingSentAt: ms(u.PendingMobile.SentAt),
		OTP: u.OTP,
	}
}

// decodeApplication reads an application item, by appId or by url.
func decodeApplication(item map[string]types.AttributeValue) (auth.Application, error) {
	var a appItem
	if err := attributevalue.UnmarshalMap(item, &a); err != nil {
		return auth.Application{}, fmt.Errorf("decode application: %w", err)
	}
	return a.application(), nil
}

// found is v as a pointer, or nil with err: what a batch read holds of one key.
func found[T any](v T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// newUserCopy is the user's full copy by userId, which reads by userId, the list and the authorizer read.
func newUserCopy(u auth.User) userItem {
	i := newUserItem(u)
	i.PK, i.GSI1PK, i.GSI1SK = prefixUserID+u.ID, listUsers, date(u.CreateDate)+"#"+u.ID
	return i
}

func (i userItem) user() auth.User {
	return auth.User{
		ID: i.UserID, Email: i.Email, Name: i.Name, PasswordHash: i.PasswordHash,
		Mobile: i.Mobile, MobileCountry: i.MobileCountry, Admin: i.Admin, Applications: i.Applications,
		Status: auth.UserStatus(i.Status), CultureInfo: i.CultureInfo,
		CreateDate: parseDate(i.CreateDate), UpdateDate: parseDate(i.UpdateDate),
		Epoch: i.Epoch,
		Ticket: auth.UserTicket{Hash: i.TicketHash, Kind: auth.TicketKind(i.TicketKind), AppID: i.TicketApp,
			ExpiresAt: fromMS(i.TicketExpiresAt)},
		PendingMobile: auth.PendingMobile{Number: i.PendingMobile, Country: i.PendingMobileCountry,
			CodeHash: i.PendingCodeHash, CodeExpiresAt: fromMS(i.PendingCodeExpiresAt),
			Attempts: i.PendingAttempts, SentAt: fromMS(i.PendingSentAt)},
		OTP: i.OTP,
	}
}

// date is a time as items keep it (RFC 3339, UTC, whole seconds); empty for none.
func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func parseDate(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s) // zero for none
	return t
}

type appItem struct {
	PK               string `dynamodbav:"pk"`
	AppID            string `dynamodbav:"appId"`
	Name             string `dynamodbav:"name"`
	URL              string `dynamodbav:"url"`
	UniqueIdentifier string `dynamodbav:"uniqueIdentifier"`
	MFA              bool   `dynamodbav:"enableMultiFactorAuthentication"`
	CultureInfo      string `dynamodbav:"cultureInfo,omitempty"`
	PhoneCountryCode string `dynamodbav:"phoneCountryCode,omitempty"`
	// Authenticators are absent in items written before they were kept: read as the defaults.
	Authenticators []string `dynamodbav:"multiFactorAuthenticators,omitempty"`
	SMSCountries   []string `dynamodbav:"smsCountries,omitempty"`
	AllowedOrigins []string `dynamodbav:"allowedOrigins,omitempty"`
	CreateDate     string   `dynamodbav:"createDate"`
	UpdateDate     string   `dynamodbav:"updateDate"`
	Version        int      `dynamodbav:"version"`
	// The list index's key, on the item by appId only (a url copy is not a second application).
	GSI1PK string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK string `dynamodbav:"gsi1sk,omitempty"`
	// SecretHashes, oldest first, are on the item by appId only: the authorizer reads that item, and
	// the url copy, which public lookups and logins by url read, then never holds them and has no
	// second copy to keep in step.
	SecretHashes []string `dynamodbav:"secretHashes,omitempty"`
}

func newAppItem(pk string, a auth.Application) appItem {
	i := appItem{
		PK: pk, AppID: a.ID, Name: a.Name, URL: a.URL, UniqueIdentifier: a.UniqueIdentifier, MFA: a.MFA,
		CultureInfo: a.CultureInfo, PhoneCountryCode: a.PhoneCountryCode,
		Authenticators: channelNames(a.Authenticators), SMSCountries: a.SMSCountries, AllowedOrigins: a.AllowedOrigins,
		CreateDate: a.CreateDate.UTC().Format(time.RFC3339), UpdateDate: a.UpdateDate.UTC().Format(time.RFC3339),
		Version: a.Version,
	}
	if strings.HasPrefix(pk, prefixApp) {
		i.GSI1PK, i.GSI1SK = listApps, i.CreateDate+"#"+a.ID
		i.SecretHashes = a.SecretHashes
	}
	return i
}

func (i appItem) application() auth.Application {
	created, _ := time.Parse(time.RFC3339, i.CreateDate)
	updated, _ := time.Parse(time.RFC3339, i.UpdateDate)
	a := auth.Application{
		ID: i.AppID, Name: i.Name, URL: i.URL, UniqueIdentifier: i.UniqueIdentifier, MFA: i.MFA,
		CultureInfo: i.CultureInfo, PhoneCountryCode: i.PhoneCountryCode, SMSCountries: i.SMSCountries, AllowedOrigins: i.AllowedOrigins,
		CreateDate: created, UpdateDate: updated, Version: i.Version, SecretHashes: i.SecretHashes,
	}
	a.Authenticators = slices.Clone(auth.DefaultAuthenticators)
	if i.Authenticators != nil {
		a.Authenticators = channels(i.Authenticators)
	}
	return a
}

func channelNames(cs []auth.Channel) []string {
	if cs == nil {
		return nil
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = string(c)
	}
	return names
}

func channels(names []string) []auth.Channel {
	if names == nil {
		return nil
	}
	cs := make([]auth.Channel, len(names))
	for i, n := range names {
		cs[i] = auth.Channel(n)
	}
	return cs
}

// loginItem is a failed-password counter, of an account (LOGIN#) or of an email from one network
// (LOGINNET#): the two have one layout.
type loginItem struct {
	PK          string `dynamodbav:"pk"`
	Failures    int    `dynamodbav:"failures"`
	LockedUntil int64  `dynamodbav:"lockedUntil"`
	TTL         int64  `dynamodbav:"ttl"` // unix s: when the count is forgotten (checked in code too)
}

func (l loginItem) attempts() auth.LoginAttempts {
	a := auth.LoginAttempts{Failures: l.Failures, LockedUntil: fromMS(l.LockedUntil)}
	if l.TTL != 0 {
		a.Expires = time.Unix(l.TTL, 0)
	}
	return a
}

type challengeItem struct {
	PK            string `dynamodbav:"pk"`
	UserID        string `dynamodbav:"userId"`
	Email         string `dynamodbav:"email"`
	Name          string `dynamodbav:"name"`
	AppID         string `dynamodbav:"appId"`
	Admin         bool   `dynamodbav:"admin"`
	Channel       string `dynamodbav:"channel"`
	Authenticator string `dynamodbav:"authenticator"`
	To            string `dynamodbav:"to"`
	Destination   string `dynamodbav:"destination"`
	Mobile        string `dynamodbav:"mobile,omitempty"`        // the user's, for a resend's switch to SMS
	MobileCountry string `dynamodbav:"mobileCountry,omitempty"` // Mobile's, for the metrics by country
	NoEmail       bool   `dynamodbav:"noEmail,omitempty"`       // the application allowed no email codes
	Language      string `dynamodbav:"language,omitempty"`      // of the codes' texts; absent is the default
	CodeHash      string `dynamodbav:"codeHash"`
	CodeExpiresAt int64  `dynamodbav:"codeExpiresAt"` // unix ms, compared in conditions
	ExpiresAt     int64  `dynamodbav:"expiresAt"`     // unix ms
	Attempts      int    `dynamodbav:"attempts"`
	Sends         int    `dynamodbav:"sends"`
	LastSentAt    int64  `dynamodbav:"lastSentAt"` // unix ms
	Used          bool   `dynamodbav:"used"`
	TokenID       string `dynamodbav:"tokenId,omitempty"`      // the auth token a consume issued (its hash)
	Epoch         int    `dynamodbav:"sessionEpoch,omitempty"` // the user's session epoch at login
	OTP           string `dynamodbav:"otp,omitempty"`          // the sealed secret of the user's authenticator app
	TTL           int64  `dynamodbav:"ttl"`                    // unix s, for DynamoDB TTL sweeping only
}

func newChallengeItem(c auth.Challenge) challengeItem {
	return challengeItem{
		PK: prefixChallenge + c.ID, UserID: c.UserID, Email: c.Email, Name: c.Name, AppID: c.AppID, Admin: c.Admin,
		Channel: string(c.Channel), Authenticator: c.Authenticator, To: c.To, Destination: c.Destination, Mobile: c.Mobile,
		MobileCountry: c.MobileCountry, NoEmail: c.NoEmail, Language: string(c.Language),
		CodeHash: c.CodeHash, CodeExpiresAt: ms(c.CodeExpiresAt), ExpiresAt: ms(c.ExpiresAt),
		Attempts: c.Attempts, Sends: c.Sends, LastSentAt: ms(c.LastSentAt), Used: c.Used, Epoch: c.Epoch, OTP: c.OTP,
		TTL: c.ExpiresAt.Add(time.Hour).Unix(),
	}
}

func (i challengeItem) challenge() auth.Challenge {
	return auth.Challenge{
		ID: i.PK[len(prefixChallenge):], UserID: i.UserID, Email: i.Email, Name: i.Name, AppID: i.AppID, Admin: i.Admin,
		Channel: auth.Channel(i.Channel), Authenticator: i.Authenticator, To: i.To, Destination: i.Destination, Mobile: i.Mobile,
		MobileCountry: i.MobileCountry, NoEmail: i.NoEmail, Language: auth.Language(i.Language),
		CodeHash: i.CodeHash, CodeExpiresAt: fromMS(i.CodeExpiresAt), ExpiresAt: fromMS(i.ExpiresAt),
		Attempts: i.Attempts, Sends: i.Sends, LastSentAt: fromMS(i.LastSentAt), Used: i.Used, Epoch: i.Epoch, OTP: i.OTP,
	}
}

type tokenItem struct {
	PK        string `dynamodbav:"pk"`
	UserID    string `dynamodbav:"userId"`
	Email     string `dynamodbav:"email"`
	Name      string `dynamodbav:"name"`
	AppID     string `dynamodbav:"appId"`
	Admin     bool   `dynamodbav:"admin"`
	IssuedAt  int64  `dynamodbav:"issuedAt"`  // unix ms
	ExpiresAt int64  `dynamodbav:"expiresAt"` // unix ms
	Revoked   bool   `dynamodbav:"revoked"`
	Epoch     int    `dynamodbav:"sessionEpoch,omitempty"` // the user's session epoch at issue
	TTL       int64  `dynamodbav:"ttl"`
}

func newTokenItem(t auth.Token) tokenItem {
	return tokenItem{
		PK: prefixToken + t.ID, UserID: t.UserID, Email: t.Email, Name: t.Name, AppID: t.AppID, Admin: t.Admin,
		IssuedAt: ms(t.IssuedAt), ExpiresAt: ms(t.ExpiresAt), Epoch: t.Epoch, TTL: t.ExpiresAt.Add(time.Hour).Unix(),
	}
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}
