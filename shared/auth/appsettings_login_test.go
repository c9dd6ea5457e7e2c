package auth_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
)

const (
	nlMobile     = "+31612345678"
	beMobile     = "+32470123456"
	propsPass    = "props-password-1"
	propsURL     = "props.example.com/login"
	propsNLEmail = "nl@example.com"
	propsBEEmail = "be@example.com"
	propsNoEmail = "nomobile@example.com"
)

// propsFixture is an MFA application created through the applications service and three members
// created through the users service, so that each stored number carries the country the numbering
// plan found for it.
type propsFixture struct {
	*usersFixture
	apps *auth.Applications
	app  auth.Application
}

func newPropsFixture(t *testing.T, app auth.Application) *propsFixture {
	t.Helper()
	f := &propsFixture{usersFixture: newUsersFixture(t)}
	f.apps = f.applications(f.Store)
	app.Name, app.URL, app.MFA = "Props", propsURL, true
	var err error
	if f.app, err = f.apps.Create(f.Ctx, admin, app); err != nil {
		t.Fatalf("create application: %v", err)
	}
	for _, u := range []auth.NewUser{
		{Email: propsNLEmail, Name: "Nl", Mobile: nlMobile},
		{Email: propsBEEmail, Name: "Be", Mobile: "+32 470 12 34 56"},
		{Email: propsNoEmail, Name: "None"},
	} {
		u.Password, u.Applications = propsPass, []string{f.app.ID}
		if _, err := f.users.Create(f.Ctx, admin, u); err != nil {
			t.Fatalf("create user %s: %v", u.Email, err)
		}
	}
	return f
}

func (f *propsFixture) loginTo(email string, ref auth.AppRef) (auth.LoginResult, error) {
	return f.svc.Login(f.Ctx, auth.LoginInput{Email: email, Password: propsPass, App: ref})
}

// The users service stores each number's country beside it, and clears it with the number.
func TestUsersStoreMobileCountry(t *testing.T) {
	f := newPropsFixture(t, auth.Application{})
	for email, want := range map[string]string{propsNLEmail: "NL", propsBEEmail: "BE", propsNoEmail: ""} {
		if got := f.stored(t, email).MobileCountry; got != want {
			t.Errorf("%s: MobileCountry %q, want %q", email, got, want)
		}
	}
	if _, err := f.users.SetMobile(f.Ctx, admin, propsNoEmail, beMobile); err != nil {
		t.Fatal(err)
	}
	if u := f.stored(t, propsNoEmail); u.Mobile != beMobile || u.MobileCountry != "BE" {
		t.Errorf("after set-mobile: %s %q, want %s BE", u.Mobile, u.MobileCountry, beMobile)
	}
	if _, err := f.users.SetMobile(f.Ctx, admin, propsNoEmail, ""); err != nil {
		t.Fatal(err)
	}
	if u := f.stored(t, propsNoEmail); u.Mobile != "" || u.MobileCountry != "" {
		t.Errorf("after clearing: %q %q, want both empty", u.Mobile, u.MobileCountry)
	}
}

