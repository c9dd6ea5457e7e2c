// Package mask hides most of a phone number or email address so that logs and responses can name it.
package mask

import (
	"strings"
	"unicode/utf8"
)

// phoneMaskStars is fixed so the mask does not reveal the number's length.
const phoneMaskStars = "******"

// Phone keeps the first two and last two digits, enough for a user to
// recognise their own number without exposing it to logs or other clients.
func Phone(e164 string) string {
	s := strings.TrimSpace(e164)
	digits := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			digits = append(digits, c)
		}
	}
	if len(digits) < 6 {
		return phoneMaskStars
	}
	var b strings.Builder
	if strings.HasPrefix(s, "+") {
		b.WriteByte('+')
	}
	b.Write(digits[:2])
	b.WriteString(phoneMaskStars)
	b.Write(digits[len(digits)-2:])
	return b.String()
}

// Email keeps the first character of the local part and the whole domain
// so a user can tell which of their addresses was used.
func Email(addr string) string {
	// The last '@' separates the domain; a quoted local part may contain '@'.
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "***"
	}
	local, domain := addr[:at], addr[at+1:]
	var b strings.Builder
	if local != "" {
		r, _ := utf8.DecodeRuneInString(local)
		b.WriteRune(r)
	}
	b.WriteString("***@")
	b.WriteString(domain)
	return b.String()
}
