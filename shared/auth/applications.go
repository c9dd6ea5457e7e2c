package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Applications manages applications. Every method but ByURL is for admins; an application acting by
// its own credentials (a Client session) may also read, change and replace itself.
type Applications struct {
	store  ApplicationStore
	clock  func() time.Time
	newID  func() string
	log    *slog.Logger
	random io.Reader // application secrets; nil is crypto/rand
}

// NewApplications returns the application service; newID makes appIds (UUIDs).
func NewApplications(store ApplicationStore, clock func() time.Time, newID func() string, log *slog.Logger) *Applications {
	if clock == nil {
		clock = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Applications{store: store, clock: clock, newID: newID, log: log}
}

// WithRandom returns the service drawing application secrets from r.
func (a *Applications) WithRandom(r io.Reader) *Applications {
	a.random = r
	return a
}

// admin lets only an admin user act; an application's own credentials never make an admin.
func (a *Applications) admin(ctx context.Context, who Session, action string) error {
	if who.Admin && !who.Client {
		return nil
	}
	return a.refuse(ctx, who, action)
}

// adminOrSelf lets an admin act on any application, and a Client session on its own only: another
// application is 403 whether or not it exists, so that credentials tell nothing of other appIds.
func (a *Applications) adminOrSelf(ctx context.Context, who Session, action, id string) error {
	if who.Client && who.AppID != "" && who.AppID == id {
		return nil
	}
	return a.admin(ctx, who, action)
}

func (a *Applications) refuse(ctx context.Context, who Session, action string) error {
	a.log.InfoContext(ctx, "refused", "event", "applications", "action", action, "outcome", "forbidden",
		"userId", who.UserID, "client", who.Client, "sessionAppId", who.AppID)
	return ErrForbidden
}

// Create stores a new application with a fresh appId.
func (a *Applications) Create(ctx context.Context, who Session, app Application) (Application, error) {
	// The properties are checked before the caller, as the handlers check a body: a bad one is 400 for anyone.
	app, err := CheckApplication(app)
	if err != nil {
		return Application{}, a.invalid(ctx, who, "create", err)
	}
	if err := a.admin(ctx, who, "create"); err != nil {
		return Application{}, err
	}
	now := a.clock().UTC().Truncate(time.Second)
	app.ID, app.CreateDate, app.UpdateDate, app.Version = a.newID(), now, now, 0
	app.SecretHashes = nil // a new application has no secret until one is issued
	app.URL = NormalizeURL(app.URL)
	if err := a.store.CreateApplication(ctx, app); err != nil {
		return Application{}, a.fail(ctx, who, "create", err)
	}
	a.log.InfoContext(ctx, "application created", "event", "applications", "action", "create", "outcome", "created",
		"appId", app.ID, "mfa", app.MFA, "userId", who.UserID)
	return app, nil
}

// Get reads one application.
func (a *Applications) Get(ctx context.Context, who Session, id string) (Application, error) {
	if err := a.adminOrSelf(ctx, who, "get", id); err != nil {
		return Application{}, err
	}
	app, err := a.store.GetApplication(ctx, id)
	if err != nil {
		return Application{}, a.fail(ctx, who, "get", err)
	}
	return app, nil
}

// ByURL reads the application at an address, normalised as a login's. It needs no session: a login
// page asks it which application it signs in to before anyone has signed in.
func (a *Applications) ByURL(ctx context.Context, url string) (Application, error) {
	app, err := a.store.ApplicationByURL(ctx, NormalizeURL(url))
	if errors.Is(err, ErrNotFound) {
		a.log.InfoContext(ctx, "refused", "event", "applications", "action", "url", "outcome", err.Error())
		return Application{}, err
	}
	if err != nil {
		return Application{}, fmt.Errorf("url application: %w", err)
	}
	return app, nil
}

// Patch changes the given fields and returns the application as stored.
func (a *Applications) Patch(ctx context.Context, who Session, id string, p ApplicationPatch) (Application, error) {
	p, err := checkPatch(p)
	if err != nil {
		return Application{}, a.invalid(ctx, who, "patch", err)
	}
	return a.change(ctx, who, "patch", id, p.Apply)
}

// Apply sets on app the fields the patch gives, the url normalised.
func (p ApplicationPatch) Apply(app *Application) {
	set(&app.Name, p.Name)
	if p.URL != nil {
		app.URL = NormalizeURL(*p.URL)
	}
	set(&app.UniqueIdentifier, p.UniqueIdentifier)
	set(&app.MFA, p.MFA)
	set(&app.CultureInfo, p.CultureInfo)
	set(&app.PhoneCountryCode, p.PhoneCountryCode)
	set(&app.Authenticators, p.Authenticators)
	set(&app.SMSCountries, p.SMSCountries)
	set(&app.AllowedOrigins, p.AllowedOrigins)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// checkPatch holds each property a patch sets to its rule and puts it in its stored form.
func checkPatch(p ApplicationPatch) (ApplicationPatch, error) {
	var err error
	if p.CultureInfo, err = checkSet(p.CultureInfo, CheckCultureInfo); err != nil {
		return p, err
	}
	if p.PhoneCountryCode, err = checkSet(p.PhoneCountryCode, CheckPhoneCountryCode); err != nil {
		return p, err
	}
	if p.Authenticators, err = checkSet(p.Authenticators, CheckAuthenticators); err != nil {
		return p, err
	}
	if p.SMSCountries, err = checkSet(p.SMSCountries, CheckSMSCountries); err != nil {
		return p, err
	}
	p.AllowedOrigins, err = checkSet(p.AllowedOrigins, CheckAllowedOrigins)
	return p, err
}

// checkSet applies check to a patch's value when the patch sets it, leaving the caller's value as it was.
func checkSet[T any](v *T, check func(T) (T, error)) (*T, error) {
	if v == nil {
		return nil, nil
	}
	out, err := check(*v)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Replace sets every field, what next leaves empty to its default (nil Authenticators to all), and
// returns the application as stored.
func (a *Applications) Replace(ctx context.Context, who Session, id string, next Application) (Application, error) {
	next, err := CheckApplication(next)
	if err != nil {
		return Application{}, a.invalid(ctx, who, "put", err)
	}
	return a.change(ctx, who, "put", id, func(app *Application) {
		app.Name, app.URL, app.UniqueIdentifier, app.MFA = next.Name, NormalizeURL(next.URL), next.UniqueIdentifier, next.MFA
		app.CultureInfo, app.PhoneCountryCode = next.CultureInfo, next.PhoneCountryCode
		app.Authenticators, app.SMSCountries, app.AllowedOrigins = next.Authenticators, next.SMSCountries, next.AllowedOrigins
	})
}

// invalid logs a refused property (its name, never its value) and returns the refusal.
func (a *Applications) invalid(ctx context.Context, who Session, action string, err error) error {
	property := ""
	if perr := (*PropertyError)(nil); errors.As(err, &perr) {
		property = perr.Property
	}
	a.log.InfoContext(ctx, "refused", "event", "applications", "action", action, "outcome", "invalid", "property", property, "userId", who.UserID)
	return err
}

// change reads, edits and writes back an application under its version; a concurrent change is
// retried on a fresh read, so both changes are kept. It returns what the last write stored, so that
// an answer can show it without reading it again.
func (a *Applications) change(ctx context.Context, who Session, action, id string, edit func(*Application)) (Application, error) {
	if err := a.adminOrSelf(ctx, who, action, id); err != nil {
		return Application{}, err
	}
	var next Application
	tries, err := retryConflicts(ctx, func() error {
		prev, err := a.store.GetApplication(ctx, id)
		if err != nil {
			return err
		}
		next = prev
		edit(&next)
		next.UpdateDate = a.clock().UTC().Truncate(time.Second)
		if err := a.store.ReplaceApplication(ctx, prev, next); err != nil {
			return err
		}
		next.Version = prev.Version + 1 // as ReplaceApplication stored it
		return nil
	})
	if err != nil {
		return Application{}, a.fail(ctx, who, action, err)
	}
	a.log.InfoContext(ctx, "application changed", "event", "applications", "action", action, "outcome", "changed",
		"appId", id, "mfa", next.MFA, "tries", tries, "userId", who.UserID)
	return next, nil
}

// ApplicationLister is a store that can list every application. Listing scans the table, which no
// request path may do, so it is not part of ApplicationStore: only operator tools get a store with it.
type ApplicationLister interface {
	ListApplications(ctx context.Context) ([]Application, error)
}

// List returns every application, ordered by name then appId, when the service's store can list.
func (a *Applications) List(ctx context.Context, who Session) ([]Application, error) {
	if err := a.admin(ctx, who, "list"); err != nil {
		return nil, err
	}
	lister, ok := a.store.(ApplicationLister)
	if !ok {
		return nil, errors.New("list applications: the store cannot list")
	}
	apps, err := lister.ListApplications(ctx)
	if err != nil {
		return nil, a.fail(ctx, who, "list", err)
	}
	return apps, nil
}

func (a *Applications) fail(ctx context.Context, who Session, action string, err error) error {
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrURLTaken) {
		a.log.InfoContext(ctx, "refused", "event", "applications", "action", action, "outcome", err.Error(), "userId", who.UserID)
		return err
	}
	return fmt.Errorf("%s application: %w", action, err)
}
