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
)

// messageKinds lists every kind, so a test can hold every language to all of them.
var messageKinds = []MessageKind{MessageBindingCode}

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
	return Message{To: to, Subject: subject.String(), Body: body.String()}, nil
}

// bindingCodeData is what a binding code's templates say: the code and how long it lasts.
type bindingCodeData struct {
	Code string
	Life lifetime
}

// lifetime is a duration as the templates word it: whole minutes when it is some, else seconds; the
// other field is zero.
type lifetime struct{ Minutes, Seconds int64 }

func lifetimeOf(d time.Duration) lifetime {
	if d%time.Minute == 0 {
		return lifetime{Minutes: int64(d / time.Minute)}
	}
	return lifetime{Seconds: int64(d / time.Second)}
}

// bindingCodeMessage is the message in lang that carries code, valid for life, to to.
func bindingCodeMessage(lang Language, to, code string, life time.Duration) (Message, error) {
	return render(lang, MessageBindingCode, to, bindingCodeData{Code: code, Life: lifetimeOf(life)})
}
