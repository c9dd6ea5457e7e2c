// Package seed loads users and applications from a JSON seed file into the store, for local runs,
// tests and first deployments.
package seed

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/password"
	"mfagateway/shared/password/strength"
	"mfagateway/shared/phone"
)

// Demo is the committed demo seed that `make run` starts with.
//
//go:embed demo.json
var Demo []byte

// File is a seed file.
type File struct {
	Applications []Application `json:"applications"`
	Users        []User        `json:"users"`
}

// Application is one seeded application.
type Application struct {
	AppID            string `json:"appId"`
	Name             string `json:"name"`
	URL              string `json:"url"`
	UniqueIdentifier string `json:"uniqueIdentifier"`
	MFA              bool   `json:"enableMultiFactorAuthentication"`
	CultureInfo      string `json:"cultureInfo"`
	PhoneCountryCode string `json:"phoneCountryCode"`
	// Authenticators left out are the defaults; an empty list is refused, as by the API.
	Authenticators []string `json:"multiFactorAuthenticators"`
	SMSCountries   []string `json:"smsCountries"`
	AllowedOrigins []string `json:"allowedOrigins"`
}

// Stored is the seeded application as the store keeps it, created and updated at now, its properties
// held to the rules of the applications service.
func (a Application) Stored(now time.Time) (auth.Application, error) {
	app := auth.Application{ID: a.AppID, Name: a.Name, URL: a.URL, UniqueIdentifier: a.UniqueIdentifier, MFA: a.MFA,
		CultureInfo: a.CultureInfo, PhoneCountryCode: a.PhoneCountryCode, SMSCountries: a.SMSCountries,
		AllowedOrigins: a.AllowedOrigins, CreateDate: now, UpdateDate: now}
	if a.Authenticators != nil {
		app.Authenticators = make([]auth.Channel, len(a.Authenticators))
		for i, name := range a.Authenticators {
			app.Authenticators[i] = auth.Channel(name)
		}
	}
	app, err := auth.CheckApplication(app)
	var perr *auth.PropertyError
	if errors.As(err, &perr) {
		return app, fmt.Errorf("%s: %s", perr.Property, perr.Reason)
	}
	return app, err
}

// User is one seeded user. Password is plain text (hashed on load); PasswordHash is an argon2id PHC string.
type User struct {
	UserID       string   `json:"userId"`
	Email        string   `json:"email"`
	Name         string   `json:"name"`
	Password     string   `json:"password"`
	PasswordHash string   `json:"passwordHash"`
	Mobile       string   `json:"mobile"`
	Applications []string `json:"applications"`
	Admin        bool     `json:"admin"`
	// CultureInfo is a BCP 47 tag, held to the users' rule; empty for none.
	CultureInfo string `json:"cultureInfo"`
	// Status is Pending, Activated (the default) or Blocked. A Pending user has no password yet.
	Status string `json:"status"`
	// TOTPSecret, base32, gives the user a confirmed authenticator app of that secret (without
	// recovery codes); empty for none.
	TOTPSecret string `json:"totpSecret"`
}