// With smsCountries [BE], a Belgian number gets its code by SMS and a Dutch one by email, whether the
// login names the application by appId or by url (which reads the url copy of the application).
func TestLoginSMSCountries(t *testing.T) {
	f := newPropsFixture(t, auth.Application{SMSCountries: []string{"be"}})
	if !slices.Equal(f.app.SMSCountries, []string{"BE"}) {
		t.Fatalf("stored smsCountries %v, want [BE]", f.app.SMSCountries)
	}
	item := f.Item(t, "APPURL#"+propsURL)
	if ss, ok := item["smsCountries"].(*types.AttributeValueMemberL); !ok || len(ss.Value) != 1 {
		t.Fatalf("url copy smsCountries = %#v, want [BE]", item["smsCountries"])
	}
	for _, ref := range []struct {
		name string
		ref  auth.AppRef
	}{{"by appId", auth.AppRef{ID: f.app.ID}}, {"by url", auth.AppRef{URL: auth.NormalizeURL("https://Props.example.com/login/")}}} {
		for _, tt := range []struct {
			email string
			want  auth.Channel
		}{{propsBEEmail, auth.ChannelSMS}, {propsNLEmail, auth.ChannelEmail}, {propsNoEmail, auth.ChannelEmail}} {
			t.Run(ref.name+"/"+tt.email, func(t *testing.T) {
				res, err := f.loginTo(tt.email, ref.ref)
				if err != nil || res.MFA == nil {
					t.Fatalf("login = %+v, %v; want a challenge", res, err)
				}
				if res.MFA.Channel != tt.want {
					t.Errorf("channel %s, want %s", res.MFA.Channel, tt.want)
				}
			})
		}
	}
	// A resend cannot move the Dutch user's challenge to SMS either.
	res, err := f.loginTo(propsNLEmail, auth.AppRef{ID: f.app.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ResendVia(f.Ctx, res.MFA.Token, auth.ChannelSMS); !errors.Is(err, auth.ErrChannelUnavailable) {
		t.Errorf("resend via SMS = %v, want ErrChannelUnavailable", err)
	}
}

// multiFactorAuthenticators decide the channels too: without SMS codes go by email, without Email a
// resend cannot switch to it, and with no channel the user can be reached on the login is
// delivery_failed and leaves no challenge behind.
func TestLoginAuthenticators(t *testing.T) {
	t.Run("without SMS", func(t *testing.T) {
		f := newPropsFixture(t, auth.Application{Authenticators: []auth.Channel{auth.ChannelOTP, auth.ChannelEmail}})
		res, err := f.loginTo(propsBEEmail, auth.AppRef{URL: propsURL})
		if err != nil || res.MFA == nil || res.MFA.Channel != auth.ChannelEmail {
			t.Fatalf("login = %+v, %v; want a challenge by Email", res.MFA, err)
		}
		if _, err := f.svc.ResendVia(f.Ctx, res.MFA.Token, auth.ChannelSMS); !errors.Is(err, auth.ErrChannelUnavailable) {
			t.Errorf("resend via SMS = %v, want ErrChannelUnavailable", err)
		}
	})
	t.Run("without Email", func(t *testing.T) {
		f := newPropsFixture(t, auth.Application{Authenticators: []auth.Channel{auth.ChannelSMS}})
		res, err := f.loginTo(propsBEEmail, auth.AppRef{ID: f.app.ID})
		if err != nil || res.MFA == nil || res.MFA.Channel != auth.ChannelSMS {
			t.Fatalf("login = %+v, %v; want a challenge by SMS", res.MFA, err)
		}
		if _, err := f.svc.ResendVia(f.Ctx, res.MFA.Token, auth.ChannelEmail); !errors.Is(err, auth.ErrChannelUnavailable) {
			t.Errorf("resend via Email = %v, want ErrChannelUnavailable", err)
		}
		f.Clock.Advance(time.Minute) // past the resend cooldown
		if _, err := f.svc.ResendVia(f.Ctx, res.MFA.Token, auth.ChannelSMS); err != nil {
			t.Errorf("resend via SMS = %v, want a new code", err)
		}
	})
	for _, tt := range []struct {
		name  string
		app   auth.Application
		email string
	}{
		{"SMS only, no mobile", auth.Application{Authenticators: []auth.Channel{auth.ChannelSMS}}, propsNoEmail},
		{"SMS only, country not listed", auth.Application{Authenticators: []auth.Channel{auth.ChannelSMS}, SMSCountries: []string{"BE"}}, propsNLEmail},
		{"OTP only", auth.Application{Authenticators: []auth.Channel{auth.ChannelOTP}}, propsBEEmail},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newPropsFixture(t, tt.app)
			sent := len(f.Outbox.Entries())
			if _, err := f.loginTo(tt.email, auth.AppRef{ID: f.app.ID}); !errors.Is(err, auth.ErrDeliveryFailed) {
				t.Fatalf("login = %v, want ErrDeliveryFailed", err)
			}
			if left := f.Items(t, "MFA#"); len(left) != 0 {
				t.Errorf("%d challenges left, want none", len(left))
			}
			if got := len(f.Outbox.Entries()); got != sent {
				t.Errorf("%d messages sent, want none", got-sent)
			}
		})
	}
}

// A PUT (Replace) resets the properties it leaves out: authenticators to all three, the rest empty;
// a PATCH changes only those it names; a bad value is refused before anything is written.
func TestApplicationsPropertiesReplaceAndPatch(t *testing.T) {
	f := newPropsFixture(t, auth.Application{CultureInfo: "nl-NL", PhoneCountryCode: "+31",
		Authenticators: []auth.Channel{auth.ChannelSMS}, SMSCountries: []string{"NL"}})
	de := "de-de"
	got, err := f.apps.Patch(f.Ctx, admin, f.app.ID, auth.ApplicationPatch{CultureInfo: &de})
	if err != nil {
		t.Fatal(err)
	}
	if got.CultureInfo != "de-DE" || got.PhoneCountryCode != "+31" || !slices.Equal(got.SMSCountries, []string{"NL"}) ||
		!slices.Equal(got.Authenticators, []auth.Channel{auth.ChannelSMS}) {
		t.Errorf("after patch: %+v", got)
	}
	bad := []string{"XX"}
	var perr *auth.PropertyError
	if _, err := f.apps.Patch(f.Ctx, admin, f.app.ID, auth.ApplicationPatch{SMSCountries: &bad}); !errors.As(err, &perr) || perr.Property != "smsCountries" {
		t.Errorf("patch with XX = %v, want a PropertyError on smsCountries", err)
	}
	if _, err := f.apps.Replace(f.Ctx, admin, f.app.ID, auth.Application{Name: "Props", URL: propsURL, CultureInfo: "no tag!"}); !errors.As(err, &perr) || perr.Property != "cultureInfo" {
		t.Errorf("replace with a bad tag = %v, want a PropertyError on cultureInfo", err)
	}
	if _, err := f.apps.Replace(f.Ctx, admin, f.app.ID, auth.Application{Name: "Props", URL: propsURL, MFA: true}); err != nil {
		t.Fatal(err)
	}
	stored, err := f.apps.Get(f.Ctx, admin, f.app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.CultureInfo != "" || stored.PhoneCountryCode != "" || len(stored.SMSCountries) != 0 ||
		!slices.Equal(stored.Authenticators, auth.DefaultAuthenticators) {
		t.Errorf("after replace: %+v, want the defaults", stored)
	}
	byURL, err := f.apps.ByURL(f.Ctx, propsURL)
	if err != nil || !slices.Equal(byURL.Authenticators, auth.DefaultAuthenticators) || len(byURL.SMSCountries) != 0 {
		t.Errorf("url copy after replace: %+v, %v", byURL, err)
	}
	// Defaults again: the Dutch number gets SMS.
	if res, err := f.loginTo(propsNLEmail, auth.AppRef{URL: propsURL}); err != nil || res.MFA.Channel != auth.ChannelSMS {
		t.Errorf("login after replace = %+v, %v; want SMS", res.MFA, err)
	}
}
