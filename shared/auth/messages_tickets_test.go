package auth_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/auth"
)

// ticketLink is a link as the users' flows build it; the ticket in it is a secret only its email holds.
const ticketLink = "https://portal.example.com/accept-invite?ticket=c2VjcmV0LXRpY2tldA"

// TestInvitationMessageInEachLanguage: the invitation names the application, holds the link as it
// is, and words its lifetime in whole days, else hours, else minutes, else seconds, singular or
// plural, in each language's words.
func TestInvitationMessageInEachLanguage(t *testing.T) {
	// Each language's subject, and how it says when the link expires around the lifetime's words.
	langs := []struct {
		lang             auth.Language
		subject, expires string
	}{
		{auth.English, "Your invitation to Portal", "The link expires in %s."},
		{auth.Dutch, "Uw uitnodiging voor Portal", "De link verloopt over %s."},
		{auth.German, "Ihre Einladung zu Portal", "Der Link läuft in %s ab."},
		{auth.French, "Votre invitation à Portal", "Le lien expire dans %s."},
	}
	lives := []struct {
		life  time.Duration
		words map[auth.Language]string
	}{
		{7 * 24 * time.Hour, map[auth.Language]string{auth.English: "7 days", auth.Dutch: "7 dagen", auth.German: "7 Tagen", auth.French: "7 jours"}},
		{24 * time.Hour, map[auth.Language]string{auth.English: "1 day", auth.Dutch: "1 dag", auth.German: "1 Tag", auth.French: "1 jour"}},
		{36 * time.Hour, map[auth.Language]string{auth.English: "36 hours", auth.Dutch: "36 uur", auth.German: "36 Stunden", auth.French: "36 heures"}},
		{time.Hour, map[auth.Language]string{auth.English: "1 hour", auth.Dutch: "1 uur", auth.German: "1 Stunde", auth.French: "1 heure"}},
		{90 * time.Minute, map[auth.Language]string{auth.English: "90 minutes", auth.Dutch: "90 minuten", auth.German: "90 Minuten", auth.French: "90 minutes"}},
		{61 * time.Second, map[auth.Language]string{auth.English: "61 seconds", auth.Dutch: "61 seconden", auth.German: "61 Sekunden", auth.French: "61 secondes"}},
	}
	for _, l := range langs {
		for _, tc := range lives {
			t.Run(string(l.lang)+"/"+tc.life.String(), func(t *testing.T) {
				m, err := auth.InvitationMessage(l.lang, "ada@example.com", ticketLink, "Portal", tc.life)
				if err != nil {
					t.Fatal(err)
				}
				if m.To != "ada@example.com" || m.Subject != l.subject {
					t.Errorf("to %q, subject %q; want ada@example.com, %q", m.To, m.Subject, l.subject)
				}
				for _, want := range []string{"Portal", "\n" + ticketLink + "\n", fmt.Sprintf(l.expires, tc.words[l.lang])} {
					if !strings.Contains(m.Body, want) {
						t.Errorf("the body lacks %q:\n%s", want, m.Body)
					}
				}
			})
		}
	}
}

