// Package phone validates mobile numbers and puts them in E.164. It stands apart from the senders so
// that the functions, which only send to numbers already validated, do not link the numbering plan
// tables (about 11 ms of start-up).
package phone

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid lets callers map every phone validation failure to one
// client error without parsing messages.
var ErrInvalid = errors.New("invalid mobile number")

// Normalize validates a mobile number and returns it in E.164.
func Normalize(s string) (string, error) {
	e164, _, err := Parse(s)
	return e164, err
}

// Parse validates a mobile number and returns it in E.164 with its country, the ISO 3166-1 alpha-2
// region the numbering plan puts it in (empty for numbers of no single country, such as +882).
//
// A leading '+' is required because there is no sensible default region for a
// global login; numbers that can only be fixed lines or that cost the
// recipient or us extra are rejected because they cannot receive the code.
func Parse(s string) (e164, country string, err error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "+") {
		return "", "", fmt.Errorf("%w: must start with + and country code", ErrInvalid)
	}
	// The parser tolerates letters and trailing junk; accept only what people
	// actually type in a phone field.
	for _, r := range s[1:] {
		switch {
		case r >= '0' && r <= '9', r == ' ', r == '-', r == '(', r == ')', r == '.', r == '/':
		default:
			return "", "", fmt.Errorf("%w: unexpected character %q", ErrInvalid, r)
		}
	}
	num, err := phonenumbers.Parse(s, "")
	if err != nil {
		return "", "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", "", fmt.Errorf("%w: not a valid number", ErrInvalid)
	}
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.FIXED_LINE, phonenumbers.TOLL_FREE, phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST:
		return "", "", fmt.Errorf("%w: not a mobile number", ErrInvalid)
	}
	country = phonenumbers.GetRegionCodeForNumber(num)
	if country == "001" || country == "ZZ" { // the plan's names for non-geographic and unknown
		country = ""
	}
	return phonenumbers.Format(num, phonenumbers.E164), country, nil
}
