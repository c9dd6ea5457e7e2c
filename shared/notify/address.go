package notify

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalidPhone lets callers map every phone validation failure to one
// client error without parsing messages.
var ErrInvalidPhone = errors.New("invalid mobile number")

// NormalizePhone validates a mobile number and returns it in E.164.
//
// A leading '+' is required because there is no sensible default region for a
// global login; numbers that can only be fixed lines or that cost the
// recipient or us extra are rejected because they cannot receive the code.
func NormalizePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "+") {
		return "", fmt.Errorf("%w: must start with + and country code", ErrInvalidPhone)
	}
	// The parser tolerates letters and trailing junk; accept only what people
	// actually type in a phone field.
	for _, r := range s[1:] {
		switch {
		case r >= '0' && r <= '9', r == ' ', r == '-', r == '(', r == ')', r == '.', r == '/':
		default:
			return "", fmt.Errorf("%w: unexpected character %q", ErrInvalidPhone, r)
		}
	}
	num, err := phonenumbers.Parse(s, "")
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidPhone, err)
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", fmt.Errorf("%w: not a valid number", ErrInvalidPhone)
	}
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.FIXED_LINE, phonenumbers.TOLL_FREE, phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST:
		return "", fmt.Errorf("%w: not a mobile number", ErrInvalidPhone)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}