// TestPasswordResetMessageInEachLanguage: the reset email holds the link, says it lasts an hour, and
// tells a reader who did not ask for it that the password stays as it is.
func TestPasswordResetMessageInEachLanguage(t *testing.T) {
	for _, tc := range []struct {
		lang                 auth.Language
		subject, life, stays string
	}{
		{auth.English, "Reset your password for Portal", "expires in 1 hour", "If you did not ask for this, ignore this email: your password stays as it is."},
		{auth.Dutch, "Uw wachtwoord voor Portal opnieuw instellen", "verloopt over 1 uur", "Heeft u hier niet om gevraagd, negeer deze e-mail dan: uw wachtwoord blijft zoals het is."},
		{auth.German, "Ihr Passwort für Portal zurücksetzen", "läuft in 1 Stunde ab", "Wenn Sie dies nicht angefordert haben, ignorieren Sie diese E-Mail: Ihr Passwort bleibt, wie es ist."},
		{auth.French, "Réinitialisez votre mot de passe pour Portal", "expire dans 1 heure", "Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail : votre mot de passe reste tel qu'il est."},
	} {
		t.Run(string(tc.lang), func(t *testing.T) {
			link := strings.Replace(ticketLink, "accept-invite", "reset-password", 1)
			m, err := auth.PasswordResetMessage(tc.lang, "ada@example.com", link, "Portal", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if m.To != "ada@example.com" || m.Subject != tc.subject {
				t.Errorf("to %q, subject %q; want ada@example.com, %q", m.To, m.Subject, tc.subject)
			}
			for _, want := range []string{"\n" + link + "\n", tc.life, tc.stays} {
				if !strings.Contains(m.Body, want) {
					t.Errorf("the body lacks %q:\n%s", want, m.Body)
				}
			}
		})
	}
}

// TestMobileCodeMessageInEachLanguage: the SMS that confirms a new number, word for word.
func TestMobileCodeMessageInEachLanguage(t *testing.T) {
	for _, tc := range []struct {
		lang          auth.Language
		subject, body string
	}{
		{auth.English, "Confirm your mobile number", "Your code to confirm this number is 123456. It expires in 5 minutes."},
		{auth.Dutch, "Bevestig uw mobiele nummer", "Uw code om dit nummer te bevestigen is 123456. De code verloopt over 5 minuten."},
		{auth.German, "Bestätigen Sie Ihre Mobilnummer", "Ihr Code zur Bestätigung dieser Nummer lautet 123456. Er läuft in 5 Minuten ab."},
		{auth.French, "Confirmez votre numéro de mobile", "Votre code pour confirmer ce numéro est 123456. Il expire dans 5 minutes."},
	} {
		t.Run(string(tc.lang), func(t *testing.T) {
			m, err := auth.MobileCodeMessage(tc.lang, "+31612345678", "123456", 5*time.Minute)
			want := auth.Message{To: "+31612345678", Subject: tc.subject, Body: tc.body}
			if err != nil || m != want {
				t.Errorf("message = %+v, %v; want %+v", m, err, want)
			}
		})
	}
}

// TestMessagesRefuseAnExpiredLifetime: a lifetime under a second would tell the reader that the link
// or code has already expired; the message functions refuse it rather than send it.
func TestMessagesRefuseAnExpiredLifetime(t *testing.T) {
	for _, life := range []time.Duration{0, -time.Hour, 999 * time.Millisecond} {
		if m, err := auth.InvitationMessage(auth.English, "ada@example.com", ticketLink, "Portal", life); err == nil {
			t.Errorf("invitation for %v = %+v; want an error", life, m)
		}
		if m, err := auth.PasswordResetMessage(auth.English, "ada@example.com", ticketLink, "Portal", life); err == nil {
			t.Errorf("reset for %v = %+v; want an error", life, m)
		}
		if m, err := auth.MobileCodeMessage(auth.English, "+31612345678", "123456", life); err == nil {
			t.Errorf("mobile code for %v = %+v; want an error", life, m)
		}
	}
}

// TestUnknownLanguageWritesEnglish: a language with no texts (one a caller made up) reads as the
// default's rather than failing the message.
func TestUnknownLanguageWritesEnglish(t *testing.T) {
	m, err := auth.InvitationMessage(auth.Language("pt"), "ada@example.com", ticketLink, "Portal", 7*24*time.Hour)
	if err != nil || m.Subject != "Your invitation to Portal" {
		t.Errorf("message = %+v, %v; want English's", m, err)
	}
}

// TestSubjectIsOneLine: an application's name with a line break in it does not break the subject
// into lines a sender could read as headers.
func TestSubjectIsOneLine(t *testing.T) {
	m, err := auth.InvitationMessage(auth.English, "ada@example.com", ticketLink, "Portal\r\nBcc: eve@example.com\n", 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Your invitation to Portal Bcc: eve@example.com " {
		t.Errorf("subject %q, want one line", m.Subject)
	}
}
