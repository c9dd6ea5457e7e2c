package auth

import (
	"embed"
	"fmt"
	"strings"
	"text/template"
	"time"

	"golang.org/x/text/language"
)

// The texts the gateway sends, kept apart from the senders that carry them: a sender delivers a
// Message as it is. Each language is one file of templates, messages/<tag>.tmpl, parsed once at start;
// a message is a subject and a body template named after its kind ("bindingCode.subject",
// "bindingCode.body"), so a new message is one definition in every file, and a new language is one
// more file and one more line in languages.

// Language is the language a message is written in, as a BCP 47 tag.
type Language string

// The languages with texts.
const (
	English Language = "en"
	Dutch   Language = "nl"
	German  Language = "de"
	French  Language = "fr"
)

// DefaultLanguage is what a message is written in when neither its reader's nor the application's
// language has texts, and what a challenge stored before languages were kept reads as.
const DefaultLanguage = English

// languages are those with texts; the matcher prefers the first on a tie, so the default leads.
var languages = []Language{English, Dutch, German, French}

// MessageKind is what a message says; its value names its templates.
type MessageKind string

const (
	// MessageBindingCode carries a binding code; its data is bindingCodeData.
	MessageBindingCode MessageKind = "bindingCode"
	// MessageMobileCode carries the code that confirms a new mobile number; its data is bindingCodeData.
	MessageMobileCode MessageKind = "mobileCode"
	// MessageInvitation carries the link that accepts an invitation; its data is ticketData.
	MessageInvitation MessageKind = "invitation"
	// MessagePasswordReset carries the link that resets a password; its data is ticketData.
	MessagePasswordReset MessageKind = "passwordReset"
)

// messageKinds lists every kind, so a test can hold every language to all of them. The notices are
// kinds too, named after their Notice; their data is noticeData.
var messageKinds = append([]MessageKind{MessageBindingCode, MessageMobileCode, MessageInvitation, MessagePasswordReset},
	noticeKinds()...)

//go:embed messages/*.tmpl
var messageFiles embed.FS

// templates are every language's parsed file. A file that does not parse stops the start: the
// files are built in, and a test parses them too.
var templates = func() map[Language]*template.Template {
	out := make(map[Language]*template.Template, len(languages))
	for _, lang := range languages {
		name := "messages/" + string(lang) + ".tmpl"
		out[lang] = template.Must(template.New(name).Option("missingkey=error").ParseFS(messageFiles, name))
	}
	return out
}()

// matcher matches a cultureInfo to the languages with texts.
var matcher = language.NewMatcher(func() []language.Tag {
	tags := make([]language.Tag, len(languages))
	for i, l := range languages {
		tags[i] = language.MustParse(string(l))
	}
	return tags
}())

// ChooseLanguage is the language of the texts a user gets: the one that matches the user's
// cultureInfo, else the application's, else DefaultLanguage. A cultureInfo that is empty, does not
// parse or matches no language with texts (pt-BR) is passed over; a regional one takes its language
// (nl-BE is Dutch).
func ChooseLanguage(userCulture, appCulture string) Language {
	for _, culture := range []string{userCulture, appCulture} {
		if lang, ok := matchLanguage(culture); ok {
			return lang
		}
	}
	return DefaultLanguage
}

func matchLanguage(culture string) (Language, bool) {
	culture = strings.TrimSpace(culture)
	if culture == "" {
		return "", false
	}
	tag, err := language.Parse(culture)
	if err != nil {
		return "", false
	}
	// The matcher always answers, with the default when nothing is close: only its confidence says
	// whether the answer matched.
	_, i, conf := matcher.Match(tag)
	if conf == language.No {
		return "", false
	}
	// English is also the matcher's answer, with high confidence, for many languages it has no
	// closer match for (cy, ga, sw, zu, ur, bn, ...): a Welsh reader is better served by the
	// application's language than by English, so English matches only a tag of English.
	if languages[i] == English {
		if base, _ := tag.Base(); base.String() != string(English) {
			return "", false
		}
	}
	return languages[i], true
}

