package auth_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
	"mfagateway/shared/seed"
	"mfagateway/shared/testenv"
)

// The subjects the languages' binding codes go under, and how each body starts.
var codeTexts = map[auth.Language]struct{ subject, body string }{
	auth.English: {"Your login code", "Your login code is "},
	auth.Dutch:   {"Uw inlogcode", "Uw inlogcode is "},
	auth.German:  {"Ihr Anmeldecode", "Ihr Anmeldecode lautet "},
	auth.French:  {"Votre code de connexion", "Votre code de connexion est "},
}

const (
	appCulture  = "44444444-4444-4444-8444-444444444444" // MFA on; its cultureInfo is each test's
	sanneEmail  = "sanne@example.com"                    // a mobile number; member of appCulture
	sanneID     = "55555555-5555-4555-8555-555555555555"
	sannePass   = "sanne-password-1"
	sanneMobile = "+31687654321"
)

// seedCultures adds appCulture with appCulture's tag and Sanne with userCulture, each "" for none;
// seeding again replaces both.
func (f *fixture) seedCultures(t *testing.T, userCulture, appTag string) {
	t.Helper()
	f.Seed(t, seed.File{
		Applications: []seed.Application{{AppID: appCulture, Name: "Culture", URL: "culture.example.com", MFA: true, CultureInfo: appTag}},
		Users: []seed.User{{UserID: sanneID, Email: sanneEmail, Name: "Sanne", Password: sannePass, Mobile: sanneMobile,
			Applications: []string{appCulture}, CultureInfo: userCulture}},
	})
}

// wantLastIn checks that the newest outbox message went by channel and is written in lang.
func (f *fixture) wantLastIn(t *testing.T, channel string, lang auth.Language) {
	t.Helper()
	entries := f.Outbox.Entries()
	if len(entries) == 0 {
		t.Fatal("nothing sent")
	}
	last, want := entries[len(entries)-1], codeTexts[lang]
	if last.Channel != channel || last.Subject != want.subject || !strings.HasPrefix(last.Body, want.body) {
		t.Errorf("sent %s %q: %q; want %s in %s, %q: %q…", last.Channel, last.Subject, last.Body, channel, lang, want.subject, want.body)
	}
}

// TestLoginWritesInTheUsersLanguage: the login's code is in the language ChooseLanguage gives the
// user's and the application's cultureInfo, for every pair of TestChooseLanguage the store can
// hold, and the challenge keeps the language it chose.
func TestLoginWritesInTheUsersLanguage(t *testing.T) {
	for _, tc := range languageChoices {
		_, userErr := auth.CheckCultureInfo(tc.user)
		_, appErr := auth.CheckCultureInfo(tc.app)
		if userErr != nil || appErr != nil {
			continue // a tag the cultureInfo rule refuses is never stored, so no login reads it
		}
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.seedCultures(t, tc.user, tc.app)
			mfa, _ := f.challengeTo(t, appCulture)
			f.wantLastIn(t, "SMS", tc.want)
			if got := f.getChallenge(t, mfa).Language; got != tc.want {
				t.Errorf("the challenge keeps %q, want %q", got, tc.want)
			}
			item := f.Item(t, "MFA#"+auth.TokenID(mfa))
			if s, _ := item["language"].(*types.AttributeValueMemberS); s == nil || s.Value != string(tc.want) {
				t.Errorf("stored language %v, want %q", item["language"], tc.want)
			}
		})
	}
}

// challengeTo logs Sanne in to appID and returns the MFA token and the code sent.
func (f *fixture) challengeTo(t *testing.T, appID string) (string, string) {
	t.Helper()
	res, err := f.login(sanneEmail, sannePass, appID)
	if err != nil || res.MFA == nil {
		t.Fatalf("login = %+v, %v; want a challenge", res, err)
	}
	return res.MFA.Token, f.LastCode(t)
}

// TestResendKeepsTheLoginsLanguage: a resend writes in the language the login chose, on the same
// channel or another, even when the user's cultureInfo changed since: it reads only the challenge. A
// challenge stored before languages were kept resends in English.
func TestResendKeepsTheLoginsLanguage(t *testing.T) {
	t.Run("same channel, then email, after the user turned German", func(t *testing.T) {
		f := newFixture(t)
		f.seedCultures(t, "nl-BE", "")
		mfa, _ := f.challengeTo(t, appCulture)
		f.seedCultures(t, "de-DE", "de-DE")
		f.resendVia(t, mfa, "")
		f.wantLastIn(t, "SMS", auth.Dutch)
		f.resendVia(t, mfa, auth.ChannelEmail)
		f.wantLastIn(t, "Email", auth.Dutch)
		code := f.LastCode(t)
		if _, err := f.svc.Verify(f.Ctx, mfa, auth.ChannelEmail, code); err != nil {
			t.Errorf("the Dutch code does not verify: %v", err)
		}
	})
	t.Run("a challenge stored without a language", func(t *testing.T) {
		f := newFixture(t)
		f.seedCultures(t, "fr-FR", "")
		mfa, _ := f.challengeTo(t, appCulture)
		f.wantLastIn(t, "SMS", auth.French)
		// Written back whole, as an older gateway stored it: the embedded engine's REMOVE is not relied on.
		item := f.Item(t, "MFA#"+auth.TokenID(mfa))
		delete(item, "language")
		if _, err := f.Raw.PutItem(f.Ctx, &dynamodb.PutItemInput{TableName: aws.String(f.Table), Item: item}); err != nil {
			t.Fatal(err)
		}
		if got := f.getChallenge(t, mfa).Language; got != "" {
			t.Fatalf("the challenge still has the language %q", got)
		}
		f.resendVia(t, mfa, "")
		f.wantLastIn(t, "SMS", auth.English)
	})
}

// TestFallbackEmailInTheUsersLanguage: when the SMS cannot be sent, the email that carries the code
// instead is in the same language.
func TestFallbackEmailInTheUsersLanguage(t *testing.T) {
	f := newFixture(t, testenv.WithDeps(func(d *auth.Deps) { d.SMS = &fakeSender{name: "AmazonSNS", err: errors.New("throttled")} }))
	f.seedCultures(t, "", "de-CH")
	f.challengeTo(t, appCulture)
	f.wantLastIn(t, "Email", auth.German)
}
