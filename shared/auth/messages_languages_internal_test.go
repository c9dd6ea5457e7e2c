package auth

import (
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"
	"time"
)

// sampleData is data every message kind renders with; a kind added without a sample fails
// TestEveryLanguageDefinesEveryMessage.
var sampleData = map[MessageKind]any{
	MessageBindingCode:                      bindingCodeData{Code: "123456", Life: lifetimeOf(5 * time.Minute)},
	MessageMobileCode:                       bindingCodeData{Code: "123456", Life: lifetimeOf(5 * time.Minute)},
	MessageInvitation:                       ticketData{Link: "https://app.example.com/accept-invite?ticket=t", AppName: "Portal", Life: lifetimeOf(7 * 24 * time.Hour)},
	MessagePasswordReset:                    ticketData{Link: "https://app.example.com/reset-password?ticket=t", AppName: "Portal", Life: lifetimeOf(time.Hour)},
	MessageKind(NoticePasswordChanged):      noticeData{When: "2026-12-02 14:05 UTC"},
	MessageKind(NoticeEmailChanged):         noticeData{When: "2026-12-02 14:05 UTC", NewEmail: "a***@example.com"},
	MessageKind(NoticeMobileChanged):        noticeData{When: "2026-12-02 14:05 UTC", NewMobile: "+31******78"},
	MessageKind(NoticeAuthenticatorAdded):   noticeData{When: "2026-12-02 14:05 UTC", Authenticator: "OTP"},
	MessageKind(NoticeAuthenticatorRemoved): noticeData{When: "2026-12-02 14:05 UTC", Authenticator: "OTP"},
	MessageKind(NoticeRecoveryCodeUsed):     noticeData{When: "2026-12-02 14:05 UTC", Remaining: 9},
	MessageKind(NoticeSecondFactorBackoff):  noticeData{When: "2026-12-02 14:05 UTC"},
}

// TestEveryLanguageDefinesEveryMessage: each language's file defines a subject and a body for every
// message kind and both render from sample data to text of their own (not English's, outside
// English) with no template text left; the files are exactly the languages, so none is left out of
// the matcher.
func TestEveryLanguageDefinesEveryMessage(t *testing.T) {
	files, err := fs.Glob(messageFiles, "messages/*.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	var fileLangs []string
	for _, f := range files {
		fileLangs = append(fileLangs, strings.TrimSuffix(path.Base(f), ".tmpl"))
	}
	var want []string
	for _, l := range languages {
		want = append(want, string(l))
	}
	slices.Sort(fileLangs)
	slices.Sort(want)
	if !slices.Equal(fileLangs, want) {
		t.Errorf("template files for %v, languages %v", fileLangs, want)
	}
	if _, ok := templates[DefaultLanguage]; !ok {
		t.Fatalf("no templates for the default language %q", DefaultLanguage)
	}

	for _, kind := range messageKinds {
		data, ok := sampleData[kind]
		if !ok {
			t.Errorf("message kind %s has no sample data", kind)
			continue
		}
		english, err := render(English, kind, "to", data)
		if err != nil {
			t.Fatalf("%s in English: %v", kind, err)
		}
		for _, lang := range languages {
			for _, part := range []string{".subject", ".body"} {
				if templates[lang].Lookup(string(kind)+part) == nil {
					t.Errorf("%s: no template %s%s", lang, kind, part)
				}
			}
			m, err := render(lang, kind, "to", data)
			if err != nil {
				t.Errorf("%s in %s: %v", kind, lang, err)
				continue
			}
			for _, s := range []string{m.Subject, m.Body} {
				if strings.TrimSpace(s) == "" || strings.Contains(s, "<no value>") || strings.ContainsAny(s, "{}") ||
					s != strings.TrimSpace(s) {
					t.Errorf("%s in %s renders %q", kind, lang, s)
				}
			}
			if strings.ContainsAny(m.Subject, "\r\n") {
				t.Errorf("%s in %s has a subject of more than one line: %q", kind, lang, m.Subject)
			}
			if lang != English && (m.Subject == english.Subject || m.Body == english.Body) {
				t.Errorf("%s in %s is English's text: %+v", kind, lang, m)
			}
		}
	}
}

// TestBindingCodeMessageInEachLanguage: the code and its lifetime, in whole minutes or else seconds,
// singular or plural, in each language's words.
func TestBindingCodeMessageInEachLanguage(t *testing.T) {
	for _, tc := range []struct {
		lang    Language
		subject string
		life    time.Duration
		body    string
	}{
		{English, "Your login code", 5 * time.Minute, "Your login code is 123456. It expires in 5 minutes. Never share it."},
		{Dutch, "Uw inlogcode", 5 * time.Minute, "Uw inlogcode is 123456. De code verloopt over 5 minuten. Deel hem met niemand."},
		{Dutch, "Uw inlogcode", time.Minute, "Uw inlogcode is 123456. De code verloopt over 1 minuut. Deel hem met niemand."},
		{Dutch, "Uw inlogcode", 90 * time.Second, "Uw inlogcode is 123456. De code verloopt over 90 seconden. Deel hem met niemand."},
		{Dutch, "Uw inlogcode", time.Second, "Uw inlogcode is 123456. De code verloopt over 1 seconde. Deel hem met niemand."},
		{German, "Ihr Anmeldecode", 5 * time.Minute, "Ihr Anmeldecode lautet 123456. Er läuft in 5 Minuten ab. Geben Sie ihn niemals weiter."},
		{German, "Ihr Anmeldecode", time.Minute, "Ihr Anmeldecode lautet 123456. Er läuft in 1 Minute ab. Geben Sie ihn niemals weiter."},
		{German, "Ihr Anmeldecode", 90 * time.Second, "Ihr Anmeldecode lautet 123456. Er läuft in 90 Sekunden ab. Geben Sie ihn niemals weiter."},
		{German, "Ihr Anmeldecode", time.Second, "Ihr Anmeldecode lautet 123456. Er läuft in 1 Sekunde ab. Geben Sie ihn niemals weiter."},
		{French, "Votre code de connexion", 5 * time.Minute, "Votre code de connexion est 123456. Il expire dans 5 minutes. Ne le communiquez à personne."},
		{French, "Votre code de connexion", time.Minute, "Votre code de connexion est 123456. Il expire dans 1 minute. Ne le communiquez à personne."},
		{French, "Votre code de connexion", 90 * time.Second, "Votre code de connexion est 123456. Il expire dans 90 secondes. Ne le communiquez à personne."},
		{French, "Votre code de connexion", time.Second, "Votre code de connexion est 123456. Il expire dans 1 seconde. Ne le communiquez à personne."},
	} {
		t.Run(string(tc.lang)+"/"+tc.life.String(), func(t *testing.T) {
			m, err := bindingCodeMessage(tc.lang, "ada@example.com", "123456", tc.life)
			want := Message{To: "ada@example.com", Subject: tc.subject, Body: tc.body}
			if err != nil || m != want {
				t.Errorf("message = %+v, %v; want %+v", m, err, want)
			}
		})
	}
}
