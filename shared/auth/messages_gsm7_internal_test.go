package auth

import (
	"math"
	"strings"
	"testing"
	"time"
)

// gsm7Basic is the GSM 03.38 default alphabet, one septet each, in code order; NUL holds the place of
// 0x1B, the escape to the extension table, which is no character of its own.
const gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x00ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsm7Extension is the default alphabet's extension table: two septets each, the escape and the code.
const gsm7Extension = "\f^{}\\[~]|€"

// gsm7SingleSegment is what one SMS of the default alphabet holds.
const gsm7SingleSegment = 160

// gsm7Septets is how many septets s takes in the GSM-7 default alphabet; ok is false, with the first
// character outside it, when s needs UCS-2 (and so a segment of 70 characters).
func gsm7Septets(s string) (n int, bad rune, ok bool) {
	for _, r := range s {
		switch {
		case r != 0 && strings.ContainsRune(gsm7Basic, r):
			n++
		case strings.ContainsRune(gsm7Extension, r):
			n += 2
		default:
			return n, r, false
		}
	}
	return n, 0, true
}

// TestGSM7Septets holds the counter to the table: ç, ê, ë, ï, û and ô are outside it (only capital Ç
// is in), € and the brackets take two septets.
func TestGSM7Septets(t *testing.T) {
	for s, want := range map[string]int{"": 0, "abc": 3, "Ça": 2, "éèàùäöüß": 8, "€": 2, "[x]": 5, "a{b}|~^\\": 14} {
		if n, bad, ok := gsm7Septets(s); !ok || n != want {
			t.Errorf("gsm7Septets(%q) = %d, %q, %v; want %d", s, n, bad, ok, want)
		}
	}
	for _, s := range []string{"ç", "garçon", "ê", "ë", "ï", "û", "ô", "î", "â", "œ", "’", "–", "\x00"} {
		if _, _, ok := gsm7Septets(s); ok {
			t.Errorf("gsm7Septets(%q) counted, want refused", s)
		}
	}
	codes := []rune(gsm7Basic)
	if len(codes) != 128 {
		t.Fatalf("the basic set has %d codes, want 128", len(codes))
	}
	for code, want := range map[int]rune{0x09: 'Ç', 0x1B: 0, 0x1F: 'É', 0x20: ' ', 0x40: '¡', 0x41: 'A', 0x5F: '§', 0x60: '¿', 0x61: 'a', 0x7F: 'à'} {
		if codes[code] != want {
			t.Errorf("code %#x is %q, want %q", code, codes[code], want)
		}
	}
}

// smsMessages are the kinds that go by SMS, each as it is rendered.
var smsMessages = map[MessageKind]func(lang Language, to, code string, life time.Duration) (Message, error){
	MessageBindingCode: bindingCodeMessage,
	MessageMobileCode:  MobileCodeMessage,
}

// TestSMSFitsOneSegment: every language's SMS of every kind that goes by SMS is GSM-7 only and fits
// one segment with the longest values it can hold: a six-digit code and the longest lifetime wording,
// from the realistic (every second up to 59 minutes) to the greatest count of days, hours, minutes or
// seconds a duration can have. The SMS names no application, so nothing else can lengthen it.
func TestSMSFitsOneSegment(t *testing.T) {
	var lives []time.Duration
	for d := time.Second; d < time.Hour; d += time.Second {
		lives = append(lives, d)
	}
	lives = append(lives,
		time.Hour, 2*time.Hour, 24*time.Hour, 7*24*time.Hour,
		math.MaxInt64/(24*time.Hour)*(24*time.Hour), // 106751 days
		math.MaxInt64/time.Hour*time.Hour,           // 2562047 hours, not whole days
		math.MaxInt64/time.Minute*time.Minute,       // 153722867 minutes, not whole hours
		math.MaxInt64/time.Second*time.Second,       // 9223372036 seconds, not whole minutes
	)
	for kind, message := range smsMessages {
		for _, lang := range languages {
			t.Run(string(kind)+"/"+string(lang), func(t *testing.T) {
				longest := 0
				for _, life := range lives {
					m, err := message(lang, "+31612345678", "999999", life)
					if err != nil {
						t.Fatal(err)
					}
					n, bad, ok := gsm7Septets(m.Body)
					if !ok {
						t.Fatalf("%q has %q, which is not GSM-7", m.Body, bad)
					}
					if n > gsm7SingleSegment {
						t.Errorf("%q is %d septets, more than one segment", m.Body, n)
					}
					longest = max(longest, n)
				}
				t.Logf("longest SMS: %d septets", longest)
			})
		}
	}
}
