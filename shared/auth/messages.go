package auth

import (
	"fmt"
	"time"
)

// The texts the gateway sends, kept apart from the senders that carry them: a sender delivers a
// Message as it is, and a new language is one more catalog here.

// Language is the language a message is written in, as a BCP 47 tag.
type Language string

// English is the only language with texts so far.
const English Language = "en"

// DefaultLanguage is what a message is written in when its reader's language has no texts.
const DefaultLanguage = English

// MessageKind is what a message says.
type MessageKind int

const (
	// MessageBindingCode carries a binding code; its body's verbs are the code, then its lifetime.
	MessageBindingCode MessageKind = iota
)

// messageKinds lists every kind, so a test can hold every catalog to all of them.
var messageKinds = []MessageKind{MessageBindingCode}

// text is one message kind in one language.
type text struct{ subject, body string }

// catalog is one language's texts: every message kind, and how a lifetime is said.
type catalog struct {
	texts    map[MessageKind]text
	lifetime func(time.Duration) string
}

var catalogs = map[Language]catalog{
	English: {
		texts: map[MessageKind]text{
			MessageBindingCode: {subject: "Your login code", body: "Your login code is %s. It expires in %s. Never share it."},
		},
		lifetime: englishLifetime,
	},
}

// catalogFor is lang's catalog, or the default language's when lang has none.
func catalogFor(lang Language) catalog {
	if c, ok := catalogs[lang]; ok {
		return c
	}
	return catalogs[DefaultLanguage]
}

// bindingCodeMessage is the message that carries code, valid for life, to to.
func bindingCodeMessage(lang Language, to, code string, life time.Duration) Message {
	c := catalogFor(lang)
	t := c.texts[MessageBindingCode]
	return Message{To: to, Subject: t.subject, Body: fmt.Sprintf(t.body, code, c.lifetime(life))}
}

// englishLifetime says a lifetime in whole minutes when it is some, else in seconds: "5 minutes", "90 seconds".
func englishLifetime(d time.Duration) string {
	if d%time.Minute == 0 {
		return englishCount(int(d/time.Minute), "minute")
	}
	return englishCount(int(d/time.Second), "second")
}

func englishCount(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
