package auth

import (
	"testing"
	"time"
)

// TestEveryCatalogIsComplete holds each language to every message kind and a way of saying a
// lifetime, so a language added later cannot leave a sender with an empty text.
func TestEveryCatalogIsComplete(t *testing.T) {
	if _, ok := catalogs[DefaultLanguage]; !ok {
		t.Fatalf("no catalog for the default language %q", DefaultLanguage)
	}
	for lang, c := range catalogs {
		if c.lifetime == nil {
			t.Errorf("%s: no lifetime wording", lang)
		}
		for _, kind := range messageKinds {
			if tx, ok := c.texts[kind]; !ok || tx.subject == "" || tx.body == "" {
				t.Errorf("%s: message kind %d has no subject or body", lang, kind)
			}
		}
	}
}

func TestBindingCodeMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		lang Language
		life time.Duration
		body string
	}{
		{"English", English, 5 * time.Minute, "Your login code is 123456. It expires in 5 minutes. Never share it."},
		{"one minute", English, time.Minute, "Your login code is 123456. It expires in 1 minute. Never share it."},
		{"seconds", English, 90 * time.Second, "Your login code is 123456. It expires in 90 seconds. Never share it."},
		{"one second", English, time.Second, "Your login code is 123456. It expires in 1 second. Never share it."},
		{"a language without texts falls back to the default", Language("xx"), 5 * time.Minute, "Your login code is 123456. It expires in 5 minutes. Never share it."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := bindingCodeMessage(tc.lang, "+31612345678", "123456", tc.life)
			want := Message{To: "+31612345678", Subject: "Your login code", Body: tc.body}
			if m != want {
				t.Errorf("message = %+v, want %+v", m, want)
			}
		})
	}
}
