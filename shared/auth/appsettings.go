package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/language"
)

// ChannelOTP is the channel of an authenticator app (otp.go): a name an application's
// multiFactorAuthenticators may hold, and the channel of a challenge whose user has one confirmed.
const ChannelOTP Channel = "OTP"

// DefaultAuthenticators are the second factors an application allows when it names none, in the order
// the entity shows them.
var DefaultAuthenticators = []Channel{ChannelOTP, ChannelSMS, ChannelEmail}

// MaxPhoneCountryCodeLen bounds an application's phoneCountryCode, a free string on the platform.
const MaxPhoneCountryCodeLen = 16

// ErrInvalidApplication is the class of an application property that breaks its rule.
var ErrInvalidApplication = errors.New("invalid application property")

// PropertyError is an application property that breaks its rule; Property is its name in the entity.
type PropertyError struct {
	Property string
	Reason   string
}

func (e *PropertyError) Error() string { return e.Property + " " + e.Reason }

func (e *PropertyError) Is(target error) bool { return target == ErrInvalidApplication }

// Allows reports whether the application allows channel as a second factor; an application stored
// before it named its authenticators allows the defaults.
func (a Application) Allows(channel Channel) bool {
	if a.Authenticators == nil {
		return slices.Contains(DefaultAuthenticators, channel)
	}
	return slices.Contains(a.Authenticators, channel)
}

// SMSTo reports whether the application lets codes go by SMS to a number of country (ISO 3166-1
// alpha-2): any country when the list is empty, else only the listed ones. A number whose country is
// not known (saved before countries were kept) is in no list.
func (a Application) SMSTo(country string) bool {
	return len(a.SMSCountries) == 0 || (country != "" && slices.Contains(a.SMSCountries, country))
}

// CheckApplication holds the second-factor and locale properties of an application to their rules
// and puts them in their stored form: cultureInfo a canonical BCP 47 tag (empty for none),
// phoneCountryCode trimmed, authenticators the defaults when none are given (nil) and otherwise a
// non-empty list of known names without repeats, smsCountries upper-cased ISO 3166-1 alpha-2 codes
// without repeats. The first property that breaks its rule is a *PropertyError.
func CheckApplication(a Application) (Application, error) {
	var err error
	if a.CultureInfo, err = CheckCultureInfo(a.CultureInfo); err != nil {
		return a, err
	}
	if a.PhoneCountryCode, err = CheckPhoneCountryCode(a.PhoneCountryCode); err != nil {
		return a, err
	}
	if a.Authenticators == nil {
		a.Authenticators = slices.Clone(DefaultAuthenticators)
	} else if a.Authenticators, err = CheckAuthenticators(a.Authenticators); err != nil {
		return a, err
	}
	if a.SMSCountries, err = CheckSMSCountries(a.SMSCountries); err != nil {
		return a, err
	}
	if a.AllowedOrigins, err = CheckAllowedOrigins(a.AllowedOrigins); err != nil {
		return a, err
	}
	return a, nil
}

// CheckCultureInfo reads a BCP 47 language tag ("nl-NL", "en") and returns it canonical; empty is none.
func CheckCultureInfo(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", nil
	}
	// language.Parse also takes "_" for "-" and canonicalises the case and deprecated subtags.
	tag, err := language.Parse(s)
	// A tag must name a language: "und-NL", "x-private" or a reserved code (qaa) chooses no messages.
	base, _, _ := tag.Raw()
	if err != nil || base.String() == "und" || base.IsPrivateUse() {
		return "", &PropertyError{"cultureInfo", fmt.Sprintf("must be a BCP 47 language tag such as nl-NL, not %q.", clip(s))}
	}
	return tag.String(), nil
}

// CheckPhoneCountryCode is the rule of phoneCountryCode, a string without a format on the platform:
// trimmed, at most MaxPhoneCountryCodeLen characters, no control characters.
func CheckPhoneCountryCode(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if len(s) > MaxPhoneCountryCodeLen || strings.ContainsFunc(s, unicode.IsControl) {
		return "", &PropertyError{"phoneCountryCode", fmt.Sprintf("must be at most %d characters without control characters.", MaxPhoneCountryCodeLen)}
	}
	return s, nil
}

// CheckAuthenticators reads a list of second factors: each OTP, SMS or Email (in any case), none twice,
// at least one.
func CheckAuthenticators(list []Channel) ([]Channel, error) {
	if len(list) == 0 {
		return nil, &PropertyError{"multiFactorAuthenticators", "must name at least one of " + AuthenticatorNames() + "."}
	}
	out := make([]Channel, 0, len(list))
	for _, raw := range list {
		c, ok := parseAuthenticator(string(raw))
		switch {
		case !ok:
			return nil, &PropertyError{"multiFactorAuthenticators", fmt.Sprintf("has %q; each must be %s.", clip(string(raw)), AuthenticatorNames())}
		case slices.Contains(out, c):
			return nil, &PropertyError{"multiFactorAuthenticators", fmt.Sprintf("names %s twice.", c)}
		}
		out = append(out, c)
	}
	return out, nil
}

func parseAuthenticator(s string) (Channel, bool) {
	for _, c := range DefaultAuthenticators {
		if strings.EqualFold(strings.TrimSpace(s), string(c)) {
			return c, true
		}
	}
	return "", false
}

// AuthenticatorNames lists the names an application's multiFactorAuthenticators takes: "OTP, SMS or Email".
func AuthenticatorNames() string {
	names := make([]string, len(DefaultAuthenticators))
	for i, c := range DefaultAuthenticators {
		names[i] = string(c)
	}
	return orList(names)
}

// CheckSMSCountries reads a list of ISO 3166-1 alpha-2 country codes, in any case, none twice; empty
// (all countries) stays empty.
func CheckSMSCountries(list []string) ([]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(list))
	for _, raw := range list {
		code, ok := ParseCountry(raw)
		switch {
		case !ok:
			return nil, &PropertyError{"smsCountries", fmt.Sprintf("has %q; each must be an ISO 3166-1 alpha-2 country code such as NL.", clip(raw))}
		case slices.Contains(out, code):
			return nil, &PropertyError{"smsCountries", fmt.Sprintf("names %s twice.", code)}
		}
		out = append(out, code)
	}
	return out, nil
}

// ParseCountry reads an ISO 3166-1 alpha-2 country code in any case and returns it upper-cased. Only
// two letters naming a country in use are taken: not the numeric or three-letter forms language
// accepts, not groupings (EU, UN), not codes that were replaced (UK for GB, DD for DE).
func ParseCountry(raw string) (string, bool) {
	s := strings.ToUpper(strings.TrimSpace(raw))
	if len(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		return "", false
	}
	r, err := language.ParseRegion(s)
	if err != nil || !r.IsCountry() || r.Canonicalize() != r || r.String() != s {
		return "", false
	}
	return s, true
}

// clip shortens a refused value for a message.
func clip(s string) string {
	const most = 40
	if r := []rune(s); len(r) > most {
		return string(r[:most]) + "…"
	}
	return s
}