// Parse decodes and validates a seed; every error names the entry and the field.
func Parse(r io.Reader) (File, error) {
	var raw struct {
		Applications []json.RawMessage `json:"applications"`
		Users        []json.RawMessage `json:"users"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return File{}, fmt.Errorf("seed is not valid: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return File{}, errors.New("seed is not valid: data after the JSON object")
	}
	f := File{Applications: make([]Application, len(raw.Applications)), Users: make([]User, len(raw.Users))}
	var errs []error
	for i, m := range raw.Applications {
		if err := strict(m, &f.Applications[i]); err != nil {
			errs = append(errs, fmt.Errorf("applications[%d]: %s", i, err))
		}
	}
	for i, m := range raw.Users {
		if err := strict(m, &f.Users[i]); err != nil {
			errs = append(errs, fmt.Errorf("users[%d]: %s", i, err))
		}
	}
	if len(errs) > 0 {
		return File{}, errors.Join(errs...)
	}
	return f, f.validate()
}

// strict decodes one entry, refusing unknown fields.
func strict(m json.RawMessage, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(m))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return errors.New(jsonProblem(err))
	}
	return nil
}

// jsonProblem words a decoding error by the field it concerns.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		field := typeErr.Field[strings.LastIndexByte(typeErr.Field, '.')+1:]
		return fmt.Sprintf("%s: must be a JSON %s, not %s", field, typeErr.Type.Kind(), typeErr.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown field " + name
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// ParseBytes is Parse over a byte slice.
func ParseBytes(b []byte) (File, error) { return Parse(bytes.NewReader(b)) }

func (f *File) validate() error {
	var errs []error
	apps := map[string]bool{}
	names := map[string]string{} // appId -> name, for the password policy
	urls := map[string]string{}
	for i := range f.Applications {
		a := &f.Applications[i]
		at := fmt.Sprintf("applications[%d]", i)
		if a.Name != "" {
			at += fmt.Sprintf(" (%s)", a.Name)
		}
		if _, err := uuid.Parse(a.AppID); err != nil {
			errs = append(errs, fmt.Errorf("%s: appId: %q is not a UUID", at, a.AppID))
		} else if apps[a.AppID] {
			errs = append(errs, fmt.Errorf("%s: appId: %s appears twice", at, a.AppID))
		}
		apps[a.AppID] = true
		names[a.AppID] = a.Name
		if strings.TrimSpace(a.Name) == "" {
			errs = append(errs, fmt.Errorf("%s: name: required", at))
		}
		a.URL = auth.NormalizeURL(a.URL)
		if a.URL == "" {
			errs = append(errs, fmt.Errorf("%s: url: required", at))
		} else if other, dup := urls[a.URL]; dup {
			errs = append(errs, fmt.Errorf("%s: url: %s is already the url of %s", at, a.URL, other))
		}
		urls[a.URL] = a.AppID
		if _, err := a.Stored(time.Time{}); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", at, err))
		}
	}
	emails := map[string]bool{}
	for i := range f.Users {
		u := &f.Users[i]
		at := fmt.Sprintf("users[%d]", i)
		u.Email = auth.NormalizeEmail(u.Email)
		if u.Email != "" {
			at += fmt.Sprintf(" (%s)", u.Email)
		}
		if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
			errs = append(errs, fmt.Errorf("%s: email: not an email address", at))
		} else if emails[u.Email] {
			errs = append(errs, fmt.Errorf("%s: email: appears twice", at))
		}
		emails[u.Email] = true
		if u.UserID != "" {
			// Canonical only: an auth token names its user by the UUID's bytes, and the userId read back
			// from them is in lower case 8-4-4-4-12.
			if id, err := uuid.Parse(u.UserID); err != nil || id.String() != u.UserID {
				errs = append(errs, fmt.Errorf("%s: userId: %q is not a UUID in lower case 8-4-4-4-12", at, u.UserID))
			}
		}
		if strings.TrimSpace(u.Name) == "" {
			errs = append(errs, fmt.Errorf("%s: name: required", at))
		}
		status, err := auth.ParseStatus(orActivated(u.Status))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: status: must be Pending, Activated or Blocked", at))
		}
		u.Status = string(status)
		if tag, err := auth.CheckCultureInfo(u.CultureInfo); err != nil {
			errs = append(errs, fmt.Errorf("%s: cultureInfo: must be a BCP 47 language tag such as nl-NL", at))
		} else {
			u.CultureInfo = tag
		}
		switch {
		case status == auth.StatusPending && (u.Password != "" || u.PasswordHash != ""):
			errs = append(errs, fmt.Errorf("%s: password: a Pending user has none yet", at))
		case status == auth.StatusPending:
		case (u.Password == "") == (u.PasswordHash == ""):
			errs = append(errs, fmt.Errorf("%s: password: give exactly one of password and passwordHash", at))
		case u.PasswordHash != "":
			if err := password.Check(u.PasswordHash); err != nil {
				errs = append(errs, fmt.Errorf("%s: passwordHash: not an argon2id PHC string", at))
			}
		default:
			if err := checkPassword(u, names); err != nil {
				errs = append(errs, fmt.Errorf("%s: password: %w", at, err))
			}
		}
		if u.TOTPSecret != "" {
			norm, err := auth.CheckOTPSecret(u.TOTPSecret)
			var perr *auth.PropertyError
			if errors.As(err, &perr) {
				errs = append(errs, fmt.Errorf("%s: totpSecret: %s", at, perr.Reason))
			}
			u.TOTPSecret = norm
		}
		if u.Mobile != "" {
			m, err := phone.Normalize(u.Mobile)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: mobile: %w", at, err))
			}
			u.Mobile = m
		}
		seen := map[string]bool{}
		for j, id := range u.Applications {
			switch {
			case !apps[id]:
				errs = append(errs, fmt.Errorf("%s: applications[%d]: %q is not an application of this seed", at, j, id))
			case seen[id]:
				errs = append(errs, fmt.Errorf("%s: applications[%d]: %q appears twice", at, j, id))
			}
			seen[id] = true
		}
	}
	return errors.Join(errs...)
}

// passwordPolicy is the users service's rule for a new password, at PASSWORD_MIN_LENGTH's default: a
// seed is loaded before any function reads its settings. A passwordHash is taken as it is, as a login
// takes a password set before the policy.
var passwordPolicy = auth.PasswordPolicy{Guessable: strength.Judge}

// checkPassword holds a seeded plain-text password to the policy, with the names of the seed's
// applications the user joins. The error is the reason alone, never the password.
func checkPassword(u *User, names map[string]string) error {
	var apps []string
	for _, id := range u.Applications {
		if name, ok := names[id]; ok {
			apps = append(apps, name)
		}
	}
	err := passwordPolicy.Check(u.Password, u.Email, apps...)
	var weak *auth.WeakPasswordError
	if errors.As(err, &weak) {
		return errors.New(weak.Reason)
	}
	return err
}

// Store is what loading a seed writes to.
type Store interface {
	PutApplication(ctx context.Context, a auth.Application) error
	PutUser(ctx context.Context, u auth.User) error
}

// Hasher turns seeded plain-text passwords into PHC strings.
type Hasher interface {
	Hash(password string) (string, error)
}

// MobileCountry is the country of the user's mobile number as the numbering plan places it, stored
// with the number as the users service does, for the login's SMS countries; empty without one.
func (u User) MobileCountry() string {
	if u.Mobile == "" {
		return ""
	}
	_, country, err := phone.Parse(u.Mobile)
	if err != nil { // Parse refused it already: a File of Parse has none such
		return ""
	}
	return country
}

// orActivated is a seed's status, Activated when it names none.
func orActivated(status string) string {
	if status == "" {
		return string(auth.StatusActivated)
	}
	return status
}

// Apps is what gives seeded users their authenticator apps: the second-factor service, which seals
// each secret under the server secret.
type Apps interface {
	ConfirmFor(ctx context.Context, who auth.Session, email, secret string) error
}

// seeder is who Apps sees acting: an operator, since the seed is the operator's.
var seeder = auth.Session{UserID: "seed", Admin: true}

// LoadApps gives each user of the seed with a totpSecret a confirmed authenticator app of it; Load
// must have written the users first.
func (f File) LoadApps(ctx context.Context, apps Apps) error {
	for _, u := range f.Users {
		if u.TOTPSecret == "" {
			continue
		}
		if err := apps.ConfirmFor(ctx, seeder, u.Email, u.TOTPSecret); err != nil {
			return fmt.Errorf("user %s: authenticator app: %w", u.Email, err)
		}
	}
	return nil
}

// userNamespace derives stable user IDs from emails, so a reseeded local run keeps its IDs.
var userNamespace = uuid.MustParse("0b7c3f7e-2d55-4b8f-9d0e-6a4f1c2b9e31")

// Load writes the seed's applications and users.
func (f File) Load(ctx context.Context, store Store, hasher Hasher, now time.Time) error {
	for _, a := range f.Applications {
		app, err := a.Stored(now)
		if err != nil {
			return fmt.Errorf("application %s: %w", a.AppID, err)
		}
		if err := store.PutApplication(ctx, app); err != nil {
			return fmt.Errorf("application %s: %w", a.AppID, err)
		}
	}
	for _, u := range f.Users {
		phc := u.PasswordHash
		if phc == "" && u.Password != "" {
			var err error
			if phc, err = hasher.Hash(u.Password); err != nil {
				return fmt.Errorf("user %s: hash password: %w", u.Email, err)
			}
		}
		id := u.UserID
		if id == "" {
			id = uuid.NewSHA1(userNamespace, []byte(u.Email)).String()
		}
		user := auth.User{ID: id, Email: u.Email, Name: u.Name, PasswordHash: phc, Mobile: u.Mobile,
			MobileCountry: u.MobileCountry(), Admin: u.Admin, Applications: u.Applications,
			Status: auth.UserStatus(orActivated(u.Status)), CultureInfo: u.CultureInfo,
			CreateDate: now.UTC().Truncate(time.Second), UpdateDate: now.UTC().Truncate(time.Second)}
		if err := store.PutUser(ctx, user); err != nil {
			return fmt.Errorf("user %s: %w", u.Email, err)
		}
	}
	return nil
}