// templatesFor are lang's templates, or the default language's when lang has none.
func templatesFor(lang Language) *template.Template {
	if t, ok := templates[lang]; ok {
		return t
	}
	return templates[DefaultLanguage]
}

// render writes the message of kind to to in lang, from data.
func render(lang Language, kind MessageKind, to string, data any) (Message, error) {
	t := templatesFor(lang)
	var subject, body strings.Builder
	if err := t.ExecuteTemplate(&subject, string(kind)+".subject", data); err != nil {
		return Message{}, fmt.Errorf("message %s in %s: %w", kind, lang, err)
	}
	if err := t.ExecuteTemplate(&body, string(kind)+".body", data); err != nil {
		return Message{}, fmt.Errorf("message %s in %s: %w", kind, lang, err)
	}
	// A subject is one line whatever its data holds (an application's name, say), so that no sender
	// can read a line break in it as the start of another header.
	return Message{To: to, Subject: subjectLine.Replace(subject.String()), Body: body.String()}, nil
}

var subjectLine = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ")

// bindingCodeData is what a binding code's templates say: the code and how long it lasts.
type bindingCodeData struct {
	Code string
	Life lifetime
}

// lifetime is a duration as the templates word it: whole days when it is some, else whole hours,
// else whole minutes, else seconds; the other fields are zero.
type lifetime struct{ Days, Hours, Minutes, Seconds int64 }

func lifetimeOf(d time.Duration) lifetime {
	const day = 24 * time.Hour
	switch {
	case d >= day && d%day == 0:
		return lifetime{Days: int64(d / day)}
	case d >= time.Hour && d%time.Hour == 0:
		return lifetime{Hours: int64(d / time.Hour)}
	case d%time.Minute == 0:
		return lifetime{Minutes: int64(d / time.Minute)}
	}
	return lifetime{Seconds: int64(d / time.Second)}
}

// bindingCodeMessage is the message in lang that carries code, valid for life, to to.
func bindingCodeMessage(lang Language, to, code string, life time.Duration) (Message, error) {
	return render(lang, MessageBindingCode, to, bindingCodeData{Code: code, Life: lifetimeOf(life)})
}

// MobileCodeMessage is the SMS in lang that carries code, valid for life, to the new mobile number to,
// which the code confirms.
func MobileCodeMessage(lang Language, to, code string, life time.Duration) (Message, error) {
	if err := checkLife(MessageMobileCode, life); err != nil {
		return Message{}, err
	}
	return render(lang, MessageMobileCode, to, bindingCodeData{Code: code, Life: lifetimeOf(life)})
}

// ticketData is what the emails that carry a ticket say: the link that holds it, the application it
// is for, and how long it lasts.
type ticketData struct {
	Link    string
	AppName string
	Life    lifetime
}

// InvitationMessage is the email in lang that invites to to appName: link accepts the invitation and
// holds its ticket, valid for life.
func InvitationMessage(lang Language, to, link, appName string, life time.Duration) (Message, error) {
	return ticketMessage(lang, MessageInvitation, to, link, appName, life)
}

// PasswordResetMessage is the email in lang that lets to choose a new password for appName: link holds
// the reset ticket, valid for life.
func PasswordResetMessage(lang Language, to, link, appName string, life time.Duration) (Message, error) {
	return ticketMessage(lang, MessagePasswordReset, to, link, appName, life)
}

func ticketMessage(lang Language, kind MessageKind, to, link, appName string, life time.Duration) (Message, error) {
	if err := checkLife(kind, life); err != nil {
		return Message{}, err
	}
	return render(lang, kind, to, ticketData{Link: link, AppName: appName, Life: lifetimeOf(life)})
}

// checkLife refuses a lifetime under a second: the message would tell its reader that what it carries
// has already expired.
func checkLife(kind MessageKind, life time.Duration) error {
	if life < time.Second {
		return fmt.Errorf("message %s: lifetime %v is under a second", kind, life)
	}
	return nil
}
